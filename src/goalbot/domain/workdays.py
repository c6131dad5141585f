"""Finnish working days: weekends, public holidays and the municipality's extra days off."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import TypeAlias

# An extra day off is given either as a named rule ("midsummer_eve"), as an annual fixed date
# in "MM-DD" form ("12-31"), or as a single concrete date (a one-off closure).
ExtraNonWorkingDay: TypeAlias = str | date


def _midsummer_eve(year: int) -> date:
    # Juhannusaatto is the Friday between 19 and 25 June (Finnish law since 1955).
    june_19 = date(year, 6, 19)
    return june_19 + timedelta(days=(4 - june_19.weekday()) % 7)


def _annual(month: int, day: int) -> Callable[[int], date]:
    def rule(year: int) -> date:
        return date(year, month, day)

    return rule


# The rules are computed here rather than looked up in the holidays library because the
# library's public list has not always contained the "arkipyhä" eves, and municipal offices
# are closed on them regardless.
_NAMED_RULES: dict[str, tuple[str, Callable[[int], date]]] = {
    "midsummer_eve": ("Juhannusaatto", _midsummer_eve),
    "christmas_eve": ("Jouluaatto", lambda year: date(year, 12, 24)),
    "new_years_eve": ("Uudenvuodenaatto", lambda year: date(year, 12, 31)),
}

DEFAULT_EXTRA_NON_WORKING_DAYS: frozenset[ExtraNonWorkingDay] = frozenset(
    {"midsummer_eve", "christmas_eve"}
)
"""Days off in municipal practice that are not statutory holidays: juhannusaatto, jouluaatto."""

SUPPORTED_EXTRA_DAY_NAMES: frozenset[str] = frozenset(_NAMED_RULES)
"""The named rules accepted in ``extra_non_working_days``."""

_MONTH_DAY_RE = re.compile(r"^(\d{2})-(\d{2})$")
_WEEKEND_NAME = "Viikonloppu"


class WorkingCalendar:
    """Finnish working days: not a weekend, not a public holiday, not an extra day off."""

    def __init__(
        self,
        extra_non_working_days: Iterable[ExtraNonWorkingDay] = DEFAULT_EXTRA_NON_WORKING_DAYS,
        *,
        subdivision: str | None = None,
    ) -> None:
        """Build a calendar; raise ``ValueError`` for an unknown extra-day name or bad date."""
        extras = frozenset(extra_non_working_days)
        self._subdivision = subdivision
        self._rules: list[tuple[str, Callable[[int], date]]] = []
        self._one_offs: dict[date, str] = {}
        for item in sorted(extras, key=str):
            self._add_extra(item)
        self._extras_config: frozenset[ExtraNonWorkingDay] = extras
        self._by_year: dict[int, dict[date, str]] = {}

    def _add_extra(self, item: ExtraNonWorkingDay) -> None:
        if isinstance(item, datetime):
            # Lookups are by date; a datetime key would never compare equal to one.
            item = item.date()
        if isinstance(item, date):
            self._one_offs[item] = "Ylimääräinen vapaapäivä"
            return
        if item in _NAMED_RULES:
            self._rules.append(_NAMED_RULES[item])
            return
        match = _MONTH_DAY_RE.match(item)
        if match is None:
            known = ", ".join(sorted(_NAMED_RULES))
            raise ValueError(
                f"extra_non_working_days: {item!r} is neither a known name ({known}), "
                "an annual 'MM-DD' date nor a date"
            )
        month, day = int(match.group(1)), int(match.group(2))
        # Validate against a leap year so that "02-29" is accepted; it then applies only in
        # leap years (see _non_working_days).
        try:
            date(2024, month, day)
        except ValueError:
            raise ValueError(f"extra_non_working_days: {item!r} is not a valid month-day") from None
        self._rules.append(("Ylimääräinen vapaapäivä", _annual(month, day)))

    @property
    def extra_non_working_days(self) -> frozenset[ExtraNonWorkingDay]:
        """The extra days off this calendar was configured with."""
        return self._extras_config

    def _non_working_days(self, year: int) -> dict[date, str]:
        cached = self._by_year.get(year)
        if cached is not None:
            return cached
        import holidays  # when a calendar is asked, not when the configuration is read

        public = holidays.country_holidays("FI", subdiv=self._subdivision, years=year)
        days: dict[date, str] = {day: str(name) for day, name in public.items()}
        for name, rule in self._rules:
            try:
                day = rule(year)
            except ValueError:
                # "02-29" in a common year: there is no such day to take off.
                continue
            days.setdefault(day, name)
        for day, name in self._one_offs.items():
            if day.year == year:
                days.setdefault(day, name)
        self._by_year[year] = days
        return days

    def non_working_reason(self, day: date) -> str | None:
        """Why ``day`` is not a working day (holiday name or weekend), or None if it is one."""
        holiday = self._non_working_days(day.year).get(day)
        if holiday is not None:
            return holiday
        if day.weekday() >= 5:
            return _WEEKEND_NAME
        return None

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day."""
        return day.weekday() < 5 and day not in self._non_working_days(day.year)

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, otherwise the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def previous_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, otherwise the last working day before it."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (before it if ``n`` < 0); ``n`` = 0 rolls forward.

        Counting starts from the neighbouring day, so one working day after a Saturday is the
        following Monday, whether or not ``day`` itself is a working day.
        """
        if n == 0:
            return self.next_working_day(day)
        step = timedelta(days=1 if n > 0 else -1)
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_before(self, day: date, n: int) -> date:
        """The ``n``-th working day before ``day`` (``n`` >= 0; 0 rolls forward)."""
        if n < 0:
            raise ValueError(f"n must not be negative, not {n}")
        return self.add_working_days(day, -n)

    def working_days_after(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``n`` >= 0; 0 rolls forward)."""
        if n < 0:
            raise ValueError(f"n must not be negative, not {n}")
        return self.add_working_days(day, n)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall in (``start``, ``end``]; negated if ``end`` < ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for _ in self.working_days(start + timedelta(days=1), end))

    def working_days(self, start: date, end: date) -> Iterator[date]:
        """The working days from ``start`` to ``end``, both included."""
        day = start
        while day <= end:
            if self.is_working_day(day):
                yield day
            day += timedelta(days=1)

    def __repr__(self) -> str:
        extras = sorted(str(item) for item in self._extras_config)
        return f"WorkingCalendar(extra_non_working_days={extras!r})"
