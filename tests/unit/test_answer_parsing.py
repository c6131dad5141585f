"""Reading what an owner typed, with the metrics of the shipped Kokemäki catalogue."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import pytest

from goalbot.catalogues import shipped_catalogue_path
from goalbot.domain.answers import (
    MAX_FIGURE_DIGITS,
    MAX_REASON_LENGTH,
    InvalidAnswer,
    check_range,
    clean_text,
    parse_number,
    parse_reason,
    parse_yes_no,
    value_range,
)
from goalbot.domain.catalogue_file import read_catalogue
from goalbot.domain.goals import Catalogue, Metric


@cache
def catalogue() -> Catalogue:
    return read_catalogue(shipped_catalogue_path())


def metric(metric_id: str) -> Metric:
    goal_id, key = metric_id.rsplit(".", 1)
    return catalogue().goal(goal_id).metric(key)


UNEMPLOYMENT = "STR-3.1"  # %, below 8
CORPORATE_TAX = "STR-7.1"  # €
TAX_PER_RESIDENT = "STR-6.1"  # €/as
NET_MIGRATION = "STR-4.1"  # hlö, may be negative
SATISFACTION = "STR-1.1"  # survey 1–5
COMMITMENT = "PO-2.1"  # survey 1–4
CONTACTS = "YH-8.4"  # count of contacts
ZONING = "YH-8.2"  # completion %
ENERGY = "TEK-1.1"  # % change a year
BIOWASTE = "TILA-2.1"  # kg/vuosi
EMISSIONS = "STR-2.1"  # tCO₂/as


@pytest.mark.parametrize(
    ("metric_id", "text", "number"),
    [
        (UNEMPLOYMENT, "11,9", "11.9"),
        (UNEMPLOYMENT, "11.9", "11.9"),
        (UNEMPLOYMENT, " 11,9 % ", "11.9"),
        (UNEMPLOYMENT, "11,9%", "11.9"),
        (UNEMPLOYMENT, "11,9 prosenttia", "11.9"),
        (UNEMPLOYMENT, "0", "0"),
        (UNEMPLOYMENT, "100 %", "100"),
        (CORPORATE_TAX, "1 021 000", "1021000"),
        (CORPORATE_TAX, "1\u00a0021\u00a0000", "1021000"),
        (CORPORATE_TAX, "1\u202f021\u202f000 €", "1021000"),
        (CORPORATE_TAX, "1 021 000 euroa", "1021000"),
        (CORPORATE_TAX, "1021000 e", "1021000"),
        (CORPORATE_TAX, "1021000 EUR", "1021000"),
        (CORPORATE_TAX, "1.021.000", "1021000"),
        # a single point is a decimal point, as in 11.9, never a thousands separator
        (CORPORATE_TAX, "1.021", "1.021"),
        (TAX_PER_RESIDENT, "3 950 €", "3950"),
        (TAX_PER_RESIDENT, "3 950 €/as", "3950"),
        (NET_MIGRATION, "\u221220", "-20"),
        (NET_MIGRATION, "\u201320", "-20"),
        (NET_MIGRATION, "- 20", "-20"),
        (NET_MIGRATION, "-85", "-85"),
        (NET_MIGRATION, "+12", "12"),
        (NET_MIGRATION, "20 hlö", "20"),
        (NET_MIGRATION, "20 henkilöä", "20"),
        (SATISFACTION, "3,6", "3.6"),
        (SATISFACTION, "1", "1"),
        (SATISFACTION, "5", "5"),
        (COMMITMENT, "4", "4"),
        (CONTACTS, "60", "60"),
        (CONTACTS, "60 kontaktia", "60"),
        (CONTACTS, "60 kpl", "60"),
        (CONTACTS, "60,0", "60.0"),
        (ZONING, "40 %", "40"),
        (ZONING, "100", "100"),
        (ENERGY, "\u22123,0 %", "-3.0"),
        (ENERGY, "-100 %", "-100"),
        (ENERGY, "12 %", "12"),
        (BIOWASTE, "10 715 kg", "10715"),
        (BIOWASTE, "10715 kg/vuosi", "10715"),
        (EMISSIONS, "5,0", "5.0"),
    ],
)
def test_a_figure_is_read(metric_id: str, text: str, number: str) -> None:
    assert parse_number(text, metric(metric_id)) == Decimal(number)


@pytest.mark.parametrize(
    ("metric_id", "text", "code", "params"),
    [
        (UNEMPLOYMENT, "abc", "not_a_number", {}),
        (UNEMPLOYMENT, "noin 12", "not_a_number", {}),
        (UNEMPLOYMENT, "   ", "empty", {}),
        (UNEMPLOYMENT, "12,3,4", "not_a_number", {}),
        (UNEMPLOYMENT, "1.2.3", "not_a_number", {}),
        (UNEMPLOYMENT, "1,021.5", "not_a_number", {}),
        (UNEMPLOYMENT, "11,", "not_a_number", {}),
        (UNEMPLOYMENT, ",5", "not_a_number", {}),
        (CORPORATE_TAX, "1.02.000", "not_a_number", {}),
        (UNEMPLOYMENT, "11,9 kg", "wrong_unit", {"unit": "kg", "expected": "%"}),
        (NET_MIGRATION, "20 €", "wrong_unit", {"unit": "€", "expected": "hlö"}),
        (ZONING, "40 €", "wrong_unit", {"unit": "€", "expected": "%"}),
        (
            UNEMPLOYMENT,
            "150 %",
            "out_of_range",
            {"low": Decimal(0), "high": Decimal(100), "unit": "%"},
        ),
        (UNEMPLOYMENT, "-1", "out_of_range", {"low": Decimal(0), "high": Decimal(100)}),
        (CONTACTS, "2,5", "not_whole", {}),
        (CONTACTS, "-3", "out_of_range", {"low": Decimal(0), "high": None}),
        (SATISFACTION, "7", "out_of_range", {"low": Decimal(1), "high": Decimal(5)}),
        (SATISFACTION, "0,9", "out_of_range", {"low": Decimal(1), "high": Decimal(5)}),
        (COMMITMENT, "4,5", "out_of_range", {"low": Decimal(1), "high": Decimal(4)}),
        (ZONING, "120 %", "out_of_range", {"low": Decimal(0), "high": Decimal(100)}),
        (ZONING, "-5", "out_of_range", {"low": Decimal(0), "high": Decimal(100)}),
        (ENERGY, "-101 %", "out_of_range", {"low": Decimal(-100), "high": None}),
    ],
)
def test_a_wrong_figure_says_why(
    metric_id: str, text: str, code: str, params: dict[str, object]
) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        parse_number(text, metric(metric_id))
    assert caught.value.code == code
    assert {k: caught.value.params[k] for k in params} == params


@pytest.mark.parametrize("text", ["15 20", "1 02", "12 345 6", "1 0,5"])
def test_spaces_are_taken_only_as_thousands_separators(text: str) -> None:
    with pytest.raises(InvalidAnswer):
        parse_number(text, metric(CONTACTS))


@pytest.mark.parametrize(
    ("metric_id", "low", "high"),
    [
        (SATISFACTION, Decimal(1), Decimal(5)),
        (COMMITMENT, Decimal(1), Decimal(4)),
        (CONTACTS, Decimal(0), None),
        (ZONING, Decimal(0), Decimal(100)),
        (UNEMPLOYMENT, Decimal(0), Decimal(100)),
        (ENERGY, Decimal(-100), None),
        (NET_MIGRATION, None, None),
        (CORPORATE_TAX, None, None),
    ],
)
def test_each_metric_kind_has_its_range(
    metric_id: str, low: Decimal | None, high: Decimal | None
) -> None:
    assert value_range(metric(metric_id)) == (low, high)


def test_check_range_accepts_whole_counts_written_with_decimals() -> None:
    check_range(Decimal("25.0"), metric(CONTACTS))
    with pytest.raises(InvalidAnswer) as caught:
        check_range(Decimal("25.5"), metric(CONTACTS))
    assert caught.value.code == "not_whole"
    check_range(Decimal("-3000"), metric(NET_MIGRATION))


def test_a_reason_is_tidied_and_limited() -> None:
    assert parse_reason("  Tilasto\n julkaistaan   maaliskuussa. ") == (
        "Tilasto julkaistaan maaliskuussa."
    )
    assert parse_reason("x" * MAX_REASON_LENGTH) == "x" * MAX_REASON_LENGTH
    with pytest.raises(InvalidAnswer) as caught:
        parse_reason("x" * (MAX_REASON_LENGTH + 1))
    assert (caught.value.code, caught.value.params) == (
        "too_long",
        {"limit": 500, "length": 501},
    )
    with pytest.raises(InvalidAnswer) as empty:
        parse_reason(" \n\t ")
    assert empty.value.code == "empty"


# ---- bounded and normalised input ------------------------------------------------------


@pytest.mark.parametrize("typed", ["１２", "𝟏𝟐", "１２ %", "12\u0000", "\u202e12"])
def test_compatibility_digits_and_invisible_marks_read_as_what_they_show(typed: str) -> None:
    assert parse_number(typed, metric(UNEMPLOYMENT)) == Decimal(12)


@pytest.mark.parametrize("typed", ["١٢", "۱۲", "१२", "٣٫٥"])
def test_digits_of_other_scripts_are_refused_with_their_own_message(typed: str) -> None:
    with pytest.raises(InvalidAnswer) as refused:
        parse_number(typed, metric(CORPORATE_TAX))
    assert refused.value.code == "latin_digits"


def test_a_figure_of_400_digits_is_refused() -> None:
    with pytest.raises(InvalidAnswer) as refused:
        parse_number("9" * 400, metric(CORPORATE_TAX))
    assert refused.value.code == "too_many_digits"
    assert refused.value.params == {"limit": MAX_FIGURE_DIGITS}
    assert parse_number("9" * MAX_FIGURE_DIGITS, metric(CORPORATE_TAX)) == Decimal("9" * 15)


def test_control_characters_and_direction_overrides_never_reach_a_reason() -> None:
    typed = "\x1b[31mpunainen\x1b[0m\x00 syy\u202e\u2066käännetty\ud800\r\n\tloppu"
    assert parse_reason(typed) == "[31mpunainen[0m syykäännetty loppu"
    assert clean_text("e\u0301") == "é"  # composed, as Finnish keyboards type it


@pytest.mark.parametrize(
    ("typed", "flag"),
    [("Kyllä", True), ("ＫＹＬＬÄ!", True), ("ei.", False), ("\u200fei", False), ("ehkä", None)],
)
def test_yes_or_no_typed(typed: str, flag: bool | None) -> None:
    assert parse_yes_no(typed) is flag


@pytest.mark.parametrize(
    ("typed", "no_data"),
    [
        ("Ei tietoa vielä", True),
        ("ingen uppgift ännu", True),
        ("Ingen  uppgift ännu.", True),
        ("No data yet", True),
        ("ei", False),
        ("ingen aning om det", False),
    ],
)
def test_no_data_yet_typed_in_each_language(typed: str, no_data: bool) -> None:
    from goalbot.domain.answers import parse_no_data

    assert parse_no_data(typed) is no_data


def test_a_figure_a_thousand_times_off_has_another_reading() -> None:
    from goalbot.catalogues import shipped_catalogue_path
    from goalbot.domain.answers import other_reading
    from goalbot.domain.catalogue_file import read_catalogue

    catalogue = read_catalogue(shipped_catalogue_path())
    biowaste, tax, unemployment = (catalogue.metric(m) for m in ("TILA-2.1", "STR-7.1", "STR-3.1"))
    assert other_reading(Decimal("11.715"), Decimal(11715), biowaste) == Decimal(11715)
    assert other_reading(Decimal("1.021"), Decimal(1021000), tax) == Decimal(1021000)
    assert other_reading(Decimal(1021), Decimal(1021000), tax) == Decimal(1021000)
    assert other_reading(Decimal(11500), Decimal(11715), biowaste) is None  # plausible
    assert other_reading(Decimal("11.9"), Decimal(12), unemployment) is None
    assert other_reading(Decimal("0.0119"), Decimal(12), unemployment) == Decimal("11.9")
    # a reading outside the metric's range is none: 11 900 % is no unemployment rate
    assert other_reading(Decimal("11.9"), Decimal(11900), unemployment) is None
    assert other_reading(Decimal(5), None, biowaste) is None
