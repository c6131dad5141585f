"""The exports read back: the adopted document's tables as the document has them, filled in.

XLSX and DOCX are opened with openpyxl and python-docx and compared with the document's
table structure (tests/data/seed_tables.py): the same tables in the same order, their
headings and column names, one row per goal with its metrics under it and nothing repeated,
no editorial note in an adopted cell; the figures as typed, with the period they describe.
The CSV and the JSON are checked against the database and the documented schema.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl.worksheet.worksheet import Worksheet

from goalbot.domain.answers import AnswerValue
from goalbot.domain.evaluation import Status
from goalbot.domain.goals import Catalogue, Tier
from goalbot.domain.periods import Period
from goalbot.reporting.export import export_period
from goalbot.reporting.formatting import MINUS
from goalbot.services.catalogue import get_catalogue
from goalbot.services.context import AppContext
from goalbot.services.progress import status_of
from tests.conftest import Clock, Templates, copied_context
from tests.data.seed_tables import SEED_TABLES, columns_for
from tests.report_data import Q3, Q4, answered_town, set_answer

Q1_2027 = Period(2027, 1)
SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "report-schema.json"
SHEETS = [
    "Strategiset mittarit",
    "Valtuusto – Hallinto",
    "Valtuusto – Sivistys",
    "Valtuusto – Tekninen",
    "Elinvoima- ja hyvinvointiltk",
    "Kaupunginhallitus",
    "Sivistyslautakunta",
    "Tekninen- ja ympäristöltk",
]
GOAL_COLUMN = {
    Tier.STRATEGIC: "Mittarimme",
    Tier.DEPARTMENT: "Tavoite",
    Tier.AREA: "Sitova tavoite",
}
GROUP_COLUMN = {Tier.DEPARTMENT: "Toimiala", Tier.AREA: "Vastuualue"}


@pytest.fixture
def answered(clock: Clock, templates: Templates, tmp_path: Path) -> Iterator[AppContext]:
    """The Kokemäki catalogue with Q3 and Q4/2026 answered, explanations in Q4."""
    with copied_context(templates, "sqlite", clock, tmp_path, answered_town(120)) as ctx:
        yield ctx


def workbook_of(ctx: AppContext, period: Period = Q4) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(export_period(ctx, period, "xlsx")))


def editorial_notes(catalogue: Catalogue) -> list[str]:
    notes = [g.note for g in catalogue.goals] + [m.note for m in catalogue.metrics()]
    return [n for n in notes if n]


def header_of(sheet: Worksheet) -> list[str]:
    return [str(c.value) for c in sheet[3] if c.value is not None]


def column_values(sheet: Worksheet, name: str) -> list[Any]:
    index = header_of(sheet).index(name)
    return [row[index].value for row in sheet.iter_rows(min_row=4)]


def test_the_xlsx_has_the_documents_tables_as_it_has_them(answered: AppContext) -> None:
    workbook = workbook_of(answered)
    assert workbook.sheetnames == [*SHEETS, "Selitykset ja kommentit", "Huomautukset"]
    catalogue = get_catalogue(answered)
    notes = editorial_notes(catalogue)
    for name, seed, table in zip(SHEETS, SEED_TABLES, catalogue.adopted_tables(), strict=True):
        sheet = workbook[name]
        assert sheet["A1"].value == f"{catalogue.title} · Q4/2026"
        assert (sheet["A2"].value or "") == seed.heading, name
        assert header_of(sheet) == columns_for(seed, "Q4/2026"), name
        goals = [g for g in catalogue.goals if table.holds(g)]
        metrics = sum(len(g.metrics) for g in goals)
        written = [v for v in column_values(sheet, GOAL_COLUMN[table.tier]) if v is not None]
        if table.tier == Tier.STRATEGIC:
            # a heading row per theme, then its metrics, numbered as the document numbers them
            themes = [row[0].value for row in sheet.iter_rows(min_row=4) if row[1].value is None]
            assert themes == list(seed.groups)
            assert [w for w in written if w not in seed.groups] == list(seed.goals)
            assert sheet.max_row == 3 + len(seed.groups) + metrics
        else:
            # each goal once, each area once: their cells span the rows of their metrics
            assert written == list(seed.goals), name
            groups = [v for v in column_values(sheet, GROUP_COLUMN[table.tier]) if v is not None]
            assert groups == list(seed.groups), name
            assert sheet.max_row == 3 + metrics
            spans = {str(r) for r in sheet.merged_cells.ranges}
            multi = [g for g in goals if len(g.metrics) > 1]
            assert len([s for s in spans if not s.startswith("A")]) >= len(multi)
        # only the document's words and the figures: no editorial note in any cell
        for row in sheet.iter_rows(min_row=4, values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert not any(note in value for note in notes), (name, value)
        # print-ready
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$3"
        assert len(name) <= 31
    remarks = workbook["Huomautukset"]
    assert [c.value for c in remarks[3]] == ["Tunnus", "Kohde", "Huomautus"]
    remark_texts = [row[2] for row in remarks.iter_rows(min_row=4, values_only=True)]
    assert sorted(remark_texts) == sorted(notes)


def test_the_explanations_follow_the_tables(answered: AppContext) -> None:
    sheet = workbook_of(answered)["Selitykset ja kommentit"]
    assert [c.value for c in sheet[3]] == [
        "Tunnus",
        "Tavoite",
        "Mittari",
        "Status",
        "Selitys",
        "Korjaava toimenpide",
        "Kommentti",
    ]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=4, values_only=True)}
    data = status_of(answered, "", Q4)
    explained = [m for m in data.metrics() if m.answer and m.answer.explanation]
    assert explained and all(m.metric.id in rows for m in explained)
    commented = [g for g in data.goals if g.comment]
    assert commented and all(rows[g.goal.id][6] == g.comment for g in commented)


def cells_by_metric(
    sheet: Worksheet, catalogue: Catalogue, period: Period = Q4
) -> Iterator[tuple[str, Any]]:
    """(metric id, its value cell) for every metric row of an adopted table."""
    header = header_of(sheet)
    value_column, status_column = header.index(period.label), header.index("Status")
    table = next(t for t in catalogue.adopted_tables() if t.sheet == sheet.title)
    metrics = [m for g in catalogue.goals if table.holds(g) for m in g.metrics]
    rows = [row for row in sheet.iter_rows(min_row=4) if row[status_column].value is not None]
    assert len(rows) == len(metrics)
    for metric, row in zip(metrics, rows, strict=True):
        yield metric.id, row[value_column]


def test_figures_are_numbers_shown_as_typed_with_the_period_they_describe(
    answered: AppContext,
) -> None:
    # the Q4 round asks for Q3's unemployment (a month's figure is known a month later) …
    set_answer(answered, "STR-3.1", Q3, AnswerValue.of_number(Decimal("11.9")))
    # … and the first round of 2027 for 2026's statistics
    set_answer(answered, "STR-4.1", Q4, AnswerValue.of_number(Decimal(-20)))
    set_answer(answered, "TILA-1.1", Q4, AnswerValue.of_number(Decimal("25.5")))  # 0 decimals
    workbook = workbook_of(answered)
    catalogue = get_catalogue(answered)
    cells = {}
    for name in SHEETS:
        cells.update(dict(cells_by_metric(workbook[name], catalogue)))
    unemployment = cells["STR-3.1"]
    assert unemployment.value == pytest.approx(11.9)
    assert unemployment.number_format == (f'#,##0.0" % (Q3/2026)";"{MINUS}"#,##0.0" % (Q3/2026)"')
    # a year's figure says which year it describes
    next_year = workbook_of(answered, Q1_2027)
    cells = {}
    for name in SHEETS:
        cells.update(dict(cells_by_metric(next_year[name], catalogue, Q1_2027)))
    migration = cells["STR-4.1"]
    assert migration.value == -20
    assert migration.number_format == f'#,##0" hlö (2026)";"{MINUS}"#,##0" hlö (2026)"'
    # typed with a decimal where the metric shows whole per cents: the decimal stays
    assert cells["TILA-1.1"].number_format.startswith('#,##0.0" % (2026)"')
    assert cells["STR-7.1"].number_format.startswith('#,##0" € (2026)"')
    cells = {}
    for name in SHEETS:
        cells.update(dict(cells_by_metric(workbook[name], catalogue)))
    # a deliverable done earlier shows its answer with the quarter it was given in
    done_before = next(
        m.metric.id
        for m in status_of(answered, "", Q4).metrics()
        if m.evaluation.reason_code == "done" and m.evaluation.value_period == Q3
    )
    assert cells[done_before].value == "Kyllä (Q3/2026)"


def test_a_table_is_never_empty_when_the_figures_exist(answered: AppContext) -> None:
    # Q1/2027: nothing answered yet, but every figure known before shows, with its period
    workbook = workbook_of(answered, Period(2027, 1))
    strategic = workbook["Strategiset mittarit"]
    rows = [row for row in strategic.iter_rows(min_row=4) if row[4].value is not None]
    assert len(rows) == 7 and all(row[3].value is not None for row in rows)
    formats = [row[3].number_format for row in rows]
    assert any("(2026)" in f for f in formats) and any("(Q4/2026)" in f for f in formats)


def docx_tables(ctx: AppContext) -> Any:
    return Document(io.BytesIO(export_period(ctx, Q4, "docx")))


def _collapsed(texts: list[str]) -> list[str]:
    """Consecutive equal texts once: a vertically merged cell reads as one per row."""
    result: list[str] = []
    for text in texts:
        if text and (not result or result[-1] != text):
            result.append(text)
    return result


def test_the_docx_has_the_documents_tables_as_it_has_them(answered: AppContext) -> None:
    document = docx_tables(answered)
    catalogue = get_catalogue(answered)
    section = document.sections[0]
    assert section.page_width > section.page_height  # landscape
    headings = [p.text for p in document.paragraphs if p.runs and p.runs[0].bold]
    assert headings[0] == f"{catalogue.title} · Q4/2026"
    expected = [t.heading for t in SEED_TABLES if t.heading]
    assert headings[1 : 1 + len(expected)] == expected
    assert headings[-2:] == ["Selitykset ja kommentit · Q4/2026", "Huomautukset"]
    tables = document.tables
    assert len(tables) == len(SEED_TABLES) + 2
    notes = editorial_notes(catalogue)
    for seed, adopted, table in zip(SEED_TABLES, catalogue.adopted_tables(), tables, strict=False):
        header = [c.text for c in table.rows[0].cells]
        assert header == columns_for(seed, "Q4/2026")
        first = table.rows[0]._tr
        assert first.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None  # repeated
        goal_index = header.index(GOAL_COLUMN[adopted.tier])
        goal_texts = [row.cells[goal_index].text for row in table.rows[1:]]
        if adopted.tier == Tier.STRATEGIC:
            assert [t for t in goal_texts if t not in seed.groups] == list(seed.goals)
        else:
            assert _collapsed(goal_texts) == _collapsed(list(seed.goals)), seed.heading
            group_index = header.index(GROUP_COLUMN[adopted.tier])
            groups = _collapsed([row.cells[group_index].text for row in table.rows[1:]])
            assert groups == list(seed.groups)
            # merged: the goal cell is one cell over its metrics' rows, not a repeated text
            merges = table._tbl.xpath(".//w:vMerge")
            assert merges
        for row in table.rows[1:]:
            for value in {c.text for c in row.cells}:
                assert not any(note in value for note in notes), value
    status_fills = {
        c._tc.tcPr.find(qn("w:shd")).get(qn("w:fill"))
        for t in tables[: len(SEED_TABLES)]
        for row in t.rows[1:]
        for c in row.cells[-1:]
        if c._tc.tcPr is not None and c._tc.tcPr.find(qn("w:shd")) is not None
    }
    assert {"C6EFCE", "FFEB9C", "FFC7CE"} <= status_fills


def test_the_docx_shows_figures_in_finnish_as_typed(answered: AppContext) -> None:
    set_answer(answered, "STR-3.1", Q3, AnswerValue.of_number(Decimal("11.9")))
    set_answer(answered, "STR-4.1", Q4, AnswerValue.of_number(Decimal(-20)))
    strategic = docx_tables(answered).tables[0]
    values = {row.cells[0].text: row.cells[3].text for row in strategic.rows[1:]}
    assert values["1. Työttömien osuus työvoimasta"] == "11,9\u00a0% (Q3/2026)"
    strategic = Document(io.BytesIO(export_period(answered, Q1_2027, "docx"))).tables[0]
    values = {row.cells[0].text: row.cells[3].text for row in strategic.rows[1:]}
    assert values["2. Kokonaisnettomuutto"] == f"{MINUS}20\u00a0hlö (2026)"
    assert values["2. Yhteisöverokertymä"].endswith("€ (2026)")


def test_docx_is_made_only_when_asked(answered: AppContext) -> None:
    import subprocess
    import sys

    script = (
        "import sys; import goalbot.reporting.export, goalbot.chat.reports; "
        "print('docx' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_csv_reads_back_in_finnish_excel_form(answered: AppContext) -> None:
    data = export_period(answered, Q4, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Toimielin", "Taso", "Toimiala", "Vastuualue", "Tunnus"]
    assert "Q4/2026" in header and "Luvun kausi" in header and "Status" in header
    assert len(body) == 67
    column = {name: index for index, name in enumerate(header)}
    data_q4 = {m.metric.id: m for m in status_of(answered, "", Q4).metrics()}
    for row in body:
        ms = data_q4[row[column["Tunnus"]]]
        value, _ = ms.latest
        cell = row[column["Q4/2026"]]
        if value is not None and value.number is not None:
            assert "." not in cell and Decimal(cell.replace(",", ".")) == value.number
        elif value is not None and value.flag is not None:
            assert cell == ("Kyllä" if value.flag else "Ei")
    by_id = {row[column["Tunnus"]]: row for row in body}
    assert by_id["STR-3.1"][column["Yksikkö"]] == "%"
    assert by_id["STR-4.1"][column["Luvun kausi"]] == "2026"
    assert by_id["RV-1.1"][column["Vastuualue"]] == "Rakennusvalvonta"
    assert by_id["THA-1.1"][column["Vastuualue"]] == "Hallinto"  # as the document says


def test_json_follows_its_documented_schema(answered: AppContext) -> None:
    # the first round of 2027: it asks for Q4/2026's unemployment and 2026's statistics
    document = json.loads(export_period(answered, Q1_2027, "json"))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
    metrics = {m["id"]: m for m in document["metrics"]}
    assert len(metrics) == 67
    assert document["counts"]["on_track"] == sum(
        1 for m in metrics.values() if m["status"] == Status.ON_TRACK
    )
    unemployment = metrics["STR-3.1"]
    assert unemployment["target"] == {
        "rule": "below",
        "value": 8,
        "by": None,
        "text": "Työttömien osuus työvoimasta alle 8 %",
        "compared_with": "year_before",
    }
    assert unemployment["compared_with"]["period"] == {"key": "2025Q4", "label": "Q4/2025"}
    migration = metrics["STR-4.1"]
    assert migration["value_period"] == {"key": "2026Q4", "label": "2026"}
    shared = metrics["YH-8.1"]  # the plan draft asked once, as THA-1.1
    assert shared["value"] == metrics["THA-1.1"]["value"]
