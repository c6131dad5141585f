"""Judging each metric's latest answer against its target and baseline.

Evaluation rules
================

Terms used below:

- *previous answer*: the latest answer of an earlier period that has a value.
- *comparison value*: the previous answer's figure, or the baseline value if there is none.
  Trend (UP / DOWN / SAME) is the change from the comparison value; `improving` is True when
  that change goes the better way, False when it goes the worse way, None when there is no
  change, nothing to compare with, or no known better direction.
- *better direction*: lower for AT_MOST, BELOW and DECREASE and for a negative ANNUAL_RATE;
  higher for AT_LEAST, INCREASE, POSITIVE, MAINTAIN, AT_LEAST_PREVIOUS and a positive
  ANNUAL_RATE; for REACH from the baseline towards the target; for RELATIVE lower when the
  baseline is above the reference figure, otherwise higher; for DONE towards the target answer.
- *quarters*: distances in time are counted in whole quarters, because answers are per quarter.
  A value belongs to the end of its period.
- *baseline period*: the quarter of `baseline.on`, else of the date read from `baseline.as_of`
  ("2025" and "v. 2025" are 31.12.2025, "12/2025" is 31.12.2025, "02/2026" is 28.2.2026,
  "31.12.2025" is itself; other words are ignored), else the quarter before the term starts
  (the baseline describes the situation when the goals were adopted), else unknown.
- *term*: the catalogue's first and last period, passed to `evaluate` as `term`; without it
  the rules that need the end of the term or a default baseline date cannot use them.
- `expected` is the level the value was compared with: the path value for REACH and
  ANNUAL_RATE, the target value for AT_MOST / AT_LEAST / BELOW, the comparison value for
  INCREASE / DECREASE / MAINTAIN / AT_LEAST_PREVIOUS, the reference figure for RELATIVE, 0 for
  POSITIVE and nothing for DONE.

States without a judgement (never counted as a missed target):

- The cadence does not ask for the metric this period and no value was given: NOT_DUE
  (`not_due_this_period`). The latest earlier value is carried in `value` with its period in
  `value_period`; there is no trend. Exception: a DONE metric whose due date lies in an
  earlier quarter is judged on the carried answer: done is ON_TRACK (`done`), anything else
  OFF_TRACK (`overdue`). A value given in a quarter the cadence does not ask for is judged as
  usual.
- Due but no answer: NO_ANSWER (`no_answer`); `previous` still shows the last value.
- "Ei tietoa vielä": NO_DATA (`no_data`). It is an answer (the figure is not published yet),
  not a gap, so it has a state of its own and no one is chased for it.
- Skipped with a reason: SKIPPED (`skipped`); the reason stays in `value.reason`.
- A value of the wrong kind for the metric (a yes/no for a figure or the other way round,
  e.g. after the catalogue changed): NO_ANSWER (`unusable_value`).

Rules:

- DONE (yes/no): the answer equals the target answer (Kyllä unless the target says
  otherwise): ON_TRACK (`done`). Not done, with a due date (`target.by`, else the cadence's
  `by`): due in a later quarter than the next one: ON_TRACK (`not_yet_due`); due in this
  quarter: AT_RISK (`due_this_quarter`); due in the next quarter: AT_RISK
  (`due_next_quarter`); due in an earlier quarter: OFF_TRACK (`overdue`). Not done without a
  due date: AT_RISK (`not_done`), or OFF_TRACK (`overdue`) after the term has ended.
- AT_MOST (value <= target), AT_LEAST (value >= target), BELOW (value < target): target met:
  ON_TRACK (`target_met`). Not met but within 10 % of the baseline-to-target distance from
  the target: AT_RISK (`near_target`). Not met but improving: AT_RISK (`improving`), unless
  the pace since the comparison value (change per quarter), continued to the deadline
  (`target.by`, else the end of the term), would still not meet the target: then OFF_TRACK
  (`too_slow`); when the deadline or the comparison value's period is unknown, the pace is not
  judged. Otherwise OFF_TRACK (`target_not_met`). Unemployment 12 % (12/2025) then 11,9 % in
  Q2/2026 against below 8 % by the end of 2029: 0,05 points a quarter reaches only 11,2 % by
  Q4/2029, so OFF_TRACK (`too_slow`); without a known term or date it is AT_RISK
  (`improving`).
- INCREASE / DECREASE: better than the comparison value: ON_TRACK (`better_than_previous`);
  the same: AT_RISK (`same_as_previous`); worse: OFF_TRACK (`worse_than_previous`). Nothing to
  compare with: ON_TRACK (`first_result`), the first figure sets the level.
- MAINTAIN: the level is the comparison value, else the target value. Within
  `target.tolerance` (default 0) of it: ON_TRACK (`within_tolerance`); above it: ON_TRACK
  (`above_level`), as keeping a level is about not falling below it; below it: OFF_TRACK
  (`below_level`). No level: ON_TRACK (`first_result`).
- POSITIVE: above zero ON_TRACK (`positive`), zero AT_RISK (`zero`), below zero OFF_TRACK
  (`negative`).
- REACH (target value by `target.by`, else by the end of the term): a straight path in
  quarters from the baseline value at the baseline period to the target at the due quarter;
  `expected` is the path value at the end of this period, rounded half up to the metric's
  `decimals`, else to as many decimals as the answer has, as an owner cannot report a figure
  more precisely than that. From the due quarter on: reached ON_TRACK (`target_reached`),
  else OFF_TRACK (`target_missed`). Before it: reached ON_TRACK (`target_reached`); on the
  path or better ON_TRACK (`on_path`); behind the path but within 10 % of the
  baseline-to-target distance from it, or better than the baseline, or improving: AT_RISK
  (`behind_path`); otherwise OFF_TRACK (`off_path`). Without a baseline value, baseline
  period or due date there is no path: reached ON_TRACK (`target_reached`), improving or
  nothing to compare with AT_RISK (`no_path`), otherwise OFF_TRACK (`no_path`).
- ANNUAL_RATE (e.g. energy -2,5 % a year, -10 % from 2025 to 2029): the answer is the
  cumulative change in per cent since the end of `target.from_year` (else since the baseline
  period, else since the quarter before the term). `expected` = rate x quarters elapsed / 4,
  never beyond `target.total`; with only a total and a due date, the total pro rata; rounded
  as for REACH. At or beyond expected: ON_TRACK (`on_path`); short of it but changed in the
  right direction or improving: AT_RISK (`behind_path`); otherwise OFF_TRACK (`off_path`).
  From the due quarter on: at or beyond expected ON_TRACK (`target_reached`), else OFF_TRACK
  (`target_missed`). Neither rate nor a total with a usable start: judged as REACH without a
  path (`no_path`).
- RELATIVE (a reference figure, e.g. greenhouse gases 8 t/resident against Satakunta 5,7): the
  answer is the municipality's own figure; the reference is `target.reference.value`, else
  `target.value`. At or better than the reference: ON_TRACK (`reference_met`); improving:
  AT_RISK (`approaching_reference`); otherwise OFF_TRACK (`behind_reference`). The better
  direction cannot be written in the catalogue yet, so it is inferred as described above. A
  reference without a figure (e.g. the national average of the matriculation examination, not
  known in advance) is judged by trend only, with `no_reference_value`: improving or nothing
  to compare with ON_TRACK, no change AT_RISK, worse OFF_TRACK.
- AT_LEAST_PREVIOUS (surveys): at least the comparison value (the previous survey result, else
  the baseline): ON_TRACK (`at_least_previous`); below it by at most 0,1 on a scale, 2
  percentage points for a percentage, or 2 % of the previous figure otherwise: AT_RISK
  (`slightly_below_previous`); further below: OFF_TRACK (`below_previous`); nothing to
  compare with: ON_TRACK (`first_result`).
- Completion percentage (kind COMPLETION with REACH or AT_LEAST): the target defaults to 100
  and the baseline to 0; with `target.by` it is judged as REACH, otherwise as AT_LEAST.
- A figure rule whose target has no value (AT_MOST, AT_LEAST, BELOW, REACH) is judged by trend
  only, with `no_target_value`, as RELATIVE without a reference figure.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import NamedTuple

from goalbot.domain.answers import Answer, AnswerState, AnswerValue
from goalbot.domain.goals import Baseline, Metric, MetricKind, Rule
from goalbot.domain.periods import Period

__all__ = [
    "Direction",
    "Evaluation",
    "Reason",
    "Status",
    "Term",
    "Trend",
    "baseline_period",
    "better_direction",
    "evaluate",
    "is_target_missed",
    "parse_as_of",
    "summarise",
]

NEAR_SHARE = Decimal("0.1")
"""Share of the baseline-to-target distance within which a miss counts as near."""

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
    NOT_YET_DUE = "not_yet_due"
    DUE_THIS_QUARTER = "due_this_quarter"
    DUE_NEXT_QUARTER = "due_next_quarter"
    OVERDUE = "overdue"
    NOT_DONE = "not_done"
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
    POSITIVE = "positive"
    ZERO = "zero"
    NEGATIVE = "negative"
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
    value_period: Period | None = None  # differs from period when NOT_DUE carries a value
    previous_period: Period | None = None


class _Verdict(NamedTuple):
    status: Status
    reason: Reason
    expected: Decimal | None = None


@dataclass(frozen=True)
class _Facts:
    """What the figure rules look at."""

    metric: Metric
    period: Period
    term: Term | None
    value: Decimal
    comparison: Decimal | None
    comparison_period: Period | None
    baseline: Decimal | None
    direction: Direction | None
    change: Decimal | None  # value minus comparison
    improving: bool | None


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


def _reference_number(metric: Metric) -> Decimal | None:
    reference = metric.target.reference
    if reference is not None and reference.value is not None:
        return reference.value
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
    return Direction.HIGHER


def _index(period: Period) -> int:
    return period.year * 4 + period.quarter - 1


def _quarters(start: Period, end: Period) -> int:
    return _index(end) - _index(start)


def _at_or_better(value: Decimal, level: Decimal, direction: Direction | None) -> bool:
    return value <= level if direction == Direction.LOWER else value >= level


def _strictly_better(value: Decimal, level: Decimal, direction: Direction | None) -> bool:
    return value < level if direction == Direction.LOWER else value > level


# ---------------------------------------------------------------- evaluate


def evaluate(
    metric: Metric,
    period: Period,
    current: Answer | None,
    history: Sequence[Answer],
    *,
    term: Term | None = None,
) -> Evaluation:
    """Judge ``current`` (this period's answer, if any) against the metric's target."""
    for answer in (current, *history):
        if answer is not None and answer.metric_id != metric.id:
            raise ValueError(f"answer to {answer.metric_id} given for {metric.id}")
    if current is not None and current.period != period:
        raise ValueError(f"answer for {current.period} given as the answer for {period}")
    # answers of this or later periods in history are ignored, so callers may pass them all
    earlier = sorted(
        (a for a in history if a.period < period and a.value.has_value), key=lambda a: a.period
    )
    last = earlier[-1] if earlier else None
    answered = current is not None and current.value.has_value
    if not answered and not metric.cadence.is_due(period):
        return _not_due(metric, period, last)
    if current is None:
        return _without_verdict(metric, period, Status.NO_ANSWER, Reason.NO_ANSWER, None, last)
    value = current.value
    if value.state == AnswerState.NO_DATA:
        return _without_verdict(metric, period, Status.NO_DATA, Reason.NO_DATA, value, last)
    if value.state == AnswerState.SKIPPED:
        return _without_verdict(metric, period, Status.SKIPPED, Reason.SKIPPED, value, last)
    is_done_rule = metric.target.rule == Rule.DONE or metric.kind == MetricKind.YES_NO
    if value.flag is not None and is_done_rule:
        return _evaluate_flag(metric, period, value.flag, value, last, term)
    if value.number is not None and not is_done_rule:
        return _evaluate_number(metric, period, value.number, value, last, term)
    return _without_verdict(metric, period, Status.NO_ANSWER, Reason.UNUSABLE_VALUE, value, last)


def _without_verdict(
    metric: Metric,
    period: Period,
    status: Status,
    reason: Reason,
    value: AnswerValue | None,
    last: Answer | None,
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
    )


def _due_date(metric: Metric) -> date | None:
    return metric.target.by or metric.cadence.by


def _not_due(metric: Metric, period: Period, last: Answer | None) -> Evaluation:
    status, reason = Status.NOT_DUE, Reason.NOT_DUE_THIS_PERIOD
    due = _due_date(metric)
    if metric.target.rule == Rule.DONE and due is not None and period > Period.containing(due):
        # a deliverable that is no longer asked for still shows whether it was delivered
        if last is not None and last.value.flag == _target_flag(metric):
            status, reason = Status.ON_TRACK, Reason.DONE
        else:
            status, reason = Status.OFF_TRACK, Reason.OVERDUE
    return Evaluation(
        metric_id=metric.id,
        period=period,
        status=status,
        value=last.value if last else None,
        previous=None,
        change_from_previous=None,
        change_from_baseline=None,
        trend=Trend.UNKNOWN,
        improving=None,
        expected=None,
        reason_code=reason,
        value_period=last.period if last else None,
    )


# ---------------------------------------------------------------- yes/no


def _evaluate_flag(
    metric: Metric,
    period: Period,
    flag: bool,
    value: AnswerValue,
    last: Answer | None,
    term: Term | None,
) -> Evaluation:
    wanted = _target_flag(metric)
    before = last.value.flag if last is not None else None
    if before is None and isinstance(metric.baseline.value, bool):
        before = metric.baseline.value
    if before is None:
        trend, improving = Trend.UNKNOWN, None
    elif before == flag:
        trend, improving = Trend.SAME, None
    else:
        trend, improving = (Trend.UP if flag else Trend.DOWN), flag == wanted
    verdict = _judge_done(metric, period, flag == wanted, term)
    return Evaluation(
        metric_id=metric.id,
        period=period,
        status=verdict.status,
        value=value,
        previous=last.value if last else None,
        change_from_previous=None,
        change_from_baseline=None,
        trend=trend,
        improving=improving,
        expected=None,
        reason_code=verdict.reason,
        value_period=period,
        previous_period=last.period if last else None,
    )


def _judge_done(metric: Metric, period: Period, done: bool, term: Term | None) -> _Verdict:
    if done:
        return _Verdict(Status.ON_TRACK, Reason.DONE)
    due = _due_date(metric)
    if due is None:
        if term is not None and period > term.last:
            return _Verdict(Status.OFF_TRACK, Reason.OVERDUE)
        return _Verdict(Status.AT_RISK, Reason.NOT_DONE)
    due_period = Period.containing(due)
    if period > due_period:
        return _Verdict(Status.OFF_TRACK, Reason.OVERDUE)
    if period == due_period:
        return _Verdict(Status.AT_RISK, Reason.DUE_THIS_QUARTER)
    if period.next() == due_period:
        return _Verdict(Status.AT_RISK, Reason.DUE_NEXT_QUARTER)
    return _Verdict(Status.ON_TRACK, Reason.NOT_YET_DUE)


# ---------------------------------------------------------------- figures


def _evaluate_number(
    metric: Metric,
    period: Period,
    number: Decimal,
    value: AnswerValue,
    last: Answer | None,
    term: Term | None,
) -> Evaluation:
    previous_number = last.value.number if last is not None else None
    baseline = _number(metric.baseline.value)
    if previous_number is not None and last is not None:
        comparison: Decimal | None = previous_number
        comparison_period: Period | None = last.period
    else:
        comparison, comparison_period = baseline, baseline_period(metric, term)
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
        value=number,
        comparison=comparison,
        comparison_period=comparison_period,
        baseline=baseline,
        direction=direction,
        change=change,
        improving=improving,
    )
    verdict = _judge_number(facts)
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
    )


def _judge_number(f: _Facts) -> _Verdict:
    match _effective_rule(f.metric):
        case Rule.AT_MOST | Rule.AT_LEAST | Rule.BELOW:
            return _judge_threshold(f)
        case Rule.INCREASE | Rule.DECREASE:
            return _judge_change(f)
        case Rule.MAINTAIN:
            return _judge_maintain(f)
        case Rule.POSITIVE:
            return _judge_positive(f)
        case Rule.REACH:
            return _judge_reach(f)
        case Rule.ANNUAL_RATE:
            return _judge_annual_rate(f)
        case Rule.RELATIVE:
            return _judge_relative(f)
        case Rule.AT_LEAST_PREVIOUS:
            return _judge_at_least_previous(f)
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
    return value >= target


def _deadline(f: _Facts) -> Period | None:
    if f.metric.target.by is not None:
        return Period.containing(f.metric.target.by)
    return f.term.last if f.term is not None else None


def _judge_threshold(f: _Facts) -> _Verdict:
    target = _target_number(f.metric)
    if target is None:
        return _by_trend(f, Reason.NO_TARGET_VALUE)
    rule = _effective_rule(f.metric)
    if _meets(f.value, target, rule):
        return _Verdict(Status.ON_TRACK, Reason.TARGET_MET, target)
    start = _path_start(f.metric)
    distance = abs(target - start) if start is not None else None
    if distance is not None and abs(target - f.value) <= NEAR_SHARE * distance:
        return _Verdict(Status.AT_RISK, Reason.NEAR_TARGET, target)
    if f.improving:
        deadline = _deadline(f)
        if deadline is not None and f.comparison is not None and f.comparison_period is not None:
            elapsed = _quarters(f.comparison_period, f.period)
            if elapsed > 0:
                remaining = max(0, _quarters(f.period, deadline))
                projected = f.value + (f.value - f.comparison) / elapsed * remaining
                if not _meets(projected, target, rule):
                    return _Verdict(Status.OFF_TRACK, Reason.TOO_SLOW, target)
        return _Verdict(Status.AT_RISK, Reason.IMPROVING, target)
    return _Verdict(Status.OFF_TRACK, Reason.TARGET_NOT_MET, target)


def _judge_change(f: _Facts) -> _Verdict:
    if f.change is None:
        return _Verdict(Status.ON_TRACK, Reason.FIRST_RESULT)
    if f.change == 0:
        return _Verdict(Status.AT_RISK, Reason.SAME_AS_PREVIOUS, f.comparison)
    if f.improving:
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


def _judge_positive(f: _Facts) -> _Verdict:
    if f.value > 0:
        return _Verdict(Status.ON_TRACK, Reason.POSITIVE, _ZERO)
    if f.value == 0:
        return _Verdict(Status.AT_RISK, Reason.ZERO, _ZERO)
    return _Verdict(Status.OFF_TRACK, Reason.NEGATIVE, _ZERO)


def _without_path(f: _Facts, reached: bool) -> _Verdict:
    if reached:
        return _Verdict(Status.ON_TRACK, Reason.TARGET_REACHED)
    if f.change is None or f.improving:
        return _Verdict(Status.AT_RISK, Reason.NO_PATH)
    return _Verdict(Status.OFF_TRACK, Reason.NO_PATH)


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
    due = _deadline(f)
    if due is not None and f.period >= due:
        if reached:
            return _Verdict(Status.ON_TRACK, Reason.TARGET_REACHED, target)
        return _Verdict(Status.OFF_TRACK, Reason.TARGET_MISSED, target)
    start = _path_start(f.metric)
    start_period = baseline_period(f.metric, f.term)
    if due is None or start is None or start_period is None or start_period >= due:
        return _without_path(f, reached)
    if reached:
        return _Verdict(Status.ON_TRACK, Reason.TARGET_REACHED, target)
    share = Decimal(max(0, _quarters(start_period, f.period))) / _quarters(start_period, due)
    expected = _at_precision(start + (target - start) * share, f)
    if _at_or_better(f.value, expected, f.direction):
        return _Verdict(Status.ON_TRACK, Reason.ON_PATH, expected)
    near = abs(expected - f.value) <= NEAR_SHARE * abs(target - start)
    if near or _strictly_better(f.value, start, f.direction) or f.improving:
        return _Verdict(Status.AT_RISK, Reason.BEHIND_PATH, expected)
    return _Verdict(Status.OFF_TRACK, Reason.OFF_PATH, expected)


def _rate_start(f: _Facts) -> Period | None:
    if f.metric.target.from_year is not None:
        return Period(f.metric.target.from_year, 4)
    return baseline_period(f.metric, f.term)


def _judge_annual_rate(f: _Facts) -> _Verdict:
    target = f.metric.target
    start = _rate_start(f)
    due = Period.containing(target.by) if target.by is not None else None
    expected: Decimal | None = None
    if start is not None:
        elapsed = Decimal(max(0, _quarters(start, f.period)))
        if target.rate is not None:
            expected = target.rate * elapsed / 4
            if target.total is not None and abs(expected) > abs(target.total):
                expected = target.total
        elif target.total is not None and due is not None and due > start:
            expected = target.total * min(Decimal(1), elapsed / _quarters(start, due))
    if expected is None or f.direction is None:
        return _without_path(f, reached=False)
    expected = _at_precision(expected, f)
    on_path = _at_or_better(f.value, expected, f.direction)
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
    reference = _reference_number(f.metric)
    if reference is None:
        return _by_trend(f, Reason.NO_REFERENCE_VALUE)
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
