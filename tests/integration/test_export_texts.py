"""What owners typed stays text in the exported table, even if it looks like a formula."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from goalbot.domain.answers import AnswerValue
from goalbot.reporting.export import export_period
from goalbot.services.context import AppContext
from tests.report_data import Q4, set_answer

TYPED = '=HYPERLINK("http://example.invalid","klikkaa")'


def test_typed_texts_are_never_formulas(sqlite_ctx: AppContext) -> None:
    set_answer(
        sqlite_ctx,
        "RV-1.1",
        Q4,
        AnswerValue.of_flag(False),
        explanation=TYPED,
        corrective_action="-korjataan ensi vuonna",
    )
    workbook = load_workbook(io.BytesIO(export_period(sqlite_ctx, Q4, "xlsx")))
    cells = [
        c
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for c in row
        if c.value == TYPED
    ]
    assert cells and all(c.data_type == "s" for c in cells)

    text = export_period(sqlite_ctx, Q4, "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    values = {value for row in rows for value in row}
    assert "'" + TYPED in values and TYPED not in values
    assert "'-korjataan ensi vuonna" in values
