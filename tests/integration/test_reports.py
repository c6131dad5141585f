"""Reports of the whole Kokemäki catalogue: status texts, the summary split, XLSX, CSV, chart."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from matplotlib import image as mpimg
from sqlalchemy import select

from goalbot.domain.answers import Answer, AnswerState, AnswerValue
from goalbot.domain.evaluation import Status, Term, evaluate
from goalbot.domain.goals import Tier
from goalbot.reporting.chart import PNG_MAGIC, metric_chart
from goalbot.reporting.export import export_period
from goalbot.reporting.messages import TEXT_LIMIT, html_to_text
from goalbot.reporting.status import (
    render_summary,
    status_parts,
    status_report,
    summary_parts,
)
from goalbot.services.catalogue import get_catalogue
from goalbot.services.context import AppContext
from goalbot.services.status import status_of
from goalbot.storage.models import AnswerRow, GoalCommentRow
from goalbot.storage.repositories import all_answers, row_to_answer
from tests.report_data import Q3, Q4, bind_person, fill_answers, set_answer
from tests.unit.test_messages import assert_valid_part, lines_of

STATUS_LABELS = {
    Status.ON_TRACK: "Aikataulussa",
    Status.AT_RISK: "Riskissä",
    Status.OFF_TRACK: "Jäljessä",
    Status.NO_ANSWER: "Ei vastausta",
    Status.NO_DATA: "Ei tietoa vielä",
    Status.SKIPPED: "Ohitettu",
    Status.NOT_DUE: "Ei kysytty tällä kertaa",
    Status.NOT_JUDGED: "Ei arvioitavissa",
}
FILLS = {Status.ON_TRACK: "C6EFCE", Status.AT_RISK: "FFEB9C", Status.OFF_TRACK: "FFC7CE"}


@pytest.fixture
def answered(sqlite_ctx: AppContext) -> AppContext:
    """The Kokemäki catalogue with Q3 and Q4/2026 answered, long explanations in Q4."""
    bind_person(sqlite_ctx, "tekninen-johtaja", "Teemu Tekninen", 9001)
    fill_answers(sqlite_ctx)
    return sqlite_ctx


def expected_verdicts(ctx: AppContext) -> dict[str, tuple[Status, Answer | None]]:
    """Every metric's verdict for Q4, judged straight from the stored answers."""
    catalogue = get_catalogue(ctx)
    term = Term(catalogue.first_period, catalogue.last_period)
    with ctx.unit_of_work() as uow:
        answers = [row_to_answer(r) for r in all_answers(uow)]
    result = {}
    for metric in catalogue.metrics():
        mine = [a for a in answers if a.metric_id == metric.answered_as]
        current = next((a for a in mine if a.period == Q4), None)
        source = metric.target.reference.metric if metric.target.reference else ""
        reference = next(
            (a.value.number for a in answers if a.metric_id == source and a.period == Q4), None
        )
        verdict = evaluate(metric, Q4, current, mine, term=term, reference=reference)
        result[metric.id] = (verdict.status, current)
    return result


def stored_q4(ctx: AppContext) -> dict[str, AnswerRow]:
    with ctx.unit_of_work() as uow:
        return {
            r.metric_id: r for r in uow.session.scalars(select(AnswerRow)) if r.period == Q4.key
        }


def test_summary_of_the_whole_catalogue_splits_cleanly(answered: AppContext) -> None:
    parts = summary_parts(answered, Q4)
    data = status_of(answered, "", Q4)
    full = render_summary(answered, data)
    assert len(full) > 3 * TEXT_LIMIT
    assert len(parts) >= 4
    for part in parts:
        assert_valid_part(part, TEXT_LIMIT)
    # nothing lost, nothing reordered, no line broken
    assert lines_of("\n".join(parts)) == lines_of(full)

    plain = html_to_text("\n".join(parts))
    assert plain.startswith("Tavoiteraportti Q4/2026")
    for body in ("Kaupunginvaltuusto", "Kaupunginhallitus", "Sivistyslautakunta"):
        assert body in plain
    missed = [m for m in data.metrics() if m.missed]
    changed = [m for m in data.metrics() if m.status_changed]
    assert missed and changed and data.missing.roles
    for ms in missed:
        assert f"{ms.metric.id} " in plain
    assert plain.count("Selitys: Hankinta viivästyi") == len(missed)
    assert plain.count("Korjaava toimenpide: Kilpailutetaan") == len(missed)
    assert "tukea); lautakunta" in plain and "& sekin" in plain  # escaped, then shown as typed
    for ms in changed:
        assert "→" in plain and ms.metric.id in plain
    assert "Teemu Tekninen" in plain  # the technical director has unanswered metrics
    assert "ei nimettyä vastaajaa" in plain


def test_status_reports_as_html_and_text(answered: AppContext) -> None:
    overview = status_parts(answered, "")
    for part in overview:
        assert_valid_part(part, TEXT_LIMIT)
    text = status_report(answered, "", Q4)
    assert text.startswith("Tavoitteiden tilanne Q4/2026")
    for line in ("Strategiset mittarit:", "Hallinto:", "Sivistys:", "Tekninen:", "Yhteensä:"):
        assert line in text
    data = status_of(answered, "", Q4)
    counts = data.counts()
    total_line = next(line for line in text.splitlines() if line.startswith("Yhteensä:"))
    assert f"✅ {counts[Status.ON_TRACK]}" in total_line
    assert f"🔴 {counts[Status.OFF_TRACK]}" in total_line
    off_track = [m for m in data.metrics() if m.status == Status.OFF_TRACK]
    assert off_track
    for ms in off_track:
        assert f"🔴 {ms.metric.id} " in text
    assert "<b>" not in text and "&amp;" not in text

    technical = status_report(answered, "tekninen", Q4)
    assert technical.startswith("Tekninen osasto · Q4/2026")
    assert "TEK-1 " in technical and "RV-2 " in technical and "STR-1" not in technical
    assert "Rakennusvalvonta · Tekninen- ja ympäristölautakunta" in technical
    for part in status_parts(answered, "tekninen", Q4):
        assert_valid_part(part, TEXT_LIMIT)

    goal = status_report(answered, "TILA-2", Q4)
    assert "TILA-2 Vähennetään ruokapalveluiden tuottamaa ruokahävikkiä." in goal
    assert "Lähtötaso: Lähtötilanne vuonna 2025 11 715 kg/vuosi" in goal
    assert "Vastuu: Tilahallintopalveluiden päällikkö – ei nimettyä vastaajaa" in goal


def _sheet_bodies(ctx: AppContext) -> dict[str, tuple[str, Tier | None]]:
    catalogue = get_catalogue(ctx)
    names = {b.id: b.name for b in catalogue.bodies}
    return {
        "Strategiset mittarit": (names["valtuusto"], Tier.STRATEGIC),
        "Kaupunginvaltuusto": (names["valtuusto"], Tier.DEPARTMENT),
        "Kaupunginhallitus": (names["kaupunginhallitus"], None),
        "Elinvoima- ja hyvinvointilauta…": (names["elinvoimalautakunta"], None),
        "Sivistyslautakunta": (names["sivistyslautakunta"], None),
        "Tekninen- ja ympäristölautakun…": (names["tekninen-lautakunta"], None),
    }


def test_xlsx_matches_the_database_cell_by_cell(answered: AppContext) -> None:
    data = export_period(answered, Q4, "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheets = _sheet_bodies(answered)
    assert workbook.sheetnames == list(sheets)
    catalogue = get_catalogue(answered)
    verdicts = expected_verdicts(answered)
    with answered.unit_of_work() as uow:
        comments = {c.goal_id: c.text for c in uow.session.scalars(select(GoalCommentRow))}
        rows = {
            r.metric_id: r for r in uow.session.scalars(select(AnswerRow)) if r.period == "2026Q4"
        }
    seen: list[str] = []
    for sheet in workbook.worksheets:
        body_name, tier = sheets[sheet.title]
        assert body_name in str(sheet["A1"].value) and "Q4/2026" in str(sheet["A1"].value)
        assert sheet.freeze_panes == "A3"
        header = [c.value for c in sheet[2]]
        assert "Q4/2026" in header and "Status" in header and "Tunnus" in header
        column = {name: index for index, name in enumerate(header)}
        if tier == Tier.STRATEGIC:
            assert header[:4] == ["Teema", "Mittarimme", "Tavoitteemme", "Tilannekuva"]
        elif tier == Tier.DEPARTMENT:
            assert header[:7] == [
                "Toimiala",
                "Tavoite",
                "Mittari",
                "Lähtötilanne",
                "Q4/2026",
                "Tavoite",
                "Status",
            ]
        else:
            assert header[:6] == [
                "Vastuualue",
                "Sitova tavoite",
                "Toimenpide",
                "Mittari",
                "Mittarin lähtötaso",
                "Tavoitetaso",
            ]
        for cells in sheet.iter_rows(min_row=3):
            values: list[Any] = [c.value for c in cells]
            metric_id = values[column["Tunnus"]]
            seen.append(metric_id)
            goal_id, key = metric_id.split(".")
            goal = catalogue.goal(goal_id)
            assert goal.metric(key).id == metric_id
            assert catalogue.body(goal.body).name == body_name
            if tier is not None:
                assert goal.tier == tier
            status, _ = verdicts[metric_id]
            status_cell = cells[column["Status"]]
            assert status_cell.value == STATUS_LABELS[status], metric_id
            assert status_cell.fill.start_color.rgb.endswith(FILLS.get(status, "D9D9D9"))
            value_cell = cells[column["Q4/2026"]]
            row = rows.get(goal.metric(key).answered_as)
            if row is None:
                assert value_cell.value is None
            elif row.state == AnswerState.VALUE and row.number is not None:
                assert isinstance(value_cell.value, int | float), metric_id
                assert Decimal(str(value_cell.value)) == row.number, metric_id
                assert value_cell.number_format.startswith("#,##0")
            elif row.flag is not None:
                assert value_cell.value == ("Kyllä" if row.flag else "Ei")
            else:
                assert (
                    value_cell.value
                    == {"no_data": "Ei tietoa vielä", "skipped": "Ohitettu"}[row.state]
                )
            explanation = values[column["Selitys"]]
            if row is None:
                assert explanation is None
            else:
                assert explanation == (row.explanation or row.reason or None)
                assert values[column["Korjaava toimenpide"]] == (row.corrective_action or None)
            assert values[column["Kommentti"]] == comments.get(goal_id)
            assert cells[column["Tunnus"]].alignment.wrap_text
        widths = [sheet.column_dimensions[chr(ord("A") + i)].width for i in range(len(header))]
        assert all(width >= 10 for width in widths) and max(widths) >= 40
    assert sorted(seen) == sorted(m.id for m in catalogue.metrics())
    assert len(seen) == len(set(seen)) == 67


def test_xlsx_number_formats_show_finnish_figures(answered: AppContext) -> None:
    set_answer(answered, "STR-7.1", Q4, AnswerValue.of_number(Decimal(1021000)))
    set_answer(answered, "STR-3.1", Q4, AnswerValue.of_number(Decimal("11.9")))
    workbook = openpyxl.load_workbook(io.BytesIO(export_period(answered, Q4, "xlsx")))
    formats = {}
    for sheet in workbook.worksheets:
        header = [c.value for c in sheet[2]]
        for cells in sheet.iter_rows(min_row=3):
            metric_id = cells[header.index("Tunnus")].value
            formats[metric_id] = cells[header.index("Q4/2026")].number_format
    assert formats["STR-3.1"] == '#,##0.0" %"'  # 11,9 % in Finnish Excel
    assert formats["STR-7.1"] == '#,##0" €"'  # 1 021 000 €
    assert formats["TILA-2.1"] == '#,##0" kg/vuosi"'
    assert formats["STR-1.1"] == "#,##0.0"  # a 1–5 survey score has no unit


def test_csv_reads_back_in_finnish_excel_form(answered: AppContext) -> None:
    data = export_period(answered, Q4, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";")
    rows = list(reader)
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Toimielin", "Taso", "Toimiala", "Vastuualue", "Tunnus"]
    assert "Q4/2026" in header and "Status" in header
    assert len(body) == 67
    column = {name: index for index, name in enumerate(header)}
    verdicts = expected_verdicts(answered)
    with answered.unit_of_work() as uow:
        stored = {
            r.metric_id: r for r in uow.session.scalars(select(AnswerRow)) if r.period == "2026Q4"
        }
    for row in body:
        metric_id = row[column["Tunnus"]]
        assert row[column["Status"]] == STATUS_LABELS[verdicts[metric_id][0]]
        answer = stored.get(get_catalogue(answered).metric(metric_id).answered_as)
        value = row[column["Q4/2026"]]
        if answer is None:
            assert value == ""
        elif answer.number is not None:
            assert "." not in value
            assert Decimal(value.replace(",", ".")) == answer.number
        elif answer.flag is not None:
            assert value == ("Kyllä" if answer.flag else "Ei")
    by_id = {row[column["Tunnus"]]: row for row in body}
    assert by_id["STR-3.1"][column["Yksikkö"]] == "%"
    assert by_id["STR-1.1"][column["Toimielin"]] == "Kaupunginvaltuusto"
    assert by_id["RV-1.1"][column["Vastuualue"]] == "Rakennusvalvonta"
    assert (
        "Hankinta viivästyi, koska tarjouksia tuli vain yksi & sekin"
        in by_id["RV-1.1"][column["Selitys"]]
    )


def test_chart_is_a_real_png(answered: AppContext) -> None:
    history, picture = metric_chart(answered, "TILA-2", Q4)
    assert picture.startswith(PNG_MAGIC)
    pixels = mpimg.imread(io.BytesIO(picture), format="png")
    height, width = pixels.shape[:2]
    assert (width, height) == (880, 495)
    assert history.path.points
    assert [p.period for p in history.points] == [Q3, Q4]
    for ref in ("STR-3", "TEK-1", "YH-8.2", "STR-2", "STR-4", "KIR-2"):
        _, other = metric_chart(answered, ref, Q4)
        assert other.startswith(PNG_MAGIC) and len(other) > 5000


def test_chart_without_any_answer(sqlite_ctx: AppContext) -> None:
    history, picture = metric_chart(sqlite_ctx, "STR-3.1", Q3)
    assert history.points == () and picture.startswith(PNG_MAGIC)
