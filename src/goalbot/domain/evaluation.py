"""Judging each metric's latest answer against its target and baseline.

Evaluation rules
================

Terms used below:

- *known figures*: the figures of a metric by period: its answers with a figure, and the
  catalogue's baseline and baseline history, each at the quarter of its date (an answer
  wins over a catalogue figure of the same quarter). A completion percentage without a
  baseline starts from 0 in the quarter before the term.
- *comparison value*: the known figure the answer is compared with, as the target's
  `compared_with` says: `previous` (the default) the latest known figure before the period;
  `baseline` the baseline value; `year_before` the figure of the same quarter a year earlier
  (for seasonal figures such as unemployment), none if there is none. Trend (UP / DOWN /
  SAME) is the change from the comparison value; `improving` is True when that change goes
  the better way, False when it goes the worse way, None when there is no change, nothing to
  compare with, or no known better direction.
- *better direction*: lower for AT_MOST, BELOW and DECREASE and for a negative ANNUAL_RATE;
  higher for AT_LEAST, INCREASE, POSITIVE, MAINTAIN, AT_LEAST_PREVIOUS and a positive
  ANNUAL_RATE; for REACH from the baseline towards the target; for RELATIVE lower when the
  baseline is above the reference figure, otherwise higher; for yes/no towards the target
  answer.
- *quarters*: distances in time are counted in whole quarters, because answers are per quarter.
  A value belongs to the end of its period.
- *baseline period*: the quarter of `baseline.on`, else of the date read from `baseline.as_of`
  ("2025" and "v. 2025" are 31.12.2025, "12/2025" is 31.12.2025, "02/2026" is 28.2.2026,
  "31.12.2025" is itself; other words are ignored), else the quarter before the term starts
  (the baseline describes the situation when the goals were adopted), else unknown.
- *term*: the catalogue's first and last period, passed to `evaluate` as `term`; without it
  the rules that need the end of the term or a default baseline date cannot use them.
- *judgement day*: the day the verdict is given, passed as `judged_on`: the day the round
  closes (or is planned to close); without it the last day of the period. Yes/no deadlines
  are judged on it, so a deliverable due 31.12.2026 and not done is overdue in the report of
  the round that closes in January 2027.
- *deadline*: `target.by` (else the cadence's `by`), else the end of the term.
- *near*: a figure within 5 % of the target value from it (a tolerance relative to the
  target, so it needs no baseline): 29 trees against at least 30 is near.
- *target path*: what a figure is measured against over time, one definition for the judge
  and the chart (`target_path`): for REACH a straight line in quarters from the baseline
  value at the baseline period to the target at the deadline; for ANNUAL_RATE from 0 at the
  end of `target.from_year` (else the baseline period, else the quarter before the term)
  changing by `rate` % a year, never beyond `total`, to the deadline (with only a `total`
  and a date, the total pro rata); a level for AT_MOST / AT_LEAST / BELOW (the target),
  RELATIVE (the reference figure) and POSITIVE (0). `expected` is the path value at the end
  of the period, rounded half up to the metric's `decimals`, else to as many decimals as the
  answer has, as an owner cannot report a figure more precisely than that.
- `expected` is the level the value was compared with: the path value for REACH and
  ANNUAL_RATE, the target value for AT_MOST / AT_LEAST / BELOW, the comparison value for
  INCREASE / DECREASE / MAINTAIN / AT_LEAST_PREVIOUS, the reference figure for RELATIVE, 0 for
  POSITIVE and nothing for yes/no.

A figure known from an earlier period: when the metric is not asked this period and no value
was given for it (a survey of every other year, the term's last figure in the reports of
2030), the latest earlier figure is judged for the period it describes, with that period's
earlier figures, and the verdict is the metric's in every later report: the figure in `value`
with its period in `value_period`, no `previous` (the verdict does not change from one report
to the next). A RELATIVE target, judged against a figure given for its own period, is not
judged so, nor a figure from before the term (what the term starts from).

States without a judgement (never counted as a missed target):

- The metric is not asked this period, no value was given and no earlier figure is judged
  (see above): NOT_DUE
  (`not_due_this_period`). The latest earlier value is carried in `value` with its period in
  `value_period`; there is no trend. Yes/no metrics are the exception: see below. A value
  given in a quarter the cadence does not ask for is judged as usual.
- Asked but no answer: NO_ANSWER (`no_answer`); `previous` still shows the last value.
- "Ei tietoa vielä": NO_DATA (`no_data`). It is an answer (the figure is not published yet),
  not a gap, so it has a state of its own.
- Skipped with a reason: SKIPPED (`skipped`); the reason stays in `value.reason`.
- A value of the wrong kind for the metric (a yes/no for a figure or the other way round,
  e.g. after the catalogue changed): NO_ANSWER (`unusable_value`).
- A figure that cannot be judged: NOT_JUDGED. A RELATIVE target whose reference figure is
  neither in the catalogue nor given for the period (`no_reference_value`): it is never
  judged on its own trend alone. A REFERENCE metric, which only supplies another metric's
  comparison figure (`reference_figure`).

Yes/no metrics, by their `meaning`:

- A *deliverable* is done once. Its first "Kyllä" up to the period decides: given for a
  quarter that begins on or before the due date ON_TRACK (`done`), later ON_TRACK
  (`done_late`), with the quarter of that answer in `value_period`; a later answer does not
  undo it, and a deliverable reported done is not asked again. Not done (answered "Ei", or
  not asked): judged on the judgement day against the due date, `target.by` (else the
  cadence's `by`), else the end of the term: passed OFF_TRACK (`overdue`); within three
  months (a dated deliverable) or within a year (due at the end of the term) AT_RISK
  (`due_soon`); otherwise ON_TRACK (`not_yet_due`). Without a due date or a term: AT_RISK
  (`not_done`). A deliverable not asked this period and not done is NOT_DUE until its due
  date has passed, then OFF_TRACK (`overdue`).
- A *state* holds or not every time it is asked: "Kyllä" ON_TRACK (`holds`), "Ei" OFF_TRACK
  (`does_not_hold`).
- A *recurring* action occurs in every year of the term its cadence names (every year, odd
  or even years) and is judged per occurrence, by the end of its year. In an occurrence
  year, from the cadence's `quarter` (default the first): done that year ON_TRACK (`done`);
  not done judged as a deliverable due on 31 December of that year. In the other quarters
  the latest occurrence's outcome is carried: done ON_TRACK (`done`), missed OFF_TRACK
  (`missed`), none yet NOT_DUE. Every missed occurrence of an earlier year is listed in
  `missed`, so it stays visible in later reports.

Figure rules:

- Completion percentage (kind COMPLETION): 100 % is ON_TRACK (`target_reached`) whatever the
  rule; with REACH or AT_LEAST the target defaults to 100 and the baseline to 0; with
  `target.by` it is judged as REACH, otherwise as AT_LEAST.
- AT_MOST (value <= target), AT_LEAST (value >= target), BELOW (value < target) and
  POSITIVE (value > 0): target met: ON_TRACK (`target_met`). Not met and the deadline's
  quarter reached: OFF_TRACK (`target_missed`), never "near". Not met but near: AT_RISK
  (`near_target`); for POSITIVE only 0 itself is near. Not met but improving: AT_RISK
  (`improving`), unless the pace since the comparison value (change per quarter), continued
  to the deadline, would still not meet the target: then OFF_TRACK (`too_slow`); when the
  deadline or the comparison value's period is unknown, the pace is not judged. Otherwise
  OFF_TRACK (`target_not_met`). Unemployment 12 % (12/2025) then 11,0 % in Q4/2026 against
  below 8 % by the end of 2029, compared with the year before: 0,25 points a quarter reaches
  only 8,0 % by Q4/2029, so OFF_TRACK (`too_slow`); 10,9 % would reach 7,9 %: AT_RISK
  (`improving`). Net migration (POSITIVE) and population change (AT_LEAST 0) are judged
  alike.
- INCREASE / DECREASE: better than the comparison value: ON_TRACK (`better_than_previous`);
  the same: AT_RISK (`same_as_previous`); worse: OFF_TRACK (`worse_than_previous`). Nothing to
  compare with: ON_TRACK (`first_result`), the first figure sets the level.
- MAINTAIN: the level is the comparison value, else the target value. Within
  `target.tolerance` (default 0) of it: ON_TRACK (`within_tolerance`); above it: ON_TRACK
  (`above_level`), as keeping a level is about not falling below it; below it: OFF_TRACK
  (`below_level`). No level: ON_TRACK (`first_result`).
- REACH (the target value by the deadline, on the target path): from the deadline's quarter
  on: reached ON_TRACK (`target_reached`), else OFF_TRACK (`target_missed`). Before it:
  reached ON_TRACK (`target_reached`); on the path or better ON_TRACK (`on_path`); behind the
  path but within 10 % of the baseline-to-target distance from it, or better than the
  baseline, or improving: AT_RISK (`behind_path`); otherwise OFF_TRACK (`off_path`). Without
  a path (no baseline value or period, or a baseline at or after the deadline): reached
  ON_TRACK (`target_reached`), near AT_RISK (`near_target`), improving or nothing to compare
  with AT_RISK (`no_path`), otherwise OFF_TRACK (`no_path`).
- ANNUAL_RATE (e.g. energy -2,5 % a year, -10 % from 2025 to 2029): the answer is the
  cumulative change in per cent since the path's start; `expected` is the path value. At or
  beyond expected: ON_TRACK (`on_path`); short of it but changed in the right direction or
  improving: AT_RISK (`behind_path`); otherwise OFF_TRACK (`off_path`). From the deadline's
  quarter on: at or beyond expected ON_TRACK (`target_reached`), else OFF_TRACK
  (`target_missed`). Neither rate nor a total with a usable start: judged as REACH without a
  path (`no_path`).
- RELATIVE (a reference figure, e.g. greenhouse gases 8 t/resident against Satakunta 5,7): the
  answer is the municipality's own figure; the reference is `target.reference.value`, else
  the figure given for the period to the metric `target.reference.metric` (passed to
  `evaluate` as `reference`), else `target.value`. At or better than the reference: ON_TRACK
  (`reference_met`); improving: AT_RISK (`approaching_reference`); otherwise OFF_TRACK
  (`behind_reference`). No reference figure: NOT_JUDGED (`no_reference_value`).
- AT_LEAST_PREVIOUS (surveys): at least the comparison value (the previous survey result, else
  the baseline): ON_TRACK (`at_least_previous`); below it by at most 0,1 on a scale, 2
  percentage points for a percentage, or 2 % of the previous figure otherwise: AT_RISK
  (`slightly_below_previous`); further below: OFF_TRACK (`below_previous`); nothing to
  compare with: ON_TRACK (`first_result`).
- A second condition, `target.also` (INCREASE or DECREASE, e.g. bio-waste lower every year
  and 10 715 kg by the end of 2028): judged as that rule against the comparison value, and
  the worse of the two verdicts stands (the second's reason when it is the worse).
- A figure rule whose target has no value (AT_MOST, AT_LEAST, BELOW, REACH) is judged by trend
  only, with `no_target_value`: improving or nothing to compare with ON_TRACK, no change
  AT_RISK, worse OFF_TRACK.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import NamedTuple

from goalbot.domain.answers import Answer, AnswerState, AnswerValue
from goalbot.domain.goals import Baseline, Comparison, Meaning, Metric, MetricKind, Rule
from goalbot.domain.periods import Period

__all__ = [
    "Direction",
    "Evaluation",
    "PathPoint",
    "Reason",
    "Status",
    "TargetPath",
    "Term",
    "Trend",
    "baseline_period",
    "better_direction",
    "evaluate",
    "is_target_missed",
    "parse_as_of",
    "summarise",
    "target_path",
]

NEAR_SHARE = Decimal("0.05")
"""Share of the target value within which a miss counts as near."""

PATH_NEAR_SHARE = Decimal("0.1")
"""Share of the baseline-to-target distance within which a figure behind its path is near."""

DATED_WARNING_MONTHS = 3
"""A dated deliverable not done is at risk from this many months before its date."""

TERM_WARNING_MONTHS = 12
"""A deliverable due at the end of the term is at risk from this many months before it."""

SURVEY_SCALE_MARGIN = Decimal("0.1")
SURVEY_PERCENT_MARGIN = Decimal("2")
SURVEY_OTHER_MARGIN_SHARE = Decimal("0.02")

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


class Status(StrEnum):
    """The verdict on one metric for one period (a traffic light, or why there is none)."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_ANSWER = "no_answer"
    NO_DATA = "no_data"
    SKIPPED = "skipped"
    NOT_DUE = "not_due"
    NOT_JUDGED = "not_judged"


class Trend(StrEnum):
    """Which way the figure moved since the comparison value."""

    UP = "up"
    DOWN = "down"
    SAME = "same"
    UNKNOWN = "unknown"


class Direction(StrEnum):
    """Which way is better for a metric."""

    HIGHER = "higher"
    LOWER = "lower"


class Reason(StrEnum):
    """Machine codes explaining a verdict; templates render them as sentences."""

    NOT_DUE_THIS_PERIOD = "not_due_this_period"
    NO_ANSWER = "no_answer"
    NO_DATA = "no_data"
    SKIPPED = "skipped"
    UNUSABLE_VALUE = "unusable_value"
    DONE = "done"
    DONE_LATE = "done_late"
    NOT_YET_DUE = "not_yet_due"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    NOT_DONE = "not_done"
    HOLDS = "holds"
    DOES_NOT_HOLD = "does_not_hold"
    MISSED = "missed"
    TARGET_MET = "target_met"
    NEAR_TARGET = "near_target"
    IMPROVING = "improving"
    TOO_SLOW = "too_slow"
    TARGET_NOT_MET = "target_not_met"
    FIRST_RESULT = "first_result"
    BETTER_THAN_PREVIOUS = "better_than_previous"
    SAME_AS_PREVIOUS = "same_as_previous"
    WORSE_THAN_PREVIOUS = "worse_than_previous"
    WITHIN_TOLERANCE = "within_tolerance"
    ABOVE_LEVEL = "above_level"
    BELOW_LEVEL = "below_level"
    TARGET_REACHED = "target_reached"
    TARGET_MISSED = "target_missed"
    ON_PATH = "on_path"
    BEHIND_PATH = "behind_path"
    OFF_PATH = "off_path"
    NO_PATH = "no_path"
    REFERENCE_MET = "reference_met"
    APPROACHING_REFERENCE = "approaching_reference"
    BEHIND_REFERENCE = "behind_reference"
    NO_REFERENCE_VALUE = "no_reference_value"
    REFERENCE_FIGURE = "reference_figure"
    NO_TARGET_VALUE = "no_target_value"
    AT_LEAST_PREVIOUS = "at_least_previous"
    SLIGHTLY_BELOW_PREVIOUS = "slightly_below_previous"
    BELOW_PREVIOUS = "below_previous"


@dataclass(frozen=True)
class Term:
    """The catalogue's reporting term, first and last period inclusive."""

    first: Period
    last: Period


@dataclass(frozen=True)
class Evaluation:
    """The verdict on one metric's answer for one period, with the figures behind it."""

    metric_id: str
    period: Period
    status: Status
    value: AnswerValue | None
    previous: AnswerValue | None
    change_from_previous: Decimal | None
    change_from_baseline: Decimal | None
    trend: Trend
    improving: bool | None
    expected: Decimal | None
    reason_code: str
    value_period: Period | None = None  # the period the value describes (carried or done)
    previous_period: Period | None = None
    compared_with: Decimal | None = None  # the comparison value (see the rules)
    compared_period: Period | None = None
    missed: tuple[Period, ...] = ()  # recurring: the earlier occurrences not done (year's Q4)


class _Verdict(NamedTuple):
    status: Status
    reason: Reason
    expected: Decimal | None = None


@dataclass(frozen=True)
class PathPoint:
    """A figure at the end of a quarter."""

    period: Period
    value: Decimal


@dataclass(frozen=True)
class TargetPath:
    """What a figure metric is measured against over time (see the rules' *target path*)."""

    baseline: PathPoint | None  # the starting figure
    points: tuple[PathPoint, ...]  # the path, one point a quarter from its start to its end
    level: Decimal | None  # a level to reach or stay beyond
    deadline: Period | None

    def expected(self, period: Period) -> Decimal | None:
        """The path value at the end of ``period`` (its end value after the deadline)."""
        if not self.points:
            return None
        first, last = self.points[0], self.points[-1]
        if period <= first.period:
            return first.value
        if period >= last.period:
            return last.value
        return self.points[first.period.quarters_to(period)].value


@dataclass(frozen=True)
class _Facts:
    """What the figure rules look at."""

    metric: Metric
    period: Period
    term: Term | None
    path: TargetPath
    value: Decimal
    comparison: Decimal | None
    comparison_period: Period | None
    baseline: Decimal | None
    direction: Direction | None
    change: Decimal | None  # value minus comparison
    improving: bool | None
    reference: Decimal | None


# ---------------------------------------------------------------- public helpers


def summarise(evaluations: Iterable[Evaluation]) -> Counter[Status]:
    """How many evaluations have each status."""
    return Counter(e.status for e in evaluations)


def is_target_missed(evaluation: Evaluation) -> bool:
    """Whether the verdict is AT_RISK or OFF_TRACK, i.e. an explanation is wanted."""
    return evaluation.status in (Status.AT_RISK, Status.OFF_TRACK)


_DAY_RE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_MONTH_RE = re.compile(r"\b(\d{1,2})\s*/\s*(\d{4})\b")
_YEAR_RE = re.compile(r"\b(\d{4})\b")


def parse_as_of(text: str) -> date | None:
    """Read the date a figure refers to from text like "2025", "v. 2025", "12/2025"."""
    if match := _DAY_RE.search(text):
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return None
    if match := _MONTH_RE.search(text):
        month, year = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            return None
        return date(year, month, calendar.monthrange(year, month)[1])
    if match := _YEAR_RE.search(text):
        return date(int(match.group(1)), 12, 31)
    return None


def _baseline_date(baseline: Baseline) -> date | None:
    return baseline.on or parse_as_of(baseline.as_of)


def baseline_period(metric: Metric, term: Term | None = None) -> Period | None:
    """The quarter the baseline value belongs to (see the module's rules)."""
    day = _baseline_date(metric.baseline)
    if day is not None:
        return Period.containing(day)
    return term.first.previous() if term is not None else None


def _effective_rule(metric: Metric) -> Rule:
    rule = metric.target.rule
    if metric.kind == MetricKind.COMPLETION and rule in (Rule.REACH, Rule.AT_LEAST):
        return Rule.REACH if metric.target.by is not None else Rule.AT_LEAST
    return rule


def _number(value: Decimal | bool | None) -> Decimal | None:
    # bool is not a Decimal subclass, so flags never pass as figures
    return value if isinstance(value, Decimal) else None


def _target_number(metric: Metric) -> Decimal | None:
    number = _number(metric.target.value)
    if number is None and metric.kind == MetricKind.COMPLETION:
        return _HUNDRED
    return number


def _path_start(metric: Metric) -> Decimal | None:
    number = _number(metric.baseline.value)
    if number is None and metric.kind == MetricKind.COMPLETION:
        return _ZERO
    return number


def _catalogue_reference(metric: Metric) -> Decimal | None:
    reference = metric.target.reference
    if reference is not None and reference.value is not None:
        return reference.value
    return None


def _reference_number(metric: Metric, given: Decimal | None = None) -> Decimal | None:
    found = _catalogue_reference(metric)
    if found is not None:
        return found
    if given is not None:
        return given
    return _number(metric.target.value)


def _target_flag(metric: Metric) -> bool:
    value = metric.target.value
    return value if isinstance(value, bool) else True


def better_direction(metric: Metric) -> Direction | None:
    """Which way is better for ``metric``; None when the target does not tell."""
    rule = _effective_rule(metric)
    match rule:
        case Rule.AT_MOST | Rule.BELOW | Rule.DECREASE:
            return Direction.LOWER
        case Rule.DONE:
            return Direction.HIGHER if _target_flag(metric) else Direction.LOWER
        case Rule.REACH:
            start, target = _path_start(metric), _target_number(metric)
            if start is not None and target is not None and target < start:
                return Direction.LOWER
            return Direction.HIGHER
        case Rule.ANNUAL_RATE:
            step = metric.target.rate if metric.target.rate is not None else metric.target.total
            if step is None or step == 0:
                return None
            return Direction.LOWER if step < 0 else Direction.HIGHER
        case Rule.RELATIVE:
            reference, baseline = _reference_number(metric), _number(metric.baseline.value)
            if reference is not None and baseline is not None and baseline > reference:
                return Direction.LOWER
            return Direction.HIGHER
        case Rule.REFERENCE:
            return None
    return Direction.HIGHER


def _at_or_better(value: Decimal, level: Decimal, direction: Direction | None) -> bool:
    return value <= level if direction == Direction.LOWER else value >= level


def _strictly_better(value: Decimal, level: Decimal, direction: Direction | None) -> bool:
    return value < level if direction == Direction.LOWER else value > level


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------- the target path


def _deadline(metric: Metric, term: Term | None) -> Period | None:
    if metric.target.by is not None:
        return Period.containing(metric.target.by)
    return term.last if term is not None else None


def _rate_start(metric: Metric, term: Term | None) -> Period | None:
    if metric.target.from_year is not None:
        return Period(metric.target.from_year, 4)
    return baseline_period(metric, term)


def _line(start: PathPoint, end: PathPoint) -> tuple[PathPoint, ...]:
    span = start.period.quarters_to(end.period)
    return tuple(
        PathPoint(start.period.shifted(i), start.value + (end.value - start.value) * i / span)
        for i in range(span + 1)
    )


def _rate_points(metric: Metric, start: Period, deadline: Period) -> tuple[PathPoint, ...]:
    target = metric.target
    span = start.quarters_to(deadline)
    points = []
    for i in range(span + 1):
        if target.rate is not None:
            value = target.rate * i / 4
            if target.total is not None and abs(value) > abs(target.total):
                value = target.total
        elif target.total is not None:
            value = target.total * i / span
        else:  # pragma: no cover - the caller checks for a rate or a total
            raise ValueError(metric.id)
        points.append(PathPoint(start.shifted(i), value))
    return tuple(points)


def target_path(metric: Metric, term: Term | None, reference: Decimal | None = None) -> TargetPath:
    """What ``metric``'s figures are measured against over time (see the module's rules)."""
    rule = _effective_rule(metric)
    deadline = _deadline(metric, term)
    start_period = baseline_period(metric, term)
    start_value = _path_start(metric)
    baseline = (
        PathPoint(start_period, start_value)
        if start_period is not None and start_value is not None
        else None
    )
    target = _target_number(metric)
    if rule == Rule.REACH and target is not None:
        if baseline is not None and deadline is not None and deadline > baseline.period:
            line = _line(baseline, PathPoint(deadline, target))
            return TargetPath(baseline, line, None, deadline)
        return TargetPath(baseline, (), target, deadline)
    if rule == Rule.ANNUAL_RATE:
        start = _rate_start(metric, term)
        has_step = metric.target.rate is not None or (
            metric.target.total is not None and metric.target.by is not None
        )
        if start is not None and deadline is not None and deadline > start and has_step:
            origin = PathPoint(start, _ZERO)
            return TargetPath(origin, _rate_points(metric, start, deadline), None, deadline)
        return TargetPath(None, (), None, deadline)
    level: Decimal | None = None
    if rule in (Rule.AT_MOST, Rule.AT_LEAST, Rule.BELOW, Rule.REACH):
        level = target
    elif rule == Rule.RELATIVE:
        level = _reference_number(metric, reference)
    elif rule == Rule.POSITIVE:
        level = _ZERO
    return TargetPath(baseline, (), level, deadline)


# ---------------------------------------------------------------- known figures


def _known_figures(
    metric: Metric, earlier: Sequence[Answer], term: Term | None
) -> dict[Period, Decimal]:
    """The figures of the periods before the judged one: catalogue figures, then answers."""
    figures: dict[Period, Decimal] = {}
    base_period = baseline_period(metric, term)
    base_value = _path_start(metric)
    if base_period is not None and base_value is not None:
        figures[base_period] = base_value
    for observation in metric.baseline.history:
        day = observation.on or parse_as_of(observation.as_of)
        number = _number(observation.value)
        if day is not None and number is not None:
            figures[Period.containing(day)] = number
    for answer in earlier:
        if answer.value.number is not None:
            figures[answer.period] = answer.value.number
    return figures


def _comparison(
    metric: Metric,
    period: Period,
    figures: dict[Period, Decimal],
    term: Term | None,
    answered: Collection[Period] = (),
) -> tuple[Decimal | None, Period | None]:
    before = {p: v for p, v in figures.items() if p < period}
    baseline = _path_start(metric)
    # a baseline of unknown date is placed before the term to start the path, but it is
    # said as the baseline, not as a figure of that period ("lähtötaso: 3,1", not "2026: 3,1"
    # beside an answer for 2026)
    placed = None if _baseline_date(metric.baseline) is None else baseline_period(metric, term)
    match metric.target.compared_with:
        case Comparison.BASELINE:
            return baseline, placed if baseline is not None else None
        case Comparison.YEAR_BEFORE:
            year_before = period.shifted(-4)
            return before.get(year_before), year_before if year_before in before else None
    if not before:
        # a baseline of unknown date (no term to place it) still sets the level
        return baseline, None
    latest = max(before)
    if latest == baseline_period(metric, term) and placed is None and latest not in answered:
        return before[latest], None
    return before[latest], latest


# ---------------------------------------------------------------- evaluate


def evaluate(
    metric: Metric,
    period: Period,
    current: Answer | None,
    history: Sequence[Answer],
    *,
    term: Term | None = None,
    judged_on: date | None = None,
    reference: Decimal | None = None,
) -> Evaluation:
    """Judge ``current`` (this period's answer, if any) against the metric's target.

    ``history`` may hold every answer of the metric (those of this period and later are
    ignored); ``reference`` is the figure given for the period to the metric the target's
    reference names.
    """
    wanted = metric.answered_as
    for answer in (current, *history):
        if answer is not None and answer.metric_id != wanted:
            raise ValueError(f"answer to {answer.metric_id} given for {metric.id}")
    if current is not None and current.period != period:
        raise ValueError(f"answer for {current.period} given as the answer for {period}")
    earlier = sorted(
        (a for a in history if a.period < period and a.value.has_value), key=lambda a: a.period
    )
    day = judged_on or period.last_day
    if metric.kind == MetricKind.YES_NO:
        return _evaluate_yes_no(metric, period, current, earlier, term, day)
    last = earlier[-1] if earlier else None
    answered = current is not None and current.value.has_value
    if not answered and not metric.cadence.is_due(period):
        if (
            last is not None
            and last.value.number is not None
            and (term is None or last.period >= term.first)
            and _judged_later(metric)
        ):
            # a figure known from an earlier period keeps its verdict for the period it
            # describes in every later report, not "not asked this time"
            before = [a for a in earlier if a.period < last.period]
            judged = _evaluate_number(
                metric, last.period, last.value.number, last.value, before, term, None
            )
            return replace(
                judged,
                period=period,
                value_period=last.period,
                previous=None,
                previous_period=None,
                change_from_previous=None,
            )
        return _not_due(metric, period, last)
    if current is None:
        return _without_verdict(metric, period, Status.NO_ANSWER, Reason.NO_ANSWER, None, last)
    value = current.value
    if value.state == AnswerState.NO_DATA:
        return _without_verdict(metric, period, Status.NO_DATA, Reason.NO_DATA, value, last)
    if value.state == AnswerState.SKIPPED:
        return _without_verdict(metric, period, Status.SKIPPED, Reason.SKIPPED, value, last)
    if value.number is not None and metric.target.rule != Rule.DONE:
        return _evaluate_number(metric, period, value.number, value, earlier, term, reference)
    return _without_verdict(metric, period, Status.NO_ANSWER, Reason.UNUSABLE_VALUE, value, last)


def _without_verdict(
    metric: Metric,
    period: Period,
    status: Status,
    reason: Reason,
    value: AnswerValue | None,
    last: Answer | None,
    missed: tuple[Period, ...] = (),
) -> Evaluation:
    return Evaluation(
        metric_id=metric.id,
        period=period,
        status=status,
        value=value,
        previous=last.value if last else None,
        change_from_previous=None,
        change_from_baseline=None,
        trend=Trend.UNKNOWN,
        improving=None,
        expected=None,
        reason_code=reason,
        value_period=period if value is not None else None,
        previous_period=last.period if last else None,
        missed=missed,
    )


def _carried(
    metric: Metric,
    period: Period,
    status: Status,
    reason: Reason,
    shown: Answer | None,
    missed: tuple[Period, ...] = (),
) -> Evaluation:
    """A verdict on an earlier answer (``shown``), carried into ``period``."""
    return Evaluation(
        metric_id=metric.id,
        period=period,
        status=status,
        value=shown.value if shown else None,
        previous=None,
        change_from_previous=None,
        change_from_baseline=None,
        trend=Trend.UNKNOWN,
        improving=None,
        expected=None,
        reason_code=reason,
        value_period=shown.period if shown else None,
        missed=missed,
    )


def _judged_later(metric: Metric) -> bool:
    """Whether a figure of ``metric`` can be judged in a later period's report by itself: not
    a target relative to another figure, which is given for its period only."""
    return metric.target.rule not in (Rule.DONE, Rule.RELATIVE, Rule.REFERENCE)


def _not_due(metric: Metric, period: Period, last: Answer | None) -> Evaluation:
    return _carried(metric, period, Status.NOT_DUE, Reason.NOT_DUE_THIS_PERIOD, last)


# ---------------------------------------------------------------- yes/no


def _term_end(term: Term | None) -> date | None:
    return term.last.last_day if term is not None else None


def _by_deadline(due: date | None, warning_months: int, judged_on: date) -> _Verdict:
    """A yes/no not done, judged against its due date on the judgement day."""
    if due is None:
        return _Verdict(Status.AT_RISK, Reason.NOT_DONE)
    if judged_on > due:
        return _Verdict(Status.OFF_TRACK, Reason.OVERDUE)
    if due <= _add_months(judged_on, warning_months):
        return _Verdict(Status.AT_RISK, Reason.DUE_SOON)
    return _Verdict(Status.ON_TRACK, Reason.NOT_YET_DUE)


def _flag_trend(metric: Metric, flag: bool, before: bool | None) -> tuple[Trend, bool | None]:
    if before is None:
        return Trend.UNKNOWN, None
    if before == flag:
        return Trend.SAME, None
    return (Trend.UP if flag else Trend.DOWN), flag == _target_flag(metric)


def _answered_flag(
    metric: Metric,
    period: Period,
    verdict: _Verdict,
    current: Answer,
    last: Answer | None,
    missed: tuple[Period, ...] = (),
) -> Evaluation:
    flag = current.value.flag
    assert flag is not None
    before = last.value.flag if last is not None else None
    if before is None and isinstance(metric.baseline.value, bool):
        before = metric.baseline.value
    trend, improving = _flag_trend(metric, flag, before)
    return Evaluation(
        metric_id=metric.id,
        period=period,
        status=verdict.status,
        value=current.value,
        previous=last.value if last else None,
        change_from_previous=None,
        change_from_baseline=None,
        trend=trend,
        improving=improving,
        expected=None,
        reason_code=verdict.reason,
        value_period=period,
        previous_period=last.period if last else None,
        missed=missed,
    )


def _evaluate_yes_no(
    metric: Metric,
    period: Period,
    current: Answer | None,
    earlier: Sequence[Answer],
    term: Term | None,
    judged_on: date,
) -> Evaluation:
    last = earlier[-1] if earlier else None
    given = current is not None and current.value.has_value
    if current is not None and current.value.has_value and current.value.flag is None:
        return _without_verdict(
            metric, period, Status.NO_ANSWER, Reason.UNUSABLE_VALUE, current.value, last
        )
    wanted = _target_flag(metric)
    if metric.meaning == Meaning.STATE:
        if current is None or not given:
            return _unanswered_flag(metric, period, current, last)
        holds = current.value.flag == wanted
        verdict = (
            _Verdict(Status.ON_TRACK, Reason.HOLDS)
            if holds
            else _Verdict(Status.OFF_TRACK, Reason.DOES_NOT_HOLD)
        )
        return _answered_flag(metric, period, verdict, current, last)
    answers = [*earlier, current] if current is not None and given else list(earlier)
    yes = tuple(a for a in answers if a.value.flag == wanted)
    if metric.meaning == Meaning.RECURRING:
        return _evaluate_recurring(metric, period, current, last, yes, term, judged_on)
    return _evaluate_deliverable(metric, period, current, last, yes, term, judged_on)


def _unanswered_flag(
    metric: Metric,
    period: Period,
    current: Answer | None,
    last: Answer | None,
    missed: tuple[Period, ...] = (),
) -> Evaluation:
    """No usable "Kyllä"/"Ei" for the period: not asked, no answer, no data or skipped."""
    if current is None:
        if not metric.is_due(period):
            return _carried(metric, period, Status.NOT_DUE, Reason.NOT_DUE_THIS_PERIOD, last)
        return _without_verdict(
            metric, period, Status.NO_ANSWER, Reason.NO_ANSWER, None, last, missed
        )
    if current.value.state == AnswerState.NO_DATA:
        return _without_verdict(
            metric, period, Status.NO_DATA, Reason.NO_DATA, current.value, last, missed
        )
    return _without_verdict(
        metric, period, Status.SKIPPED, Reason.SKIPPED, current.value, last, missed
    )


def _evaluate_deliverable(
    metric: Metric,
    period: Period,
    current: Answer | None,
    last: Answer | None,
    yes: Sequence[Answer],
    term: Term | None,
    judged_on: date,
) -> Evaluation:
    dated = metric.due_date is not None
    due = metric.due_date if dated else _term_end(term)
    if yes:
        first = yes[0]
        late = due is not None and first.period.first_day > due
        reason = Reason.DONE_LATE if late else Reason.DONE
        if current is not None and current.period == first.period:
            return _answered_flag(metric, period, _Verdict(Status.ON_TRACK, reason), first, last)
        return _carried(metric, period, Status.ON_TRACK, reason, first)
    verdict = _by_deadline(due, DATED_WARNING_MONTHS if dated else TERM_WARNING_MONTHS, judged_on)
    if current is not None and current.value.flag is not None:
        return _answered_flag(metric, period, verdict, current, last)
    if current is None and not metric.is_due(period):
        if verdict.status == Status.OFF_TRACK:
            return _carried(metric, period, verdict.status, verdict.reason, last)
        return _carried(metric, period, Status.NOT_DUE, Reason.NOT_DUE_THIS_PERIOD, last)
    return _unanswered_flag(metric, period, current, last)


def _occurrences(metric: Metric, term: Term | None, up_to: int) -> list[int]:
    """The years before ``up_to`` in which a recurring action occurs, within the term."""
    first = term.first.year if term is not None else up_to
    return [year for year in range(first, up_to) if metric.cadence.occurs_in(year)]


def _evaluate_recurring(
    metric: Metric,
    period: Period,
    current: Answer | None,
    last: Answer | None,
    yes: Sequence[Answer],
    term: Term | None,
    judged_on: date,
) -> Evaluation:
    done_years = {a.period.year: a for a in reversed(yes)}  # the first "yes" of each year
    earlier_years = _occurrences(metric, term, period.year)
    missed = tuple(Period(y, 4) for y in earlier_years if y not in done_years)
    start = metric.cadence.quarter or 1
    if metric.cadence.occurs_in(period.year) and period.quarter >= start:
        done = done_years.get(period.year)
        if done is not None:
            verdict = _Verdict(Status.ON_TRACK, Reason.DONE)
            if current is not None and current.period == done.period:
                return _answered_flag(metric, period, verdict, done, last, missed)
            return _carried(metric, period, verdict.status, verdict.reason, done, missed)
        verdict = _by_deadline(date(period.year, 12, 31), DATED_WARNING_MONTHS, judged_on)
        if verdict.reason == Reason.OVERDUE:
            verdict = _Verdict(Status.OFF_TRACK, Reason.MISSED)
        if current is not None and current.value.flag is not None:
            return _answered_flag(metric, period, verdict, current, last, missed)
        return _unanswered_flag(metric, period, current, last, missed)
    if not earlier_years:
        return _carried(metric, period, Status.NOT_DUE, Reason.NOT_DUE_THIS_PERIOD, last)
    latest = earlier_years[-1]
    if latest in done_years:
        return _carried(metric, period, Status.ON_TRACK, Reason.DONE, done_years[latest], missed)
    shown = last if last is not None and last.period.year == latest else None
    return _carried(metric, period, Status.OFF_TRACK, Reason.MISSED, shown, missed)


# ---------------------------------------------------------------- figures


def _evaluate_number(
    metric: Metric,
    period: Period,
    number: Decimal,
    value: AnswerValue,
    earlier: Sequence[Answer],
    term: Term | None,
    reference: Decimal | None,
) -> Evaluation:
    last = earlier[-1] if earlier else None
    previous_number = last.value.number if last is not None else None
    baseline = _number(metric.baseline.value)
    figures = _known_figures(metric, earlier, term)
    answered = {a.period for a in earlier if a.value.number is not None}
    comparison, comparison_period = _comparison(metric, period, figures, term, answered)
    direction = better_direction(metric)
    change = number - comparison if comparison is not None else None
    if change is None:
        trend = Trend.UNKNOWN
    elif change == 0:
        trend = Trend.SAME
    else:
        trend = Trend.UP if change > 0 else Trend.DOWN
    improving: bool | None = None
    if change is not None and change != 0 and direction is not None:
        improving = (change > 0) == (direction == Direction.HIGHER)
    facts = _Facts(
        metric=metric,
        period=period,
        term=term,
        path=target_path(metric, term, reference),
        value=number,
        comparison=comparison,
        comparison_period=comparison_period,
        baseline=baseline,
        direction=direction,
        change=change,
        improving=improving,
        reference=reference,
    )
    verdict = _judge_number(facts)
    if metric.target.also is not None and verdict.status not in (Status.NOT_JUDGED,):
        verdict = _worse(verdict, _judge_change(facts, metric.target.also))
    return Evaluation(
        metric_id=metric.id,
        period=period,
        status=verdict.status,
        value=value,
        previous=last.value if last else None,
        change_from_previous=number - previous_number if previous_number is not None else None,
        change_from_baseline=number - baseline if baseline is not None else None,
        trend=trend,
        improving=improving,
        expected=verdict.expected,
        reason_code=verdict.reason,
        value_period=period,
        previous_period=last.period if last else None,
        compared_with=comparison,
        compared_period=comparison_period,
    )


_SEVERITY = {Status.ON_TRACK: 0, Status.AT_RISK: 1, Status.OFF_TRACK: 2}


def _worse(first: _Verdict, second: _Verdict) -> _Verdict:
    if _SEVERITY.get(second.status, 0) > _SEVERITY.get(first.status, 0):
        return _Verdict(second.status, second.reason, first.expected)
    return first


def _judge_number(f: _Facts) -> _Verdict:
    if f.metric.kind == MetricKind.COMPLETION and f.value >= _HUNDRED:
        return _Verdict(Status.ON_TRACK, Reason.TARGET_REACHED, _HUNDRED)
    rule = _effective_rule(f.metric)
    match rule:
        case Rule.AT_MOST | Rule.AT_LEAST | Rule.BELOW | Rule.POSITIVE:
            return _judge_threshold(f, rule)
        case Rule.INCREASE | Rule.DECREASE:
            return _judge_change(f, rule)
        case Rule.MAINTAIN:
            return _judge_maintain(f)
        case Rule.REACH:
            return _judge_reach(f)
        case Rule.ANNUAL_RATE:
            return _judge_annual_rate(f)
        case Rule.RELATIVE:
            return _judge_relative(f)
        case Rule.AT_LEAST_PREVIOUS:
            return _judge_at_least_previous(f)
        case Rule.REFERENCE:
            return _Verdict(Status.NOT_JUDGED, Reason.REFERENCE_FIGURE)
    return _by_trend(f, Reason.NO_TARGET_VALUE)  # pragma: no cover - DONE is handled earlier


def _by_trend(f: _Facts, reason: Reason) -> _Verdict:
    """Judge by the change alone, when there is no level to compare with."""
    if f.change is None or f.improving:
        return _Verdict(Status.ON_TRACK, reason, f.comparison)
    if f.improving is False:
        return _Verdict(Status.OFF_TRACK, reason, f.comparison)
    # no change, or no known better direction
    return _Verdict(Status.AT_RISK, reason, f.comparison)


def _meets(value: Decimal, target: Decimal, rule: Rule) -> bool:
    if rule == Rule.BELOW:
        return value < target
    if rule == Rule.AT_MOST:
        return value <= target
    if rule == Rule.POSITIVE:
        return value > target
    return value >= target


def _is_near(value: Decimal, target: Decimal) -> bool:
    return abs(target - value) <= NEAR_SHARE * abs(target)


def _judge_threshold(f: _Facts, rule: Rule) -> _Verdict:
    target = _ZERO if rule == Rule.POSITIVE else _target_number(f.metric)
    if target is None:
        return _by_trend(f, Reason.NO_TARGET_VALUE)
    if _meets(f.value, target, rule):
        return _Verdict(Status.ON_TRACK, Reason.TARGET_MET, target)
    deadline = f.path.deadline
    if deadline is not None and f.period >= deadline:
        return _Verdict(Status.OFF_TRACK, Reason.TARGET_MISSED, target)
    if _is_near(f.value, target):
        return _Verdict(Status.AT_RISK, Reason.NEAR_TARGET, target)
    if f.improving:
        if deadline is not None and f.comparison is not None and f.comparison_period is not None:
            elapsed = f.comparison_period.quarters_to(f.period)
            if elapsed > 0:
                remaining = max(0, f.period.quarters_to(deadline))
                projected = f.value + (f.value - f.comparison) / elapsed * remaining
                if not _meets(projected, target, rule):
                    return _Verdict(Status.OFF_TRACK, Reason.TOO_SLOW, target)
        return _Verdict(Status.AT_RISK, Reason.IMPROVING, target)
    return _Verdict(Status.OFF_TRACK, Reason.TARGET_NOT_MET, target)


def _judge_change(f: _Facts, rule: Rule) -> _Verdict:
    if f.change is None:
        return _Verdict(Status.ON_TRACK, Reason.FIRST_RESULT)
    if f.change == 0:
        return _Verdict(Status.AT_RISK, Reason.SAME_AS_PREVIOUS, f.comparison)
    if (f.change > 0) == (rule == Rule.INCREASE):
        return _Verdict(Status.ON_TRACK, Reason.BETTER_THAN_PREVIOUS, f.comparison)
    return _Verdict(Status.OFF_TRACK, Reason.WORSE_THAN_PREVIOUS, f.comparison)


def _judge_maintain(f: _Facts) -> _Verdict:
    level = f.comparison if f.comparison is not None else _target_number(f.metric)
    if level is None:
        return _Verdict(Status.ON_TRACK, Reason.FIRST_RESULT)
    tolerance = f.metric.target.tolerance or _ZERO
    difference = f.value - level
    if abs(difference) <= tolerance:
        return _Verdict(Status.ON_TRACK, Reason.WITHIN_TOLERANCE, level)
    if difference > 0:
        return _Verdict(Status.ON_TRACK, Reason.ABOVE_LEVEL, level)
    return _Verdict(Status.OFF_TRACK, Reason.BELOW_LEVEL, level)


def _without_path(f: _Facts, reached: bool, target: Decimal | None) -> _Verdict:
    if reached:
        return _Verdict(Status.ON_TRACK, Reason.TARGET_REACHED, target)
    if target is not None and _is_near(f.value, target):
        return _Verdict(Status.AT_RISK, Reason.NEAR_TARGET, target)
    if f.change is None or f.improving:
        return _Verdict(Status.AT_RISK, Reason.NO_PATH, target)
    return _Verdict(Status.OFF_TRACK, Reason.NO_PATH, target)


def _at_precision(expected: Decimal, f: _Facts) -> Decimal:
    """Round a path value to the precision the figure is reported in."""
    if f.metric.decimals is not None:
        places = f.metric.decimals
    else:
        exponent = f.value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return expected.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _judge_reach(f: _Facts) -> _Verdict:
    target = _target_number(f.metric)
    if target is None:
        return _by_trend(f, Reason.NO_TARGET_VALUE)
    reached = _at_or_better(f.value, target, f.direction)
    due = f.path.deadline
    if due is not None and f.period >= due:
        if reached:
            return _Verdict(Status.ON_TRACK, Reason.TARGET_REACHED, target)
        return _Verdict(Status.OFF_TRACK, Reason.TARGET_MISSED, target)
    path_value = f.path.expected(f.period)
    start = f.path.baseline
    if path_value is None or start is None:
        return _without_path(f, reached, target)
    if reached:
        return _Verdict(Status.ON_TRACK, Reason.TARGET_REACHED, target)
    expected = _at_precision(path_value, f)
    if _at_or_better(f.value, expected, f.direction):
        return _Verdict(Status.ON_TRACK, Reason.ON_PATH, expected)
    near = abs(expected - f.value) <= PATH_NEAR_SHARE * abs(target - start.value)
    if near or _strictly_better(f.value, start.value, f.direction) or f.improving:
        return _Verdict(Status.AT_RISK, Reason.BEHIND_PATH, expected)
    return _Verdict(Status.OFF_TRACK, Reason.OFF_PATH, expected)


def _judge_annual_rate(f: _Facts) -> _Verdict:
    path_value = f.path.expected(f.period)
    if path_value is None or f.direction is None:
        return _without_path(f, reached=False, target=None)
    expected = _at_precision(path_value, f)
    on_path = _at_or_better(f.value, expected, f.direction)
    due = f.path.deadline
    if due is not None and f.period >= due:
        if on_path:
            return _Verdict(Status.ON_TRACK, Reason.TARGET_REACHED, expected)
        return _Verdict(Status.OFF_TRACK, Reason.TARGET_MISSED, expected)
    if on_path:
        return _Verdict(Status.ON_TRACK, Reason.ON_PATH, expected)
    if _strictly_better(f.value, _ZERO, f.direction) or f.improving:
        return _Verdict(Status.AT_RISK, Reason.BEHIND_PATH, expected)
    return _Verdict(Status.OFF_TRACK, Reason.OFF_PATH, expected)


def _judge_relative(f: _Facts) -> _Verdict:
    reference = _reference_number(f.metric, f.reference)
    if reference is None:
        return _Verdict(Status.NOT_JUDGED, Reason.NO_REFERENCE_VALUE)
    if _at_or_better(f.value, reference, f.direction):
        return _Verdict(Status.ON_TRACK, Reason.REFERENCE_MET, reference)
    if f.improving:
        return _Verdict(Status.AT_RISK, Reason.APPROACHING_REFERENCE, reference)
    return _Verdict(Status.OFF_TRACK, Reason.BEHIND_REFERENCE, reference)


def _survey_margin(metric: Metric, previous: Decimal) -> Decimal:
    if metric.is_percentage:
        return SURVEY_PERCENT_MARGIN
    if metric.scale is not None:
        return SURVEY_SCALE_MARGIN
    return abs(previous) * SURVEY_OTHER_MARGIN_SHARE


def _judge_at_least_previous(f: _Facts) -> _Verdict:
    if f.comparison is None:
        return _Verdict(Status.ON_TRACK, Reason.FIRST_RESULT)
    if f.value >= f.comparison:
        return _Verdict(Status.ON_TRACK, Reason.AT_LEAST_PREVIOUS, f.comparison)
    if f.comparison - f.value <= _survey_margin(f.metric, f.comparison):
        return _Verdict(Status.AT_RISK, Reason.SLIGHTLY_BELOW_PREVIOUS, f.comparison)
    return _Verdict(Status.OFF_TRACK, Reason.BELOW_PREVIOUS, f.comparison)
