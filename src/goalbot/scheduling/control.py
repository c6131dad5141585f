"""Opening and closing rounds by hand (CLI and admin commands), with the calendar's deadline."""

from __future__ import annotations

from goalbot.domain.periods import Period
from goalbot.scheduling.calendar import plan_round
from goalbot.scheduling.settings import period_for_manual_open, working_calendar
from goalbot.services.context import AppContext
from goalbot.services.rounds import RoundClosed, RoundOpened, close_round, open_round


def open_round_now(ctx: AppContext, period: Period | None = None) -> RoundOpened:
    """Open ``period``'s round now (default: the scheduled or current one) and queue reminders."""
    schedule = ctx.config.schedule
    period = period or period_for_manual_open(schedule, ctx.now())
    plan = plan_round(period, schedule, working_calendar(schedule))
    return open_round(ctx, period, plan.deadline)


def close_round_now(ctx: AppContext, period: Period | None = None) -> RoundClosed:
    """Close the open round now and queue the summary."""
    return close_round(ctx, period)
