"""``goalbot answers import FILE`` and ``goalbot answers set``: figures the finance office
enters for everyone, checked as the chat checks them, all or nothing, with history and audit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from goalbot.config import Config, DatabaseConfig
from goalbot.domain.periods import Period
from goalbot.reporting.rendering import environment
from goalbot.services.catalogue import load_catalogue
from goalbot.services.context import AppContext
from goalbot.services.progress import missing_of, status_of
from goalbot.storage.models import AnswerHistoryRow, AnswerRow, AuditRow
from tests.conftest import Clock, make_context
from tests.integration.conftest import run

Q4, Q1_2027 = Period(2026, 4), Period(2027, 1)
pytestmark = pytest.mark.usefixtures("english_cli")

GOOD = """\
mittari;kausi;arvo;kommentti
STR-5.1;2026;−60;Tilastokeskuksen ennakkotieto
STR-6.1;2026Q4;2 401;
STR-3.1;Q4/2026;"11,9 %";
YMP-1.1;2026Q4;kyllä;
"""
BAD = """\
metric,period,value,comment
STR-5.1,2026,-60,
STR-6.1,2026Q4,abc,
XX-1.1,2026,3,
STR-4.1,2026Q3,5,
YH-8.1,2026Q4,kyllä,
STR-5.1,2026Q4,-61,
STR-3.1,2031Q1,3,
STR-3.1,2026Q4,150 %,
STR-3.1,2026Q4,"11,9 kg",
YMP-1.1,2026Q4,ehkä,
"""


@pytest.fixture
def setup(tmp_path: Path, clock: Clock) -> tuple[Path, AppContext]:
    """A config and a context on one database holding the Kokemäki catalogue."""
    clock.set(datetime(2027, 3, 17, 8, 0, tzinfo=UTC))
    url = f"sqlite:///{tmp_path / 'goalbot.sqlite3'}"
    ctx = make_context(url, clock, replace(Config(), database=DatabaseConfig(url=url)))
    load_catalogue(ctx)
    path = tmp_path / "goalbot.toml"
    path.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    return path, ctx


def answers(ctx: AppContext) -> dict[tuple[str, str], AnswerRow]:
    with ctx.unit_of_work() as uow:
        rows = list(uow.session.scalars(select(AnswerRow)))
        for row in rows:
            uow.session.expunge(row)
        return {(r.metric_id, r.period): r for r in rows}


def chat_error(code: str, **params: object) -> str:
    """The chat's message for a refused value (the same words are used for a file's row)."""
    text = '{% import "en/chat/_macros.html.j2" as m with context %}{{ m.error_text(c, p) }}'
    return environment().from_string(text).render(lang="en", c=code, p=params).strip()


def test_bad_rows_are_each_reported_with_their_line_and_nothing_is_recorded(
    capsys: pytest.CaptureFixture[str], setup: tuple[Path, AppContext], tmp_path: Path
) -> None:
    config, ctx = setup
    file = tmp_path / "luvut.csv"
    file.write_text(BAD, encoding="utf-8")
    code, out, err = run(capsys, "--config", str(config), "answers", "import", str(file))
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert lines == [
        f"{file}:3: STR-6.1: {chat_error('not_a_number')}",
        f'{file}:4: unknown metric "XX-1.1" (see goalbot catalogue show)',
        f"{file}:5: STR-4.1 has no figure for Q3/2026 (see its cadence in goalbot catalogue show)",
        f"{file}:6: YH-8.1 is the same figure as THA-1.1: enter it as THA-1.1",
        f"{file}:7: STR-5.1 Q4/2026 is given twice (first on line 2)",
        f"{file}:8: Q1/2031 is outside the catalogue's term (Q2/2026–Q4/2029)",
        f"{file}:9: STR-3.1: The figure is not within the allowed range 0–100.",
        f"{file}:10: STR-3.1: {chat_error('wrong_unit', unit='kg', expected='%')}",
        f"{file}:11: YMP-1.1: {chat_error('yes_or_no')}",
        "Nothing was recorded: 9 rows refused.",
    ]
    assert answers(ctx) == {}  # line 2 was good, but nothing is half-imported
    with ctx.unit_of_work() as uow:
        assert not list(uow.session.scalars(select(AuditRow).where(AuditRow.action == "answer")))


def test_good_rows_are_recorded_for_their_roles_with_history(
    capsys: pytest.CaptureFixture[str], setup: tuple[Path, AppContext], tmp_path: Path
) -> None:
    config, ctx = setup
    file = tmp_path / "luvut.csv"
    file.write_text(GOOD, encoding="utf-8")
    args = ("--config", str(config), "answers", "import", str(file), "--by", "Talous Tiina")
    code, out, err = run(capsys, *args)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        f"{file}: 4 figures recorded for their roles: 4 new, 0 changed, 0 unchanged."
    )
    stored = answers(ctx)
    population = stored[("STR-5.1", "2026Q4")]  # the year 2026: its fourth quarter
    assert population.number == Decimal(-60)
    assert population.explanation == "Tilastokeskuksen ennakkotieto"
    assert (population.answered_by_id, population.entered_by) == (None, "Talous Tiina")
    assert population.on_behalf_of_role == "kaupunginjohtaja"
    assert population.confirmed_at is not None
    assert stored[("STR-6.1", "2026Q4")].number == Decimal(2401)
    assert stored[("STR-3.1", "2026Q4")].number == Decimal("11.9")
    assert stored[("YMP-1.1", "2026Q4")].flag is True
    with ctx.unit_of_work() as uow:
        history = list(
            uow.session.scalars(
                select(AnswerHistoryRow).where(AnswerHistoryRow.answer_id == population.id)
            )
        )
        assert [(h.field, h.changed_by_name) for h in history] == [
            ("value", "Talous Tiina"),
            ("explanation", ""),
        ]
        audited = list(uow.session.scalars(select(AuditRow).where(AuditRow.action == "answer")))
        assert len(audited) == 4
        assert {a.actor for a in audited} == {"operator"}
        assert "kaupunginjohtaja" in {a.on_behalf_of for a in audited}

    # the same file again changes nothing; a corrected figure is a change, kept in history
    code, out, _ = run(capsys, *args)
    assert code == 0 and "0 new, 0 changed, 4 unchanged" in out
    code, out, _ = run(capsys, "--config", str(config), "answers", "set", "STR-5.1", "2026", "-58")
    assert code == 0 and "1 changed" in out
    corrected = answers(ctx)[("STR-5.1", "2026Q4")]
    assert corrected.number == Decimal(-58) and corrected.entered_by == "ylläpitäjä"
    # the reports show the figure with the year it describes, as entered for the role
    data = {m.metric.id: m for m in status_of(ctx, "", Q1_2027).metrics()}
    assert data["STR-5.1"].answer is not None
    assert data["STR-5.1"].answer.answered_by == "ylläpitäjä"
    assert data["STR-5.1"].latest[1] == Q4


def test_a_spreadsheet_is_read_as_its_cells_show(
    capsys: pytest.CaptureFixture[str], setup: tuple[Path, AppContext], tmp_path: Path
) -> None:
    config, ctx = setup
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (
        ("Mittari", "Kausi", "Arvo"),
        ("STR-7.1", 2026, 1101000),
        ("STR-3.1", "2026Q4", 11.9),
        ("TILA-1.1", "2026", "27,5"),
    ):
        sheet.append(row)
    file = tmp_path / "luvut.xlsx"
    workbook.save(file)
    code, _, err = run(capsys, "--config", str(config), "answers", "import", str(file))
    assert (code, err) == (0, ""), err
    stored = answers(ctx)
    assert stored[("STR-7.1", "2026Q4")].number == Decimal(1101000)
    assert stored[("STR-3.1", "2026Q4")].number == Decimal("11.9")
    assert stored[("TILA-1.1", "2026Q4")].number == Decimal("27.5")


def test_figures_entered_during_a_round_answer_it_and_later_rounds_do_not_ask_again(
    capsys: pytest.CaptureFixture[str], setup: tuple[Path, AppContext], tmp_path: Path
) -> None:
    config, ctx = setup
    assert run(capsys, "--config", str(config), "remind", "--now", "--period", "2027Q1")[0] == 0
    before = missing_of(ctx, Q1_2027)
    manager = next(r for r in before.roles if r.role.id == "kaupunginjohtaja")
    assert "STR-5.1" in {q.metric_id for q in manager.unanswered}
    file = tmp_path / "luvut.csv"
    file.write_text(GOOD, encoding="utf-8")
    assert run(capsys, "--config", str(config), "answers", "import", str(file))[0] == 0
    after = missing_of(ctx, Q1_2027)
    manager = next(r for r in after.roles if r.role.id == "kaupunginjohtaja")
    assert {"STR-5.1", "STR-6.1", "STR-3.1"}.isdisjoint(q.metric_id for q in manager.unanswered)
    assert not {"STR-5.1", "STR-6.1"} & {q.metric_id for q in manager.unconfirmed}


def test_a_missing_file_or_column_is_one_line(
    capsys: pytest.CaptureFixture[str], setup: tuple[Path, AppContext], tmp_path: Path
) -> None:
    config, _ = setup
    code, _, err = run(capsys, "--config", str(config), "answers", "import", "ei-ole.csv")
    assert code == 1 and err.strip() == "goalbot: no such file: ei-ole.csv"
    file = tmp_path / "luvut.csv"
    file.write_text("mittari;arvo\nSTR-5.1;-60\n", encoding="utf-8")
    code, _, err = run(capsys, "--config", str(config), "answers", "import", str(file))
    assert code == 1
    assert err.splitlines()[0] == (
        f"{file}:1: the header row lacks the column period (metric, period, value, comment)"
    )
