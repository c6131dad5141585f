"""The reporting calendar as the configuration sets it."""

from __future__ import annotations

from datetime import datetime

from goalbot.config import ScheduleConfig
from goalbot.domain.periods import Period
from goalbot.scheduling.calendar import CalendarSettings, current_round
from goalbot.scheduling.workdays import WorkingCalendar


def calendar_settings(schedule: ScheduleConfig) -> CalendarSettings:
    """CalendarSettings from the [schedule] section."""
    return CalendarSettings(
        timezone=schedule.timezone,
        open_working_days_before_quarter_end=schedule.open_working_days_before_quarter_end,
        send_time=schedule.send_time,
        nudge_every_working_days=schedule.nudge_every_working_days,
        escalate_to_head_working_days_before_close=(
            schedule.escalate_to_head_working_days_before_close
        ),
        escalate_to_manager_working_days_before_close=(
            schedule.escalate_to_manager_working_days_before_close
        ),
        close_working_days_after_quarter_end=schedule.close_working_days_after_quarter_end,
        close_time=schedule.close_time,
        grace_period=schedule.grace_period,
    )


def working_calendar(schedule: ScheduleConfig) -> WorkingCalendar:
    """Finnish working days with the configured extra days off."""
    return WorkingCalendar(schedule.extra_non_working_days)


def period_for_manual_open(schedule: ScheduleConfig, now: datetime) -> Period:
    """What 'open the round now' means: the round scheduled now, else the current quarter."""
    scheduled = current_round(now, calendar_settings(schedule), working_calendar(schedule))
    if scheduled is not None:
        return scheduled
    return Period.containing(now.astimezone(schedule.zone).date())
