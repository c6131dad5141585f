"""The reporting calendar as the configuration sets it."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from goalbot.config import ScheduleConfig
from goalbot.domain.periods import Period
from goalbot.domain.workdays import WorkingCalendar
from goalbot.scheduling.calendar import current_round


@lru_cache(maxsize=8)
def working_calendar(schedule: ScheduleConfig) -> WorkingCalendar:
    """Finnish working days with the configured extra days off (built once per schedule)."""
    return WorkingCalendar(schedule.extra_non_working_days)


def period_for_manual_open(schedule: ScheduleConfig, now: datetime) -> Period:
    """What 'open the round now' means: the round scheduled now, else the current quarter."""
    scheduled = current_round(now, schedule, working_calendar(schedule))
    if scheduled is not None:
        return scheduled
    return Period.containing(now.astimezone(schedule.zone).date())
