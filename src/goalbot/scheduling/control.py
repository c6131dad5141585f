"""Opening and closing rounds by hand (CLI and admin commands), with the calendar's deadline."""

from __future__ import annotations

import logging
from datetime import date

from goalbot.domain.periods import Period
from goalbot.scheduling.calendar import local_datetime, plan_round
from goalbot.scheduling.settings import period_for_manual_open, working_calendar
from goalbot.services.access import OPERATOR, Actor, Command, changer_of, require
from goalbot.services.context import AppContext
from goalbot.services.rounds import (
    DeadlineChanged,
    RoundClosed,
    RoundOpened,
    change_deadline,
    close_round,
    open_round,
    open_round_row,
)

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


def reopen_round_now(
    ctx: AppContext, period: Period, until: date, *, by: Actor = OPERATOR
) -> DeadlineChanged:
    """Reopen ``period``'s closed round until ``until`` (at the configured closing time)."""
    return _new_deadline(ctx, period, until, reopen=True, by=by)


def extend_round_now(
    ctx: AppContext, period: Period | None, until: date, *, by: Actor = OPERATOR
) -> DeadlineChanged:
    """Move the open round's (or ``period``'s) deadline to ``until``, at the closing time."""
    return _new_deadline(ctx, period, until, reopen=False, by=by)


def _new_deadline(
    ctx: AppContext, period: Period | None, until: date, *, reopen: bool, by: Actor
) -> DeadlineChanged:
    schedule = ctx.config.schedule
    calendar = working_calendar(schedule)
    deadline = local_datetime(until, schedule.close_time, schedule.zone)
    command = Command.REOPEN if reopen else Command.EXTEND
    with ctx.unit_of_work() as uow:
        require(uow, ctx, by, command)
        target = period
        if target is None:
            row = open_round_row(uow)
            target = Period.parse(row.period) if row is not None else None
        next_opens = plan_round(target.next(), schedule, calendar).opens_at if target else None
        changed = change_deadline(
            uow,
            ctx,
            target,
            deadline,
            reopen=reopen,
            next_opens_at=next_opens,
            changer=changer_of(uow, ctx, by),
        )
        uow.commit()
    log.info(
        "round %s %s until %s by hand: %d owners told",
        changed.period.label,
        "reopened" if reopen else "extended",
        changed.closes_at.isoformat(),
        changed.announced,
        extra={
            "event": "round_reopened" if reopen else "round_extended",
            "period": changed.period.key,
            "queued": changed.announced,
        },
    )
    return changed
