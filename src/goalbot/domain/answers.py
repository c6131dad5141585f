"""Answers to metrics, and reading what an owner typed into a valid value."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from goalbot.domain.goals import Metric, MetricKind, Rule
from goalbot.domain.periods import Period


class AnswerState(StrEnum):
    """What kind of answer an owner gave."""

    VALUE = "value"  # a figure or yes/no
    NO_DATA = "no_data"  # "Ei tietoa vielä": an answer of its own, not a gap
    SKIPPED = "skipped"  # skipped with a reason


@dataclass(frozen=True)
class AnswerValue:
    """The content of one answer."""

    state: AnswerState
    number: Decimal | None = None
    flag: bool | None = None
    reason: str = ""  # why skipped

    @classmethod
    def of_number(cls, number: Decimal) -> AnswerValue:
        return cls(AnswerState.VALUE, number=number)

    @classmethod
    def of_flag(cls, flag: bool) -> AnswerValue:
        return cls(AnswerState.VALUE, flag=flag)

    @classmethod
    def no_data(cls) -> AnswerValue:
        return cls(AnswerState.NO_DATA)

    @classmethod
    def skipped(cls, reason: str) -> AnswerValue:
        return cls(AnswerState.SKIPPED, reason=reason)

    @property
    def has_value(self) -> bool:
        return self.state == AnswerState.VALUE


@dataclass(frozen=True)
class Answer:
    """An owner's answer to one metric for one period, as evaluation and reports see it."""

    metric_id: str
    period: Period
    value: AnswerValue
    explanation: str = ""  # why a target was missed
    corrective_action: str = ""
    confirmed: bool = False
    answered_at: datetime | None = None
    answered_by: str = ""  # the person's display name
    on_behalf_of: str = ""  # set when a deputy answered for the owner


class InvalidAnswer(ValueError):
    """Typed text that is not a valid answer; ``code`` selects the message shown to the owner."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code)


# Units that an owner may type after a figure; all compared in lower case without spaces.
_UNIT_WORDS: dict[str, str] = {
    "%": "%",
    "prosenttia": "%",
    "€": "€",
    "e": "€",
    "eur": "€",
    "euroa": "€",
    "kg": "kg",
    "hlö": "hlö",
    "henkilöä": "hlö",
    "kpl": "kpl",
    "pv": "päivää",
    "päivää": "päivää",
    "vrk": "päivää",
}
# digits are 0-9 only (re.ASCII): other scripts' digits are refused, not read as these
_NUMBER_RE = re.compile(r"^([+-]?)(\d[\d.,]*)(.*)$", re.ASCII | re.DOTALL)
_SPACE_CLASS = "[ \u00a0\u2009\u202f\u2007\t]"
# the figure at the start of a typed answer, spaces included (the unit follows it)
_FIGURE_RE = re.compile(rf"^[+-]?{_SPACE_CLASS}*(\d(?:[\d.,]|{_SPACE_CLASS}(?=\d))*)", re.ASCII)
_GROUPED_RE = re.compile(rf"^\d{{1,3}}(?:{_SPACE_CLASS}\d{{3}})+(?:[.,]\d+)?$", re.ASCII)
_MINUS_SIGNS = "\u2212\u2013\u2012\ufe63\uff0d"
_SPACES = " \u00a0\u2009\u202f\u2007\t"
MAX_REASON_LENGTH = 500
MAX_FIGURE_DIGITS = 15
"""Digits a typed figure may have: more is no municipality's figure (and no spreadsheet's)."""
# direction overrides and isolates reorder what others read; byte-order marks, the
# left-to-right and right-to-left marks and noncharacters show nothing
_INVISIBLE = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\ufffe\uffff"
)
_YES = frozenset({"kyllä", "kylla", "k", "joo", "on", "yes", "y", "ja"})
_NO = frozenset({"ei", "e", "no", "n", "nej"})
# "no data yet" typed in Finnish, Swedish or English: the answer of its own the button gives
_NO_DATA = frozenset(
    {
        "ei tietoa",
        "ei tietoa vielä",
        "ei tietoa viela",
        "tieto puuttuu",
        "ingen uppgift",
        "ingen uppgift ännu",
        "ingen uppgift än",
        "inga uppgifter",
        "inga uppgifter ännu",
        "no data",
        "no data yet",
        "not known yet",
    }
)


def clean_text(text: str) -> str:
    """Typed text as goalbot keeps it: composed (NFC), line breaks and tabs as spaces, without
    control characters, unpaired surrogates, direction overrides or other invisible marks."""
    kept = []
    for ch in unicodedata.normalize("NFC", text):
        category = unicodedata.category(ch)
        if category == "Cc":
            if ch.isspace():
                kept.append(" ")
        elif category != "Cs" and ch not in _INVISIBLE:
            kept.append(ch)
    return "".join(kept)


def parse_yes_no(text: str) -> bool | None:
    """A typed yes (True) or no (False) in Finnish, Swedish or English; None if neither."""
    word = unicodedata.normalize("NFKC", clean_text(text)).strip().casefold().rstrip(".!")
    if word in _YES:
        return True
    if word in _NO:
        return False
    return None


def parse_no_data(text: str) -> bool:
    """Whether a typed text says "no data yet" (Finnish, Swedish or English)."""
    words = " ".join(unicodedata.normalize("NFKC", clean_text(text)).casefold().split())
    return words.rstrip(".!") in _NO_DATA


def _normalise_unit(text: str) -> str:
    # compatibility forms as typed answers are read (NFKC): "tCO₂" and "tCO2" are one unit
    return unicodedata.normalize("NFKC", text).lower().replace(" ", "").rstrip(".")


def _metric_units(metric: Metric) -> set[str]:
    """The unit words that fit this metric ("%", "€" for "€/asukas", "kg" for "kg/vuosi" …)."""
    unit = _normalise_unit(metric.unit)
    if metric.is_percentage:
        return {"%"}
    fits = {unit} if unit else set()
    head = unit.split("/", 1)[0]
    if head:
        fits.add(_UNIT_WORDS.get(head, head))
    if metric.kind == MetricKind.COUNT:
        fits.add("kpl")
    return fits


def _read_digits(digits: str) -> Decimal:
    """Read ``11,9``, ``11.9``, ``1021000`` or ``1.021.000`` into a Decimal."""
    if "," in digits and "." in digits:
        raise InvalidAnswer("not_a_number")
    if digits.count(",") > 1:
        raise InvalidAnswer("not_a_number")
    if digits.count(".") > 1:
        groups = digits.split(".")
        if not all(len(g) == 3 for g in groups[1:]) or not 1 <= len(groups[0]) <= 3:
            raise InvalidAnswer("not_a_number")
        digits = "".join(groups)
    digits = digits.replace(",", ".")
    if digits.endswith(".") or digits.startswith("."):
        raise InvalidAnswer("not_a_number")
    try:
        return Decimal(digits)
    except InvalidOperation as exc:
        raise InvalidAnswer("not_a_number") from exc


def parse_number(text: str, metric: Metric) -> Decimal:
    """Read a typed figure for ``metric`` (Finnish or international form); check unit and range.

    Full-width and other compatibility forms of digits are read as the digits they are (NFKC);
    digits of other scripts are refused with a message of their own.
    """
    cleaned = unicodedata.normalize("NFKC", clean_text(text)).strip()
    if any(ch.isdigit() and not ch.isascii() for ch in cleaned):
        raise InvalidAnswer("latin_digits")
    for sign in _MINUS_SIGNS:
        cleaned = cleaned.replace(sign, "-")
    figure = _FIGURE_RE.match(cleaned)
    spaced = figure is not None and any(space in figure.group(1) for space in _SPACES)
    # a space may only separate thousands: "15 20" is two figures, not 1520
    if spaced and figure is not None and not _GROUPED_RE.match(figure.group(1)):
        raise InvalidAnswer("not_a_number")
    for space in _SPACES:
        cleaned = cleaned.replace(space, "")
    if not cleaned:
        raise InvalidAnswer("empty")
    match = _NUMBER_RE.match(cleaned)
    if not match:
        raise InvalidAnswer("not_a_number")
    sign, digits, unit_text = match.groups()
    if sum(ch.isdigit() for ch in digits) > MAX_FIGURE_DIGITS:
        raise InvalidAnswer("too_many_digits", limit=MAX_FIGURE_DIGITS)
    number = _read_digits(digits)
    if sign == "-":
        number = -number
    unit_text = _normalise_unit(unit_text)
    if unit_text:
        unit = _UNIT_WORDS.get(unit_text, unit_text)
        fits = _metric_units(metric)
        if unit not in fits and unit_text not in fits:
            expected = "%" if metric.is_percentage else (metric.unit or "-")
            raise InvalidAnswer("wrong_unit", unit=unit_text, expected=expected)
    check_range(number, metric)
    return number


def check_range(number: Decimal, metric: Metric) -> None:
    """Raise InvalidAnswer if ``number`` cannot be a value of ``metric``."""
    low, high = value_range(metric)
    if metric.kind == MetricKind.COUNT and number != number.to_integral_value():
        raise InvalidAnswer("not_whole")
    if (low is not None and number < low) or (high is not None and number > high):
        raise InvalidAnswer("out_of_range", low=low, high=high, unit=metric.unit)


def value_range(metric: Metric) -> tuple[Decimal | None, Decimal | None]:
    """The smallest and largest value a metric can take (None: no limit)."""
    if metric.kind == MetricKind.SURVEY and metric.scale is not None:
        return metric.scale
    if metric.kind == MetricKind.COUNT:
        return Decimal(0), None
    if metric.kind == MetricKind.COMPLETION:
        return Decimal(0), Decimal(100)
    if metric.is_percentage:
        if metric.target.rule == Rule.ANNUAL_RATE:
            # a change in per cent: a fall cannot exceed 100 %
            return Decimal(-100), None
        return Decimal(0), Decimal(100)
    return None, None


def parse_reason(text: str) -> str:
    """Check a free-text reason, explanation or comment; raise InvalidAnswer if unusable."""
    cleaned = " ".join(clean_text(text).split())
    if not cleaned:
        raise InvalidAnswer("empty")
    if len(cleaned) > MAX_REASON_LENGTH:
        raise InvalidAnswer("too_long", limit=MAX_REASON_LENGTH, length=len(cleaned))
    return cleaned


IMPLAUSIBLE_FACTOR = Decimal(300)
"""How many times off the comparison figure a typed figure is taken for a slip of a thousand
(a thousands separator read as a decimal point, a figure typed in thousands or millions)."""
_NEAR_FACTOR = Decimal(3)


def other_reading(number: Decimal, compared: Decimal | None, metric: Metric) -> Decimal | None:
    """What the owner more likely meant, when ``number`` is a thousand (or a million) times
    off the figure it is compared with (the previous figure, else the baseline): "11.715" for
    11 715 kg, "1.021" for 1 021 000 €. None when it is not, or no other reading fits."""
    if compared is None or compared == 0 or number == 0:
        return None
    ratio = abs(compared) / abs(number)
    if 1 / IMPLAUSIBLE_FACTOR < ratio < IMPLAUSIBLE_FACTOR:
        return None
    for power in (3, 6, -3, -6):
        candidate = (number * Decimal(10) ** power).normalize()
        if candidate == candidate.to_integral_value():
            candidate = candidate.quantize(Decimal(1))
        near = abs(compared) / abs(candidate)
        if 1 / _NEAR_FACTOR <= near <= _NEAR_FACTOR and (candidate > 0) == (compared > 0):
            try:
                check_range(candidate, metric)
            except InvalidAnswer:
                continue
            return candidate
    return None
