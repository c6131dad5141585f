"""Reporting periods: calendar quarters such as ``2026Q2``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

_PERIOD_RE = re.compile(r"^\s*(?:(\d{4})\s*[Qq/-]?\s*([1-4])|[Qq]([1-4])\s*[/-]\s*(\d{4}))\s*$")


class PeriodError(ValueError):
    """A text that is not a reporting period."""


@dataclass(frozen=True, order=True)
class Period:
    """A calendar quarter, the unit of reporting."""

    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise PeriodError(f"quarter must be 1–4, not {self.quarter}")
        if not 1900 <= self.year <= 9999:
            raise PeriodError(f"year out of range: {self.year}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``2026Q2``, ``2026-2``, ``Q2/2026`` or ``q2-2026``."""
        return _parse(text)

    @classmethod
    def containing(cls, day: date) -> Period:
        """The quarter that contains ``day``."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def key(self) -> str:
        """Stable machine form, e.g. ``2026Q2``."""
        return f"{self.year}Q{self.quarter}"

    @property
    def label(self) -> str:
        """The form the council documents use, e.g. ``Q2/2026``."""
        return f"Q{self.quarter}/{self.year}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @property
    def index(self) -> int:
        """The quarter's number counted from year 0: consecutive quarters differ by one."""
        return self.year * 4 + self.quarter - 1

    @classmethod
    def from_index(cls, index: int) -> Period:
        """The quarter whose ``index`` this is."""
        return cls(index // 4, index % 4 + 1)

    def quarters_to(self, other: Period) -> int:
        """How many quarters ``other`` lies after this one (negative if before)."""
        return other.index - self.index

    def shifted(self, quarters: int) -> Period:
        """The quarter ``quarters`` later (earlier if negative)."""
        return Period.from_index(self.index + quarters)

    def next(self) -> Period:
        if self.quarter == 4:
            return Period(self.year + 1, 1)
        return Period(self.year, self.quarter + 1)

    def previous(self) -> Period:
        if self.quarter == 1:
            return Period(self.year - 1, 4)
        return Period(self.year, self.quarter - 1)

    def __str__(self) -> str:
        return self.key


@lru_cache(maxsize=1024)
def _parse(text: str) -> Period:
    # reports parse the stored key of every answer they read: a period is parsed once
    match = _PERIOD_RE.match(text)
    if not match:
        raise PeriodError(f"not a quarter: {text!r} (use the form 2026Q2)")
    if match.group(1):
        return Period(int(match.group(1)), int(match.group(2)))
    return Period(int(match.group(4)), int(match.group(3)))


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y")


def parse_day(text: str) -> date | None:
    """A date typed as 2026-12-31 or 31.12.2026; None if it is not one."""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None
