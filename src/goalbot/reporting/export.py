"""A period's adopted tables, filled in, as XLSX, DOCX, CSV or JSON.

The XLSX and the DOCX lay out each table of the adopted document as the document does: its
heading, its columns (the period's column named for the period, e.g. ``Q4/2026``), one row
per goal with its metrics under it and nothing repeated (a responsibility area's and a goal's
cells span their rows). Only the document's own words and the reported figures go into the
tables: the owners' explanations, corrective actions and comments follow on a sheet (a
section) of their own, and the catalogue's editorial notes on another. Every figure is the
latest known one, with the period it describes where that is not the report's.

The XLSX is print-ready: A4 landscape, fitted to the page width, the heading rows repeated
on every page. Figures are numbers whose formats put the unit (and the period described)
after them, so Finnish Excel shows ``11,9 %`` and ``−20 hlö (2025)``.

The CSV is one table of every metric, as Finnish Excel opens it: UTF-8 with a byte order mark,
``;`` between fields and a decimal comma. The JSON (schema: ``docs/report-schema.json``) is
for the town's other systems.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from goalbot.domain.answers import AnswerState, AnswerValue
from goalbot.domain.evaluation import Status
from goalbot.domain.goals import (
    SHEET_NAME_LIMIT,
    Catalogue,
    Goal,
    Metric,
    MetricKind,
    Table,
    Tier,
    Translated,
)
from goalbot.domain.periods import Period
from goalbot.reporting.formatting import MINUS, format_described, format_value, typed_places
from goalbot.reporting.rendering import (
    DEFAULT_LANGUAGE,
    in_own_unit,
    locale_for,
    noting_untranslated,
    text_in_language,
)
from goalbot.reporting.words import Words
from goalbot.services.context import AppContext
from goalbot.services.progress import LackingFigure, MetricStatus, StatusData, status_of

if TYPE_CHECKING:  # openpyxl is imported when a workbook is made, not when the bot starts
    from openpyxl.styles import Alignment, Border, Font, PatternFill
    from openpyxl.worksheet.worksheet import Worksheet

ExportFormat = Literal["xlsx", "docx", "csv", "json"]
FORMATS: tuple[ExportFormat, ...] = ("xlsx", "docx", "csv", "json")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv",
    "json": "application/json",
}

STATUS_FILLS = {
    Status.ON_TRACK: "C6EFCE",
    Status.AT_RISK: "FFEB9C",
    Status.OFF_TRACK: "FFC7CE",
}
GREY_FILL = "EDEDED"
HEADER_FILL = "DDEBF7"
GROUP_FILL = "F2F2F2"

# the adopted document's columns, per tier ("value" is the period's column)
COLUMNS: dict[Tier, tuple[str, ...]] = {
    Tier.STRATEGIC: (
        "strategic_metric",
        "strategic_target",
        "strategic_baseline",
        "value",
        "status",
    ),
    Tier.DEPARTMENT: (
        "department",
        "department_goal",
        "metric",
        "department_baseline",
        "value",
        "department_target",
        "status",
    ),
    Tier.AREA: ("area", "area_goal", "action", "metric", "area_level", "value", "status"),
}
SPANNING = {"department": "group", "area": "group", "department_goal": "goal", "area_goal": "goal"}
SPANNING["action"] = "goal"
NOTES_COLUMNS = ("id", "goal", "metric", "status", "explanation", "corrective_action", "comment")
REMARK_COLUMNS = ("id", "subject", "note")
LACKING_COLUMNS = ("id", "goal", "metric", "described", "lacking")
CSV_COLUMNS = (
    "body",
    "tier",
    "department",
    "area",
    "id",
    "goal",
    "action",
    "metric",
    "baseline",
    "target",
    "value",
    "value_period",
    "unit",
    "status",
    "lacking",
    "explanation",
    "corrective_action",
    "comment",
)
COLUMN_WIDTHS = {
    "strategic_metric": 30,
    "strategic_target": 30,
    "strategic_baseline": 36,
    "department": 12,
    "department_goal": 30,
    "metric": 36,
    "department_baseline": 16,
    "department_target": 16,
    "area": 16,
    "area_goal": 26,
    "action": 32,
    "area_level": 30,
    "value": 24,
    "status": 22,
    "id": 10,
    "goal": 30,
    "explanation": 40,
    "corrective_action": 40,
    "comment": 30,
    "subject": 40,
    "note": 60,
    "described": 14,
    "lacking": 40,
}
DEFAULT_WIDTH = 24
FORMULA_STARTS = ("=", "+", "@", "\t", "\r")


# ---------------------------------------------------------------- the tables' rows


@dataclass(frozen=True)
class Line:
    """One row of an adopted table: a metric, or a heading inside the table (a theme).

    ``spans`` says, for the columns whose cell covers several rows (a responsibility area, a
    goal and its action), how many rows the cell starts here; 0 means a cell above covers it.
    """

    metric: MetricStatus | None
    heading: str = ""
    number: int = 0  # the metric's number under its theme, as the strategic table counts
    spans: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AdoptedTable:
    """A table of the document with the period's rows."""

    table: Table
    columns: tuple[str, ...]
    lines: tuple[Line, ...]

    def metrics(self) -> Iterator[MetricStatus]:
        return (line.metric for line in self.lines if line.metric is not None)


def _runs(keys: Sequence[str]) -> list[int]:
    """For each position, how many rows a cell starting there spans (0 inside a run)."""
    spans = [0] * len(keys)
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            spans[start] = i - start
            start = i
    return spans


def _lines(catalogue: Catalogue, table: Table, metrics: list[MetricStatus]) -> tuple[Line, ...]:
    if table.tier == Tier.STRATEGIC:
        lines: list[Line] = []
        theme, number = None, 0
        for ms in metrics:
            if ms.goal.theme != theme:
                theme, number = ms.goal.theme, 0
                name = catalogue.theme(theme).name if theme else ""
                lines.append(Line(None, heading=name))
            number += 1
            lines.append(Line(ms, number=number))
        return tuple(lines)
    groups = [
        (ms.goal.area or ms.goal.department or "") if table.tier == Tier.AREA else "all"
        for ms in metrics
    ]
    group_spans = _runs(groups)
    goal_spans = _runs([f"{g}|{ms.goal.id}" for g, ms in zip(groups, metrics, strict=True)])
    result = []
    for i, ms in enumerate(metrics):
        spans = {
            column: group_spans[i] if kind == "group" else goal_spans[i]
            for column, kind in SPANNING.items()
        }
        result.append(Line(ms, spans=spans))
    return tuple(result)


def adopted_tables(data: StatusData) -> list[AdoptedTable]:
    """The period's tables in the document's order, each with the metrics of its goals."""
    catalogue = data.catalogue
    result = []
    # each metric's table found by its key once, not every table's test of every metric
    by_key: dict[tuple[Tier, str, str | None], list[MetricStatus]] = {}
    for ms in data.metrics():
        by_key.setdefault(Table.key_of(ms.goal), []).append(ms)
    for table in catalogue.adopted_tables():
        metrics = by_key.get(table.key, [])
        if metrics:
            lines = _lines(catalogue, table, metrics)
            result.append(AdoptedTable(table, COLUMNS[table.tier], lines))
    return result


# ---------------------------------------------------------------- texts of the cells


class Texts:
    """The words of the exports, from the templates (headings, statuses, cells)."""

    def __init__(self, language: str, period: Period) -> None:
        self.words = Words("report/_words.txt.j2", language)
        self.export = Words("report/export.txt.j2", language)
        self.language = language
        self.period = period

    @property
    def locale(self) -> str:
        return locale_for(self.language)

    def header(self, key: str) -> str:
        return self.export("header", key, self.period)

    def text(self, thing: Translated, name: str) -> str:
        """A catalogue text in the export's language, else as the catalogue writes it (noted,
        within ``noting_untranslated``, for the export's note)."""
        return text_in_language(thing, name, self.language)

    def untranslated_note(self) -> str:
        """The note that some catalogue texts are only in Finnish (said once, at the end)."""
        return self.export("untranslated_note")

    def metric_name(self, metric: Metric) -> str:
        """A metric's name as the adopted tables write it, in the export's language."""
        if metric.adopted_name:
            return self.text(metric, "adopted_name")
        return self.text(metric, "name")

    def department(self, catalogue: Catalogue, department: str | None) -> str | None:
        return self.text(catalogue.department(department), "short_name") if department else None

    def area(self, catalogue: Catalogue, area_id: str | None) -> str | None:
        if not area_id:
            return None
        area = catalogue.area(area_id)
        return self.text(area, "short_name" if area.short_name else "name")

    def status_name(self, status: Status) -> str:
        return self.words("status_name", status).capitalize()

    def status(self, ms: MetricStatus) -> str:
        return self.export("status_cell", ms)

    def baseline(self, metric: Metric) -> str:
        return self.export("baseline_cell", metric)

    def target(self, metric: Metric) -> str:
        return self.export("target_cell", metric)

    def title(self, table: Table, catalogue: Catalogue) -> str:
        return self.export("table_title", table, catalogue)

    def sheet(self, table: Table, catalogue: Catalogue) -> str:
        return self.export("sheet_name", table, catalogue)

    def tier(self, tier: Tier) -> str:
        return self.export("tier", tier)

    def heading(self, key: str, catalogue: Catalogue) -> str:
        return self.export("heading", key, catalogue, self.period)

    def lacking(self, figure: LackingFigure) -> str:
        return self.export("lacking_cell", figure)


def period_suffix(metric: Metric, described: Period | None, report: Period) -> str:
    """`` (2025)`` or `` (Q1/2026)`` when a figure describes another period than the report's."""
    if described is None:
        return ""
    label = format_described(metric, described)
    return "" if label == report.label else f" ({label})"


def shown_value(ms: MetricStatus, texts: Texts) -> tuple[Decimal | str | None, str]:
    """The value cell's content (a figure, or a word), and the period suffix that goes with it."""
    value, described = ms.latest
    if value is None:
        return None, ""
    suffix = period_suffix(ms.metric, described, ms.report_period)
    if value.state == AnswerState.VALUE and value.number is not None:
        return value.number, suffix
    text = format_value(in_own_unit(ms.metric, texts.language), value, texts.locale)
    return text, suffix if value.state == AnswerState.VALUE else ""


def value_text(ms: MetricStatus, texts: Texts) -> str:
    """The value cell as text: ``11,9 %``, ``−20 hlö (2025)``, ``Kyllä (Q3/2026)``."""
    value, _ = ms.latest
    if value is None:
        return ""
    _, suffix = shown_value(ms, texts)
    return format_value(in_own_unit(ms.metric, texts.language), value, texts.locale) + suffix


def cell(line: Line, key: str, texts: Texts, catalogue: Catalogue) -> Decimal | str | None:
    """The content of one cell of an adopted table (None: empty)."""
    ms = line.metric
    assert ms is not None
    goal, metric = ms.goal, ms.metric
    match key:
        case "strategic_metric":
            return f"{line.number}. {texts.metric_name(metric)}"
        case "strategic_target" | "department_target":
            return texts.target(metric) or None
        case "strategic_baseline" | "department_baseline":
            return texts.baseline(metric) or None
        case "department":
            return texts.department(catalogue, goal.department)
        case "area":
            return texts.area(catalogue, goal.area)
        case "department_goal" | "area_goal":
            return texts.text(goal, "title")
        case "action":
            return texts.text(goal, "action") or None
        case "metric":
            return texts.metric_name(metric)
        case "area_level":
            parts = [texts.baseline(metric), texts.target(metric)]
            return " / ".join(p for p in parts if p) or None
        case "value":
            value, suffix = shown_value(ms, texts)
            return value + suffix if isinstance(value, str) else value
        case "status":
            return texts.status(ms)
    raise KeyError(key)


def _unit(metric: Metric) -> str:
    if metric.is_percentage:
        return "%"
    if metric.kind == MetricKind.SURVEY and metric.scale is not None:
        return ""
    return metric.unit.strip()


def _places(metric: Metric, number: Decimal) -> int:
    if metric.decimals is not None:
        return max(metric.decimals, typed_places(number))
    return typed_places(number.normalize())


def number_format(metric: Metric, number: Decimal, suffix: str = "") -> str:
    """An Excel number format for a figure: grouped thousands, its decimals, unit and period.

    Excel stores formats with ``,`` for grouping and ``.`` for decimals and shows them in the
    reader's locale, so Finnish Excel shows ``#,##0.0" %"`` as ``11,9 %``. Negatives get the
    minus sign, as in the other reports.
    """
    places = _places(metric, number)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    tail = f"{(' ' + _unit(metric)) if _unit(metric) else ''}{suffix}".replace('"', "")
    positive = f'{pattern}"{tail}"' if tail else pattern
    return f'{positive};"{MINUS}"{positive}'


# ---------------------------------------------------------------- explanations and notes


@dataclass(frozen=True)
class NoteRow:
    """A row of the explanations: what an owner wrote about a metric or a goal."""

    id: str
    goal: Goal
    metric: MetricStatus | None
    explanation: str = ""
    corrective_action: str = ""
    comment: str = ""


def explanation_rows(data: StatusData) -> list[NoteRow]:
    """The owners' explanations, corrective actions, skip reasons and goal comments."""
    rows = []
    for goal_status in data.goals:
        for ms in goal_status.metrics:
            answer = ms.answer
            if answer is None:
                continue
            explanation = answer.explanation or answer.value.reason
            if explanation or answer.corrective_action:
                rows.append(
                    NoteRow(ms.metric.id, ms.goal, ms, explanation, answer.corrective_action)
                )
        if goal_status.comment:
            rows.append(
                NoteRow(goal_status.goal.id, goal_status.goal, None, comment=goal_status.comment)
            )
    return rows


def lacking_values(f: LackingFigure, texts: Texts) -> tuple[str, ...]:
    """A row of the figures the town still lacks."""
    described = format_described(f.metric, f.period)
    name = texts.metric_name(f.metric)
    return (f.metric.id, texts.text(f.goal, "title"), name, described, texts.lacking(f))


def lacking_rows(data: StatusData, texts: Texts) -> list[tuple[str, ...]]:
    """The rows of the figures not received, oldest period first (see StatusData.lacking)."""
    return [lacking_values(f, texts) for f in data.lacking]


def remarks(catalogue: Catalogue, data: StatusData) -> list[tuple[str, str, str]]:
    """The catalogue's editorial notes: (id, what it is about, the note)."""
    found = []
    for goal_status in data.goals:
        goal = goal_status.goal
        if goal.note:
            found.append((goal.id, goal.title, goal.note))
        for ms in goal_status.metrics:
            if ms.metric.note:
                found.append((ms.metric.id, ms.metric.name, ms.metric.note))
    return found


# ---------------------------------------------------------------- XLSX


LINE_POINTS = 13.0  # the height of a line of wrapped 10-point text


@cache
def _cell_style() -> tuple[Font, Border, Alignment]:
    """A table cell's font, border and alignment."""
    from openpyxl.styles import Alignment, Border, Font, Side

    thin = Side(style="thin", color="A6A6A6")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    return Font(name="Calibri", size=10), border, Alignment(wrap_text=True, vertical="top")


def _fill(colour: str) -> PatternFill:
    from openpyxl.styles import PatternFill

    return PatternFill("solid", start_color=colour, end_color=colour)


def sheet_name(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts, unique in the workbook."""
    cleaned = "".join("-" if c in "[]:*?/\\" else c for c in name).strip() or "Taulukko"
    cleaned = cleaned[:SHEET_NAME_LIMIT].rstrip()
    candidate, number = cleaned, 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate = cleaned[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


def _print_ready(sheet: Worksheet, columns: int, title_rows: int) -> None:
    from openpyxl.utils import get_column_letter

    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"1:{title_rows}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.oddFooter.center.text = "&P / &N"
    sheet.oddFooter.center.size = 8
    sheet.freeze_panes = f"A{title_rows + 1}"
    sheet.print_area = f"A1:{get_column_letter(columns)}{max(sheet.max_row, title_rows)}"


def _heading_rows(
    sheet: Worksheet, first: str, second: str, columns: tuple[str, ...], texts: Texts
) -> int:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    _font, border, top_left = _cell_style()
    sheet.cell(row=1, column=1, value=first).font = Font(name="Calibri", bold=True, size=12)
    if second:
        sheet.cell(row=2, column=1, value=second).font = Font(name="Calibri", bold=True, size=11)
    lines = 1
    for index, key in enumerate(columns, start=1):
        text = texts.header(key)
        header = sheet.cell(row=3, column=index, value=text)
        header.font = Font(name="Calibri", bold=True, size=10)
        header.fill = _fill(HEADER_FILL)
        header.alignment = top_left
        header.border = border
        width = COLUMN_WIDTHS.get(key, DEFAULT_WIDTH)
        sheet.column_dimensions[get_column_letter(index)].width = width
        lines = max(lines, text_lines(text, width))
    if lines > 1:
        sheet.row_dimensions[3].height = lines * LINE_POINTS
    return 3


class _Styles:
    """A workbook's cell styles, each combination made once: setting a cell's font, border,
    alignment and fill made openpyxl hash each of them to find it among the workbook's (most
    of an export's time); a cell with a style seen before gets a copy of that cell's style
    indices, the same as setting them again would give."""

    def __init__(self) -> None:
        self.made: dict[tuple[bool, str | None, str | None, bool], Any] = {}
        self.merged: dict[tuple[Any, ...], list[Any]] = {}

    def put(
        self,
        sheet: Worksheet,
        row: int,
        column: int,
        value: Decimal | str | None,
        *,
        bold: bool = False,
        fill: str | None = None,
        number_format: str | None = None,
        right: bool = False,
    ) -> Any:
        """Write ``value`` in a table cell: the cell style, bold, a fill colour, a number
        format, aligned right."""
        from openpyxl.styles import Alignment, Font
        from openpyxl.styles.cell_style import StyleArray

        target = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str):
            # what owners typed stays text, even if it starts with "=" like a formula
            target.data_type = "s"
        key = (bold, fill, number_format, right)
        made = self.made.get(key)
        if made is not None:
            target._style = StyleArray(made)
            return target
        target.font, target.border, target.alignment = _cell_style()
        if bold:
            target.font = Font(bold=True)
        if number_format is not None:
            target.number_format = number_format
        if right:
            target.alignment = Alignment(vertical="top", horizontal="right")
        if fill is not None:
            target.fill = _fill(fill)
        self.made[key] = StyleArray(target._style)
        return target

    def merge(self, sheet: Worksheet, row: int, column: int, end_row: int, end_column: int) -> None:
        """Merge the cells from (``row``, ``column``) to (``end_row``, ``end_column``) as
        Worksheet.merge_cells does, which sets the borders of each cell of the range again
        (hashing each to find it, several milliseconds a merge): a merge of the same shape
        between cells of the same styles as one made before gets that one's styles."""
        from openpyxl.cell.cell import MergedCell
        from openpyxl.styles.cell_style import StyleArray
        from openpyxl.worksheet.cell_range import CellRange
        from openpyxl.worksheet.merge import MergedCellRange

        cells = [(r, c) for r in range(row, end_row + 1) for c in range(column, end_column + 1)]
        start, end = sheet._cells.get(cells[0]), sheet._cells.get(cells[-1])
        key = (
            end_row - row,
            end_column - column,
            None if start is None else tuple(start._style),
            None if end is None or end is start else tuple(end._style),
        )
        made = self.merged.get(key)
        if made is None:
            sheet.merge_cells(
                start_row=row, start_column=column, end_row=end_row, end_column=end_column
            )
            self.merged[key] = [StyleArray(sheet._cells[place]._style) for place in cells]
            return
        merge = MergedCellRange.__new__(MergedCellRange)
        CellRange.__init__(merge, min_col=column, min_row=row, max_col=end_column, max_row=end_row)
        merge.ws = sheet
        merge.start_cell = start if start is not None else sheet.cell(row=row, column=column)
        merge.start_cell._style = StyleArray(made[0])
        sheet.merged_cells.add(merge)
        for place, style in zip(cells[1:], made[1:], strict=True):
            cell = sheet._cells[place] = MergedCell(sheet, *place)
            cell._style = StyleArray(style)


def text_lines(text: str, width: float) -> int:
    """About how many lines ``text`` wraps to in a column ``width`` characters wide."""
    per_line = max(1, int(width * 1.1) - 1)
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


class _Heights:
    """Row heights for wrapped text: a spreadsheet does not grow rows of merged cells itself."""

    def __init__(self) -> None:
        self.lines: dict[int, int] = {}

    def need(self, row: int, span: int, lines: int) -> None:
        """A cell from ``row`` over ``span`` rows holds ``lines`` lines."""
        have = sum(self.lines.get(r, 1) for r in range(row, row + span))
        if lines > have:
            last = row + span - 1
            self.lines[last] = self.lines.get(last, 1) + lines - have

    def apply(self, sheet: Worksheet) -> None:
        for row, lines in self.lines.items():
            if lines > 1:
                sheet.row_dimensions[row].height = lines * LINE_POINTS


def _write_table(
    sheet: Worksheet, adopted: AdoptedTable, data: StatusData, texts: Texts, styles: _Styles
) -> None:
    columns = adopted.columns
    first = f"{data.catalogue.title} · {data.period.label}"
    top = _heading_rows(sheet, first, texts.title(adopted.table, data.catalogue), columns, texts)
    row = top
    heights = _Heights()
    for line in adopted.lines:
        row += 1
        if line.metric is None:
            styles.put(sheet, row, 1, line.heading, bold=True, fill=GROUP_FILL)
            for column in range(2, len(columns) + 1):
                styles.put(sheet, row, column, None, fill=GROUP_FILL)
            styles.merge(sheet, row, 1, row, len(columns))
            continue
        ms = line.metric
        for index, key in enumerate(columns, start=1):
            span = line.spans.get(key, 1)
            if span == 0:
                styles.put(sheet, row, index, None)
                continue
            value = cell(line, key, texts, data.catalogue)
            if isinstance(value, str):
                width = COLUMN_WIDTHS.get(key, DEFAULT_WIDTH)
                heights.need(row, span, text_lines(value, width))
            numbers = None
            if isinstance(value, Decimal):
                numbers = number_format(ms.metric, value, shown_value(ms, texts)[1])
            fill = STATUS_FILLS.get(ms.status, GREY_FILL) if key == "status" else None
            styles.put(
                sheet,
                row,
                index,
                value,
                fill=fill,
                number_format=numbers,
                right=numbers is not None,
            )
            if span > 1:
                styles.merge(sheet, row, index, row + span - 1, index)
    heights.apply(sheet)
    _print_ready(sheet, len(columns), top)


def _write_list(
    sheet: Worksheet,
    title: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    texts: Texts,
    styles: _Styles,
) -> None:
    top = _heading_rows(sheet, title, "", columns, texts)
    heights = _Heights()
    for number, values in enumerate(rows, start=top + 1):
        for index, value in enumerate(values, start=1):
            styles.put(sheet, number, index, value or None)
            if value:
                width = COLUMN_WIDTHS.get(columns[index - 1], DEFAULT_WIDTH)
                heights.need(number, 1, text_lines(str(value), width))
    heights.apply(sheet)
    _print_ready(sheet, len(columns), top)


def explanation_values(row: NoteRow, texts: Texts) -> tuple[str, ...]:
    metric = row.metric
    return (
        row.id,
        texts.text(row.goal, "title"),
        texts.metric_name(metric.metric) if metric else "",
        texts.status(metric) if metric else "",
        row.explanation,
        row.corrective_action,
        row.comment,
    )


def export_xlsx(data: StatusData, language: str = DEFAULT_LANGUAGE) -> bytes:
    """The period's adopted tables as an XLSX workbook, then explanations and notes."""
    with noting_untranslated() as untranslated:
        workbook = _workbook(data, Texts(language, data.period), untranslated)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _workbook(data: StatusData, texts: Texts, untranslated: set[str]) -> Any:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    default = workbook.active
    taken: set[str] = set()
    styles = _Styles()
    catalogue = data.catalogue
    for adopted in adopted_tables(data):
        sheet = workbook.create_sheet(sheet_name(texts.sheet(adopted.table, catalogue), taken))
        _write_table(sheet, adopted, data, texts, styles)
    notes = [explanation_values(row, texts) for row in explanation_rows(data)]
    if notes:
        sheet = workbook.create_sheet(sheet_name(texts.heading("explanations", catalogue), taken))
        title = f"{texts.heading('explanations', catalogue)} · {data.period.label}"
        _write_list(sheet, title, NOTES_COLUMNS, notes, texts, styles)
    lacking = lacking_rows(data, texts)
    if lacking:
        sheet = workbook.create_sheet(sheet_name(texts.heading("lacking", catalogue), taken))
        title = f"{texts.heading('lacking', catalogue)} · {data.period.label}"
        _write_list(sheet, title, LACKING_COLUMNS, lacking, texts, styles)
    found = remarks(catalogue, data)
    if found:
        sheet = workbook.create_sheet(sheet_name(texts.heading("remarks", catalogue), taken))
        _write_list(
            sheet, texts.heading("remarks", catalogue), REMARK_COLUMNS, found, texts, styles
        )
    if default is not None and len(workbook.worksheets) > 1:
        workbook.remove(default)
    if untranslated:  # once, under the first table, inside its print area
        first = workbook.worksheets[0]
        row = first.max_row + 2
        first.cell(row=row, column=1, value=texts.untranslated_note()).font = Font(italic=True)
        area = str(first.print_area).split("!")[-1].replace("$", "").split(":")
        if len(area) == 2:
            last = "".join(c for c in area[1] if c.isalpha())
            first.print_area = f"{area[0]}:{last}{row}"
    return workbook


# ---------------------------------------------------------------- CSV


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    text = str(value)
    # a spreadsheet would take a typed text starting like a formula for one
    formula_like = text.startswith(FORMULA_STARTS) or (
        text.startswith("-") and not text[1:2].isdigit()
    )
    return "'" + text if formula_like else text


def _csv_cell(ms: MetricStatus, key: str, texts: Texts, data: StatusData, comment: str) -> Any:
    goal, metric, answer = ms.goal, ms.metric, ms.answer
    catalogue = data.catalogue
    match key:
        case "body":
            return texts.text(catalogue.body(goal.body), "name")
        case "tier":
            return texts.tier(goal.tier)
        case "department":
            return texts.department(catalogue, goal.department)
        case "area":
            return texts.area(catalogue, goal.area)
        case "id":
            return metric.id
        case "goal":
            return texts.text(goal, "title")
        case "action":
            return texts.text(goal, "action") or None
        case "metric":
            return texts.metric_name(metric)
        case "baseline":
            return texts.baseline(metric) or None
        case "target":
            return texts.target(metric) or None
        case "value":
            return shown_value(ms, texts)[0]
        case "value_period":
            _, described = ms.latest
            return format_described(metric, described) if described is not None else None
        case "unit":
            return _unit(metric) or None
        case "status":
            return texts.status_name(ms.status)
        case "lacking":
            lacking = [f for f in data.lacking if f.metric.id == metric.id]
            return (
                "; ".join(
                    f"{format_described(f.metric, f.period)}: {texts.lacking(f)}" for f in lacking
                )
                or None
            )
        case "explanation":
            return (answer.explanation or answer.value.reason or None) if answer else None
        case "corrective_action":
            return (answer.corrective_action or None) if answer else None
        case "comment":
            return comment or None
    raise KeyError(key)


def csv_rows(data: StatusData, language: str = DEFAULT_LANGUAGE) -> list[list[str]]:
    """The CSV's rows, header first."""
    texts = Texts(language, data.period)
    comments = {g.goal.id: g.comment for g in data.goals}
    rows = [[texts.header(key) for key in CSV_COLUMNS]]
    with noting_untranslated() as untranslated:
        for adopted in adopted_tables(data):
            for ms in adopted.metrics():
                comment = comments[ms.goal.id]
                cells = [_csv_value(_csv_cell(ms, k, texts, data, comment)) for k in CSV_COLUMNS]
                rows.append(cells)
    if untranslated:  # once, after the table and a blank row, in the first column
        blank = [""] * len(CSV_COLUMNS)
        rows.extend([blank, [texts.untranslated_note(), *blank[1:]]])
    return rows


def export_csv(data: StatusData, language: str = DEFAULT_LANGUAGE) -> bytes:
    """Every metric of the period in one table, for Finnish Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows(csv_rows(data, language))
    return buffer.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------- JSON

SCHEMA_ID = "goalbot-report/1"


def _json_number(value: Decimal | bool | None) -> float | int | bool | None:
    if value is None or isinstance(value, bool):
        return value
    return int(value) if value == value.to_integral_value() else float(value)


def _json_value(metric: Metric, value: AnswerValue | None, texts: Texts) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "state": value.state.value,
        "number": _json_number(value.number),
        "flag": value.flag,
        "reason": value.reason or None,
        "text": format_value(metric, value, texts.locale),
    }


def _json_period(metric: Metric, period: Period | None) -> dict[str, str] | None:
    if period is None:
        return None
    return {"key": period.key, "label": format_described(metric, period)}


def _json_metric(ms: MetricStatus, texts: Texts, data: StatusData, comment: str) -> dict[str, Any]:
    metric, goal, e = ms.metric, ms.goal, ms.evaluation
    target = metric.target
    latest, described = ms.latest
    answer = ms.answer
    return {
        "id": metric.id,
        "goal": {
            "id": goal.id,
            "title": texts.text(goal, "title"),
            "tier": goal.tier.value,
            "body": goal.body,
            "department": goal.department,
            "area": goal.area,
            "comment": comment or None,
        },
        "name": texts.text(metric, "name"),
        "kind": metric.kind.value,
        "meaning": metric.meaning.value if metric.kind == MetricKind.YES_NO else None,
        "unit": _unit(metric) or None,
        "status": e.status.value,
        "status_text": texts.status(ms),
        "reason": e.reason_code,
        "value": _json_value(metric, latest, texts),
        "value_period": _json_period(metric, described),
        "answered_this_period": ms.answer is not None and ms.answer.value.has_value,
        "target": {
            "rule": target.rule.value,
            "value": _json_number(target.value),
            "by": target.by.isoformat() if target.by else None,
            "text": texts.target(metric) or None,
            "compared_with": target.compared_with.value,
        },
        "expected": _json_number(e.expected),
        "baseline": {
            "value": _json_number(metric.baseline.value),
            "as_of": metric.baseline.as_of or None,
            "text": texts.baseline(metric) or None,
        },
        "trend": e.trend.value,
        "improving": e.improving,
        "compared_with": (
            {
                "value": _json_number(e.compared_with),
                "period": _json_period(metric, e.compared_period),
            }
            if e.compared_with is not None
            else None
        ),
        "missed": [str(p.year) for p in e.missed],
        "explanation": (answer.explanation or None) if answer else None,
        "corrective_action": (answer.corrective_action or None) if answer else None,
        "answered_by": (answer.answered_by or None) if answer else None,
        "answered_at": answer.answered_at.isoformat() if answer and answer.answered_at else None,
    }


def report_json(data: StatusData, language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """The period's verdicts for other systems (schema: docs/report-schema.json)."""
    texts = Texts(language, data.period)
    comments = {g.goal.id: g.comment for g in data.goals}
    counts = data.counts()
    round_info = data.round
    return {
        "schema": SCHEMA_ID,
        "catalogue": {
            "id": data.catalogue.id,
            "title": data.catalogue.title,
            "municipality": data.catalogue.municipality,
        },
        "period": {"key": data.period.key, "label": data.period.label},
        "scope": data.scope.key,
        "round": (
            {
                "opened_at": round_info.opened_at.isoformat(),
                "closes_at": round_info.closes_at.isoformat() if round_info.closes_at else None,
                "closed_at": round_info.closed_at.isoformat() if round_info.closed_at else None,
            }
            if round_info is not None
            else None
        ),
        "counts": {status.value: counts[status] for status in Status},
        "metrics": [_json_metric(ms, texts, data, comments[ms.goal.id]) for ms in data.metrics()],
        "lacking": [
            {
                "id": f.metric.id,
                "goal": f.goal.id,
                "period": _json_period(f.metric, f.period),
                "rounds": f.rounds,
                "given_up": f.given_up,
                "skipped": f.skipped,
                "text": texts.lacking(f),
            }
            for f in data.lacking
        ],
    }


def export_json(data: StatusData, language: str = DEFAULT_LANGUAGE) -> bytes:
    """report_json as UTF-8 text."""
    return json_text(report_json(data, language)).encode()


def json_text(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def status_json(ctx: AppContext, scope: str = "", period: Period | None = None) -> str:
    """``goalbot status --format json``: the scope's verdicts as JSON text."""
    return json_text(report_json(status_of(ctx, scope, period), ctx.config.texts.language))


# ---------------------------------------------------------------- entry points


def export_data(data: StatusData, fmt: ExportFormat, language: str = DEFAULT_LANGUAGE) -> bytes:
    if fmt == "xlsx":
        return export_xlsx(data, language)
    if fmt == "docx":
        from goalbot.reporting.document import export_docx

        return export_docx(data, language)
    if fmt == "csv":
        return export_csv(data, language)
    if fmt == "json":
        return export_json(data, language)
    raise ValueError(f"unknown export format {fmt!r}")


def export_period(ctx: AppContext, period: Period | None, fmt: ExportFormat) -> bytes:
    """The filled-in tables of ``period`` (default: the report period) in ``fmt``."""
    return export_data(status_of(ctx, "", period), fmt, ctx.config.texts.language)


def export_filename(catalogue_id: str, period: Period, fmt: ExportFormat) -> str:
    """A file name such as ``kokemaki-2026-2029-2026Q2.xlsx``."""
    return f"{catalogue_id}-{period.key}.{fmt}"


@dataclass(frozen=True)
class ExportFile:
    """An export ready to send: its name, content, period and the catalogue's title."""

    filename: str
    content: bytes
    period: Period
    title: str


def export_file(
    ctx: AppContext, period: Period | None, fmt: ExportFormat, language: str | None = None
) -> ExportFile:
    """A period's export (default: the report period) with its file name, in ``language``
    (default: the town's)."""
    data = status_of(ctx, "", period)
    content = export_data(data, fmt, language or ctx.config.texts.language)
    filename = export_filename(data.catalogue.id, data.period, fmt)
    return ExportFile(filename, content, data.period, data.catalogue.title)


def parse_format(text: str) -> ExportFormat | None:
    """``xlsx``, ``docx``, ``csv`` or ``json`` from what a person typed (any case, dot or not)."""
    wanted = text.strip().lstrip(".").lower()
    for fmt in FORMATS:
        if wanted == fmt:
            return fmt
    return None


__all__: Sequence[str] = [
    "FORMATS",
    "MEDIA_TYPES",
    "AdoptedTable",
    "ExportFile",
    "Line",
    "Texts",
    "adopted_tables",
    "csv_rows",
    "export_csv",
    "export_data",
    "export_file",
    "export_filename",
    "export_json",
    "export_period",
    "export_xlsx",
    "number_format",
    "parse_format",
    "report_json",
    "status_json",
]
