"""Finnish formatting through Babel; expected strings are Babel's own output."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from goalbot.domain.answers import AnswerState, AnswerValue
from goalbot.domain.goals import Baseline, Metric, MetricKind, Rule, Target
from goalbot.domain.periods import Period
from goalbot.reporting.formatting import (
    answer_label,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    format_period,
    format_value,
)

D = Decimal
NBSP = "\u00a0"


def make_metric(
    kind: MetricKind = MetricKind.NUMBER,
    unit: str = "",
    decimals: int | None = None,
    scale: tuple[Decimal, Decimal] | None = None,
    rule: Rule = Rule.INCREASE,
) -> Metric:
    return Metric(
        key="1",
        goal_id="G-1",
        name="mittari",
        kind=kind,
        baseline=Baseline(measured=False),
        target=Target(rule),
        unit=unit,
        decimals=decimals,
        scale=scale,
    )


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (D("11.9"), None, "11,9"),
        (D("1021000"), None, f"1{NBSP}021{NBSP}000"),
        (D("1021000"), 0, f"1{NBSP}021{NBSP}000"),
        (D("2373"), None, f"2{NBSP}373"),
        (D("-20"), None, "\u221220"),
        (D("3.30"), None, "3,3"),
        (D("3.6"), 2, "3,60"),
        (D("11.85"), 1, "11,9"),
        (D("11.25"), 1, "11,3"),
        (D("-0.04"), 1, "0,0"),
        (D("1234.5678"), None, f"1{NBSP}234,5678"),
        (D("1E+6"), None, f"1{NBSP}000{NBSP}000"),
        (D("0"), None, "0"),
        (112, None, "112"),
    ],
)
def test_format_number(value: Decimal | int, decimals: int | None, expected: str) -> None:
    assert format_number(value, decimals) == expected


def test_format_number_other_locales() -> None:
    assert format_number(D("1021000.5"), 2, "en_GB") == "1,021,000.50"
    assert format_number(D("1021000.5"), None, "sv_FI") == f"1{NBSP}021{NBSP}000,5"


def test_format_number_refuses_negative_decimals() -> None:
    with pytest.raises(ValueError):
        format_number(D(1), -1)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (D("11.9"), None, f"11,9{NBSP}%"),
        (D("12"), None, f"12{NBSP}%"),
        (D("12"), 1, f"12,0{NBSP}%"),
        (D("91.7"), 0, f"92{NBSP}%"),
        (D("-2.5"), None, f"\u22122,5{NBSP}%"),
        (D("100"), None, f"100{NBSP}%"),
    ],
)
def test_format_percent(value: Decimal, decimals: int | None, expected: str) -> None:
    assert format_percent(value, decimals) == expected


@pytest.mark.parametrize(
    ("metric", "value", "expected"),
    [
        (make_metric(unit="%", decimals=1), D("11.9"), f"11,9{NBSP}%"),
        (make_metric(unit="%", decimals=1), D("12"), f"12,0{NBSP}%"),
        (make_metric(unit="€"), D("1021000"), f"1{NBSP}021{NBSP}000{NBSP}€"),
        (make_metric(unit="€", decimals=2), D("1021000"), f"1{NBSP}021{NBSP}000,00{NBSP}€"),
        (make_metric(unit="€/asukas"), D("2373"), f"2{NBSP}373{NBSP}€/asukas"),
        (make_metric(unit="kg/vuosi"), D("11715"), f"11{NBSP}715{NBSP}kg/vuosi"),
        (make_metric(unit="hlö"), D("-20"), f"\u221220{NBSP}hlö"),
        (make_metric(unit="tCO2/as"), D("5.7"), f"5,7{NBSP}tCO2/as"),
        (make_metric(MetricKind.COUNT), D("112"), "112"),
        (
            make_metric(MetricKind.SURVEY, decimals=1, scale=(D(1), D(4))),
            D("3.6"),
            "3,6 / 1–4",
        ),
        (
            make_metric(MetricKind.SURVEY, decimals=2, scale=(D(1), D(4))),
            D("3.3"),
            "3,30 / 1–4",
        ),
        (make_metric(MetricKind.SURVEY, unit="%"), D("92"), f"92{NBSP}%"),
        (make_metric(MetricKind.COMPLETION), D("75"), f"75{NBSP}%"),
        (make_metric(unit="%", rule=Rule.ANNUAL_RATE), D("-2.5"), f"\u22122,5{NBSP}%"),
        # never round away what was typed: the metric's decimals are a minimum
        (make_metric(unit="%", decimals=0), D("11.9"), f"11,9{NBSP}%"),
        (make_metric(unit="kg/vuosi", decimals=0), D("11715.5"), f"11{NBSP}715,5{NBSP}kg/vuosi"),
        (make_metric(unit="€", decimals=0), D("-1021000"), f"\u22121{NBSP}021{NBSP}000{NBSP}€"),
        (make_metric(unit="%", decimals=1), D("11.90"), f"11,90{NBSP}%"),
    ],
)
def test_format_value_figures(metric: Metric, value: Decimal, expected: str) -> None:
    assert format_value(metric, AnswerValue.of_number(value)) == expected


def test_format_value_labels() -> None:
    yes_no = make_metric(MetricKind.YES_NO, rule=Rule.DONE)
    assert format_value(yes_no, AnswerValue.of_flag(True)) == "Kyllä"
    assert format_value(yes_no, AnswerValue.of_flag(False)) == "Ei"
    assert format_value(yes_no, AnswerValue.no_data()) == "Ei tietoa vielä"
    assert format_value(yes_no, AnswerValue.skipped("ei koske")) == "Ohitettu"
    number = make_metric(unit="%")
    assert format_value(number, AnswerValue.no_data()) == "Ei tietoa vielä"


def test_labels_by_language() -> None:
    assert answer_label("yes", "en_GB") == "Yes"
    assert answer_label("no_data", "fi") == "Ei tietoa vielä"
    assert answer_label("yes", "sv_FI") == "Ja"
    # a language without its own words: Finnish
    assert answer_label("yes", "de_DE") == "Kyllä"


def test_format_value_other_locale() -> None:
    assert format_value(make_metric(unit="€"), AnswerValue.of_number(D(1021000)), "en_GB") == (
        "€1,021,000"
    )


def test_format_value_without_content_is_refused() -> None:
    with pytest.raises(ValueError):
        format_value(make_metric(), AnswerValue(AnswerState.VALUE))


def test_format_date() -> None:
    assert format_date(date(2026, 12, 31)) == "31.12.2026"
    assert format_date(date(2026, 1, 5)) == "5.1.2026"
    # the same in every language: dates are written as in Finland
    assert format_date(date(2026, 1, 5), "en_GB") == "5.1.2026"


def test_format_period() -> None:
    assert format_period(Period(2026, 2)) == "Q2/2026"


def test_format_datetime_in_helsinki_time() -> None:
    moment = datetime(2026, 12, 31, 14, 0, tzinfo=UTC)
    assert format_datetime(moment, "Europe/Helsinki") == "31.12.2026 klo 16.00"
    assert format_datetime(moment, ZoneInfo("Europe/Helsinki")) == "31.12.2026 klo 16.00"
    assert format_datetime(moment) == "31.12.2026 klo 16.00"


def test_format_datetime_summer_time_and_naive_utc() -> None:
    assert format_datetime(datetime(2026, 6, 30, 6, 5), "Europe/Helsinki") == "30.6.2026 klo 9.05"
    assert format_datetime(datetime(2026, 6, 30, 6, 5), "UTC") == "30.6.2026 klo 6.05"


def test_format_datetime_other_locales() -> None:
    moment = datetime(2026, 12, 31, 14, 0, tzinfo=UTC)
    # the date and time as in Finland, the words between them in the language
    assert format_datetime(moment, "Europe/Helsinki", "en_GB") == "31.12.2026 at 16.00"
    assert format_datetime(moment, "Europe/Helsinki", "sv_FI") == "31.12.2026 kl. 16.00"
