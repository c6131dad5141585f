"""Reading command arguments."""

from __future__ import annotations

from goalbot.domain.periods import Period, PeriodError


def split_period(args: list[str]) -> tuple[Period | None, list[str]]:
    """A period among the arguments (``2026Q2``, ``Q2/2026``, ``2026-2``), and the others."""
    period: Period | None = None
    rest = []
    for arg in args:
        try:
            parsed = Period.parse(arg)
        except PeriodError:
            rest.append(arg)
            continue
        if period is None:
            period = parsed
        else:
            rest.append(arg)
    return period, rest
