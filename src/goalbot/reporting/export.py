"""A period's filled-in goal table, in the adopted document's own layout, as XLSX or CSV.

The XLSX has one sheet per body the goals are binding towards (the council's strategic
metrics, a table of their own in the document, get a sheet before it). Each sheet keeps the
document's columns and adds the period's value, its status, the owner's explanation and
corrective action, the goal comment and the metric's id. Figures are real numbers; their
number formats put the unit after the figure and let Excel show them in the reader's locale
(in Finnish: ``11,9 %``, ``1 021 000 €``).

The CSV is one table of every metric, as Finnish Excel opens it: UTF-8 with a byte order mark,
``;`` between fields and a decimal comma.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from goalbot.domain.answers import AnswerState
from goalbot.domain.evaluation import Status
from goalbot.domain.goals import Body, Catalogue, Metric, MetricKind, Tier
from goalbot.domain.periods import Period
from goalbot.reporting.formatting import format_value
from goalbot.reporting.rendering import DEFAULT_LANGUAGE
from goalbot.reporting.words import Words
from goalbot.services.context import AppContext
from goalbot.services.status import MetricStatus, StatusData, status_of

ExportFormat = Literal["xlsx", "csv"]
FORMATS: tuple[ExportFormat, ...] = ("xlsx", "csv")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}

STATUS_FILLS = {
    Status.ON_TRACK: "C6EFCE",
    Status.AT_RISK: "FFEB9C",
    Status.OFF_TRACK: "FFC7CE",
}
GREY_FILL = "D9D9D9"
HEADER_FILL = "DDEBF7"

# columns of each table kind, as in the adopted document, then the period's report
STRATEGIC_COLUMNS = (
    "theme",
    "strategic_metric",
    "strategic_target",
    "strategic_baseline",
    "value",
    "status",
)
DEPARTMENT_COLUMNS = (
    "department",
    "department_goal",
    "metric",
    "department_baseline",
    "value",
    "department_target",
    "status",
)
AREA_COLUMNS = (
    "area",
    "area_goal",
    "action",
    "metric",
    "area_baseline",
    "area_target",
    "value",
    "status",
)
REPORT_COLUMNS = ("explanation", "corrective_action", "comment", "id")
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
    "unit",
    "status",
    "explanation",
    "corrective_action",
    "comment",
)
COLUMN_WIDTHS = {
    "theme": 22,
    "department": 14,
    "area": 24,
    "value": 16,
    "status": 16,
    "unit": 12,
    "id": 10,
    "tier": 20,
    "body": 24,
}
WIDE = 42
SHEET_NAME_LIMIT = 31


@dataclass(frozen=True)
class Table:
    """One table of the document: its goals' metrics under one body and tier."""

    tier: Tier
    body: Body
    rows: tuple[MetricStatus, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        layout = {
            Tier.STRATEGIC: STRATEGIC_COLUMNS,
            Tier.DEPARTMENT: DEPARTMENT_COLUMNS,
            Tier.AREA: AREA_COLUMNS,
        }[self.tier]
        return (*layout, *REPORT_COLUMNS)


def tables(data: StatusData) -> list[Table]:
    """The tables in document order: strategic metrics, then each body's goals."""
    result = []
    strategic = [m for m in data.metrics() if m.goal.tier == Tier.STRATEGIC]
    if strategic:
        body = data.catalogue.body(strategic[0].goal.body)
        result.append(Table(Tier.STRATEGIC, body, tuple(strategic)))
    for body in data.catalogue.bodies:
        for tier in (Tier.DEPARTMENT, Tier.AREA):
            rows = tuple(
                m for m in data.metrics() if m.goal.tier == tier and m.goal.body == body.id
            )
            if rows:
                result.append(Table(tier, body, rows))
    return result


class _Texts:
    """The words of the export (headings, statuses, baselines, targets) from the templates."""

    def __init__(self, language: str, period: Period) -> None:
        self.words = Words("report/_words.txt.j2", language)
        self.export = Words("report/export.txt.j2", language)
        self.period = period

    def header(self, key: str) -> str:
        return self.export("header", key, self.period)

    def status(self, status: Status) -> str:
        return self.words("status_name", status).capitalize()

    def baseline(self, metric: Metric) -> str:
        return self.words("baseline", metric)

    def target(self, metric: Metric) -> str:
        return self.words("target", metric)

    def tier(self, tier: Tier) -> str:
        return self.export("tier", tier)


def _cell(ms: MetricStatus, key: str, texts: _Texts, catalogue: Catalogue, comment: str) -> Any:
    """The content of one cell: text, a number, or None for an empty cell."""
    goal, metric, answer = ms.goal, ms.metric, ms.answer
    department = catalogue.department(goal.department) if goal.department else None
    match key:
        case "theme":
            return catalogue.theme(goal.theme).name if goal.theme else None
        case "strategic_metric" | "metric":
            return metric.name
        case "strategic_target" | "department_target" | "area_target" | "target":
            return texts.target(metric)
        case "strategic_baseline" | "department_baseline" | "area_baseline" | "baseline":
            return texts.baseline(metric)
        case "department":
            return department.short_name if department else None
        case "area":
            return catalogue.area(goal.area).name if goal.area else None
        case "department_goal" | "area_goal" | "goal":
            return goal.title
        case "action":
            return goal.action or None
        case "value":
            if answer is None:
                return None
            value = answer.value
            if value.state == AnswerState.VALUE and value.number is not None:
                return value.number
            return format_value(metric, value)
        case "status":
            return texts.status(ms.status)
        case "explanation":
            if answer is None:
                return None
            return answer.explanation or answer.value.reason or None
        case "corrective_action":
            return answer.corrective_action or None if answer else None
        case "comment":
            return comment or None
        case "id":
            return metric.id
        case "body":
            return catalogue.body(goal.body).name
        case "tier":
            return texts.tier(goal.tier)
        case "unit":
            return _unit(metric) or None
    raise KeyError(key)


def _unit(metric: Metric) -> str:
    if metric.is_percentage:
        return "%"
    if metric.kind == MetricKind.SURVEY and metric.scale is not None:
        return ""
    return metric.unit.strip()


def _places(metric: Metric, number: Decimal) -> int:
    if metric.decimals is not None:
        return metric.decimals
    exponent = number.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def number_format(metric: Metric, number: Decimal) -> str:
    """An Excel number format for a figure: grouped thousands, its decimals, then its unit.

    Excel stores formats with ``,`` for grouping and ``.`` for decimals and shows them in the
    reader's locale, so Finnish Excel shows ``#,##0.0" %"`` as ``11,9 %``.
    """
    places = _places(metric, number)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    unit = _unit(metric).replace('"', "")
    return f'{pattern}" {unit}"' if unit else pattern


# ---------------------------------------------------------------- XLSX


def _sheet_name(name: str, taken: set[str]) -> str:
    cleaned = "".join("-" if c in "[]:*?/\\" else c for c in name).strip() or "Taulukko"
    if len(cleaned) > SHEET_NAME_LIMIT:
        cleaned = cleaned[: SHEET_NAME_LIMIT - 1].rstrip() + "…"
    candidate, number = cleaned, 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate = cleaned[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


def _write_table(sheet: Worksheet, table: Table, data: StatusData, texts: _Texts) -> None:
    columns = table.columns
    title = texts.export("table_title", table.tier, table.body, data.catalogue, data.period)
    sheet.cell(row=1, column=1, value=title).font = Font(bold=True, size=13)
    header_fill = PatternFill("solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    for index, key in enumerate(columns, start=1):
        cell = sheet.cell(row=2, column=index, value=texts.header(key))
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        width = COLUMN_WIDTHS.get(key, WIDE)
        sheet.column_dimensions[get_column_letter(index)].width = width
    comments = {g.goal.id: g.comment for g in data.goals}
    for row_number, ms in enumerate(table.rows, start=3):
        for index, key in enumerate(columns, start=1):
            value = _cell(ms, key, texts, data.catalogue, comments[ms.goal.id])
            cell = sheet.cell(row=row_number, column=index, value=value)
            if isinstance(value, str):
                # what owners typed stays text, even if it starts with "=" like a formula
                cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(value, Decimal):
                cell.number_format = number_format(ms.metric, value)
                cell.alignment = Alignment(vertical="top", horizontal="right")
            if key == "status":
                colour = STATUS_FILLS.get(ms.status, GREY_FILL)
                cell.fill = PatternFill("solid", start_color=colour, end_color=colour)
    sheet.freeze_panes = "A3"
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A2:{last}{len(table.rows) + 2}"


def export_xlsx(data: StatusData, language: str = DEFAULT_LANGUAGE) -> bytes:
    """The period's tables as an XLSX workbook."""
    texts = _Texts(language, data.period)
    workbook = Workbook()
    default = workbook.active
    taken: set[str] = set()
    for table in tables(data):
        name = texts.export("sheet_title", table.tier, table.body)
        sheet = workbook.create_sheet(_sheet_name(name, taken))
        _write_table(sheet, table, data, texts)
    if default is not None and len(workbook.worksheets) > 1:
        workbook.remove(default)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- CSV


FORMULA_STARTS = ("=", "+", "@", "\t", "\r")


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


def csv_rows(data: StatusData, language: str = DEFAULT_LANGUAGE) -> list[list[str]]:
    """The CSV's rows, header first."""
    texts = _Texts(language, data.period)
    comments = {g.goal.id: g.comment for g in data.goals}
    rows = [[texts.header(key) for key in CSV_COLUMNS]]
    for table in tables(data):
        for ms in table.rows:
            rows.append(
                [
                    _csv_value(_cell(ms, key, texts, data.catalogue, comments[ms.goal.id]))
                    for key in CSV_COLUMNS
                ]
            )
    return rows


def export_csv(data: StatusData, language: str = DEFAULT_LANGUAGE) -> bytes:
    """Every metric of the period in one table, for Finnish Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows(csv_rows(data, language))
    return buffer.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------- entry points


def export_data(data: StatusData, fmt: ExportFormat, language: str = DEFAULT_LANGUAGE) -> bytes:
    if fmt == "xlsx":
        return export_xlsx(data, language)
    if fmt == "csv":
        return export_csv(data, language)
    raise ValueError(f"unknown export format {fmt!r}")


def export_period(ctx: AppContext, period: Period | None, fmt: ExportFormat) -> bytes:
    """The filled-in table of ``period`` (default: the report period) as XLSX or CSV bytes."""
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


def export_file(ctx: AppContext, period: Period | None, fmt: ExportFormat) -> ExportFile:
    """A period's export (default: the report period) with its file name."""
    data = status_of(ctx, "", period)
    content = export_data(data, fmt, ctx.config.texts.language)
    filename = export_filename(data.catalogue.id, data.period, fmt)
    return ExportFile(filename, content, data.period, data.catalogue.title)


def parse_format(text: str) -> ExportFormat | None:
    """``xlsx`` or ``csv`` from what a person typed (any case, with or without a dot)."""
    wanted = text.strip().lstrip(".").lower()
    for fmt in FORMATS:
        if wanted == fmt:
            return fmt
    return None


__all__: Sequence[str] = [
    "FORMATS",
    "MEDIA_TYPES",
    "ExportFile",
    "Table",
    "csv_rows",
    "export_csv",
    "export_data",
    "export_file",
    "export_filename",
    "export_period",
    "export_xlsx",
    "number_format",
    "parse_format",
    "tables",
]
