"""The goal catalogue: goals, their metrics, baselines, targets and cadences."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Protocol, TypeVar

from goalbot.domain.periods import Period

Translations = tuple[tuple[str, str, str], ...]
"""A catalogue text in other languages than the catalogue's own: (field, language, text),
e.g. ``("title", "sv", "Bygglov behandlas snabbt.")``."""


class Translated:
    """Something of the catalogue whose texts may be written in several languages."""

    translations: Translations

    def text_in(self, name: str, language: str) -> str | None:
        """The text ``name`` (a field, e.g. ``title``) in ``language``, or None if the
        catalogue does not have it in that language."""
        for field_name, text_language, text in self.translations:
            if field_name == name and text_language == language:
                return text
        return None


class Tier(StrEnum):
    """Where a goal sits in the adopted document."""

    STRATEGIC = "strategic"  # city strategic metrics (Mittarimme / Tavoitteemme / Tilannekuva)
    DEPARTMENT = "department"  # department goals binding towards the council
    AREA = "area"  # responsibility-area goals binding towards a board


class MetricKind(StrEnum):
    """How a metric is answered; each kind has its own question and validation."""

    YES_NO = "yes_no"
    NUMBER = "number"
    COUNT = "count"
    SURVEY = "survey"
    COMPLETION = "completion"


class Rule(StrEnum):
    """How a target is judged."""

    DONE = "done"  # yes/no: the answer must be the target value (usually "Kyllä"), by a date
    AT_MOST = "at_most"  # value ≤ target value
    AT_LEAST = "at_least"  # value ≥ target value
    BELOW = "below"  # value < target value
    INCREASE = "increase"  # grows compared with the previous value
    DECREASE = "decrease"  # falls compared with the previous value
    MAINTAIN = "maintain"  # stays at the previous value (change within tolerance)
    POSITIVE = "positive"  # the figure itself is above zero
    REACH = "reach"  # reach the target value by a date, on a path from the baseline
    ANNUAL_RATE = "annual_rate"  # change by rate % a year (e.g. −2.5 % a year)
    RELATIVE = "relative"  # same level as (or better than) a reference figure
    AT_LEAST_PREVIOUS = "at_least_previous"  # survey result at least the previous one
    REFERENCE = "reference"  # a comparison figure for another metric, not judged itself


class Meaning(StrEnum):
    """What "Kyllä" means for a yes/no metric; each meaning is judged in its own way."""

    DELIVERABLE = "deliverable"  # done once: by target.by, else by the end of the term
    STATE = "state"  # holds or not; judged every time it is asked
    RECURRING = "recurring"  # done once in every year its cadence names, by that year's end


class Comparison(StrEnum):
    """Which earlier figure a figure is compared with (trend, "must grow", surveys)."""

    PREVIOUS = "previous"  # the latest earlier figure (answers, baseline and its history)
    BASELINE = "baseline"  # the baseline value
    YEAR_BEFORE = "year_before"  # the figure of the same quarter a year earlier (seasonal)


NUMERIC_KINDS = frozenset(
    {MetricKind.NUMBER, MetricKind.COUNT, MetricKind.SURVEY, MetricKind.COMPLETION}
)


class CadenceKind(StrEnum):
    """How often a metric can have a new value."""

    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    ODD_YEARS = "odd_years"
    EVEN_YEARS = "even_years"
    ONCE = "once"


@dataclass(frozen=True)
class Cadence:
    """When a metric is asked: every quarter, once a year, every other year or once."""

    kind: CadenceKind = CadenceKind.QUARTERLY
    quarter: int | None = None  # the quarter of the year when a yearly value is available
    by: date | None = None  # ONCE: the deliverable's date; asked each quarter up to it

    def occurs_in(self, year: int) -> bool:
        """Whether a yearly, odd-year or even-year cadence has an occurrence in ``year``."""
        match self.kind:
            case CadenceKind.ODD_YEARS:
                return year % 2 == 1
            case CadenceKind.EVEN_YEARS:
                return year % 2 == 0
        return True

    def is_due(self, period: Period) -> bool:
        """Whether the metric can have a new value in ``period``."""
        quarter = self.quarter or 4
        match self.kind:
            case CadenceKind.QUARTERLY:
                return True
            case CadenceKind.YEARLY:
                return period.quarter == quarter
            case CadenceKind.ODD_YEARS:
                return period.year % 2 == 1 and period.quarter == quarter
            case CadenceKind.EVEN_YEARS:
                return period.year % 2 == 0 and period.quarter == quarter
            case CadenceKind.ONCE:
                return self.by is None or period.first_day <= self.by
        return False  # pragma: no cover - StrEnum is exhaustive


@dataclass(frozen=True)
class Observation:
    """A known figure with its date, as the document states it (e.g. ``11,9 % (02/2026)``)."""

    value: Decimal | bool | None
    as_of: str = ""  # as written: "12/2025", "v. 2025", "kevät 2025"
    on: date | None = None  # the same as a date, when it is one
    note: str = ""


@dataclass(frozen=True)
class Reference:
    """A comparison figure (the national average, the Satakunta level)."""

    label: str
    value: Decimal | None
    unit: str = ""
    as_of: str = ""
    note: str = ""
    metric: str = ""  # the id of the metric that asks for the figure, when it is not known


@dataclass(frozen=True)
class Baseline(Translated):
    """The starting level (lähtötaso), or the honest fact that it is not yet measured."""

    measured: bool
    value: Decimal | bool | None = None
    as_of: str = ""
    on: date | None = None
    note: str = ""  # the document's own words
    history: tuple[Observation, ...] = ()  # earlier/later figures the document gives
    translations: Translations = ()  # its note in other languages


@dataclass(frozen=True)
class Target(Translated):
    """The target level (tavoitetaso) and how it is judged."""

    rule: Rule
    value: Decimal | bool | None = None
    by: date | None = None
    text: str = ""  # the document's own words
    reference: Reference | None = None  # RELATIVE targets
    rate: Decimal | None = None  # ANNUAL_RATE: % change a year, e.g. −2.5
    total: Decimal | None = None  # ANNUAL_RATE: % change over the whole span, e.g. −10
    from_year: int | None = None  # ANNUAL_RATE: the reference year, e.g. 2025
    tolerance: Decimal | None = None  # MAINTAIN: allowed change either way
    compared_with: Comparison = Comparison.PREVIOUS
    also: Rule | None = None  # a second condition against the compared figure (INCREASE …)
    translations: Translations = ()  # its text in other languages


@dataclass(frozen=True)
class Metric(Translated):
    """One measurable thing (mittari) of a goal."""

    key: str  # unique within the goal, e.g. "1"
    goal_id: str
    name: str
    kind: MetricKind
    baseline: Baseline
    target: Target
    unit: str = ""
    scale: tuple[Decimal, Decimal] | None = None  # surveys on a scale, e.g. (1, 5)
    decimals: int | None = None
    cadence: Cadence = field(default_factory=Cadence)
    question: str = ""  # an optional wording of the question to the owner
    note: str = ""  # an editorial note: never shown as the adopted document's words
    meaning: Meaning = Meaning.DELIVERABLE  # yes/no metrics only
    same_as: str = ""  # the id of the metric that is asked instead (one figure, two goals)
    adopted_name: str = ""  # the Mittari cell as the document writes it, where name differs
    lag: int = 0  # quarters from the period a figure describes to the round that first asks it
    translations: Translations = ()  # its texts in other languages

    @property
    def id(self) -> str:
        """Catalogue-wide id, e.g. ``TEK-RV-1.1``."""
        return f"{self.goal_id}.{self.key}"

    @property
    def answered_as(self) -> str:
        """The id whose answers this metric shows (itself, or the metric it is the same as)."""
        return self.same_as or self.id

    @property
    def due_date(self) -> date | None:
        """The date a deliverable or a figure target is due (the target's, else the cadence's)."""
        return self.target.by or self.cadence.by

    def is_asked(self, period: Period, yes: Collection[Period] = ()) -> bool:
        """Whether the metric's owner is asked for it in ``period`` (see is_due).

        A metric that is the same as another is never asked: the other one is.
        """
        return not self.same_as and self.is_due(period, yes)

    def is_due(self, period: Period, yes: Collection[Period] = ()) -> bool:
        """Whether the metric wants an answer in ``period``.

        ``yes``: the periods before ``period`` in which it was answered "Kyllä". A deliverable
        reported done is not asked again; one not done is asked until it is, also after its
        date. A recurring action is asked in every quarter of each year it occurs in (from the
        cadence's ``quarter``, default the first) until it is done that year.
        """
        if self.kind != MetricKind.YES_NO:
            return self.cadence.is_due(period)
        match self.meaning:
            case Meaning.DELIVERABLE:
                if any(p < period for p in yes):
                    return False
                return self.cadence.kind == CadenceKind.ONCE or self.cadence.is_due(period)
            case Meaning.RECURRING:
                if any(p.year == period.year and p < period for p in yes):
                    return False
                return self.cadence.occurs_in(period.year) and period.quarter >= (
                    self.cadence.quarter or 1
                )
        return self.cadence.is_due(period)

    def first_asked(self, described: Period) -> Period:
        """The round that first asks for the figure describing ``described`` (its lag later)."""
        return described.shifted(self.lag)

    def describes(self, round_period: Period) -> Period:
        """The period whose figure ``round_period``'s round first asks for."""
        return round_period.shifted(-self.lag)

    @property
    def describes_years(self) -> bool:
        """Whether each figure is a year's (yearly or every-other-year cadences)."""
        return self.cadence.kind in (
            CadenceKind.YEARLY,
            CadenceKind.ODD_YEARS,
            CadenceKind.EVEN_YEARS,
        )

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    @property
    def is_percentage(self) -> bool:
        return self.kind == MetricKind.COMPLETION or self.unit.strip() == "%"


@dataclass(frozen=True)
class Role(Translated):
    """An owner role (e.g. the head of the technical department); people are mapped to it."""

    id: str
    name: str
    reports_to: str | None = None  # the next role up, for escalation
    translations: Translations = ()  # its texts in other languages


@dataclass(frozen=True)
class Body(Translated):
    """The body the goals are binding towards (council, a board)."""

    id: str
    name: str
    translations: Translations = ()  # its name in other languages


@dataclass(frozen=True)
class Department(Translated):
    """A department (osasto / toimiala)."""

    id: str
    name: str
    short_name: str
    head_role: str
    aliases: tuple[str, ...] = ()
    translations: Translations = ()  # its texts in other languages


@dataclass(frozen=True)
class Area(Translated):
    """A responsibility area (vastuualue) inside a department."""

    id: str
    name: str
    department: str
    owner_role: str
    aliases: tuple[str, ...] = ()
    short_name: str = ""  # the name in the document's tables, where ``name`` had to differ
    translations: Translations = ()  # its texts in other languages

    @property
    def table_name(self) -> str:
        """The area's name as the adopted tables write it."""
        return self.short_name or self.name


@dataclass(frozen=True)
class Theme(Translated):
    """A strategic theme (e.g. Hyvinvoiva koti)."""

    id: str
    name: str
    translations: Translations = ()  # its name in other languages


@dataclass(frozen=True)
class Goal(Translated):
    """A goal with its action and metrics."""

    id: str
    tier: Tier
    body: str
    title: str
    owner_role: str
    metrics: tuple[Metric, ...]
    department: str | None = None
    area: str | None = None
    theme: str | None = None
    action: str = ""
    note: str = ""
    order: int = 0
    translations: Translations = ()  # its texts in other languages

    def metric(self, key: str) -> Metric:
        """The metric with ``key``; KeyError if none."""
        for metric in self.metrics:
            if metric.key == key:
                return metric
        raise KeyError(f"{self.id}.{key}")

    def metrics_due(
        self, period: Period, yes: Mapping[str, Collection[Period]] | None = None
    ) -> tuple[Metric, ...]:
        """The metrics asked in ``period`` (see Metric.is_asked).

        ``yes``: metric id → the earlier periods it was answered "Kyllä" in.
        """
        yes = yes or {}
        return tuple(m for m in self.metrics if m.is_asked(period, yes.get(m.id, ())))


DEFAULT_ASKED_ROUNDS = 3
"""Rounds that ask for a figure: its first round and, while it is missing, the next two."""

SHEET_NAME_LIMIT = 31
"""Spreadsheets cut sheet names longer than this."""


@dataclass(frozen=True)
class Table:
    """One table of the adopted document: its heading and the goals it holds.

    A goal belongs to the table of its tier, body and (for department and area goals) its
    department; the exports lay each table out as the document does.
    """

    tier: Tier
    body: str
    department: str | None
    title: str  # the document's heading ("" where the document has none)
    sheet: str = ""  # a short name for a spreadsheet tab, at most SHEET_NAME_LIMIT characters

    def holds(self, goal: Goal) -> bool:
        """Whether ``goal`` is one of this table's."""
        return Table.key_of(goal) == self.key

    @property
    def key(self) -> tuple[Tier, str, str | None]:
        """What a goal of this table has (see key_of)."""
        return (self.tier, self.body, self.department)

    @staticmethod
    def key_of(goal: Goal) -> tuple[Tier, str, str | None]:
        """The tier, body and (but for a strategic goal) department of ``goal``: the key of
        the table it belongs to."""
        department = None if goal.tier == Tier.STRATEGIC else goal.department
        return (goal.tier, goal.body, department)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_Item = TypeVar("_Item", bound=_HasId)


def _by_id(items: Iterable[_Item], upper: bool = False) -> dict[str, _Item]:
    """Items by id (upper-cased: ``upper``); the first of a duplicate id, as a scan finds."""
    found: dict[str, _Item] = {}
    for item in items:
        found.setdefault(item.id.upper() if upper else item.id, item)
    return found


def _found(items: Mapping[str, _Item], key: str, asked: str | None = None) -> _Item:
    try:
        return items[key]
    except KeyError:
        raise KeyError(asked if asked is not None else key) from None


@dataclass(frozen=True)
class Catalogue(Translated):
    """A municipality's adopted goals for a term."""

    id: str
    municipality: str
    title: str
    first_period: Period
    last_period: Period
    roles: tuple[Role, ...]
    bodies: tuple[Body, ...]
    departments: tuple[Department, ...]
    areas: tuple[Area, ...]
    themes: tuple[Theme, ...]
    goals: tuple[Goal, ...]
    source: str = ""
    language: str = "fi"
    manager_role: str | None = None  # the town manager: last step of escalation
    tables: tuple[Table, ...] = ()  # the document's tables, in its order (see adopted_tables)
    asked_rounds: int = DEFAULT_ASKED_ROUNDS  # rounds that ask for a figure still missing
    translations: Translations = ()  # its texts in other languages

    @cached_property
    def last_round(self) -> Period:
        """The last round the term needs: every figure of its periods is asked for, in its
        first round and again while missing (its last figures are collected after the term)."""
        lag = max((m.lag for m in self.metrics() if m.is_numeric), default=0)
        return self.last_period.shifted(lag + self.asked_rounds - 1)

    def has_round(self, period: Period) -> bool:
        """Whether the catalogue has an answering round for ``period``."""
        return self.first_period <= period <= self.last_round

    def rounds(self) -> Iterator[Period]:
        """Every round's period, from the term's first to ``last_round``."""
        period = self.first_period
        while period <= self.last_round:
            yield period
            period = period.next()

    def adopted_tables(self) -> tuple[Table, ...]:
        """The document's tables in order: as the file lists them, else one for the strategic
        metrics and one per body and department for each tier (headings left to reports)."""
        if self.tables:
            return self.tables
        found: list[Table] = []
        for goal in self.goals:
            if not any(t.holds(goal) for t in found):
                department = None if goal.tier == Tier.STRATEGIC else goal.department
                found.append(Table(goal.tier, goal.body, department, ""))
        rank = {Tier.STRATEGIC: 0, Tier.DEPARTMENT: 1, Tier.AREA: 2}
        bodies = [b.id for b in self.bodies]
        return tuple(
            sorted(
                found,
                key=lambda t: (rank[t.tier], bodies.index(t.body) if t.body in bodies else 0),
            )
        )

    def goal(self, goal_id: str) -> Goal:
        """The goal with ``goal_id`` (case-insensitive); KeyError if none."""
        return _found(self._goals_by_id, goal_id.upper(), goal_id)

    def role(self, role_id: str) -> Role:
        return _found(self._roles_by_id, role_id)

    def department(self, department_id: str) -> Department:
        return _found(self._departments_by_id, department_id)

    def area(self, area_id: str) -> Area:
        return _found(self._areas_by_id, area_id)

    def body(self, body_id: str) -> Body:
        return _found(self._bodies_by_id, body_id)

    # looked up for every goal of a report: a scan of a large catalogue's hundreds of
    # departments and areas for each made a report quadratic in the catalogue

    @cached_property
    def _goals_by_id(self) -> dict[str, Goal]:
        return _by_id(self.goals, upper=True)

    @cached_property
    def _roles_by_id(self) -> dict[str, Role]:
        return _by_id(self.roles)

    @cached_property
    def _departments_by_id(self) -> dict[str, Department]:
        return _by_id(self.departments)

    @cached_property
    def _areas_by_id(self) -> dict[str, Area]:
        return _by_id(self.areas)

    @cached_property
    def _bodies_by_id(self) -> dict[str, Body]:
        return _by_id(self.bodies)

    def theme(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)

    def metric(self, metric_id: str) -> Metric:
        """The metric with ``metric_id`` (``GOAL-ID.key``); KeyError if none."""
        goal_id, _, key = metric_id.rpartition(".")
        return self.goal(goal_id).metric(key)

    def metrics(self) -> Iterator[Metric]:
        """Every metric of every goal, in catalogue order."""
        for goal in self.goals:
            yield from goal.metrics

    def goals_of_role(self, role_id: str) -> tuple[Goal, ...]:
        return self._goals_by_role.get(role_id, ())

    @cached_property
    def _goals_by_role(self) -> dict[str, tuple[Goal, ...]]:
        # asked for every role of every obligation: a scan of all goals each time was
        # quadratic in a catalogue of many roles
        found: dict[str, list[Goal]] = {}
        for goal in self.goals:
            found.setdefault(goal.owner_role, []).append(goal)
        return {role: tuple(goals) for role, goals in found.items()}

    def periods(self) -> Iterator[Period]:
        """Every reporting period the catalogue covers."""
        period = self.first_period
        while period <= self.last_period:
            yield period
            period = period.next()
