"""Evaluation rules, case by case, with the Kokemäki 2026–2029 figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from goalbot.domain import evaluation as evaluation_module
from goalbot.domain.answers import Answer, AnswerValue
from goalbot.domain.evaluation import (
    Direction,
    Evaluation,
    PathPoint,
    Reason,
    Status,
    Term,
    Trend,
    baseline_period,
    better_direction,
    evaluate,
    is_target_missed,
    parse_as_of,
    summarise,
    target_path,
)
from goalbot.domain.goals import (
    Baseline,
    Cadence,
    CadenceKind,
    Comparison,
    Meaning,
    Metric,
    MetricKind,
    Observation,
    Reference,
    Rule,
    Target,
)
from goalbot.domain.periods import Period

D = Decimal
TERM = Term(Period(2026, 2), Period(2029, 4))
YEARLY = Cadence(CadenceKind.YEARLY, quarter=4)


def q(text: str) -> Period:
    return Period.parse(text)


def make_metric(
    target: Target,
    *,
    kind: MetricKind = MetricKind.NUMBER,
    baseline: Decimal | bool | None = None,
    as_of: str = "",
    on: date | None = None,
    unit: str = "",
    scale: tuple[Decimal, Decimal] | None = None,
    cadence: Cadence | None = None,
) -> Metric:
    return Metric(
        key="1",
        goal_id="G-1",
        name="mittari",
        kind=kind,
        baseline=Baseline(measured=baseline is not None, value=baseline, as_of=as_of, on=on),
        target=target,
        unit=unit,
        scale=scale,
        cadence=cadence or Cadence(),
    )


def number(period: str, value: str) -> Answer:
    return Answer("G-1.1", q(period), AnswerValue.of_number(D(value)))


def flag(period: str, value: bool) -> Answer:
    return Answer("G-1.1", q(period), AnswerValue.of_flag(value))


def judge(
    metric: Metric,
    period: str,
    value: str | bool | None,
    history: Sequence[Answer] = (),
    *,
    term: Term | None = TERM,
) -> Evaluation:
    if value is None:
        current = None
    elif isinstance(value, bool):
        current = flag(period, value)
    else:
        current = number(period, value)
    return evaluate(metric, q(period), current, history, term=term)


def verdict(evaluation: Evaluation) -> tuple[Status, str]:
    return evaluation.status, evaluation.reason_code


# ---------------------------------------------------------------- BELOW / AT_MOST / AT_LEAST

UNEMPLOYMENT = make_metric(
    Target(Rule.BELOW, value=D(8)), baseline=D(12), as_of="12/2025", unit="%"
)


def test_unemployment_improving_too_slowly_for_the_term_is_off_track() -> None:
    # 12 (Q4/2025) -> 11,9 (Q2/2026): -0,05 a quarter reaches only 11,2 by Q4/2029
    result = judge(UNEMPLOYMENT, "2026Q2", "11.9")
    assert verdict(result) == (Status.OFF_TRACK, Reason.TOO_SLOW)
    assert result.improving is True
    assert result.trend == Trend.DOWN
    assert result.change_from_baseline == D("-0.1")
    assert result.change_from_previous is None
    assert result.previous is None
    assert result.expected == D(8)


def test_unemployment_improving_without_known_deadline_is_at_risk() -> None:
    result = judge(UNEMPLOYMENT, "2026Q2", "11.9", term=None)
    assert verdict(result) == (Status.AT_RISK, Reason.IMPROVING)


def test_unemployment_improving_fast_enough_is_at_risk() -> None:
    # -1 point a quarter would pass 8 % well before the end of 2029
    assert verdict(judge(UNEMPLOYMENT, "2026Q2", "10")) == (Status.AT_RISK, Reason.IMPROVING)


def test_unemployment_below_target_is_on_track() -> None:
    assert verdict(judge(UNEMPLOYMENT, "2026Q2", "7.9")) == (Status.ON_TRACK, Reason.TARGET_MET)


def test_below_means_strictly_below_but_the_boundary_is_near() -> None:
    assert verdict(judge(UNEMPLOYMENT, "2026Q2", "8")) == (Status.AT_RISK, Reason.NEAR_TARGET)


def test_unemployment_near_target_is_at_risk_even_if_worse() -> None:
    history = [number("2026Q1", "8.2")]
    result = judge(UNEMPLOYMENT, "2026Q2", "8.4", history)
    assert verdict(result) == (Status.AT_RISK, Reason.NEAR_TARGET)
    assert result.improving is False


def test_unemployment_unchanged_from_previous_answer_is_off_track() -> None:
    result = judge(UNEMPLOYMENT, "2026Q3", "11.9", [number("2026Q2", "11.9")])
    assert verdict(result) == (Status.OFF_TRACK, Reason.TARGET_NOT_MET)
    assert result.previous == AnswerValue.of_number(D("11.9"))
    assert result.previous_period == q("2026Q2")
    assert result.change_from_previous == D(0)
    assert result.trend == Trend.SAME
    assert result.improving is None


def test_unemployment_rising_is_off_track() -> None:
    result = judge(UNEMPLOYMENT, "2026Q2", "12.4")
    assert verdict(result) == (Status.OFF_TRACK, Reason.TARGET_NOT_MET)
    assert result.improving is False
    assert result.trend == Trend.UP


def test_pace_is_measured_from_the_previous_answer() -> None:
    # 11,0 (Q2/2026) -> 10,0 (Q3/2026): -1 a quarter reaches 8 long before Q4/2029
    history = [number("2026Q2", "11")]
    assert verdict(judge(UNEMPLOYMENT, "2026Q3", "10", history)) == (
        Status.AT_RISK,
        Reason.IMPROVING,
    )


def test_pace_uses_the_target_date_before_the_term() -> None:
    metric = make_metric(
        Target(Rule.AT_MOST, value=D(8), by=date(2026, 12, 31)), baseline=D(12), as_of="12/2025"
    )
    # -1 a quarter from Q4/2025: 10 at Q2/2026, 8 at Q4/2026 just meets "at most"
    assert verdict(judge(metric, "2026Q2", "10")) == (Status.AT_RISK, Reason.IMPROVING)
    assert verdict(judge(metric, "2026Q2", "10.2")) == (Status.OFF_TRACK, Reason.TOO_SLOW)


def test_at_most_includes_the_target() -> None:
    metric = make_metric(Target(Rule.AT_MOST, value=D(30)), unit="päivää")
    assert verdict(judge(metric, "2026Q2", "30")) == (Status.ON_TRACK, Reason.TARGET_MET)
    # near needs no baseline: within 5 % of the target (1,5 days of 30)
    assert verdict(judge(metric, "2026Q2", "31")) == (Status.AT_RISK, Reason.NEAR_TARGET)
    assert verdict(judge(metric, "2026Q2", "32")) == (Status.OFF_TRACK, Reason.TARGET_NOT_MET)


def test_at_least_on_a_scale_without_baseline() -> None:
    satisfaction = make_metric(
        Target(Rule.AT_LEAST, value=D(4)), kind=MetricKind.SURVEY, scale=(D(1), D(5))
    )
    assert verdict(judge(satisfaction, "2026Q2", "4.1")) == (Status.ON_TRACK, Reason.TARGET_MET)
    assert verdict(judge(satisfaction, "2026Q2", "3.8")) == (Status.AT_RISK, Reason.NEAR_TARGET)
    assert verdict(judge(satisfaction, "2026Q2", "3.7")) == (
        Status.OFF_TRACK,
        Reason.TARGET_NOT_MET,
    )


def test_threshold_without_target_value_is_judged_by_trend() -> None:
    metric = make_metric(Target(Rule.AT_LEAST), baseline=D(10))
    assert verdict(judge(metric, "2026Q2", "11")) == (Status.ON_TRACK, Reason.NO_TARGET_VALUE)
    assert verdict(judge(metric, "2026Q2", "10")) == (Status.AT_RISK, Reason.NO_TARGET_VALUE)
    assert verdict(judge(metric, "2026Q2", "9")) == (Status.OFF_TRACK, Reason.NO_TARGET_VALUE)


# ---------------------------------------------------------------- INCREASE / DECREASE

LENDABLE_ITEMS = make_metric(Target(Rule.INCREASE), kind=MetricKind.COUNT, baseline=D(112))
EVENTS = make_metric(Target(Rule.INCREASE), kind=MetricKind.COUNT, baseline=D(25), cadence=YEARLY)


@pytest.mark.parametrize(
    ("value", "status", "reason"),
    [
        ("113", Status.ON_TRACK, Reason.BETTER_THAN_PREVIOUS),
        ("112", Status.AT_RISK, Reason.SAME_AS_PREVIOUS),
        ("100", Status.OFF_TRACK, Reason.WORSE_THAN_PREVIOUS),
    ],
)
def test_lendable_items_against_baseline(value: str, status: Status, reason: str) -> None:
    result = judge(LENDABLE_ITEMS, "2026Q2", value)
    assert verdict(result) == (status, reason)
    assert result.expected == D(112)


def test_lendable_items_against_previous_answer_not_baseline() -> None:
    result = judge(LENDABLE_ITEMS, "2026Q3", "114", [number("2026Q2", "115")])
    assert verdict(result) == (Status.OFF_TRACK, Reason.WORSE_THAN_PREVIOUS)
    assert result.change_from_previous == D(-1)
    assert result.change_from_baseline == D(2)


def test_events_yearly() -> None:
    assert verdict(judge(EVENTS, "2026Q4", "27")) == (
        Status.ON_TRACK,
        Reason.BETTER_THAN_PREVIOUS,
    )
    assert verdict(judge(EVENTS, "2027Q4", "27", [number("2026Q4", "27")])) == (
        Status.AT_RISK,
        Reason.SAME_AS_PREVIOUS,
    )


def test_events_not_asked_mid_year_keep_the_verdict_of_the_year_they_describe() -> None:
    result = judge(EVENTS, "2027Q2", None, [number("2026Q4", "27")])
    assert verdict(result) == verdict(judge(EVENTS, "2026Q4", "27"))
    assert result.period == q("2027Q2")
    assert result.value == AnswerValue.of_number(D(27))
    assert result.value_period == q("2026Q4")
    assert result.previous is None and result.previous_period is None


SURVEY = make_metric(
    Target(Rule.AT_LEAST, value=D(4), text="Vähintään 4 (1–5)"),
    kind=MetricKind.SURVEY,
    scale=(D(1), D(5)),
    cadence=Cadence(CadenceKind.EVEN_YEARS, quarter=4),
)


@pytest.mark.parametrize("later", ["2029Q1", "2029Q4", "2030Q1"])
def test_a_survey_of_every_other_year_is_judged_in_every_later_report(later: str) -> None:
    """The resident survey of 2028 (3,9 against at least 4) in the reports of 2029 and of
    the term's end: its verdict for 2028, never "not asked this time"."""
    history = [number("2026Q4", "3.7"), number("2028Q4", "3.9")]
    result = judge(SURVEY, later, None, history)
    assert result.status != Status.NOT_DUE
    assert verdict(result) == verdict(judge(SURVEY, "2028Q4", "3.9", history[:1]))
    assert (result.value, result.value_period) == (AnswerValue.of_number(D("3.9")), q("2028Q4"))


def test_a_metric_without_any_figure_yet_is_not_due() -> None:
    assert judge(SURVEY, "2027Q2", None).status == Status.NOT_DUE


def test_decrease_lower_is_better() -> None:
    metric = make_metric(Target(Rule.DECREASE), baseline=D(11715), unit="kg/vuosi")
    assert verdict(judge(metric, "2026Q2", "11000")) == (
        Status.ON_TRACK,
        Reason.BETTER_THAN_PREVIOUS,
    )
    assert verdict(judge(metric, "2026Q2", "12000")) == (
        Status.OFF_TRACK,
        Reason.WORSE_THAN_PREVIOUS,
    )


def test_increase_first_result_without_baseline() -> None:
    metric = make_metric(Target(Rule.INCREASE), kind=MetricKind.COUNT)
    result = judge(metric, "2026Q2", "5")
    assert verdict(result) == (Status.ON_TRACK, Reason.FIRST_RESULT)
    assert result.trend == Trend.UNKNOWN
    assert result.improving is None


# ---------------------------------------------------------------- MAINTAIN

POPULATION = make_metric(Target(Rule.MAINTAIN), baseline=D(6587), as_of="12/2025", unit="hlö")


@pytest.mark.parametrize(
    ("value", "status", "reason"),
    [
        ("6587", Status.ON_TRACK, Reason.WITHIN_TOLERANCE),
        ("6600", Status.ON_TRACK, Reason.ABOVE_LEVEL),
        ("6500", Status.OFF_TRACK, Reason.BELOW_LEVEL),
    ],
)
def test_maintain_population(value: str, status: Status, reason: str) -> None:
    assert verdict(judge(POPULATION, "2026Q4", value)) == (status, reason)


def test_maintain_tolerance_and_target_value_as_level() -> None:
    metric = make_metric(Target(Rule.MAINTAIN, value=D(100), tolerance=D(5)))
    assert verdict(judge(metric, "2026Q2", "96")) == (Status.ON_TRACK, Reason.WITHIN_TOLERANCE)
    assert verdict(judge(metric, "2026Q2", "94")) == (Status.OFF_TRACK, Reason.BELOW_LEVEL)
    assert verdict(judge(metric, "2026Q3", "96", [number("2026Q2", "102")])) == (
        Status.OFF_TRACK,
        Reason.BELOW_LEVEL,
    )


# ---------------------------------------------------------------- POSITIVE

NET_MIGRATION = make_metric(Target(Rule.POSITIVE), baseline=D(-20), as_of="12/2025", unit="hlö")


@pytest.mark.parametrize(
    ("value", "status", "reason"),
    [
        ("-20", Status.OFF_TRACK, Reason.TARGET_NOT_MET),
        ("-25", Status.OFF_TRACK, Reason.TARGET_NOT_MET),
        ("0", Status.AT_RISK, Reason.NEAR_TARGET),
        ("15", Status.ON_TRACK, Reason.TARGET_MET),
    ],
)
def test_net_migration(value: str, status: Status, reason: str) -> None:
    result = judge(NET_MIGRATION, "2026Q4", value)
    assert verdict(result) == (status, reason)
    assert result.expected == D(0)


def test_net_migration_change_from_baseline() -> None:
    assert judge(NET_MIGRATION, "2026Q4", "15").change_from_baseline == D(35)


# ---------------------------------------------------------------- REACH

BIO_WASTE = make_metric(
    Target(Rule.REACH, value=D(10715), by=date(2028, 12, 31)),
    baseline=D(11715),
    as_of="vuonna 2025",
    unit="kg/vuosi",
    cadence=YEARLY,
)


def test_bio_waste_on_path() -> None:
    # 11 715 - 1 000 x 4/12 = 11 381,67 at the end of 2026, in whole kilograms as answered
    result = judge(BIO_WASTE, "2026Q4", "11300")
    assert verdict(result) == (Status.ON_TRACK, Reason.ON_PATH)
    assert result.expected == D(11382)
    assert result.improving is True


def test_bio_waste_path_is_compared_at_the_answer_precision() -> None:
    assert verdict(judge(BIO_WASTE, "2027Q4", "11048")) == (Status.ON_TRACK, Reason.ON_PATH)
    assert judge(BIO_WASTE, "2027Q4", "11048").expected == D(11048)
    result = judge(BIO_WASTE, "2027Q4", "11048.34")
    assert verdict(result) == (Status.AT_RISK, Reason.BEHIND_PATH)
    assert result.expected == D("11048.33")


def test_path_precision_follows_metric_decimals() -> None:
    metric = make_metric(
        Target(Rule.REACH, value=D(10715), by=date(2028, 12, 31)),
        baseline=D(11715),
        as_of="2025",
        cadence=YEARLY,
    )
    metric = replace(metric, decimals=1)
    assert judge(metric, "2026Q4", "11300").expected == D("11381.7")


def test_bio_waste_behind_path_but_better_than_baseline() -> None:
    assert verdict(judge(BIO_WASTE, "2026Q4", "11500")) == (Status.AT_RISK, Reason.BEHIND_PATH)


def test_bio_waste_worse_than_baseline_is_off_path() -> None:
    assert verdict(judge(BIO_WASTE, "2026Q4", "11800")) == (Status.OFF_TRACK, Reason.OFF_PATH)


def test_bio_waste_worse_than_baseline_but_improving_is_behind_path() -> None:
    history = [number("2026Q4", "11900")]
    assert verdict(judge(BIO_WASTE, "2027Q4", "11800", history)) == (
        Status.AT_RISK,
        Reason.BEHIND_PATH,
    )


def test_bio_waste_reached_early() -> None:
    assert verdict(judge(BIO_WASTE, "2026Q4", "10700")) == (
        Status.ON_TRACK,
        Reason.TARGET_REACHED,
    )


@pytest.mark.parametrize(
    ("period", "value", "status", "reason"),
    [
        ("2028Q4", "10715", Status.ON_TRACK, Reason.TARGET_REACHED),
        ("2028Q4", "10800", Status.OFF_TRACK, Reason.TARGET_MISSED),
        ("2029Q4", "10700", Status.ON_TRACK, Reason.TARGET_REACHED),
        ("2029Q4", "10716", Status.OFF_TRACK, Reason.TARGET_MISSED),
    ],
)
def test_bio_waste_at_and_after_the_due_date(
    period: str, value: str, status: Status, reason: str
) -> None:
    result = judge(BIO_WASTE, period, value)
    assert verdict(result) == (status, reason)
    assert result.expected == D(10715)


ORGANIC_FOOD = make_metric(
    Target(Rule.REACH, value=D(30), by=date(2029, 12, 31)), baseline=D(25), unit="%"
)


def test_organic_food_path_starts_before_the_term() -> None:
    # no baseline date: the baseline is the level at the end of Q1/2026, 15 quarters to go
    result = judge(ORGANIC_FOOD, "2026Q4", "26")
    assert verdict(result) == (Status.ON_TRACK, Reason.ON_PATH)
    assert result.expected == D(26)


def test_organic_food_near_path_is_at_risk() -> None:
    assert verdict(judge(ORGANIC_FOOD, "2026Q4", "25.6")) == (Status.AT_RISK, Reason.BEHIND_PATH)


def test_organic_food_unchanged_for_a_year_and_a_half_is_off_path() -> None:
    assert verdict(judge(ORGANIC_FOOD, "2027Q4", "25")) == (Status.OFF_TRACK, Reason.OFF_PATH)


def test_organic_food_at_the_due_date() -> None:
    assert verdict(judge(ORGANIC_FOOD, "2029Q4", "30")) == (
        Status.ON_TRACK,
        Reason.TARGET_REACHED,
    )
    assert verdict(judge(ORGANIC_FOOD, "2029Q4", "29")) == (
        Status.OFF_TRACK,
        Reason.TARGET_MISSED,
    )


def test_reach_without_path() -> None:
    # no term and no baseline date: the path has no start
    assert verdict(judge(ORGANIC_FOOD, "2026Q4", "26", term=None)) == (
        Status.AT_RISK,
        Reason.NO_PATH,
    )
    assert verdict(judge(ORGANIC_FOOD, "2026Q4", "24", term=None)) == (
        Status.OFF_TRACK,
        Reason.NO_PATH,
    )
    assert verdict(judge(ORGANIC_FOOD, "2026Q4", "31", term=None)) == (
        Status.ON_TRACK,
        Reason.TARGET_REACHED,
    )


def test_reach_without_date_uses_end_of_term() -> None:
    metric = make_metric(Target(Rule.REACH, value=D(30)), baseline=D(25), unit="%")
    assert verdict(judge(metric, "2029Q4", "29")) == (Status.OFF_TRACK, Reason.TARGET_MISSED)
    assert verdict(judge(metric, "2026Q4", "26")) == (Status.ON_TRACK, Reason.ON_PATH)


# ---------------------------------------------------------------- completion percentage


def test_completion_with_date_is_a_path_from_zero_to_hundred() -> None:
    metric = make_metric(
        Target(Rule.AT_LEAST, by=date(2027, 12, 31)), kind=MetricKind.COMPLETION, unit="%"
    )
    # from Q1/2026 (before the term) to Q4/2027: 7 quarters; Q4/2026 is 3 of them
    result = judge(metric, "2026Q4", "50")
    assert verdict(result) == (Status.ON_TRACK, Reason.ON_PATH)
    assert result.expected == D(43)  # 42,86 in whole per cent
    assert verdict(judge(metric, "2026Q4", "40")) == (Status.AT_RISK, Reason.BEHIND_PATH)
    assert verdict(judge(metric, "2027Q4", "100")) == (Status.ON_TRACK, Reason.TARGET_REACHED)
    assert verdict(judge(metric, "2027Q4", "90")) == (Status.OFF_TRACK, Reason.TARGET_MISSED)


def test_completion_without_date_is_at_least_the_target() -> None:
    metric = make_metric(Target(Rule.AT_LEAST), kind=MetricKind.COMPLETION, unit="%")
    assert verdict(judge(metric, "2026Q2", "100")) == (Status.ON_TRACK, Reason.TARGET_REACHED)
    assert verdict(judge(metric, "2026Q2", "95")) == (Status.AT_RISK, Reason.NEAR_TARGET)
    assert verdict(judge(metric, "2026Q3", "80", [number("2026Q2", "60")], term=None)) == (
        Status.AT_RISK,
        Reason.IMPROVING,
    )
    # from 0 % at the start of the term, 80 % in a quarter is on pace for 100 % by its end
    assert verdict(judge(metric, "2026Q2", "80")) == (Status.AT_RISK, Reason.IMPROVING)
    stalled = [number("2026Q2", "80")]
    assert verdict(judge(metric, "2026Q3", "80", stalled)) == (
        Status.OFF_TRACK,
        Reason.TARGET_NOT_MET,
    )


# ---------------------------------------------------------------- ANNUAL_RATE

ENERGY = make_metric(
    Target(
        Rule.ANNUAL_RATE,
        rate=D("-2.5"),
        total=D(-10),
        from_year=2025,
        by=date(2029, 12, 31),
    ),
    unit="%",
)


@pytest.mark.parametrize(
    ("period", "value", "expected", "status", "reason"),
    [
        ("2026Q2", "-1.5", "-1.3", Status.ON_TRACK, Reason.ON_PATH),
        ("2026Q2", "-1.25", "-1.25", Status.ON_TRACK, Reason.ON_PATH),
        ("2026Q2", "-1.2", "-1.3", Status.AT_RISK, Reason.BEHIND_PATH),
        ("2026Q2", "-1", "-1", Status.ON_TRACK, Reason.ON_PATH),
        ("2026Q2", "0", "-1", Status.OFF_TRACK, Reason.OFF_PATH),
        ("2026Q2", "0.5", "-1.3", Status.OFF_TRACK, Reason.OFF_PATH),
        ("2026Q4", "-2.5", "-2.5", Status.ON_TRACK, Reason.ON_PATH),
        ("2028Q4", "-6.0", "-7.5", Status.AT_RISK, Reason.BEHIND_PATH),
        ("2029Q4", "-10.2", "-10.0", Status.ON_TRACK, Reason.TARGET_REACHED),
        ("2029Q4", "-8", "-10", Status.OFF_TRACK, Reason.TARGET_MISSED),
    ],
)
def test_energy_cumulative_change(
    period: str, value: str, expected: str, status: Status, reason: str
) -> None:
    result = judge(ENERGY, period, value)
    assert verdict(result) == (status, reason)
    assert result.expected == D(expected)


def test_energy_rate_never_beyond_total() -> None:
    metric = make_metric(
        Target(Rule.ANNUAL_RATE, rate=D("-2.5"), total=D(-10), from_year=2025), unit="%"
    )
    assert judge(metric, "2030Q4", "-10").expected == D(-10)


def test_annual_rate_from_total_only() -> None:
    metric = make_metric(
        Target(Rule.ANNUAL_RATE, total=D(-10), from_year=2025, by=date(2029, 12, 31)), unit="%"
    )
    assert judge(metric, "2027Q4", "-5").expected == D(-5)


def test_energy_short_of_path_but_improving() -> None:
    history = [number("2026Q2", "1")]
    assert verdict(judge(ENERGY, "2026Q3", "0.5", history)) == (
        Status.AT_RISK,
        Reason.BEHIND_PATH,
    )


# ---------------------------------------------------------------- RELATIVE

GREENHOUSE_GASES = make_metric(
    Target(Rule.RELATIVE, reference=Reference("Satakunta", D("5.7"), unit="tCO2/as")),
    baseline=D(8),
    unit="tCO2/as",
    cadence=YEARLY,
)


@pytest.mark.parametrize(
    ("value", "status", "reason"),
    [
        ("5.7", Status.ON_TRACK, Reason.REFERENCE_MET),
        ("5.5", Status.ON_TRACK, Reason.REFERENCE_MET),
        ("7.5", Status.AT_RISK, Reason.APPROACHING_REFERENCE),
        ("8", Status.OFF_TRACK, Reason.BEHIND_REFERENCE),
        ("8.2", Status.OFF_TRACK, Reason.BEHIND_REFERENCE),
    ],
)
def test_greenhouse_gases_against_satakunta(value: str, status: Status, reason: str) -> None:
    result = judge(GREENHOUSE_GASES, "2026Q4", value)
    assert verdict(result) == (status, reason)
    assert result.expected == D("5.7")


def test_greenhouse_gases_worse_than_previous_is_off_track() -> None:
    history = [number("2026Q4", "7.5")]
    assert verdict(judge(GREENHOUSE_GASES, "2027Q4", "7.6", history)) == (
        Status.OFF_TRACK,
        Reason.BEHIND_REFERENCE,
    )


MATRICULATION = make_metric(
    Target(Rule.RELATIVE, reference=Reference("valtakunnallinen keskiarvo", None)),
    cadence=Cadence(CadenceKind.YEARLY, quarter=2),
)


def test_relative_without_reference_value_is_not_judged_on_its_own_trend() -> None:
    history = [number("2026Q2", "24")]
    for value in ("25", "24", "23"):
        result = judge(MATRICULATION, "2027Q2", value, history)
        assert verdict(result) == (Status.NOT_JUDGED, Reason.NO_REFERENCE_VALUE)
        assert not is_target_missed(result)


@pytest.mark.parametrize(
    ("value", "status", "reason"),
    [
        ("24.5", Status.ON_TRACK, Reason.REFERENCE_MET),
        ("24", Status.AT_RISK, Reason.APPROACHING_REFERENCE),
        ("23", Status.OFF_TRACK, Reason.BEHIND_REFERENCE),
    ],
)
def test_relative_to_a_figure_given_for_the_period(value: str, status: Status, reason: str) -> None:
    # the national average is asked as a metric of its own and passed in as the reference
    history = [number("2026Q2", "23.5")]
    current = number("2027Q2", value)
    result = evaluate(MATRICULATION, q("2027Q2"), current, history, term=TERM, reference=D("24.5"))
    assert verdict(result) == (status, reason)
    assert result.expected == D("24.5")


def test_a_reference_figure_is_not_judged_itself() -> None:
    national = make_metric(Target(Rule.REFERENCE), cadence=Cadence(CadenceKind.YEARLY, quarter=2))
    assert verdict(judge(national, "2026Q2", "24.1")) == (
        Status.NOT_JUDGED,
        Reason.REFERENCE_FIGURE,
    )


# ---------------------------------------------------------------- AT_LEAST_PREVIOUS (surveys)

DEVELOPMENT = make_metric(
    Target(Rule.AT_LEAST_PREVIOUS),
    kind=MetricKind.SURVEY,
    scale=(D(1), D(4)),
    baseline=D("3.6"),
    cadence=YEARLY,
)
COOPERATION = make_metric(
    Target(Rule.AT_LEAST_PREVIOUS),
    kind=MetricKind.SURVEY,
    unit="%",
    baseline=D(92),
    cadence=Cadence(CadenceKind.ODD_YEARS, quarter=2),
)


@pytest.mark.parametrize(
    ("value", "status", "reason"),
    [
        ("3.7", Status.ON_TRACK, Reason.AT_LEAST_PREVIOUS),
        ("3.6", Status.ON_TRACK, Reason.AT_LEAST_PREVIOUS),
        ("3.5", Status.AT_RISK, Reason.SLIGHTLY_BELOW_PREVIOUS),
        ("3.4", Status.OFF_TRACK, Reason.BELOW_PREVIOUS),
    ],
)
def test_survey_on_a_scale(value: str, status: Status, reason: str) -> None:
    result = judge(DEVELOPMENT, "2026Q4", value)
    assert verdict(result) == (status, reason)
    assert result.expected == D("3.6")


def test_a_baseline_of_unknown_date_is_compared_as_the_baseline_not_as_a_period() -> None:
    # "edellinen kysely": placed before the term to start the path, but no period of its own
    first = judge(DEVELOPMENT, "2026Q4", "3.7")
    assert (first.compared_with, first.compared_period) == (D("3.6"), None)
    dated = replace(DEVELOPMENT, baseline=replace(DEVELOPMENT.baseline, as_of="12/2025"))
    assert judge(dated, "2026Q4", "3.7").compared_period == q("2025Q4")
    # a figure given for the quarter the undated baseline stands in is that quarter's
    given = judge(DEVELOPMENT, "2026Q4", "3.7", [number("2026Q1", "3.5")])
    assert (given.compared_with, given.compared_period) == (D("3.5"), q("2026Q1"))


def test_survey_previous_answer_replaces_baseline() -> None:
    result = judge(DEVELOPMENT, "2027Q4", "3.7", [number("2026Q4", "3.8")])
    assert verdict(result) == (Status.AT_RISK, Reason.SLIGHTLY_BELOW_PREVIOUS)
    assert result.expected == D("3.8")


@pytest.mark.parametrize(
    ("value", "status", "reason"),
    [
        ("92", Status.ON_TRACK, Reason.AT_LEAST_PREVIOUS),
        ("90", Status.AT_RISK, Reason.SLIGHTLY_BELOW_PREVIOUS),
        ("89.9", Status.OFF_TRACK, Reason.BELOW_PREVIOUS),
    ],
)
def test_survey_percent_agreeing(value: str, status: Status, reason: str) -> None:
    assert verdict(judge(COOPERATION, "2027Q2", value)) == (status, reason)


def test_survey_first_result_without_baseline() -> None:
    metric = make_metric(Target(Rule.AT_LEAST_PREVIOUS), kind=MetricKind.SURVEY, unit="%")
    assert verdict(judge(metric, "2026Q2", "80")) == (Status.ON_TRACK, Reason.FIRST_RESULT)


def test_other_figure_at_least_previous_has_two_percent_margin() -> None:
    metric = make_metric(Target(Rule.AT_LEAST_PREVIOUS), baseline=D(200))
    assert verdict(judge(metric, "2026Q2", "196"))[0] == Status.AT_RISK
    assert verdict(judge(metric, "2026Q2", "195"))[0] == Status.OFF_TRACK


def test_odd_year_survey_not_due_in_2026() -> None:
    history = [number("2025Q2", "92")]
    result = judge(COOPERATION, "2026Q2", None, history)
    assert verdict(result) == (Status.NOT_DUE, Reason.NOT_DUE_THIS_PERIOD)
    assert result.value == AnswerValue.of_number(D(92))
    assert result.value_period == q("2025Q2")
    assert not is_target_missed(result)


def test_not_due_without_earlier_value() -> None:
    result = judge(COOPERATION, "2026Q2", None)
    assert verdict(result) == (Status.NOT_DUE, Reason.NOT_DUE_THIS_PERIOD)
    assert result.value is None
    assert result.value_period is None


def test_value_given_off_cadence_is_judged() -> None:
    assert verdict(judge(COOPERATION, "2026Q3", "93")) == (
        Status.ON_TRACK,
        Reason.AT_LEAST_PREVIOUS,
    )


# ---------------------------------------------------------------- yes/no, by meaning


def closes(period: str) -> date:
    """The day a quarter's round closes: about two weeks into the next quarter."""
    following = q(period).next()
    return date(following.year, following.first_day.month, 14)


def judge_on_close(
    metric: Metric, period: str, value: bool | None, history: Sequence[Answer] = ()
) -> Evaluation:
    current = None if value is None else flag(period, value)
    return evaluate(metric, q(period), current, history, term=TERM, judged_on=closes(period))


def yes_no(
    *,
    meaning: Meaning = Meaning.DELIVERABLE,
    by: date | None = None,
    cadence: Cadence | None = None,
) -> Metric:
    metric = make_metric(
        Target(Rule.DONE, value=True, by=by), kind=MetricKind.YES_NO, baseline=False
    )
    return replace(metric, meaning=meaning, cadence=cadence or Cadence())


PLAN_DRAFT = yes_no(by=date(2026, 12, 31), cadence=Cadence(CadenceKind.ONCE, by=date(2026, 12, 31)))
WALKING_PROGRAMME = yes_no(
    by=date(2027, 3, 31), cadence=Cadence(CadenceKind.ONCE, by=date(2027, 3, 31))
)
STUDY = yes_no()  # "Laaditaan selvitys …": no date, due by the end of the term
ANSWERS_NEXT_DAY = yes_no(meaning=Meaning.STATE)
FAIR = yes_no(meaning=Meaning.RECURRING, cadence=Cadence(CadenceKind.EVEN_YEARS))
CULTURE_PLAN = yes_no(meaning=Meaning.RECURRING, cadence=Cadence(CadenceKind.YEARLY))


@pytest.mark.parametrize(
    ("period", "status", "reason"),
    [
        ("2026Q2", Status.ON_TRACK, Reason.NOT_YET_DUE),  # closes 14.7.2026
        ("2026Q3", Status.AT_RISK, Reason.DUE_SOON),  # closes 14.10.2026: its last quarter
        ("2026Q4", Status.OFF_TRACK, Reason.OVERDUE),  # closes 14.1.2027: the date has passed
        ("2027Q1", Status.OFF_TRACK, Reason.OVERDUE),
        ("2029Q4", Status.OFF_TRACK, Reason.OVERDUE),
    ],
)
def test_dated_deliverable_not_done_is_judged_on_the_day_the_round_closes(
    period: str, status: Status, reason: str
) -> None:
    result = judge_on_close(PLAN_DRAFT, period, False)
    assert verdict(result) == (status, reason)
    assert result.trend == Trend.SAME
    assert result.expected is None


def test_without_a_closing_day_the_quarters_last_day_is_the_judgement_day() -> None:
    assert verdict(judge(PLAN_DRAFT, "2026Q4", False)) == (Status.AT_RISK, Reason.DUE_SOON)


@pytest.mark.parametrize(
    ("period", "status", "reason"),
    [
        ("2026Q3", Status.ON_TRACK, Reason.NOT_YET_DUE),
        ("2026Q4", Status.AT_RISK, Reason.DUE_SOON),  # closes 14.1.2027, due 31.3.2027
        ("2027Q1", Status.OFF_TRACK, Reason.OVERDUE),
    ],
)
def test_deliverable_due_early_in_a_year(period: str, status: Status, reason: str) -> None:
    assert verdict(judge_on_close(WALKING_PROGRAMME, period, False)) == (status, reason)


def test_done_on_time_and_done_late() -> None:
    on_time = judge_on_close(PLAN_DRAFT, "2026Q4", True, [flag("2026Q3", False)])
    assert verdict(on_time) == (Status.ON_TRACK, Reason.DONE)
    assert on_time.trend == Trend.UP and on_time.improving is True
    assert on_time.previous == AnswerValue.of_flag(False)
    late = judge_on_close(PLAN_DRAFT, "2027Q1", True, [flag("2026Q4", False)])
    assert verdict(late) == (Status.ON_TRACK, Reason.DONE_LATE)
    assert late.value_period == q("2027Q1")
    assert not is_target_missed(late)


def test_done_is_not_asked_again_and_stays_done() -> None:
    history = [flag("2026Q2", False), flag("2026Q3", True)]
    assert not PLAN_DRAFT.is_asked(q("2026Q4"), [q("2026Q3")])
    assert PLAN_DRAFT.is_asked(q("2027Q2"), [])  # not done: asked after its date too
    later = judge_on_close(PLAN_DRAFT, "2027Q2", None, history)
    assert verdict(later) == (Status.ON_TRACK, Reason.DONE)
    assert later.value == AnswerValue.of_flag(True)
    assert later.value_period == q("2026Q3")
    # an answer given afterwards does not undo it
    assert verdict(judge_on_close(PLAN_DRAFT, "2026Q4", False, history)) == (
        Status.ON_TRACK,
        Reason.DONE,
    )
    late = judge_on_close(PLAN_DRAFT, "2029Q4", None, [flag("2027Q2", True)])
    assert verdict(late) == (Status.ON_TRACK, Reason.DONE_LATE)


def test_overdue_deliverable_not_answered_is_no_answer() -> None:
    result = judge_on_close(PLAN_DRAFT, "2027Q1", None, [flag("2026Q4", False)])
    assert verdict(result) == (Status.NO_ANSWER, Reason.NO_ANSWER)
    assert result.previous == AnswerValue.of_flag(False)


@pytest.mark.parametrize(
    ("period", "status", "reason"),
    [
        ("2026Q2", Status.ON_TRACK, Reason.NOT_YET_DUE),
        ("2028Q3", Status.ON_TRACK, Reason.NOT_YET_DUE),  # closes 14.10.2028
        ("2028Q4", Status.AT_RISK, Reason.DUE_SOON),  # closes 14.1.2029: the term's last year
        ("2029Q3", Status.AT_RISK, Reason.DUE_SOON),
        ("2029Q4", Status.OFF_TRACK, Reason.OVERDUE),  # reported in January 2030
    ],
)
def test_undated_deliverable_is_due_by_the_end_of_the_term(
    period: str, status: Status, reason: str
) -> None:
    assert verdict(judge_on_close(STUDY, period, False)) == (status, reason)


def test_undated_deliverable_without_a_term() -> None:
    result = evaluate(STUDY, q("2026Q2"), flag("2026Q2", False), [], term=None)
    assert verdict(result) == (Status.AT_RISK, Reason.NOT_DONE)


@pytest.mark.parametrize("period", ["2026Q2", "2027Q3", "2029Q4"])
def test_a_state_is_judged_every_quarter(period: str) -> None:
    holds = judge_on_close(ANSWERS_NEXT_DAY, period, True, [flag("2026Q1", False)])
    assert verdict(holds) == (Status.ON_TRACK, Reason.HOLDS)
    broken = judge_on_close(ANSWERS_NEXT_DAY, period, False, [flag("2026Q1", True)])
    assert verdict(broken) == (Status.OFF_TRACK, Reason.DOES_NOT_HOLD)
    assert ANSWERS_NEXT_DAY.is_asked(q(period), [q("2026Q1")])
    unanswered = judge_on_close(ANSWERS_NEXT_DAY, period, None, [flag("2026Q1", True)])
    assert verdict(unanswered) == (Status.NO_ANSWER, Reason.NO_ANSWER)


def test_biennial_fair_across_the_term() -> None:
    # 2026: not done by the end of the year
    table = [
        ("2026Q2", False, Status.ON_TRACK, Reason.NOT_YET_DUE),
        ("2026Q3", False, Status.AT_RISK, Reason.DUE_SOON),
        ("2026Q4", False, Status.OFF_TRACK, Reason.MISSED),
    ]
    history: list[Answer] = []
    for period, value, status, reason in table:
        assert FAIR.is_asked(q(period), [a.period for a in history if a.value.flag])
        assert verdict(judge_on_close(FAIR, period, value, history)) == (status, reason), period
        history.append(flag(period, value))
    # 2027 has no fair: the missed 2026 stays red, and is not asked
    assert not FAIR.is_asked(q("2027Q2"))
    odd_year = judge_on_close(FAIR, "2027Q2", None, history)
    assert verdict(odd_year) == (Status.OFF_TRACK, Reason.MISSED)
    assert odd_year.missed == (q("2026Q4"),)
    # 2028: time remains, and the 2026 miss is still listed
    first = judge_on_close(FAIR, "2028Q1", False, history)
    assert verdict(first) == (Status.ON_TRACK, Reason.NOT_YET_DUE)
    assert first.missed == (q("2026Q4"),)
    history.append(flag("2028Q1", False))
    done = judge_on_close(FAIR, "2028Q2", True, history)
    assert verdict(done) == (Status.ON_TRACK, Reason.DONE)
    history.append(flag("2028Q2", True))
    assert not FAIR.is_asked(q("2028Q3"), [q("2028Q2")])  # done this year
    after = judge_on_close(FAIR, "2029Q4", None, history)
    assert verdict(after) == (Status.ON_TRACK, Reason.DONE)
    assert after.value_period == q("2028Q2")
    assert after.missed == (q("2026Q4"),)


def test_yearly_action_missed_in_the_last_year_is_reported_in_2030() -> None:
    history = [flag(p, True) for p in ("2026Q3", "2027Q2", "2028Q4")]
    result = judge_on_close(CULTURE_PLAN, "2029Q4", False, [*history, flag("2029Q3", False)])
    assert verdict(result) == (Status.OFF_TRACK, Reason.MISSED)
    assert result.missed == ()  # 2026–2028 were done
    assert verdict(judge_on_close(CULTURE_PLAN, "2029Q3", False, history)) == (
        Status.AT_RISK,
        Reason.DUE_SOON,
    )


def test_recurring_action_asked_from_its_quarter() -> None:
    calendar_ = yes_no(meaning=Meaning.RECURRING, cadence=Cadence(CadenceKind.YEARLY, quarter=3))
    assert not calendar_.is_asked(q("2027Q2"))
    assert calendar_.is_asked(q("2027Q3"))
    result = judge_on_close(calendar_, "2027Q2", None, [flag("2026Q3", True)])
    assert verdict(result) == (Status.ON_TRACK, Reason.DONE)
    assert result.value_period == q("2026Q3")


def test_yes_no_trend_against_the_baseline() -> None:
    assert judge_on_close(STUDY, "2026Q2", True).trend == Trend.UP
    no_baseline = replace(STUDY, baseline=Baseline(measured=False))
    assert judge_on_close(no_baseline, "2026Q2", True).trend == Trend.UNKNOWN


# ---------------------------------------------------------------- verdict rules that misfired


def test_a_passed_deadline_is_never_near() -> None:
    trees = make_metric(Target(Rule.AT_LEAST, value=D(30)), kind=MetricKind.COUNT, cadence=YEARLY)
    assert verdict(judge(trees, "2026Q4", "29")) == (Status.AT_RISK, Reason.NEAR_TARGET)
    assert verdict(judge(trees, "2029Q4", "29")) == (Status.OFF_TRACK, Reason.TARGET_MISSED)
    days = make_metric(Target(Rule.AT_MOST, value=D(30), by=date(2027, 12, 31)))
    assert verdict(judge(days, "2027Q3", "31")) == (Status.AT_RISK, Reason.NEAR_TARGET)
    assert verdict(judge(days, "2027Q4", "31")) == (Status.OFF_TRACK, Reason.TARGET_MISSED)
    assert verdict(judge(days, "2028Q2", "30")) == (Status.ON_TRACK, Reason.TARGET_MET)


@pytest.mark.parametrize(
    ("kind", "target", "value", "status"),
    [
        (MetricKind.COUNT, "30", "29", Status.AT_RISK),  # 29 trees of at least 30
        (MetricKind.COUNT, "30", "28", Status.OFF_TRACK),
        (MetricKind.NUMBER, "50", "48", Status.AT_RISK),
        (MetricKind.NUMBER, "50", "47", Status.OFF_TRACK),
        (MetricKind.SURVEY, "4", "3.8", Status.AT_RISK),
        (MetricKind.COMPLETION, "100", "95", Status.AT_RISK),
    ],
)
def test_near_is_relative_to_the_target_for_every_kind(
    kind: MetricKind, target: str, value: str, status: Status
) -> None:
    metric = make_metric(
        Target(Rule.AT_LEAST, value=D(target)),
        kind=kind,
        scale=(D(1), D(5)) if kind == MetricKind.SURVEY else None,
        cadence=YEARLY,
    )
    result = judge(metric, "2026Q4", value)
    assert result.status == status
    if status == Status.AT_RISK:
        assert result.reason_code == Reason.NEAR_TARGET


SEASONAL_UNEMPLOYMENT = replace(
    UNEMPLOYMENT,
    baseline=Baseline(
        measured=True,
        value=D(12),
        as_of="12/2025",
        history=(Observation(D("11.9"), "02/2026"),),
    ),
    target=Target(Rule.BELOW, value=D(8), compared_with=Comparison.YEAR_BEFORE),
)


def test_seasonal_figure_is_compared_with_the_same_quarter_a_year_earlier() -> None:
    # Q4/2026 against 12 % of 12/2025: 0,25 points a quarter reaches 8,0 %, not below 8
    slow = judge(SEASONAL_UNEMPLOYMENT, "2026Q4", "11.0", [number("2026Q3", "10.5")])
    assert verdict(slow) == (Status.OFF_TRACK, Reason.TOO_SLOW)
    assert (slow.compared_with, slow.compared_period) == (D(12), q("2025Q4"))
    assert slow.improving is True  # although Q3's 10,5 was lower
    fast = judge(SEASONAL_UNEMPLOYMENT, "2026Q4", "10.9")
    assert verdict(fast) == (Status.AT_RISK, Reason.IMPROVING)
    # Q1/2027 against the adopted 11,9 % of 02/2026
    spring = judge(SEASONAL_UNEMPLOYMENT, "2027Q1", "12.1", [number("2026Q4", "10.9")])
    assert (spring.compared_with, spring.compared_period) == (D("11.9"), q("2026Q1"))
    assert spring.improving is False
    # nothing a year before Q2/2026: no trend, and far from the target
    first = judge(SEASONAL_UNEMPLOYMENT, "2026Q2", "11.9")
    assert first.compared_with is None and first.trend == Trend.UNKNOWN
    assert verdict(first) == (Status.OFF_TRACK, Reason.TARGET_NOT_MET)


def test_the_adopted_history_is_a_known_figure() -> None:
    plain = replace(SEASONAL_UNEMPLOYMENT, target=Target(Rule.BELOW, value=D(8)))
    result = judge(plain, "2026Q2", "11.9")
    assert (result.compared_with, result.compared_period) == (D("11.9"), q("2026Q1"))
    assert result.trend == Trend.SAME


POPULATION_CHANGE = make_metric(
    Target(Rule.AT_LEAST, value=D(0)), baseline=D(-85), as_of="12/2025", unit="hlö"
)


@pytest.mark.parametrize(
    ("metric", "value", "status", "reason"),
    [
        # from the baselines of 12/2025: net migration -20, population change -85
        (NET_MIGRATION, "-10", Status.AT_RISK, Reason.IMPROVING),
        (POPULATION_CHANGE, "-40", Status.AT_RISK, Reason.IMPROVING),
        (NET_MIGRATION, "-18", Status.OFF_TRACK, Reason.TOO_SLOW),
        (POPULATION_CHANGE, "-80", Status.OFF_TRACK, Reason.TOO_SLOW),
        (NET_MIGRATION, "-20", Status.OFF_TRACK, Reason.TARGET_NOT_MET),
        (POPULATION_CHANGE, "-85", Status.OFF_TRACK, Reason.TARGET_NOT_MET),
    ],
)
def test_positive_and_at_least_zero_treat_improvement_alike(
    metric: Metric, value: str, status: Status, reason: str
) -> None:
    assert verdict(judge(metric, "2026Q4", value)) == (status, reason)


COMPLETION_GROWING = make_metric(Target(Rule.INCREASE), kind=MetricKind.COMPLETION, unit="%")


def test_completion_that_reached_100_is_on_track() -> None:
    done = judge(COMPLETION_GROWING, "2026Q4", "100", [number("2026Q3", "100")])
    assert verdict(done) == (Status.ON_TRACK, Reason.TARGET_REACHED)


def test_a_first_zero_per_cent_is_not_on_track() -> None:
    assert verdict(judge(COMPLETION_GROWING, "2026Q2", "0")) == (
        Status.AT_RISK,
        Reason.SAME_AS_PREVIOUS,
    )
    assert verdict(judge(COMPLETION_GROWING, "2026Q2", "20")) == (
        Status.ON_TRACK,
        Reason.BETTER_THAN_PREVIOUS,
    )


BIO_WASTE_EVERY_YEAR = replace(
    BIO_WASTE,
    target=replace(BIO_WASTE.target, also=Rule.DECREASE),
)


@pytest.mark.parametrize(
    ("history", "period", "value", "status", "reason"),
    [
        ((), "2026Q4", "11300", Status.ON_TRACK, Reason.ON_PATH),
        ((("2026Q4", "10900"),), "2027Q4", "11000", Status.OFF_TRACK, Reason.WORSE_THAN_PREVIOUS),
        ((("2026Q4", "11000"),), "2027Q4", "11000", Status.AT_RISK, Reason.SAME_AS_PREVIOUS),
        ((("2026Q4", "11300"),), "2027Q4", "11000", Status.ON_TRACK, Reason.ON_PATH),
        ((("2027Q4", "11000"),), "2028Q4", "10800", Status.OFF_TRACK, Reason.TARGET_MISSED),
        ((("2027Q4", "10600"),), "2028Q4", "10700", Status.OFF_TRACK, Reason.WORSE_THAN_PREVIOUS),
    ],
)
def test_path_and_year_on_year_are_both_checked(
    history: tuple[tuple[str, str], ...], period: str, value: str, status: Status, reason: str
) -> None:
    answers = [number(p, v) for p, v in history]
    assert verdict(judge(BIO_WASTE_EVERY_YEAR, period, value, answers)) == (status, reason)


def test_must_grow_compares_with_what_the_catalogue_says() -> None:
    against_baseline = replace(
        EVENTS, target=Target(Rule.INCREASE, compared_with=Comparison.BASELINE)
    )
    history = [number("2026Q4", "30")]
    by_baseline = judge(against_baseline, "2027Q4", "27", history)
    assert verdict(by_baseline) == (Status.ON_TRACK, Reason.BETTER_THAN_PREVIOUS)
    assert by_baseline.compared_with == D(25)
    by_previous = judge(EVENTS, "2027Q4", "27", history)
    assert verdict(by_previous) == (Status.OFF_TRACK, Reason.WORSE_THAN_PREVIOUS)
    assert (by_previous.compared_with, by_previous.compared_period) == (D(30), q("2026Q4"))


# ---------------------------------------------------------------- the target path


def test_the_path_the_judge_uses_is_the_one_the_chart_draws() -> None:
    path = target_path(BIO_WASTE, TERM)
    assert path.baseline == PathPoint(q("2025Q4"), D(11715))
    assert path.points[0].period == q("2025Q4") and path.points[-1] == PathPoint(
        q("2028Q4"), D(10715)
    )
    assert judge(BIO_WASTE, "2026Q4", "11300").expected == round(path.expected(q("2026Q4")) or 0)
    energy = target_path(ENERGY, TERM)
    assert energy.expected(q("2027Q4")) == D("-5")
    assert energy.expected(q("2030Q4")) == D(-10)


def test_an_annual_rate_without_a_date_runs_to_the_end_of_the_term() -> None:
    undated = make_metric(Target(Rule.ANNUAL_RATE, rate=D("-2.5"), from_year=2025), unit="%")
    path = target_path(undated, TERM)
    assert path.deadline == q("2029Q4")
    assert path.points[-1] == PathPoint(q("2029Q4"), D(-10))
    # the judge follows the same path: from the deadline on it is the final verdict
    assert judge(undated, "2027Q4", "-5.0").expected == D("-5.0")
    assert verdict(judge(undated, "2029Q4", "-8")) == (Status.OFF_TRACK, Reason.TARGET_MISSED)


def test_levels_for_the_chart() -> None:
    assert target_path(UNEMPLOYMENT, TERM).level == D(8)
    assert target_path(NET_MIGRATION, TERM).level == D(0)
    assert target_path(GREENHOUSE_GASES, TERM).level == D("5.7")
    assert target_path(MATRICULATION, TERM, reference=D(24)).level == D(24)
    assert target_path(EVENTS, TERM).level is None


# ---------------------------------------------------------------- states without a verdict


def test_no_answer_keeps_previous() -> None:
    result = judge(LENDABLE_ITEMS, "2026Q3", None, [number("2026Q2", "113")])
    assert verdict(result) == (Status.NO_ANSWER, Reason.NO_ANSWER)
    assert result.value is None
    assert result.previous == AnswerValue.of_number(D(113))
    assert result.previous_period == q("2026Q2")
    assert not is_target_missed(result)


def test_no_data_is_its_own_state() -> None:
    current = Answer("G-1.1", q("2026Q2"), AnswerValue.no_data())
    result = evaluate(UNEMPLOYMENT, q("2026Q2"), current, [], term=TERM)
    assert verdict(result) == (Status.NO_DATA, Reason.NO_DATA)
    assert result.value == AnswerValue.no_data()
    assert not is_target_missed(result)


def test_skipped_keeps_reason() -> None:
    current = Answer("G-1.1", q("2026Q2"), AnswerValue.skipped("tilasto ei valmis"))
    result = evaluate(UNEMPLOYMENT, q("2026Q2"), current, [], term=TERM)
    assert verdict(result) == (Status.SKIPPED, Reason.SKIPPED)
    assert result.value is not None
    assert result.value.reason == "tilasto ei valmis"


def test_no_data_when_not_due_is_not_due() -> None:
    current = Answer("G-1.1", q("2026Q2"), AnswerValue.no_data())
    result = evaluate(COOPERATION, q("2026Q2"), current, [], term=TERM)
    assert result.status == Status.NOT_DUE


def test_wrong_kind_of_value_is_unusable() -> None:
    assert verdict(judge(UNEMPLOYMENT, "2026Q2", True)) == (
        Status.NO_ANSWER,
        Reason.UNUSABLE_VALUE,
    )
    assert verdict(judge(PLAN_DRAFT, "2026Q2", "1")) == (
        Status.NO_ANSWER,
        Reason.UNUSABLE_VALUE,
    )


def test_earlier_no_data_is_not_previous() -> None:
    history = [
        number("2026Q2", "113"),
        Answer("G-1.1", q("2026Q3"), AnswerValue.no_data()),
    ]
    result = judge(LENDABLE_ITEMS, "2026Q4", "114", history)
    assert result.previous_period == q("2026Q2")
    assert verdict(result) == (Status.ON_TRACK, Reason.BETTER_THAN_PREVIOUS)


def test_history_in_any_order_and_later_answers_ignored() -> None:
    history = [
        number("2027Q1", "200"),
        number("2026Q2", "113"),
        number("2026Q4", "120"),
        number("2026Q3", "118"),
        number("2027Q1", "999"),
    ]
    result = judge(LENDABLE_ITEMS, "2027Q1", "119", history)
    assert result.previous_period == q("2026Q4")
    assert result.change_from_previous == D(-1)
    assert verdict(result) == (Status.OFF_TRACK, Reason.WORSE_THAN_PREVIOUS)


def test_answers_of_another_metric_are_refused() -> None:
    other = Answer("G-2.1", q("2026Q1"), AnswerValue.of_number(D(1)))
    with pytest.raises(ValueError):
        evaluate(LENDABLE_ITEMS, q("2026Q2"), None, [other])
    with pytest.raises(ValueError):
        evaluate(LENDABLE_ITEMS, q("2026Q2"), number("2026Q3", "1"), [])


# ---------------------------------------------------------------- helpers


def test_summarise_and_missed() -> None:
    results = [
        judge(LENDABLE_ITEMS, "2026Q2", "113"),
        judge(LENDABLE_ITEMS, "2026Q2", "112"),
        judge(LENDABLE_ITEMS, "2026Q2", "100"),
        judge(LENDABLE_ITEMS, "2026Q2", "101"),
        judge(LENDABLE_ITEMS, "2026Q2", None),
    ]
    counts = summarise(results)
    assert counts[Status.ON_TRACK] == 1
    assert counts[Status.AT_RISK] == 1
    assert counts[Status.OFF_TRACK] == 2
    assert counts[Status.NO_ANSWER] == 1
    assert counts[Status.NOT_DUE] == 0
    assert [is_target_missed(r) for r in results] == [False, True, True, True, False]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025", date(2025, 12, 31)),
        ("v. 2025", date(2025, 12, 31)),
        ("vuonna 2025", date(2025, 12, 31)),
        ("12/2025", date(2025, 12, 31)),
        ("02/2026", date(2026, 2, 28)),
        ("2/2024", date(2024, 2, 29)),
        ("31.12.2025", date(2025, 12, 31)),
        ("kevät 2025", date(2025, 12, 31)),
        ("", None),
        ("ei vielä mitattu", None),
        ("13/2025", None),
        ("31.2.2025", None),
    ],
)
def test_parse_as_of(text: str, expected: date | None) -> None:
    assert parse_as_of(text) == expected


def test_baseline_period_sources() -> None:
    assert baseline_period(UNEMPLOYMENT) == q("2025Q4")
    on = make_metric(Target(Rule.INCREASE), baseline=D(1), as_of="2024", on=date(2025, 5, 1))
    assert baseline_period(on) == q("2025Q2")
    assert baseline_period(ORGANIC_FOOD, TERM) == q("2026Q1")
    assert baseline_period(ORGANIC_FOOD) is None


def test_better_direction() -> None:
    assert better_direction(UNEMPLOYMENT) == Direction.LOWER
    assert better_direction(LENDABLE_ITEMS) == Direction.HIGHER
    assert better_direction(BIO_WASTE) == Direction.LOWER
    assert better_direction(ORGANIC_FOOD) == Direction.HIGHER
    assert better_direction(ENERGY) == Direction.LOWER
    assert better_direction(GREENHOUSE_GASES) == Direction.LOWER
    assert better_direction(MATRICULATION) == Direction.HIGHER
    assert better_direction(POPULATION) == Direction.HIGHER
    assert better_direction(make_metric(Target(Rule.ANNUAL_RATE))) is None
    below_reference = make_metric(
        Target(Rule.RELATIVE, reference=Reference("koko maa", D(20))), baseline=D(18)
    )
    assert better_direction(below_reference) == Direction.HIGHER


def test_rules_text_is_the_same_in_docs() -> None:
    doc = evaluation_module.__doc__
    assert doc is not None
    rules = doc.split("================\n", 1)[1].strip()
    docs_file = Path(__file__).resolve().parents[2] / "docs" / "evaluation-rules.md"
    assert rules in docs_file.read_text(encoding="utf-8")


def test_every_reason_code_is_a_reason() -> None:
    # templates key their sentences on Reason; every verdict must use one of them
    assert all(isinstance(r.value, str) for r in Reason)
    assert judge(UNEMPLOYMENT, "2026Q2", "11.9").reason_code in set(Reason)
