"""Opening and closing rounds by hand (CLI and admin commands), with the calendar's deadline."""

from __future__ import annotations

import logging

from goalbot.domain.periods import Period
from goalbot.scheduling.calendar import plan_round
from goalbot.scheduling.settings import period_for_manual_open, working_calendar
from goalbot.services.access import OPERATOR, Actor, Command, changer_of, require
from goalbot.services.context import AppContext
from goalbot.services.rounds import RoundClosed, RoundOpened, close_round, open_round

log = logging.getLogger(__name__)


def open_round_now(
    ctx: AppContext, period: Period | None = None, *, by: Actor = OPERATOR
) -> RoundOpened:
    """Open ``period``'s round now (default: the scheduled or current one) and queue reminders."""
    schedule = ctx.config.schedule
    period = period or period_for_manual_open(schedule, ctx.now())
    plan = plan_round(period, schedule, working_calendar(schedule))
    with ctx.unit_of_work() as uow:
        require(uow, ctx, by, Command.REMIND)
        opened = open_round(uow, ctx, period, plan.deadline, changer=changer_of(uow, ctx, by))
        uow.commit()
    log_round_opened(opened.period, opened.reminders_queued, "by hand")
    return opened


def log_round_opened(period: Period, queued: int, how: str) -> None:
    """The business event's one line."""
    log.info(
        "round %s opened %s: %d reminders queued",
        period.label,
        how,
        queued,
        extra={"event": "round_opened", "period": period.key, "queued": queued},
    )


def close_round_now(
    ctx: AppContext, period: Period | None = None, *, by: Actor = OPERATOR
) -> RoundClosed:
    """Close the open round (or ``period``'s) now and queue the summary."""
    with ctx.unit_of_work() as uow:
        require(uow, ctx, by, Command.CLOSE)
        closed = close_round(uow, ctx, period, changer=changer_of(uow, ctx, by))
        uow.commit()
    log.info(
        "round %s closed by hand: %d answers, %d missing; summary %s",
        closed.period.label,
        closed.answered,
        closed.missing,
        "queued" if closed.summary_queued else "not queued",
        extra={"event": "round_closed", "period": closed.period.key, "missing": closed.missing},
    )
    return closed
