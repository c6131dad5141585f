"""Numbers, values, dates and periods as people read them, through Babel's locale data.

Babel's output is kept, except for the sign: Finnish groups thousands with a no-break space
(U+00A0) and puts a no-break space before ``%``; negatives get the minus sign (U+2212), as
Finnish typography writes them. A figure an owner typed is never rounded: it keeps at least
the decimals it was typed with (``11,9`` stays ``11,9 %`` where the metric shows whole per
cents).
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from goalbot.domain.answers import AnswerState, AnswerValue
from goalbot.domain.goals import Metric, MetricKind
from goalbot.domain.periods import Period

__all__ = [
    "DEFAULT_LOCALE",
    "DEFAULT_TIMEZONE",
    "LABELS",
    "answer_label",
    "format_date",
    "format_datetime",
    "format_described",
    "format_number",
    "format_percent",
    "format_period",
    "format_value",
]

DEFAULT_LOCALE = "fi_FI"
DEFAULT_TIMEZONE = "Europe/Helsinki"

LABELS: dict[str, dict[str, str]] = {
    "fi": {"yes": "Kyllä", "no": "Ei", "no_data": "Ei tietoa vielä", "skipped": "Ohitettu"},
    "en": {"yes": "Yes", "no": "No", "no_data": "No data yet", "skipped": "Skipped"},
    "sv": {"yes": "Ja", "no": "Nej", "no_data": "Inga uppgifter ännu", "skipped": "Överhoppad"},
}
"""Words for answers that are not figures, by language; a language without its own falls back
to Finnish, the language the catalogues are written in."""

_FALLBACK_LANGUAGE = "fi"
_NO_BREAK_SPACE = "\u00a0"
MINUS = "\u2212"
# units that are the currency itself, so Babel's currency pattern places the sign
_EURO_UNITS = frozenset({"€", "eur", "euroa"})


def _prepared(value: Decimal | int, decimals: int | None) -> tuple[Decimal, int]:
    """The value rounded half up to ``decimals`` (all its digits if None), and that count."""
    number = Decimal(value)
    if decimals is None:
        number = number.normalize()
        exponent = number.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    else:
        if decimals < 0:
            raise ValueError(f"decimals must be 0 or more, not {decimals}")
        places = decimals
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if number == 0:
        number = abs(number)  # a rounded -0,04 reads as 0, not -0
    return number, places


def _with_places(pattern: babel_numbers.NumberPattern, places: int) -> babel_numbers.NumberPattern:
    """A copy of a locale's pattern that shows exactly ``places`` decimals."""
    fixed = copy.copy(pattern)
    fixed.frac_prec = (places, places)
    return fixed


def _signed(text: str) -> str:
    """Babel's hyphen-minus as the minus sign."""
    return text.replace("-", MINUS)


def typed_places(value: Decimal) -> int:
    """How many decimals a figure was typed (or stored) with: ``11.90`` has 2."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def shown_places(decimals: int | None, value: Decimal) -> int | None:
    """The decimals to show: the metric's, but never fewer than the figure has."""
    return None if decimals is None else max(decimals, typed_places(value))


def format_number(value: Decimal | int, decimals: int | None = None, locale: str = "fi_FI") -> str:
    """A number in the locale's form, e.g. ``11,9``, ``1 021 000`` or ``−20``."""
    number, places = _prepared(value, decimals)
    pattern = _with_places(Locale.parse(locale).decimal_formats[None], places)
    return _signed(babel_numbers.format_decimal(number, format=pattern, locale=locale))


def format_percent(value: Decimal | int, decimals: int | None = None, locale: str = "fi_FI") -> str:
    """A figure given in per cent (11.9, not 0.119) in the locale's form, e.g. ``11,9 %``."""
    number, places = _prepared(value, decimals)
    pattern = _with_places(Locale.parse(locale).percent_formats[None], places)
    # Babel's percent pattern multiplies by 100; dividing first is exact with Decimal
    return _signed(babel_numbers.format_percent(number / 100, format=pattern, locale=locale))


def _format_euros(value: Decimal, decimals: int | None, locale: str) -> str:
    number, places = _prepared(value, decimals)
    pattern = _with_places(Locale.parse(locale).currency_formats["standard"], places)
    return _signed(
        babel_numbers.format_currency(
            number, "EUR", format=pattern, locale=locale, currency_digits=False
        )
    )


def answer_label(key: str, locale: str = "fi_FI") -> str:
    """The word for ``yes``, ``no``, ``no_data`` or ``skipped`` in the locale's language."""
    language = Locale.parse(locale).language
    labels = LABELS.get(language, LABELS[_FALLBACK_LANGUAGE])
    return labels[key]


def format_value(metric: Metric, answer_value: AnswerValue, locale: str = "fi_FI") -> str:
    """An answer as shown in reports: ``11,9 %``, ``1 021 000 €``, ``3,6 / 1–4``, ``Kyllä``."""
    if answer_value.state == AnswerState.NO_DATA:
        return answer_label("no_data", locale)
    if answer_value.state == AnswerState.SKIPPED:
        return answer_label("skipped", locale)
    if answer_value.flag is not None:
        return answer_label("yes" if answer_value.flag else "no", locale)
    if answer_value.number is None:
        raise ValueError(f"answer to {metric.id} has neither a figure nor yes/no")
    number = answer_value.number
    decimals = shown_places(metric.decimals, number)
    if metric.is_percentage:
        return format_percent(number, decimals, locale)
    if metric.kind == MetricKind.SURVEY and metric.scale is not None:
        low, high = (format_number(bound, None, locale) for bound in metric.scale)
        # the scale without brackets, so that a period or a comparison can follow in them
        return f"{format_number(number, decimals, locale)} / {low}–{high}"
    unit = metric.unit.strip()
    if unit.lower() in _EURO_UNITS:
        return _format_euros(number, decimals, locale)
    text = format_number(number, decimals, locale)
    # a no-break space, as Babel uses before "%" and "€", keeps the unit on the figure's line
    return f"{text}{_NO_BREAK_SPACE}{unit}" if unit else text


# dates and times are written as in Finland in every language (31.12.2026, 16.00); only the
# words between them follow the language ("klo", "kl.", "at")
_DATE_LOCALE = Locale.parse(DEFAULT_LOCALE)


def format_date(d: date, locale: str = "fi_FI") -> str:
    """A date as written in Finland, e.g. ``31.12.2026``, in every language."""
    return babel_dates.format_date(d, format=_DATE_LOCALE.date_formats["short"], locale=locale)


def format_period(p: Period) -> str:
    """A quarter as the council documents write it, e.g. ``Q2/2026``."""
    return p.label


def format_described(metric: Metric, p: Period) -> str:
    """The period a metric's figure describes: ``2026`` for a year's figure, else ``Q2/2026``."""
    return str(p.year) if metric.describes_years else p.label


def format_datetime(
    dt: datetime | str, tz: tzinfo | str = DEFAULT_TIMEZONE, locale: str = "fi_FI"
) -> str:
    """A moment in ``tz`` local time, e.g. ``31.12.2026 klo 16.00`` (``kl. 16.00``, ``at
    16.00``); naive means UTC (an ISO string, as a stored notice keeps it, is read first)."""
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    moment = dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
    babel_locale = Locale.parse(locale)
    # CLDR's "date at time" joiner ("{1} 'klo' {0}"); older Babel lacks it, so plain then
    joiner = getattr(babel_locale, "datetime_formats_relative", {}).get("long")
    if not joiner:
        joiner = babel_locale.datetime_formats["short"]
    pattern = joiner.replace("{1}", _DATE_LOCALE.date_formats["short"].pattern).replace(
        "{0}", _DATE_LOCALE.time_formats["short"].pattern
    )
    return babel_dates.format_datetime(moment, pattern, tzinfo=zone, locale=babel_locale)
