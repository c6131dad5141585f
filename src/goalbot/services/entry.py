"""Figures an administrator enters for the roles: a file of them, or one at a time.

The finance office often has the statistics for everyone. Each figure is checked as the chat
checks an owner's (the same reading of ``11,9``, ``1 021 000 €`` or ``kyllä``, the same
ranges and units, the same messages), and recorded through the one function every answer goes
through (``save_answer``: history and audit log), as entered by the administrator for the
goal's role. A file is all or nothing: every refused row is reported with its line, and then
nothing is stored.

A row names the metric (``STR-5.1``), the period the figure describes (``2026Q4``,
``Q4/2026``, or for a year's figure the year, ``2026``), the value and, optionally, a comment,
which is kept with the figure as its explanation.

An owner gives a figure the same way in the chat, ``/vastaa RV-1.1 Q2/2026 25``: a late one
for a period whose round has closed, or any of their own at any time (``give_figure``). Who
may answer which metric is services.access.answering_hold; administrators may answer any.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from goalbot.domain.answers import (
    AnswerValue,
    InvalidAnswer,
    other_reading,
    parse_number,
    parse_reason,
    parse_yes_no,
)
from goalbot.domain.evaluation import Term, evaluate, is_target_missed
from goalbot.domain.goals import Catalogue, Metric, MetricKind
from goalbot.domain.periods import Period, PeriodError
from goalbot.domain.protocol import DEFAULT_ENTERED_BY, HolderKind
from goalbot.services.access import (
    Actor,
    answering_hold,
    changer_of,
    identify,
    person_by_telegram_id,
)
from goalbot.services.catalogue import active_catalogue
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.rounds import open_round_row
from goalbot.storage.audit import Changer
from goalbot.storage.models import AnswerRow, ConversationRow, PersonRow
from goalbot.storage.repositories import (
    answers_before,
    confirm_answer,
    get_answer,
    get_setting,
    row_to_answer,
    save_answer,
    save_text,
    set_setting,
)

COLUMNS: dict[str, tuple[str, ...]] = {
    "metric": ("metric", "mittari", "tunnus"),
    "period": ("period", "kausi", "vuosi"),
    "value": ("value", "arvo", "luku"),
    "comment": ("comment", "kommentti"),
}
"""The columns of a file, each by the header names that mean it (in any case)."""


@dataclass(frozen=True)
class EntryRow:
    """One figure as written: its line in the file, the metric, the period and the value."""

    line: int
    metric: str
    period: str
    value: str
    comment: str = ""


@dataclass(frozen=True)
class Refusal:
    """Why a row was refused; ``code`` selects the message (``InvalidAnswer``'s codes for a
    value the chat would refuse too)."""

    line: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Entered:
    """A figure recorded: for which metric and period, and whether it changed anything."""

    metric_id: str
    period: Period
    value: AnswerValue
    changed: bool
    new: bool


@dataclass(frozen=True)
class EntryReport:
    """What a file (or one figure) did: the figures recorded, or the rows refused."""

    entered: tuple[Entered, ...] = ()
    refused: tuple[Refusal, ...] = ()

    @property
    def new(self) -> int:
        return sum(1 for e in self.entered if e.new)

    @property
    def changed(self) -> int:
        return sum(1 for e in self.entered if e.changed and not e.new)

    @property
    def unchanged(self) -> int:
        return sum(1 for e in self.entered if not e.changed)


@dataclass(frozen=True)
class _Checked:
    row: EntryRow
    metric: Metric
    owner_role: str
    period: Period
    value: AnswerValue
    comment: str


# ---------------------------------------------------------------- reading files


def _cell(value: Any) -> str:
    """A spreadsheet cell as the text it shows: 11.9 as ``11.9``, 1021000 as ``1021000``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "kyllä" if value else "ei"
    if isinstance(value, float):
        number = Decimal(repr(value))
        return format(number.normalize(), "f") if number == number.to_integral() else repr(value)
    return str(value).strip()


def _column(texts: list[str], index: int | None) -> str:
    return texts[index] if index is not None and index < len(texts) else ""


def _rows_of(table: Iterable[tuple[int, Sequence[Any]]]) -> tuple[list[EntryRow], list[Refusal]]:
    """Rows of a table whose first non-empty row names the columns."""
    columns: dict[str, int] | None = None
    rows: list[EntryRow] = []
    for line, cells in table:
        texts = [_cell(c) for c in cells]
        if not any(texts):
            continue
        if columns is None:
            names = [t.casefold() for t in texts]
            columns = {
                key: next(i for i, n in enumerate(names) if n in words)
                for key, words in COLUMNS.items()
                if any(n in words for n in names)
            }
            missing = [k for k in ("metric", "period", "value") if k not in columns]
            if missing:
                return [], [Refusal(line, "missing_columns", {"columns": missing})]
            continue
        found = {key: _column(texts, columns.get(key)) for key in COLUMNS}
        rows.append(
            EntryRow(line, found["metric"], found["period"], found["value"], found["comment"])
        )
    if columns is None:
        return [], [Refusal(1, "empty_file")]
    return rows, []


def read_entry_file(path: Path) -> tuple[list[EntryRow], list[Refusal]]:
    """The rows of a CSV (``;``, ``,`` or tab between columns) or XLSX file (its first sheet).

    ServiceError if the file cannot be read at all.
    """
    if not path.is_file():
        raise ServiceError("no_such_file", path=str(path))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
            raise ServiceError("unreadable_file", path=str(path), reason=str(exc)) from None
        sheet = workbook.worksheets[0]
        table = ((number, row) for number, row in enumerate(sheet.iter_rows(values_only=True), 1))
        try:
            return _rows_of(table)
        finally:
            workbook.close()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ServiceError("unreadable_file", path=str(path), reason=str(exc)) from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(";,\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _rows_of((reader.line_num, row) for row in reader)


# ---------------------------------------------------------------- checking a row


def _metric_of(catalogue: Catalogue, ref: str) -> tuple[Metric, str]:
    """The metric ``ref`` names and the role that answers it; KeyError if none."""
    metric = catalogue.metric(ref.strip())
    return metric, catalogue.goal(metric.goal_id).owner_role


def _period_of(metric: Metric, text: str) -> Period:
    """A quarter, or for a year's figure the year (its cadence's quarter); PeriodError."""
    cleaned = text.strip()
    if cleaned.isdigit() and len(cleaned) == 4 and metric.describes_years:
        return Period(int(cleaned), metric.cadence.quarter or 4)
    return Period.parse(cleaned)


def _value_of(metric: Metric, text: str) -> AnswerValue:
    """The value as the chat reads it; InvalidAnswer as the chat refuses it."""
    if metric.kind == MetricKind.YES_NO:
        flag = parse_yes_no(text)
        if flag is None:
            raise InvalidAnswer("yes_or_no")
        return AnswerValue.of_flag(flag)
    return AnswerValue.of_number(parse_number(text, metric))


def _check(catalogue: Catalogue, row: EntryRow) -> _Checked | Refusal:
    try:
        metric, role = _metric_of(catalogue, row.metric)
    except KeyError:
        return Refusal(row.line, "unknown_metric", {"ref": row.metric})
    if metric.same_as:
        return Refusal(row.line, "asked_as", {"ref": metric.id, "other": metric.same_as})
    try:
        period = _period_of(metric, row.period)
    except PeriodError:
        return Refusal(row.line, "not_a_period", {"ref": metric.id, "period": row.period})
    if not catalogue.first_period <= period <= catalogue.last_period:
        first, last = catalogue.first_period.label, catalogue.last_period.label
        return Refusal(
            row.line, "outside_term", {"period": period.label, "first": first, "last": last}
        )
    if metric.kind != MetricKind.YES_NO and not metric.cadence.is_due(period):
        return Refusal(row.line, "not_described", {"ref": metric.id, "period": period.label})
    try:
        value = _value_of(metric, row.value)
        comment = parse_reason(row.comment) if row.comment.strip() else ""
    except InvalidAnswer as exc:
        return Refusal(row.line, exc.code, {"ref": metric.id, **exc.params})
    return _Checked(row, metric, role, period, value, comment)


def check_rows(catalogue: Catalogue, rows: Iterable[EntryRow]) -> list[_Checked | Refusal]:
    """Every row checked; the same metric and period twice is refused the second time."""
    seen: dict[tuple[str, Period], int] = {}
    result: list[_Checked | Refusal] = []
    for row in rows:
        checked = _check(catalogue, row)
        if isinstance(checked, _Checked):
            key = (checked.metric.id, checked.period)
            if key in seen:
                checked = Refusal(
                    row.line, "twice", {"ref": key[0], "period": key[1].label, "first": seen[key]}
                )
            else:
                seen[key] = row.line
        result.append(checked)
    return result


# ---------------------------------------------------------------- recording


def enter_figures(
    ctx: AppContext,
    rows: Iterable[EntryRow],
    entered_by: str = DEFAULT_ENTERED_BY,
    refused: Sequence[Refusal] = (),
) -> EntryReport:
    """Record every row's figure for its role, or none of them if any row is refused."""
    with ctx.unit_of_work() as uow:
        catalogue = active_catalogue(uow)
        checked = check_rows(catalogue, rows)
        refusals = [*refused, *(c for c in checked if isinstance(c, Refusal))]
        if refusals:
            return EntryReport(refused=tuple(sorted(refusals, key=lambda r: r.line)))
        open_row = open_round_row(uow)
        # given in the open round, it answers that round's question; else it stands before
        # the next round, which then does not ask for it
        round_period = Period.parse(open_row.period) if open_row is not None else None
        now: datetime = ctx.now()
        entered = []
        for item in checked:
            assert isinstance(item, _Checked)
            changer = Changer.person(None, item.owner_role)
            new = get_answer(uow, item.metric.id, item.period) is None
            row, changed = save_answer(
                uow,
                item.metric.id,
                item.period,
                item.value,
                None,
                now,
                item.owner_role,
                changer=changer,
                round_period=round_period,
                entered_by=entered_by,
            )
            # an administrator's figure needs no confirming by the role's holder
            confirm_answer(uow, row, None, now, changer=changer)
            if item.comment:
                save_text(uow, row, "explanation", item.comment, None, now, changer=changer)
            entered.append(Entered(item.metric.id, item.period, item.value, changed, new))
        uow.commit()
        return EntryReport(entered=tuple(entered))


def import_figures(
    ctx: AppContext, path: Path, entered_by: str = DEFAULT_ENTERED_BY
) -> EntryReport:
    """``goalbot answers import FILE``: every figure of the file, or none (see the module)."""
    rows, refused = read_entry_file(path)
    return enter_figures(ctx, rows, entered_by, refused)


def enter_figure(
    ctx: AppContext,
    metric: str,
    period: str,
    value: str,
    comment: str = "",
    entered_by: str = DEFAULT_ENTERED_BY,
) -> EntryReport:
    """``goalbot answers set``: one figure, checked and recorded as a file's row is."""
    return enter_figures(ctx, [EntryRow(0, metric, period, value, comment)], entered_by)


# ---------------------------------------------------------------- a figure given in the chat

CONFIRM_WORD = "!"
"""Typed after a figure a thousand times off the previous one: it is meant as typed."""


@dataclass(frozen=True)
class GivenFigure:
    """What /vastaa did: ``code`` "saved" or "unchanged", else why the figure was refused
    (a Refusal's or InvalidAnswer's code), with the metric and period when they were read."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    metric: Metric | None = None
    period: Period | None = None
    value: AnswerValue | None = None


def _compared(uow: Any, metric: Metric, period: Period) -> Decimal | None:
    """The figure a typed one is checked against: the latest before it, else the baseline."""
    earlier = [r.number for r in answers_before(uow, period, [metric.id]) if r.number is not None]
    if earlier:
        return earlier[-1]
    baseline = metric.baseline.value
    return baseline if isinstance(baseline, Decimal) else None


def give_figure(ctx: AppContext, telegram_user_id: int, words: Sequence[str]) -> GivenFigure:
    """``/vastaa METRIC PERIOD VALUE``: the Telegram user's figure for a period of one of their
    metrics, checked as the chat checks an answer and recorded confirmed, also after the
    period's round has closed (given while a round is open, it answers that round too)."""
    if len(words) < 3:
        return GivenFigure("usage")
    ref, period_text = words[0], words[1]
    rest = list(words[2:])
    insisted = rest[-1] == CONFIRM_WORD
    if insisted:
        rest = rest[:-1]
    with ctx.unit_of_work() as uow:
        identity = identify(uow, ctx, telegram_user_id)
        catalogue = active_catalogue(uow)
        checked = _check(catalogue, EntryRow(0, ref, period_text, " ".join(rest)))
        if isinstance(checked, Refusal):
            metric = None
            with contextlib.suppress(KeyError):
                metric = catalogue.metric(ref.strip())
            return GivenFigure(checked.code, checked.params, metric)
        metric, period, value = checked.metric, checked.period, checked.value
        hold = answering_hold(identity, catalogue, metric)
        if hold is None and not identity.is_admin:
            return GivenFigure("not_yours", {"ref": metric.id}, metric, period)
        if value.number is not None and not insisted:
            other = other_reading(value.number, _compared(uow, metric, period), metric)
            if other is not None:
                params = {"typed": value.number, "other": other, "words": words}
                return GivenFigure("implausible", params, metric, period, value)
        person = person_by_telegram_id(uow, telegram_user_id)
        deputy = hold is not None and hold.kind == HolderKind.DEPUTY
        role = checked.owner_role if hold is None or deputy else None
        changer = (
            None if hold is not None else changer_of(uow, ctx, Actor(telegram_user_id), role or "")
        )
        open_row = open_round_row(uow)
        now = ctx.now()
        row, changed = save_answer(
            uow,
            metric.id,
            period,
            value,
            person,
            now,
            role,
            changer=changer,
            round_period=Period.parse(open_row.period) if open_row is not None else None,
        )
        confirm_answer(uow, row, person, now, changer=changer)
        # a late figure that misses its target asks, as the questionnaire does, why and what
        # is done about it: the person's next typed texts (see take_late_text)
        missed = _misses_target(uow, catalogue, metric, period, row)
        if person is not None:
            _ask_late_text(uow, person, (metric, period) if missed else None, now)
        uow.commit()
        params = {"missed": missed}
        return GivenFigure("saved" if changed else "unchanged", params, metric, period, value)


LATE_TEXT_SETTING = "late_text:{person_id}"
"""Where a person without a questionnaire position keeps what their next typed text is for
(see _LATE)."""
_LATE = "late_text"
"""What a person's next typed text is for after a late figure missed its target: the metric,
the period and the step (``explanation``, then ``corrective_action``); kept in the data of
their questionnaire position, which every input reads anyway, else in a setting."""
LATE_STEPS = ("explanation", "corrective_action")


def _misses_target(
    uow: Any, catalogue: Catalogue, metric: Metric, period: Period, row: AnswerRow
) -> bool:
    """Whether the figure just given for ``period`` misses its target, judged as the
    questionnaire judges an answer."""
    answer = row_to_answer(row)
    if not answer.value.has_value:
        return False
    history = [row_to_answer(r) for r in answers_before(uow, period, [metric.id])]
    reference = metric.target.reference
    reference_row = (
        get_answer(uow, reference.metric, period)
        if reference is not None and reference.metric
        else None
    )
    evaluation = evaluate(
        metric,
        period,
        answer,
        history,
        term=Term(catalogue.first_period, catalogue.last_period),
        reference=reference_row.number if reference_row is not None else None,
    )
    return is_target_missed(evaluation)


def _keep_late_text(
    uow: Any, person: PersonRow, value: dict[str, str] | None, now: datetime
) -> None:
    """Remember (or forget, ``value`` None) what the person's next text is for."""
    position = uow.session.get(ConversationRow, person.id)
    if position is not None:
        data = dict(position.data or {})
        if value is None and _LATE not in data:
            return
        if value is None:
            del data[_LATE]
        else:
            data[_LATE] = value
        position.data = data
        return
    key = LATE_TEXT_SETTING.format(person_id=person.id)
    if value is None:
        if get_setting(uow, key):
            set_setting(uow, key, "", now)
        return
    set_setting(uow, key, json.dumps(value), now)


def _ask_late_text(
    uow: Any, person: PersonRow, asked: tuple[Metric, Period] | None, now: datetime
) -> None:
    """Remember (or forget, ``asked`` None) that the person's next text explains a figure."""
    if asked is None:
        _keep_late_text(uow, person, None, now)
        return
    metric, period = asked
    value = {"metric": metric.id, "period": period.key, "step": LATE_STEPS[0]}
    _keep_late_text(uow, person, value, now)


def late_text_asked(
    uow: Any, person: PersonRow, position: ConversationRow | None
) -> dict[str, str] | None:
    """What the person was asked to write about a late figure, if anything. ``position``:
    the person's questionnaire position, which the caller read (and keeps) for the
    questionnaire too, so an answer's way has no read of its own for this."""
    value: Any = None
    if position is not None:
        value = (position.data or {}).get(_LATE)
    else:
        stored = get_setting(uow, LATE_TEXT_SETTING.format(person_id=person.id))
        with contextlib.suppress(ValueError, TypeError):
            value = json.loads(stored) if stored else None
    if isinstance(value, dict) and value.get("step") in LATE_STEPS:
        return {k: str(v) for k, v in value.items()}
    return None


def forget_late_text(uow: Any, person: PersonRow, now: datetime) -> None:
    """The person went on to something else: their next text is no longer asked for."""
    _keep_late_text(uow, person, None, now)


def take_late_text(
    uow: Any, person: PersonRow, asked: dict[str, str], text: str, now: datetime
) -> tuple[str, dict[str, Any]]:
    """The person's text about a late figure that missed its target: kept with it as its
    explanation, then as its corrective action. The note to show: ``late_explanation`` (the
    corrective action is asked next), ``late_corrective`` (both kept), or why it was refused."""
    period = Period.parse(asked["period"])
    params: dict[str, Any] = {"metric": asked["metric"], "period": period.label}
    try:
        cleaned = parse_reason(text)
    except InvalidAnswer as exc:
        return f"late_{exc.code}", {**params, **exc.params}
    row = get_answer(uow, asked["metric"], period)
    if row is None:
        forget_late_text(uow, person, now)
        return "late_gone", params
    step = asked["step"]
    save_text(uow, row, step, cleaned, person, now)
    if step == LATE_STEPS[0]:
        _keep_late_text(uow, person, {**asked, "step": LATE_STEPS[1]}, now)
        return "late_explanation", params
    forget_late_text(uow, person, now)
    return "late_corrective", params
