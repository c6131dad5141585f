"""The calendar's timing through PTB's JobQueue: the next event is re-planned from the database.

No job is pickled or stored: on start, and after every run, the next due moment is read from
the calendar and the database, and one job is set for it. A repeating check catches anything
else (a changed clock, a config change, a round opened or closed by hand).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from telegram.ext import Application, ContextTypes

from goalbot.chat.delivery import deliver_pending
from goalbot.chat.handlers import app_context, call
from goalbot.chat.supervision import supervision
from goalbot.domain.periods import Period
from goalbot.scheduling.control import log_round_opened
from goalbot.scheduling.runner import tick
from goalbot.services.privacy import apply_retention

log = logging.getLogger(__name__)
NEXT_EVENT_JOB = "calendar-next"
CHECK_JOB = "calendar-check"
NOW_JOB = "calendar-now"
CHECK_INTERVAL_SECONDS = 300.0
RETENTION_JOB = "retention"
RETENTION_INTERVAL_SECONDS = 24 * 3600.0


async def run_calendar(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: do what the calendar says is due, deliver it, and set the job for the next event."""
    ctx = app_context(context)
    if supervision(context.application).database.down:
        return  # the check after the database is back does what fell due meanwhile
    report = await call(tick, ctx)
    for outcome in report.outcomes:
        period, _, kind = outcome.key.partition(":")
        if kind == "open" and not outcome.skipped and not outcome.note:
            log_round_opened(Period.parse(period), outcome.queued, "by the calendar")
            continue
        what = "skipped (too late)" if outcome.skipped else "done"
        log.info(
            "calendar event %s %s: %d sends queued%s",
            outcome.key,
            what,
            outcome.queued,
            f" ({outcome.note})" if outcome.note else "",
            extra={
                "event": "calendar_event",
                "key": outcome.key,
                "queued": outcome.queued,
                "skipped": outcome.skipped,
                "note": outcome.note,
            },
        )
    if any(o.queued for o in report.outcomes) or any(o.skipped for o in report.outcomes):
        await deliver_pending(context)
    schedule_next(context.application, report.next_due)


def schedule_next(
    application: Application[Any, Any, Any, Any, Any, Any], when: datetime | None
) -> None:
    """Set the one job for the calendar's next event (replacing the previous one)."""
    job_queue = application.job_queue
    assert job_queue is not None
    for job in job_queue.get_jobs_by_name(NEXT_EVENT_JOB):
        job.schedule_removal()
    if when is not None:
        job_queue.run_once(run_calendar, when=when, name=NEXT_EVENT_JOB)
        log.info("next calendar event at %s", when.isoformat())


def install_calendar(
    application: Application[Any, Any, Any, Any, Any, Any],
    interval: float = CHECK_INTERVAL_SECONDS,
    first: float | None = None,
) -> None:
    """Run the calendar at start (or after ``first`` seconds) and every ``interval`` seconds
    besides its own events."""
    job_queue = application.job_queue
    assert job_queue is not None
    job_queue.run_repeating(
        run_calendar, interval=interval, first=0.5 if first is None else first, name=CHECK_JOB
    )


async def run_retention(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: remove the personal data ``[data]`` keeps no longer (daily, and soon after start)."""
    if supervision(context.application).database.down:
        return  # tomorrow's run (or the next start) removes it
    removed = await call(apply_retention, app_context(context))
    if removed.removed:
        log.info(
            "retention: %d updates, %d free texts, %d comments and %d send records removed",
            removed.updates,
            removed.texts,
            removed.comments,
            removed.sends,
            extra={
                "event": "retention",
                "updates": removed.updates,
                "texts": removed.texts,
                "comments": removed.comments,
                "sends": removed.sends,
            },
        )


def install_retention(
    application: Application[Any, Any, Any, Any, Any, Any],
    interval: float = RETENTION_INTERVAL_SECONDS,
) -> None:
    """Apply the retention rules a minute after start and then once a day."""
    job_queue = application.job_queue
    assert job_queue is not None
    job_queue.run_repeating(run_retention, interval=interval, first=60.0, name=RETENTION_JOB)


async def run_calendar_now(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Run the calendar's job at once and wait until it is done (the sandbox moved its clock)."""
    job_queue = application.job_queue
    assert job_queue is not None
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def calendar_now(context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await run_calendar(context)
        except Exception as exc:
            done.set_exception(exc)
            raise
        done.set_result(None)

    job_queue.run_once(calendar_now, when=0, name=NOW_JOB)
    await done
