"""The period's adopted tables as a Word document a committee secretary pastes into an agenda.

The same tables as the XLSX (see ``reporting.export``): each under the document's heading,
with its columns, a responsibility area's and a goal's cells merged over their rows, the
header row repeated on every page, the status cells coloured; then the owners' explanations
and the catalogue's notes. A4 landscape. python-docx is imported only here, when a DOCX is
made.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from goalbot.reporting.export import (
    GREY_FILL,
    HEADER_FILL,
    LACKING_COLUMNS,
    NOTES_COLUMNS,
    REMARK_COLUMNS,
    STATUS_FILLS,
    AdoptedTable,
    Texts,
    adopted_tables,
    cell,
    explanation_rows,
    explanation_values,
    lacking_rows,
    remarks,
    value_text,
)
from goalbot.reporting.rendering import DEFAULT_LANGUAGE, noting_untranslated
from goalbot.services.progress import StatusData

FONT = "Calibri"
TABLE_POINTS = 8
GROUP_FILL = "F2F2F2"
# relative column widths, per column key (the page width is shared out by these)
WEIGHTS = {
    "strategic_metric": 3,
    "strategic_target": 3,
    "strategic_baseline": 4,
    "department": 1.2,
    "department_goal": 3,
    "metric": 3.5,
    "department_baseline": 1.6,
    "department_target": 1.6,
    "area": 2.1,
    "area_goal": 2.6,
    "action": 3.2,
    "area_level": 3,
    "value": 1.6,
    "status": 2.2,
    "id": 1,
    "goal": 3,
    "explanation": 4,
    "corrective_action": 4,
    "comment": 3,
    "subject": 4,
    "note": 6,
}


def _shade(target: Any, colour: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = target._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour)
    properties.append(shading)


def _keep_together(row: Any, *, header: bool = False) -> None:
    """A row is not split over two pages; a header row is repeated on every page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))
    if header:
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        properties.append(repeat)


CELL_STYLE = "GoalbotCell"  # a name without spaces is also the style's id


def _cell_style(document: Any) -> None:
    """One paragraph style for every cell: the font is set once, not on each of a thousand."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Pt

    style = document.styles.add_style(CELL_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(TABLE_POINTS)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.space_before = Pt(0)


class _Copies:
    """A document's repeated pieces of XML, each made once by python-docx and copied after:
    a table's new row (with its cells' widths and its page break setting) and a cell
    paragraph's properties. python-docx finds the place of each element it adds among its
    siblings in Python, most of a large export's time; an lxml copy is the same XML."""

    def __init__(self) -> None:
        self.paragraphs: dict[bool, Any] = {}  # aligned right → the w:pPr

    def formatted(self, paragraph: Any, right: bool) -> None:
        """Give a cell's new paragraph the cell style (aligned right: ``right``)."""
        from copy import deepcopy

        from docx.enum.text import WD_ALIGN_PARAGRAPH

        made = self.paragraphs.get(right)
        p = paragraph._p
        if made is not None and p.pPr is None:
            p.insert(0, deepcopy(made))
            return
        p.style = CELL_STYLE  # by id: looking the style up by name is slow
        if right:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self.paragraphs.setdefault(right, deepcopy(p.pPr))


class _Rows:
    """A table's new rows, the first made by python-docx and the others copies of it."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self.empty: Any = None

    def add(self) -> Any:
        from copy import deepcopy

        from docx.table import _Row

        if self.empty is not None:
            tr = deepcopy(self.empty)
            self.table._tbl.append(tr)
            return _Row(tr, self.table)
        row = self.table.add_row()
        _keep_together(row)
        self.empty = deepcopy(row._tr)
        return row


def _write(
    target: Any, text: str, copies: _Copies, *, bold: bool = False, right: bool = False
) -> None:
    from docx.text.run import Run

    paragraph = target.paragraphs[0]
    copies.formatted(paragraph, right)
    lines = text.split("\n")
    for number, line in enumerate(lines):
        # a line without tabs or carriage returns is one w:t, as Paragraph.add_run makes
        # it (which reads the text a character at a time)
        r = paragraph._p.add_r()
        run = Run(r, paragraph)
        if "\t" in line or "\r" in line:
            run.text = line
        elif line:
            r.add_t(line)
        if bold:
            run.bold = True
        if number < len(lines) - 1:
            run.add_break()


def _grid(
    document: Any, columns: tuple[str, ...], texts: Texts, width: Any, copies: _Copies
) -> Any:
    from docx.shared import Emu

    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.autofit = False
    total = sum(WEIGHTS.get(key, 2) for key in columns)
    headers = table.rows[0].cells
    for index, key in enumerate(columns):
        share = Emu(int(width * WEIGHTS.get(key, 2) / total))
        table.columns[index].width = share
        header = headers[index]
        header.width = share
        _write(header, texts.header(key), copies, bold=True)
        _shade(header, HEADER_FILL)
    _keep_together(table.rows[0], header=True)
    return table


def _fit_widths(table: Any) -> None:
    # Word takes a column's width from its cells: give every cell its column's (a cell
    # spanning columns, as row.cells has it, is given each of them in turn)
    widths = [column.width for column in table.columns]
    for tr in table._tbl.tr_lst:
        cells = [tc for tc in tr.tc_lst for _column in range(tc.grid_span)]
        for tc, width in zip(cells, widths, strict=False):
            tc.width = width


def _heading(document: Any, title: str) -> None:
    """A table's heading, kept on the page of the table."""
    from docx.shared import Pt

    heading = document.add_paragraph()
    heading.paragraph_format.space_before = Pt(12)
    heading.paragraph_format.keep_with_next = True
    run = heading.add_run(title)
    run.bold = True
    run.font.size = Pt(11)


def _adopted(
    document: Any,
    adopted: AdoptedTable,
    data: StatusData,
    texts: Texts,
    width: Any,
    copies: _Copies,
) -> None:
    title = texts.title(adopted.table, data.catalogue)
    if title:
        _heading(document, title)
    columns = adopted.columns
    table = _grid(document, columns, texts, width, copies)
    rows = _Rows(table)
    starts: dict[tuple[int, int], int] = {}  # (row, column) → rows the cell spans
    number = 0
    for line in adopted.lines:
        row = rows.add()
        number += 1
        cells = row.cells
        if line.metric is None:
            merged = cells[0].merge(cells[-1])
            _write(merged, line.heading, copies, bold=True)
            _shade(merged, GROUP_FILL)
            continue
        ms = line.metric
        for index, key in enumerate(columns):
            span = line.spans.get(key, 1)
            if span == 0:
                continue
            if span > 1:
                starts[(number, index)] = span
            target = cells[index]
            if key == "value":
                _write(target, value_text(ms, texts), copies, right=True)
                continue
            value = cell(line, key, texts, data.catalogue)
            text = "" if value is None else str(value) if not isinstance(value, Decimal) else ""
            _write(target, text, copies)
            if key == "status":
                _shade(target, STATUS_FILLS.get(ms.status, GREY_FILL))
    _fit_widths(table)
    # the grid worked out once (Table.cell works out the whole table's for each cell); the
    # merges are of cells of other rows and columns each, so it holds for all of them
    grid, width = table._cells, len(columns)
    for (number, index), span in starts.items():
        grid[number * width + index].merge(grid[(number + span - 1) * width + index])


def _listing(
    document: Any,
    title: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    texts: Texts,
    width: Any,
    copies: _Copies,
) -> None:
    _heading(document, title)
    table = _grid(document, columns, texts, width, copies)
    added = _Rows(table)
    for values in rows:
        row = added.add()
        for target, value in zip(row.cells, values, strict=True):
            _write(target, str(value or ""), copies)
    _fit_widths(table)


def export_docx(data: StatusData, language: str = DEFAULT_LANGUAGE) -> bytes:
    """The period's adopted tables, then explanations and notes, as a DOCX document."""
    with noting_untranslated() as untranslated:
        document = _document(data, Texts(language, data.period), untranslated)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _document(data: StatusData, texts: Texts, untranslated: set[str]) -> Any:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    page_width, margin = Cm(29.7), Cm(1.5)
    section.page_width, section.page_height = page_width, Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, margin)
    width = page_width - 2 * margin
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    _cell_style(document)
    document.core_properties.title = f"{data.catalogue.title} {data.period.label}"
    title = document.add_paragraph()
    run = title.add_run(f"{data.catalogue.title} · {data.period.label}")
    run.bold = True
    run.font.size = Pt(14)
    copies = _Copies()
    for adopted in adopted_tables(data):
        _adopted(document, adopted, data, texts, width, copies)
    notes = [explanation_values(row, texts) for row in explanation_rows(data)]
    if notes:
        heading = f"{texts.heading('explanations', data.catalogue)} · {data.period.label}"
        _listing(document, heading, NOTES_COLUMNS, notes, texts, width, copies)
    lacking = lacking_rows(data, texts)
    if lacking:
        heading = f"{texts.heading('lacking', data.catalogue)} · {data.period.label}"
        _listing(document, heading, LACKING_COLUMNS, lacking, texts, width, copies)
    found = remarks(data.catalogue, data)
    if found:
        heading = texts.heading("remarks", data.catalogue)
        _listing(document, heading, REMARK_COLUMNS, found, texts, width, copies)
    if untranslated:  # once, at the end
        document.add_paragraph().add_run(texts.untranslated_note()).italic = True
    return document
