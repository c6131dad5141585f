"""Reading and checking a goal catalogue written in TOML (format: docs/catalogue-format.md)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from goalbot.domain.goals import (
    DEFAULT_ASKED_ROUNDS,
    SHEET_NAME_LIMIT,
    Area,
    Baseline,
    Body,
    Cadence,
    CadenceKind,
    Catalogue,
    Comparison,
    Department,
    Goal,
    Meaning,
    Metric,
    MetricKind,
    Observation,
    Reference,
    Role,
    Rule,
    Table,
    Target,
    Theme,
    Tier,
    Translations,
)
from goalbot.domain.periods import Period, PeriodError

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
_NUMERIC_RULES = frozenset(Rule) - {Rule.DONE}
_SECOND_RULES = (Rule.INCREASE, Rule.DECREASE)
MAX_LAG = 8
"""Quarters a figure may become known after the period it describes (two years)."""
_T = TypeVar("_T")


@dataclass(frozen=True)
class Problem:
    """One problem in a catalogue file, with its place."""

    place: str  # e.g. "goals[TEK-RV-1].metrics[1].target.value"
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


class CatalogueError(Exception):
    """A catalogue file that cannot be used; carries every problem found."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: {len(problems)} problem(s)")


class _Reader:
    """Collects problems instead of stopping at the first one."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.language = "fi"  # the catalogue's own: the text every other falls back to
        self._translations: dict[str, list[tuple[str, str, str]]] = {}

    def translations(self, place: str) -> Translations:
        """The texts read at ``place`` in other languages than the catalogue's."""
        return tuple(self._translations.get(place, ()))

    def _texts(self, value: dict[str, Any], key: str, place: str) -> str | None:
        """A text in several languages (``title.fi = …``, ``title.sv = …``): the catalogue's
        own language's text; the others are kept as translations of the field."""
        own: str | None = None
        for language, text in value.items():
            if not isinstance(text, str):
                self.problem(
                    f"{place}.{key}.{language}", f"must be text, not {type(text).__name__}"
                )
            elif not _LANGUAGE_RE.match(language):
                self.problem(f"{place}.{key}.{language}", "is not a language code (fi, sv, en …)")
            elif language == self.language:
                own = text
            elif text.strip():
                self._translations.setdefault(place, []).append((key, language, text.strip()))
        if own is None:
            self.problem(f"{place}.{key}.{self.language}", "missing: the catalogue's own language")
        return own

    def problem(self, place: str, message: str) -> None:
        self.problems.append(Problem(place, message))

    def table(self, data: Any, place: str) -> dict[str, Any]:
        if isinstance(data, dict):
            return data
        self.problem(place, "must be a table")
        return {}

    def tables(self, data: dict[str, Any], key: str, place: str) -> list[dict[str, Any]]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.problem(f"{place}{key}", "must be an array of tables ([[...]])")
            return []
        return [self.table(item, f"{place}{key}[{i}]") for i, item in enumerate(value)]

    def string(
        self,
        data: dict[str, Any],
        key: str,
        place: str,
        *,
        required: bool = True,
        default: str = "",
    ) -> str:
        value = data.get(key)
        if isinstance(value, dict):
            value = self._texts(value, key, place)
            if value is None:
                return default
        if value is None:
            if required:
                self.problem(f"{place}.{key}", "missing")
            return default
        if not isinstance(value, str):
            self.problem(f"{place}.{key}", f"must be text, not {type(value).__name__}")
            return default
        if required and not value.strip():
            self.problem(f"{place}.{key}", "must not be empty")
        return value.strip()

    def identifier(self, data: dict[str, Any], key: str, place: str) -> str:
        value = self.string(data, key, place)
        if value and not _ID_RE.match(value):
            self.problem(
                f"{place}.{key}", f"{value!r} is not a valid id (letters, digits, '-', '_', '.')"
            )
        return value

    def optional_int(
        self, data: dict[str, Any], key: str, place: str, minimum: int | None = None
    ) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(f"{place}.{key}", "must be a whole number")
            return None
        if minimum is not None and value < minimum:
            self.problem(f"{place}.{key}", f"must be at least {minimum}, not {value}")
            return None
        return value

    def decimal(self, value: Any, place: str) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool):
            self.problem(place, "must be a number, not true/false")
            return None
        if isinstance(value, int | float):
            return Decimal(str(value))
        if isinstance(value, str):
            cleaned = value.replace("\u2212", "-").replace(" ", "").replace("\u00a0", "")
            try:
                return Decimal(cleaned.replace(",", "."))
            except InvalidOperation:
                pass
        self.problem(place, f"{value!r} is not a number")
        return None

    def date(self, value: Any, place: str) -> date | None:
        if value is None:
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(place, f"{value!r} is not a date (write 2026-12-31)")
        return None

    def enum(self, enum: Callable[[str], _T], value: Any, place: str, allowed: str) -> _T | None:
        try:
            return enum(value)
        except ValueError:
            self.problem(place, f"{value!r} is not one of: {allowed}")
            return None

    def strings(self, data: dict[str, Any], key: str, place: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(f"{place}.{key}", "must be a list of texts")
            return ()
        return tuple(v.strip() for v in value)

    def unknown_keys(self, data: dict[str, Any], known: set[str], place: str) -> None:
        for key in sorted(set(data) - known):
            self.problem(f"{place}.{key}", "unknown key")


def read_catalogue_text(path: Path) -> str:
    """A catalogue file's text; CatalogueError if it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CatalogueError(str(path), [Problem("file", "does not exist")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(str(path), [Problem("file", f"cannot be read: {exc}")]) from exc


def read_catalogue(path: Path) -> Catalogue:
    """Read and check a catalogue file; raise CatalogueError with every problem found.

    (Loading it into the database is services.catalogue.load_catalogue.)
    """
    return parse_catalogue(read_catalogue_text(path), source=str(path))


def parse_catalogue(text: str, source: str = "<catalogue>") -> Catalogue:
    """Parse catalogue TOML text; raise CatalogueError with every problem found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(source, [Problem("file", f"not valid TOML: {exc}")]) from exc
    reader = _Reader()
    catalogue = _read_catalogue(reader, data)
    if reader.problems or catalogue is None:
        raise CatalogueError(source, reader.problems)
    return catalogue


def check_catalogue(path: Path) -> list[Problem]:
    """Every problem of a catalogue file (empty if it is good)."""
    try:
        read_catalogue(path)
    except CatalogueError as exc:
        return exc.problems
    return []


def _read_catalogue(r: _Reader, data: dict[str, Any]) -> Catalogue | None:
    head_data = data.get("catalogue")
    own_language = head_data.get("language") if isinstance(head_data, dict) else None
    if isinstance(own_language, str) and _LANGUAGE_RE.match(own_language):
        r.language = own_language
    r.unknown_keys(
        data,
        {"catalogue", "roles", "bodies", "departments", "areas", "themes", "goals", "tables"},
        "",
    )
    head = r.table(data.get("catalogue", {}), "catalogue")
    if "catalogue" not in data:
        r.problem("catalogue", "missing [catalogue] table")
    r.unknown_keys(
        head,
        {
            "id",
            "municipality",
            "title",
            "source",
            "first_period",
            "last_period",
            "language",
            "manager_role",
            "asked_rounds",
        },
        "catalogue",
    )
    periods: list[Period] = []
    for key in ("first_period", "last_period"):
        raw = r.string(head, key, "catalogue")
        try:
            periods.append(Period.parse(raw))
        except PeriodError as exc:
            if raw:
                r.problem(f"catalogue.{key}", str(exc))
    if len(periods) == 2 and periods[0] > periods[1]:
        r.problem("catalogue.last_period", "is before first_period")

    roles = tuple(
        _read_role(r, t, f"roles[{i}]") for i, t in enumerate(r.tables(data, "roles", ""))
    )
    role_ids = _unique(r, [x.id for x in roles], "roles")
    for i, role in enumerate(roles):
        if role.reports_to and role.reports_to not in role_ids:
            r.problem(f"roles[{role.id or i}].reports_to", f"unknown role {role.reports_to!r}")

    bodies = tuple(
        Body(*_read_id_and_name(r, t, f"bodies[{i}]"))
        for i, t in enumerate(r.tables(data, "bodies", ""))
    )
    body_ids = _unique(r, [x.id for x in bodies], "bodies")
    themes = tuple(
        Theme(*_read_id_and_name(r, t, f"themes[{i}]"))
        for i, t in enumerate(r.tables(data, "themes", ""))
    )
    theme_ids = _unique(r, [x.id for x in themes], "themes")

    departments: list[Department] = []
    for i, t in enumerate(r.tables(data, "departments", "")):
        place = f"departments[{i}]"
        r.unknown_keys(t, {"id", "name", "short_name", "head_role", "aliases"}, place)
        dep = Department(
            r.identifier(t, "id", place),
            r.string(t, "name", place),
            r.string(t, "short_name", place, required=False),
            r.string(t, "head_role", place),
            r.strings(t, "aliases", place),
            r.translations(place),
        )
        if dep.head_role and dep.head_role not in role_ids:
            r.problem(f"{place}.head_role", f"unknown role {dep.head_role!r}")
        departments.append(dep if dep.short_name else replace(dep, short_name=dep.name))
    department_ids = _unique(r, [x.id for x in departments], "departments")

    areas: list[Area] = []
    for i, t in enumerate(r.tables(data, "areas", "")):
        place = f"areas[{i}]"
        r.unknown_keys(
            t, {"id", "name", "short_name", "department", "owner_role", "aliases"}, place
        )
        area = Area(
            r.identifier(t, "id", place),
            r.string(t, "name", place),
            r.string(t, "department", place),
            r.string(t, "owner_role", place),
            r.strings(t, "aliases", place),
            r.string(t, "short_name", place, required=False),
            r.translations(place),
        )
        if area.department and area.department not in department_ids:
            r.problem(f"{place}.department", f"unknown department {area.department!r}")
        if area.owner_role and area.owner_role not in role_ids:
            r.problem(f"{place}.owner_role", f"unknown role {area.owner_role!r}")
        areas.append(area)
    area_by_id = {a.id: a for a in areas}
    _unique(r, list(area_by_id), "areas")

    catalogue_id = r.identifier(head, "id", "catalogue")
    municipality = r.string(head, "municipality", "catalogue")
    title = r.string(head, "title", "catalogue")
    source = r.string(head, "source", "catalogue", required=False)
    language = r.string(head, "language", "catalogue", required=False, default="fi") or "fi"
    manager_role = r.string(head, "manager_role", "catalogue", required=False) or None
    asked_rounds = r.optional_int(head, "asked_rounds", "catalogue", minimum=1)
    if manager_role and manager_role not in role_ids:
        r.problem("catalogue.manager_role", f"unknown role {manager_role!r}")

    refs = _Refs(role_ids, body_ids, theme_ids, department_ids, area_by_id)
    goals = tuple(_read_goal(r, t, i, refs) for i, t in enumerate(r.tables(data, "goals", "")))
    _unique(r, [g.id.upper() for g in goals if g.id], "goals")
    _check_metric_links(r, goals)
    if not goals:
        r.problem("goals", "the catalogue has no goals")
    tables = _read_tables(r, data, refs, goals)
    if r.problems or len(periods) != 2:
        return None
    return Catalogue(
        id=catalogue_id,
        municipality=municipality,
        title=title,
        source=source,
        language=language,
        first_period=periods[0],
        last_period=periods[1],
        roles=roles,
        bodies=bodies,
        departments=tuple(departments),
        areas=tuple(areas),
        themes=themes,
        goals=goals,
        manager_role=manager_role,
        tables=tables,
        asked_rounds=DEFAULT_ASKED_ROUNDS if asked_rounds is None else asked_rounds,
        translations=r.translations("catalogue"),
    )


_SHEET_FORBIDDEN = set("[]:*?/\\")


def _read_tables(
    r: _Reader, data: dict[str, Any], refs: _Refs, goals: tuple[Goal, ...]
) -> tuple[Table, ...]:
    """The document's tables (optional); when given, every goal must be in one."""
    tables: list[Table] = []
    for i, t in enumerate(r.tables(data, "tables", "")):
        place = f"tables[{i}]"
        r.unknown_keys(t, {"tier", "body", "department", "title", "sheet"}, place)
        tier, body, department = _read_placement(r, t, place, refs)
        if tier == Tier.STRATEGIC and department:
            r.problem(f"{place}.department", "the strategic metrics have no department")
        sheet = r.string(t, "sheet", place, required=False)
        if len(sheet) > SHEET_NAME_LIMIT:
            r.problem(f"{place}.sheet", f"at most {SHEET_NAME_LIMIT} characters, not {len(sheet)}")
        if _SHEET_FORBIDDEN & set(sheet):
            r.problem(f"{place}.sheet", "a sheet name cannot have any of [ ] : * ? / \\")
        title = r.string(t, "title", place, required=False)
        table = Table(tier or Tier.AREA, body, department, title, sheet)
        if any((x.tier, x.body, x.department) == (table.tier, body, department) for x in tables):
            r.problem(place, "the same tier, body and department as an earlier table")
        if sheet and any(x.sheet.casefold() == sheet.casefold() for x in tables):
            r.problem(f"{place}.sheet", f"{sheet!r} is used twice")
        tables.append(table)
    if tables:
        for goal in goals:
            if goal.id and not any(t.holds(goal) for t in tables):
                r.problem(f"goals[{goal.id}]", "is in none of the [[tables]]")
    return tuple(tables)


def _check_metric_links(r: _Reader, goals: tuple[Goal, ...]) -> None:
    """``same_as`` and ``reference.metric`` must name a metric that can stand for the figure."""
    metrics = {m.id: m for g in goals for m in g.metrics}
    for goal in goals:
        for metric in goal.metrics:
            place = f"goals[{goal.id}].metrics[{metric.key}]"
            if metric.same_as:
                other = metrics.get(metric.same_as)
                if other is None:
                    r.problem(f"{place}.same_as", f"unknown metric {metric.same_as!r}")
                elif other.id == metric.id or other.same_as:
                    r.problem(f"{place}.same_as", "must name a metric that is asked itself")
                elif other.kind != metric.kind:
                    r.problem(f"{place}.same_as", f"{other.id} is not of kind {metric.kind}")
            reference = metric.target.reference
            if reference is not None and reference.metric:
                other = metrics.get(reference.metric)
                if other is None:
                    r.problem(
                        f"{place}.target.reference.metric", f"unknown metric {reference.metric!r}"
                    )
                elif not other.is_numeric or other.id == metric.id:
                    r.problem(
                        f"{place}.target.reference.metric",
                        "must name another metric with a figure",
                    )


@dataclass(frozen=True)
class _Refs:
    roles: set[str]
    bodies: set[str]
    themes: set[str]
    departments: set[str]
    areas: dict[str, Area]


def _unique(r: _Reader, ids: list[str], place: str) -> set[str]:
    seen: set[str] = set()
    for item in ids:
        if item and item in seen:
            r.problem(f"{place}[{item}]", "id used twice")
        seen.add(item)
    return seen


def _read_id_and_name(r: _Reader, t: dict[str, Any], place: str) -> tuple[str, str, Translations]:
    r.unknown_keys(t, {"id", "name"}, place)
    return r.identifier(t, "id", place), r.string(t, "name", place), r.translations(place)


def _read_role(r: _Reader, t: dict[str, Any], place: str) -> Role:
    r.unknown_keys(t, {"id", "name", "reports_to"}, place)
    return Role(
        r.identifier(t, "id", place),
        r.string(t, "name", place),
        r.string(t, "reports_to", place, required=False) or None,
        r.translations(place),
    )


def _read_placement(
    r: _Reader, t: dict[str, Any], place: str, refs: _Refs
) -> tuple[Tier | None, str, str | None]:
    """A goal's or a table's tier, body and department, each checked against the file."""
    tier = r.enum(Tier, t.get("tier"), f"{place}.tier", "strategic, department, area")
    body = r.string(t, "body", place)
    if body and body not in refs.bodies:
        r.problem(f"{place}.body", f"unknown body {body!r}")
    department = r.string(t, "department", place, required=tier != Tier.STRATEGIC) or None
    if department and department not in refs.departments:
        r.problem(f"{place}.department", f"unknown department {department!r}")
    return tier, body, department


def _read_goal(r: _Reader, t: dict[str, Any], index: int, refs: _Refs) -> Goal:
    goal_id = r.identifier(t, "id", f"goals[{index}]")
    place = f"goals[{goal_id or index}]"
    r.unknown_keys(
        t,
        {
            "id",
            "tier",
            "body",
            "department",
            "area",
            "theme",
            "title",
            "action",
            "owner_role",
            "note",
            "metrics",
        },
        place,
    )
    tier, body, department = _read_placement(r, t, place, refs)
    area = r.string(t, "area", place, required=tier == Tier.AREA) or None
    if area:
        if area not in refs.areas:
            r.problem(f"{place}.area", f"unknown area {area!r}")
        elif department and refs.areas[area].department != department:
            r.problem(f"{place}.area", f"area {area!r} is not in department {department!r}")
    theme = r.string(t, "theme", place, required=tier == Tier.STRATEGIC) or None
    if theme and theme not in refs.themes:
        r.problem(f"{place}.theme", f"unknown theme {theme!r}")
    owner_role = r.string(t, "owner_role", place)
    if owner_role and owner_role not in refs.roles:
        r.problem(f"{place}.owner_role", f"unknown role {owner_role!r}")
    metrics_data = r.tables(t, "metrics", f"{place}.")
    if not metrics_data:
        r.problem(f"{place}.metrics", "a goal needs at least one metric")
    metrics = tuple(
        _read_metric(r, m, goal_id, f"{place}.metrics[{i}]") for i, m in enumerate(metrics_data)
    )
    _unique(r, [m.key for m in metrics], f"{place}.metrics")
    return Goal(
        id=goal_id,
        tier=tier or Tier.AREA,
        body=body,
        title=r.string(t, "title", place),
        owner_role=owner_role,
        metrics=metrics,
        department=department,
        area=area,
        theme=theme,
        action=r.string(t, "action", place, required=False),
        note=r.string(t, "note", place, required=False),
        order=index,
        translations=r.translations(place),
    )


def _read_metric(r: _Reader, t: dict[str, Any], goal_id: str, place: str) -> Metric:
    key = r.identifier(t, "key", place)
    place = f"{place.rsplit('[', 1)[0]}[{key}]" if key else place
    r.unknown_keys(
        t,
        {
            "key",
            "name",
            "kind",
            "unit",
            "scale",
            "decimals",
            "cadence",
            "baseline",
            "target",
            "question",
            "note",
            "meaning",
            "same_as",
            "adopted_name",
            "known_after",
        },
        place,
    )
    kind = r.enum(
        MetricKind, t.get("kind"), f"{place}.kind", "yes_no, number, count, survey, completion"
    )
    unit = r.string(t, "unit", place, required=False)
    scale: tuple[Decimal, Decimal] | None = None
    if "scale" in t:
        raw = t["scale"]
        if isinstance(raw, list) and len(raw) == 2:
            low, high = r.decimal(raw[0], f"{place}.scale"), r.decimal(raw[1], f"{place}.scale")
            if low is not None and high is not None:
                if low >= high:
                    r.problem(f"{place}.scale", "must be [low, high] with low < high")
                scale = (low, high)
        else:
            r.problem(f"{place}.scale", "must be [low, high], e.g. [1, 5]")
    if kind == MetricKind.SURVEY and scale is None and unit != "%":
        r.problem(f"{place}.scale", 'a survey needs a scale such as [1, 5], or unit = "%"')
    decimals = r.optional_int(t, "decimals", place, minimum=0)
    cadence = _read_cadence(r, t.get("cadence", {}), f"{place}.cadence")
    is_yes_no = kind == MetricKind.YES_NO
    lag = r.optional_int(t, "known_after", place, minimum=0) or 0
    if lag and is_yes_no:
        r.problem(f"{place}.known_after", "only a figure is known after its period")
    elif lag > MAX_LAG:
        r.problem(f"{place}.known_after", f"at most {MAX_LAG} quarters, not {lag}")
    baseline = _read_baseline(r, t.get("baseline"), f"{place}.baseline", is_yes_no)
    target = _read_target(r, t.get("target"), f"{place}.target", kind)
    meaning = Meaning.DELIVERABLE
    if "meaning" in t:
        if not is_yes_no:
            r.problem(f"{place}.meaning", "only a yes/no metric has a meaning")
        read = r.enum(
            Meaning, t["meaning"], f"{place}.meaning", ", ".join(m.value for m in Meaning)
        )
        meaning = read or meaning
    if meaning == Meaning.RECURRING and cadence.kind not in (
        CadenceKind.YEARLY,
        CadenceKind.ODD_YEARS,
        CadenceKind.EVEN_YEARS,
    ):
        r.problem(
            f"{place}.cadence", "a recurring action needs a yearly, odd_years or even_years cadence"
        )
    return Metric(
        key=key,
        goal_id=goal_id,
        name=r.string(t, "name", place),
        kind=kind or MetricKind.NUMBER,
        baseline=baseline,
        target=target,
        unit=unit,
        scale=scale,
        decimals=decimals,
        cadence=cadence,
        question=r.string(t, "question", place, required=False),
        note=r.string(t, "note", place, required=False),
        meaning=meaning,
        same_as=r.string(t, "same_as", place, required=False),
        adopted_name=r.string(t, "adopted_name", place, required=False),
        lag=lag,
        translations=r.translations(place),
    )


def _read_cadence(r: _Reader, raw: Any, place: str) -> Cadence:
    if isinstance(raw, str):
        raw = {"every": raw}
    t = r.table(raw, place)
    r.unknown_keys(t, {"every", "quarter", "by"}, place)
    kind = r.enum(
        CadenceKind,
        t.get("every", "quarterly"),
        f"{place}.every",
        "quarterly, yearly, odd_years, even_years, once",
    )
    quarter = r.optional_int(t, "quarter", place)
    if quarter is not None and not 1 <= quarter <= 4:
        r.problem(f"{place}.quarter", "must be 1–4")
    by = r.date(t.get("by"), f"{place}.by")
    if kind == CadenceKind.ONCE and "by" not in t:
        r.problem(f"{place}.by", "a cadence of 'once' needs the date 'by'")
    return Cadence(kind or CadenceKind.QUARTERLY, quarter, by)


def _read_value(r: _Reader, raw: Any, place: str, is_yes_no: bool) -> Decimal | bool | None:
    if raw is None:
        return None
    if is_yes_no:
        if isinstance(raw, bool):
            return raw
        r.problem(place, "a yes/no metric takes true or false")
        return None
    return r.decimal(raw, place)


def _read_observation(r: _Reader, raw: Any, place: str, is_yes_no: bool) -> Observation:
    t = r.table(raw, place)
    r.unknown_keys(t, {"value", "as_of", "date", "note"}, place)
    return Observation(
        _read_value(r, t.get("value"), f"{place}.value", is_yes_no),
        r.string(t, "as_of", place, required=False),
        r.date(t.get("date"), f"{place}.date"),
        r.string(t, "note", place, required=False),
    )


def _read_baseline(r: _Reader, raw: Any, place: str, is_yes_no: bool) -> Baseline:
    if raw is None:
        r.problem(place, "missing (write measured = false if there is none yet)")
        return Baseline(measured=False)
    t = r.table(raw, place)
    r.unknown_keys(t, {"measured", "value", "as_of", "date", "note", "history"}, place)
    measured = t.get("measured", "value" in t)
    if not isinstance(measured, bool):
        r.problem(f"{place}.measured", "must be true or false")
        measured = False
    value = _read_value(r, t.get("value"), f"{place}.value", is_yes_no)
    if not measured and value is not None:
        r.problem(f"{place}.value", "a baseline that is not measured has no value")
    history_raw = t.get("history", [])
    if not isinstance(history_raw, list):
        r.problem(f"{place}.history", "must be an array of tables")
        history_raw = []
    history = tuple(
        _read_observation(r, h, f"{place}.history[{i}]", is_yes_no)
        for i, h in enumerate(history_raw)
    )
    return Baseline(
        measured,
        value,
        r.string(t, "as_of", place, required=False),
        r.date(t.get("date"), f"{place}.date"),
        r.string(t, "note", place, required=False),
        history,
        r.translations(place),
    )


def _read_target(r: _Reader, raw: Any, place: str, kind: MetricKind | None) -> Target:
    if raw is None:
        r.problem(place, "missing")
        return Target(Rule.DONE)
    t = r.table(raw, place)
    r.unknown_keys(
        t,
        {
            "rule",
            "value",
            "by",
            "text",
            "reference",
            "rate",
            "total",
            "from_year",
            "tolerance",
            "compared_with",
            "also",
        },
        place,
    )
    rule = r.enum(Rule, t.get("rule"), f"{place}.rule", ", ".join(x.value for x in Rule))
    is_yes_no = kind == MetricKind.YES_NO
    value = _read_value(r, t.get("value"), f"{place}.value", is_yes_no)
    if rule is not None and kind is not None:
        if is_yes_no and rule != Rule.DONE:
            r.problem(f"{place}.rule", "a yes/no metric is judged by rule 'done'")
        if not is_yes_no and rule == Rule.DONE:
            r.problem(f"{place}.rule", "rule 'done' is for yes/no metrics")
        if rule in {Rule.AT_MOST, Rule.AT_LEAST, Rule.BELOW, Rule.REACH} and value is None:
            r.problem(f"{place}.value", f"rule {rule.value!r} needs a target value")
        if rule == Rule.REACH and "by" not in t:
            r.problem(f"{place}.by", "rule 'reach' needs the date 'by'")
    reference: Reference | None = None
    if "reference" in t:
        ref = r.table(t["reference"], f"{place}.reference")
        r.unknown_keys(
            ref, {"label", "value", "unit", "as_of", "note", "metric"}, f"{place}.reference"
        )
        reference = Reference(
            r.string(ref, "label", f"{place}.reference"),
            r.decimal(ref.get("value"), f"{place}.reference.value"),
            r.string(ref, "unit", f"{place}.reference", required=False),
            r.string(ref, "as_of", f"{place}.reference", required=False),
            r.string(ref, "note", f"{place}.reference", required=False),
            r.string(ref, "metric", f"{place}.reference", required=False),
        )
    if rule == Rule.RELATIVE and reference is None:
        r.problem(f"{place}.reference", "rule 'relative' needs a reference figure")
    rate = r.decimal(t.get("rate"), f"{place}.rate")
    if rule == Rule.ANNUAL_RATE and rate is None:
        r.problem(f"{place}.rate", "rule 'annual_rate' needs the rate (% a year)")
    compared_with = Comparison.PREVIOUS
    if "compared_with" in t:
        read = r.enum(
            Comparison,
            t["compared_with"],
            f"{place}.compared_with",
            ", ".join(c.value for c in Comparison),
        )
        compared_with = read or compared_with
    also: Rule | None = None
    if "also" in t:
        also = r.enum(Rule, t["also"], f"{place}.also", "increase, decrease")
        if also is not None and also not in _SECOND_RULES:
            r.problem(f"{place}.also", f"{also.value!r} is not one of: increase, decrease")
            also = None
        if is_yes_no:
            r.problem(f"{place}.also", "a yes/no metric has no second condition")
    return Target(
        rule=rule or Rule.DONE,
        value=value,
        by=r.date(t.get("by"), f"{place}.by"),
        text=r.string(t, "text", place, required=False),
        reference=reference,
        rate=rate,
        total=r.decimal(t.get("total"), f"{place}.total"),
        from_year=r.optional_int(t, "from_year", place),
        tolerance=r.decimal(t.get("tolerance"), f"{place}.tolerance"),
        compared_with=compared_with,
        also=also,
        translations=r.translations(place),
    )
