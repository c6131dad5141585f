"""Queries and writes that more than one service needs."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import literal, null, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from goalbot.domain.answers import Answer, AnswerState, AnswerValue
from goalbot.domain.goals import Catalogue
from goalbot.domain.obligations import Holder, Question, RoleHolders, questions_of
from goalbot.domain.periods import Period
from goalbot.domain.protocol import HolderKind
from goalbot.storage.audit import AuditAction, Changer, record_change
from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import (
    AnswerHistoryRow,
    AnswerRow,
    AssignmentRow,
    GoalCommentRow,
    MetricRow,
    PersonRow,
    RoundRow,
    SettingRow,
)


def value_to_json(value: AnswerValue) -> dict[str, Any]:
    """An answer value as stored in the history."""
    return {
        "state": value.state.value,
        "number": None if value.number is None else format(value.number, "f"),
        "flag": value.flag,
        "reason": value.reason,
    }


def row_value(row: AnswerRow) -> AnswerValue:
    return AnswerValue(AnswerState(row.state), row.number, row.flag, row.reason)


def row_to_answer(row: AnswerRow) -> Answer:
    """The domain's view of a stored answer."""
    person = row.answered_by
    return Answer(
        metric_id=row.metric_id,
        period=Period.parse(row.period),
        value=row_value(row),
        explanation=row.explanation,
        corrective_action=row.corrective_action,
        confirmed=row.confirmed_at is not None,
        answered_at=row.answered_at,
        answered_by=person.name if person else row.entered_by,
        on_behalf_of=row.on_behalf_of_role or "",
    )


def get_answer(uow: UnitOfWork, metric_id: str, period: Period) -> AnswerRow | None:
    return uow.session.scalars(
        select(AnswerRow).where(AnswerRow.metric_id == metric_id, AnswerRow.period == period.key)
    ).first()


def answers_before(uow: UnitOfWork, period: Period, metric_ids: Iterable[str]) -> list[AnswerRow]:
    """The answers of ``metric_ids`` given for the periods before ``period``, oldest first."""
    query = (
        select(AnswerRow)
        .where(AnswerRow.metric_id.in_(list(metric_ids)), AnswerRow.period < period.key)
        .options(selectinload(AnswerRow.answered_by))
    )
    # a period's key sorts as the period does (four-digit years)
    return sorted(uow.session.scalars(query), key=lambda r: (r.period, r.metric_id))


def all_answers(uow: UnitOfWork, up_to: Period | None = None) -> list[AnswerRow]:
    """Every stored answer (optionally up to a period), oldest period first."""
    query = select(AnswerRow).options(selectinload(AnswerRow.answered_by))
    if up_to is not None:
        query = query.where(AnswerRow.period <= up_to.key)
    # a period's key sorts as the period does (four-digit years)
    return list(uow.session.scalars(query.order_by(AnswerRow.period, AnswerRow.metric_id)))


def answers_up_to(
    uow: UnitOfWork, up_to: Period, metric_ids: Collection[str] | None = None
) -> list[Answer]:
    """Every stored answer up to a period (only of ``metric_ids``, if given), oldest period
    first, as the domain sees them: all_answers's content read as plain columns (a report of
    a large catalogue reads hundreds of thousands of rows; building ORM objects for each was
    most of its time)."""
    query = (
        select(
            AnswerRow.metric_id,
            AnswerRow.period,
            AnswerRow.state,
            AnswerRow.number,
            AnswerRow.flag,
            AnswerRow.reason,
            AnswerRow.explanation,
            AnswerRow.corrective_action,
            AnswerRow.confirmed_at,
            AnswerRow.answered_at,
            PersonRow.name,
            AnswerRow.entered_by,
            AnswerRow.on_behalf_of_role,
        )
        .outerjoin(PersonRow, PersonRow.id == AnswerRow.answered_by_id)
        .where(AnswerRow.period <= up_to.key)
        .order_by(AnswerRow.period, AnswerRow.metric_id)
    )
    if metric_ids is not None:
        query = query.where(AnswerRow.metric_id.in_(sorted(metric_ids)))
    states = {state.value: state for state in AnswerState}
    found = []
    parse = Period.parse
    # unpacked by position, one tuple a row: the loop runs for every answer of the town
    for (
        metric_id,
        key,
        state,
        number,
        flag,
        reason,
        explanation,
        corrective_action,
        confirmed_at,
        answered_at,
        name,
        entered_by,
        on_behalf_of,
    ) in uow.session.execute(query).all():  # fetched at once, not row by row
        found.append(
            Answer(
                metric_id,
                parse(key),
                AnswerValue(states[state], number, flag, reason),
                explanation,
                corrective_action,
                confirmed_at is not None,
                answered_at,
                name if name is not None else entered_by,
                on_behalf_of or "",
            )
        )
    return found


def values_as_of(
    uow: UnitOfWork, up_to: Period, moment: datetime, metric_ids: Collection[str] | None = None
) -> dict[tuple[str, str], tuple[dict[str, Any], datetime, str]]:
    """Of the answers up to ``up_to`` (only of ``metric_ids``, if given) answered again after
    ``moment``: the value each had then, when it was given and by whom, by (metric id, period
    key) (an answer given first after ``moment`` has none)."""
    query = (
        select(
            AnswerRow.metric_id,
            AnswerRow.period,
            AnswerHistoryRow.new,
            AnswerHistoryRow.changed_at,
            AnswerHistoryRow.changed_by_name,
        )
        .join(AnswerHistoryRow, AnswerHistoryRow.answer_id == AnswerRow.id)
        .where(
            AnswerRow.period <= up_to.key,
            AnswerRow.answered_at > moment,
            AnswerHistoryRow.field == "value",
            AnswerHistoryRow.changed_at <= moment,
        )
        .order_by(AnswerHistoryRow.changed_at, AnswerHistoryRow.id)
    )
    if metric_ids is not None:
        query = query.where(AnswerRow.metric_id.in_(sorted(metric_ids)))
    found: dict[tuple[str, str], tuple[dict[str, Any], datetime, str]] = {}
    for row in uow.session.execute(query):
        found[(row.metric_id, row.period)] = (row.new, row.changed_at, row.changed_by_name)
    return found


class _GivenIn(Protocol):
    period: str
    state: str
    given_in: str | None


def given_in(row: _GivenIn) -> Period:
    """The round the row's value was given in (rows from before rounds were kept: its own)."""
    return Period.parse(row.given_in or row.period)


def answers_round(row: _GivenIn, round_period: Period) -> bool:
    """Whether the row answers ``round_period``'s question: any value does, but "Ei tietoa
    vielä" only when given in that round (the figure is asked again in the next)."""
    return row.state != AnswerState.NO_DATA.value or given_in(row) >= round_period


def save_answer(
    uow: UnitOfWork,
    metric_id: str,
    period: Period,
    value: AnswerValue,
    person: PersonRow | None,
    now: datetime,
    on_behalf_of_role: str | None = None,
    *,
    changer: Changer | None = None,
    round_period: Period | None = None,
    entered_by: str = "",
) -> tuple[AnswerRow, bool]:
    """Store an answer's value for the ``period`` it describes, keeping the change in its
    history and the audit log; (row, changed). Every answer, from the chat or elsewhere, is
    recorded here.

    ``changer`` is who makes the change (default: ``person``, or the operator without one);
    ``round_period`` the round it is given in (default the period's own); ``entered_by`` the
    administrator who entered it for the role, when not one of its holders.
    """
    row = get_answer(uow, metric_id, period)
    by_name = entered_by or (person.name if person else "")
    who = changer or Changer.person(person, on_behalf_of_role)
    given = (round_period or period).key
    if row is None:
        row = AnswerRow(
            metric_id=metric_id,
            period=period.key,
            state=value.state.value,
            number=value.number,
            flag=value.flag,
            reason=value.reason,
            answered_by_id=person.id if person else None,
            on_behalf_of_role=on_behalf_of_role,
            answered_at=now,
            given_in=given,
            entered_by=entered_by,
        )
        uow.session.add(row)
        uow.session.flush()
        uow.session.add(
            AnswerHistoryRow(
                answer_id=row.id,
                changed_at=now,
                changed_by_id=row.answered_by_id,
                changed_by_name=by_name,
                field="value",
                old=None,
                new=value_to_json(value),
            )
        )
        _audit_answer(uow, who, AuditAction.ANSWER, row, now, None, value_to_json(value))
        return row, True
    old = row_value(row)
    if old == value:
        if row.given_in != given and round_period is not None:
            # "Ei tietoa vielä" again, in a later round: it answers this round, once confirmed
            row.given_in, row.answered_at, row.confirmed_at = given, now, None
            row.answered_by_id = person.id if person else None
            row.on_behalf_of_role, row.entered_by = on_behalf_of_role, entered_by
            json = value_to_json(value)
            _audit_answer(uow, who, AuditAction.ANSWER, row, now, json, json)
            return row, True
        return row, False
    row.given_in, row.entered_by = given, entered_by
    row.state, row.number, row.flag, row.reason = (
        value.state.value,
        value.number,
        value.flag,
        value.reason,
    )
    row.answered_by_id = person.id if person else None
    row.on_behalf_of_role = on_behalf_of_role
    row.answered_at = now
    row.confirmed_at = None  # a changed answer must be confirmed again
    # a new value makes the old explanation of a missed target stale
    row.explanation, row.corrective_action = "", ""
    uow.session.add(
        AnswerHistoryRow(
            answer_id=row.id,
            changed_at=now,
            changed_by_id=row.answered_by_id,
            changed_by_name=by_name,
            field="value",
            old=value_to_json(old),
            new=value_to_json(value),
        )
    )
    _audit_answer(uow, who, AuditAction.ANSWER, row, now, value_to_json(old), value_to_json(value))
    return row, True


def _audit_answer(
    uow: UnitOfWork,
    changer: Changer,
    action: AuditAction,
    row: AnswerRow,
    now: datetime,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
) -> None:
    metric = uow.session.get(MetricRow, row.metric_id)
    record_change(
        uow,
        changer,
        action,
        now,
        subject=row.metric_id,
        goal_id=metric.goal_id if metric is not None else None,
        period=row.period,
        old=old,
        new=new,
    )


def save_text(
    uow: UnitOfWork,
    row: AnswerRow,
    field: str,
    text: str,
    person: PersonRow | None,
    now: datetime,
    *,
    changer: Changer | None = None,
) -> bool:
    """Store an explanation or corrective action on an answer, with history and audit."""
    old = getattr(row, field)
    if old == text:
        return False
    setattr(row, field, text)
    _audit_answer(
        uow,
        changer or Changer.person(person, row.on_behalf_of_role),
        AuditAction(field),
        row,
        now,
        {"text": old} if old else None,
        {"text": text},
    )
    uow.session.add(
        AnswerHistoryRow(
            answer_id=row.id,
            changed_at=now,
            changed_by_id=person.id if person else None,
            changed_by_name=person.name if person else "",
            field=field,
            old={"text": old} if old else None,
            new={"text": text},
        )
    )
    return True


def confirm_answer(
    uow: UnitOfWork,
    row: AnswerRow,
    person: PersonRow | None,
    now: datetime,
    *,
    changer: Changer | None = None,
) -> bool:
    """Mark an answer confirmed (once), with audit; whether it was not confirmed before."""
    if row.confirmed_at is not None:
        return False
    row.confirmed_at = now
    who = changer or Changer.person(person, row.on_behalf_of_role)
    _audit_answer(uow, who, AuditAction.CONFIRM, row, now, None, {"confirmed": True})
    return True


def save_comment(
    uow: UnitOfWork,
    goal_id: str,
    period: Period,
    text: str,
    person: PersonRow | None,
    now: datetime,
    *,
    changer: Changer | None = None,
) -> None:
    """Store (or replace) an owner's comment on a goal for a period, with audit."""
    row = uow.session.scalars(
        select(GoalCommentRow).where(
            GoalCommentRow.goal_id == goal_id, GoalCommentRow.period == period.key
        )
    ).first()
    if row is None or row.text != text:
        record_change(
            uow,
            changer or Changer.person(person),
            AuditAction.COMMENT,
            now,
            subject=goal_id,
            goal_id=goal_id,
            period=period.key,
            old={"text": row.text} if row is not None else None,
            new={"text": text},
        )
    if row is None:
        uow.session.add(
            GoalCommentRow(
                goal_id=goal_id,
                period=period.key,
                text=text,
                written_by_id=person.id if person else None,
                written_at=now,
            )
        )
    else:
        row.text, row.written_at = text, now
        row.written_by_id = person.id if person else None


def comments_for_period(
    uow: UnitOfWork, period: Period, goal_ids: Iterable[str] | None = None
) -> dict[str, str]:
    """The comments written on goals for ``period`` (only of ``goal_ids``, if given)."""
    query = select(GoalCommentRow).where(GoalCommentRow.period == period.key)
    if goal_ids is not None:
        query = query.where(GoalCommentRow.goal_id.in_(list(goal_ids)))
    return {row.goal_id: row.text for row in uow.session.scalars(query)}


def set_setting(uow: UnitOfWork, key: str, value: str, now: datetime) -> None:
    """Remember a small value the bot learned at run time.

    One statement that inserts or updates: two bots starting at once on one PostgreSQL
    database both note the bot's name, and a read-then-insert made one of them fail on the
    duplicate key. ``updated_at`` moves only when the value changes."""
    dialect = postgresql if uow.session.get_bind().dialect.name == "postgresql" else sqlite
    table = SettingRow.__table__
    uow.session.execute(
        dialect.insert(SettingRow)
        .values(key=key, value=value, updated_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"value": value, "updated_at": now},
            where=table.c.value != value,
        )
    )
    loaded = uow.session.identity_map.get(Session.identity_key(SettingRow, key))
    if loaded is not None:
        uow.session.expire(loaded)  # read again when next looked at


def get_setting(uow: UnitOfWork, key: str) -> str | None:
    """A value remembered with set_setting, or None."""
    row = uow.session.get(SettingRow, key)
    return None if row is None else row.value


def asked_answers(
    uow: UnitOfWork, round_period: Period, asked: Mapping[str, Iterable[Period]]
) -> dict[Question, AnswerRow]:
    """The answers to what ``round_period``'s round asks (metric id → the periods asked for),
    by question; "Ei tietoa vielä" of an earlier round does not answer it (answers_round)."""
    wanted = set(questions_of(asked))
    periods = {question.period.key for question in wanted}
    query = (
        select(AnswerRow)
        .where(AnswerRow.period.in_(periods), AnswerRow.metric_id.in_(list(asked)))
        .options(selectinload(AnswerRow.answered_by))
    )
    found = {}
    for row in uow.session.scalars(query):
        question = Question(row.metric_id, Period.parse(row.period))
        if question in wanted and answers_round(row, round_period):
            found[question] = row
    return found


def answer_marks(
    uow: UnitOfWork, round_period: Period, asked: Mapping[str, Iterable[Period]]
) -> tuple[set[Question], set[Question]]:
    """The questions answered in ``round_period``'s round, and those confirmed (what
    asked_answers finds, read as plain columns: the whole town's obligations read tens of
    thousands of answers, and making ORM objects of them was most of the time)."""
    wanted = set(questions_of(asked))
    periods = {question.period.key for question in wanted}
    query = select(
        AnswerRow.metric_id,
        AnswerRow.period,
        AnswerRow.state,
        AnswerRow.given_in,
        AnswerRow.confirmed_at,
    ).where(AnswerRow.period.in_(periods), AnswerRow.metric_id.in_(list(asked)))
    answered, confirmed = set(), set()
    for row in uow.session.execute(query):
        question = Question(row.metric_id, Period.parse(row.period))
        if question in wanted and answers_round(row, round_period):
            answered.add(question)
            if row.confirmed_at is not None:
                confirmed.add(question)
    return answered, confirmed


@dataclass(frozen=True)
class PriorAnswers:
    """What was answered before a round that decides what the round asks (one query)."""

    yes: dict[str, frozenset[Period]]  # metric id → periods answered "Kyllä" (done deliverables)
    settled: dict[str, frozenset[Period]]  # metric id → periods given a figure or a skip in an
    # earlier round (not asked again)
    held: frozenset[Period] | None = None  # the rounds held before (figures asked again)


def prior_answers(
    uow: UnitOfWork, before: Period, metric_ids: Iterable[str] | None = None
) -> PriorAnswers:
    """The answers before ``before``'s round that decide what it asks: the periods each metric
    was answered "Kyllä" for before ``before``, and the periods given a figure, or a reason to
    skip it, in a round before it, and the rounds held before it. ``metric_ids``: only these
    metrics' (default all)."""
    answers = select(
        AnswerRow.metric_id, AnswerRow.period, AnswerRow.flag, AnswerRow.state, AnswerRow.given_in
    ).where(
        AnswerRow.period < before.key,
        (AnswerRow.flag.is_(True)) | (AnswerRow.state != AnswerState.NO_DATA.value),
    )
    if metric_ids is not None:
        answers = answers.where(AnswerRow.metric_id.in_(list(metric_ids)))
    # the rounds held before, in the same query: rows without a metric
    rounds = select(
        literal("").label("metric_id"),
        RoundRow.period,
        null().label("flag"),
        null().label("state"),
        null().label("given_in"),
    ).where(RoundRow.period < before.key)
    yes: dict[str, set[Period]] = {}
    settled: dict[str, set[Period]] = {}
    held: set[Period] = set()
    found: Iterable[Any] = uow.session.execute(union_all(answers, rounds)).all()
    no_data, before_key, parse = AnswerState.NO_DATA.value, before.key, Period.parse
    # a period's key sorts as the period does (four-digit years): compared as text, as the
    # query does, for each of the town's answers
    for metric_id, key, flag, state, given in found:
        period = parse(key)
        if not metric_id:
            held.add(period)
            continue
        if flag is True and key < before_key:
            yes.setdefault(metric_id, set()).add(period)
        if state != no_data and (given or key) < before_key:
            settled.setdefault(metric_id, set()).add(period)
    return PriorAnswers(
        {m: frozenset(p) for m, p in yes.items()},
        {m: frozenset(p) for m, p in settled.items()},
        frozenset(held),
    )


def role_holders(
    uow: UnitOfWork,
    catalogue: Catalogue,
    person_id: int | None = None,
    roles: Collection[str] | None = None,
) -> dict[str, RoleHolders]:
    """Every role of the catalogue with the people holding it now, by role id; with
    ``person_id``, only the roles that person holds, with ``roles`` only those (read
    without the town's other roles)."""
    by_id = {role.id: role for role in catalogue.roles}
    kinds = {kind.value: kind for kind in HolderKind}
    held: dict[str, dict[HolderKind, Holder]] = {}
    # plain columns, not ORM objects: every input reads this, and a town has hundreds of roles
    query = (
        select(
            AssignmentRow.role_id,
            AssignmentRow.kind,
            AssignmentRow.assigned_at,
            PersonRow.id,
            PersonRow.name,
            PersonRow.telegram_user_id,
            PersonRow.blocked_bot_at,
            PersonRow.nudges_paused_until,
        )
        .join(PersonRow, PersonRow.id == AssignmentRow.person_id)
        .where(AssignmentRow.revoked_at.is_(None))
        .order_by(AssignmentRow.id)
    )
    if person_id is not None:
        own = select(AssignmentRow.role_id).where(
            AssignmentRow.person_id == person_id, AssignmentRow.revoked_at.is_(None)
        )
        query = query.where(AssignmentRow.role_id.in_(own))
    wanted = None if roles is None else set(roles)
    if wanted is not None:
        query = query.where(AssignmentRow.role_id.in_(sorted(wanted)))
    for row in uow.session.execute(query):
        role = by_id.get(row.role_id)
        if role is None:
            continue  # a role the catalogue no longer has
        kind = kinds[row.kind]
        held.setdefault(role.id, {})[kind] = Holder(
            role=role,
            kind=kind,
            person_id=row.id,
            name=row.name,
            telegram_user_id=row.telegram_user_id,
            blocked=row.blocked_bot_at is not None,
            nudges_paused_until=row.nudges_paused_until,
            since=row.assigned_at,
        )
    return {
        role.id: RoleHolders(
            role,
            held.get(role.id, {}).get(HolderKind.OWNER),
            held.get(role.id, {}).get(HolderKind.DEPUTY),
        )
        for role in catalogue.roles
        if (person_id is None or role.id in held) and (wanted is None or role.id in wanted)
    }
