"""One bot leads: it runs the calendar, delivers the queued sends and, in polling mode, polls.

Every bot on a database handles the updates it receives (by webhook, each bot receives some);
only the one holding the leader lock (storage/instance.py) does the work that must be done
once. The others are standbys: every few seconds they try the lock, and the one that gets it
first, once the leader died, settles what the dead leader left on its way and takes over its
jobs, within seconds. A leader that loses its lock (its connection to the database broke)
steps down at once and becomes a standby itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from goalbot.chat.delivery import deliver_pending
from goalbot.chat.handlers import call
from goalbot.chat.jobs import (
    CHECK_INTERVAL_SECONDS,
    CHECK_JOB,
    NEXT_EVENT_JOB,
    RETENTION_JOB,
    install_calendar,
    install_retention,
)
from goalbot.chat.menus import set_commands
from goalbot.chat.supervision import supervision
from goalbot.chat.systemd import notify
from goalbot.services.context import AppContext
from goalbot.services.leadership import take_lead
from goalbot.storage.database import is_database_unavailable

log = logging.getLogger(__name__)
LEADERSHIP_JOB = "leadership"
# how often a standby tries the leader lock (and the leader checks it still holds it)
LEADERSHIP_SECONDS = 3.0
DELIVER_JOB = "deliver"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
LEADER_JOBS = (DELIVER_JOB, CHECK_JOB, NEXT_EVENT_JOB, RETENTION_JOB)


def install_leader_jobs(
    application: Application[Any, Any, Any, Any, Any, Any], resumed: bool = False
) -> None:
    """The jobs of the leader: delivery, the calendar (unless off) and the retention rules.
    ``resumed``: this bot led last itself; its calendar goes on at its own pace (as it would
    have had it kept the lead), not at once."""
    job_queue = application.job_queue
    assert job_queue is not None
    interval, calendar = application.bot_data["leader_jobs"]
    job_queue.run_repeating(
        deliver_pending, interval=interval, first=min(1.0, interval), name=DELIVER_JOB
    )
    if calendar:
        install_calendar(application, first=CHECK_INTERVAL_SECONDS if resumed else None)
    install_retention(application)


def remove_leader_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    job_queue = application.job_queue
    assert job_queue is not None
    for name in LEADER_JOBS:
        for job in job_queue.get_jobs_by_name(name):
            job.schedule_removal()


async def lead(application: Application[Any, Any, Any, Any, Any, Any]) -> bool:
    """Check this bot's hold on the database and try the leader lock if it stands by; act on
    a change. Whether this bot leads. A database that cannot be reached raises as the
    database does (a leader whose lock connection broke has stepped down first)."""
    watch = supervision(application)
    lock = watch.lock
    if lock is None:
        return watch.leading
    try:
        held = await call(lock.keep)
    except Exception:
        if watch.leading and not lock.leading:
            await step_down(application)
        raise
    if watch.leading and not held:
        await step_down(application)
    if not watch.leading:
        if await call(lock.try_lead):
            await become_leader(application)
    else:
        await start_receiving(application)  # polling or a webhook that failed to start: again
    return watch.leading


async def become_leader(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Settle what the previous leader left on its way, then take over its jobs."""
    watch = supervision(application)
    ctx = _ctx(application)
    instance = application.bot_data["instance"]
    resumed = await call(take_lead, ctx, instance)
    watch.leading = True
    install_leader_jobs(application, resumed)
    log.info(
        "this bot leads now: it runs the calendar and delivers the queued sends%s",
        " and polls Telegram" if _polling(application) else "",
        extra={"event": "leader_elected", "instance": instance},
    )
    if watch.ready:
        notify(f"STATUS={watch.status}")
    await start_receiving(application)
    await set_commands(application)


async def step_down(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The leader lock is lost: stop the leader's work at once (another bot may have it)."""
    watch = supervision(application)
    watch.leading = False
    watch.webhook_set = False
    remove_leader_jobs(application)
    updater = application.updater
    if updater is not None and updater.running:
        await updater.stop()
    log.warning(
        "this bot let go of the lead: its connection to the database broke, so another bot "
        "may lead now; it stands by, and leads again if the lock is free",
        extra={"event": "leader_lost"},
    )
    if watch.ready:
        notify(f"STATUS={watch.status}")


def _ctx(application: Application[Any, Any, Any, Any, Any, Any]) -> AppContext:
    ctx = application.bot_data["ctx"]
    assert isinstance(ctx, AppContext)
    return ctx


def _polling(application: Application[Any, Any, Any, Any, Any, Any]) -> bool:
    return _ctx(application).config.telegram.mode == "polling"


async def start_receiving(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The leader's part in receiving: polling mode polls; webhook mode sets the webhook
    (each bot serves the webhook's posts from its start: chat/webhook.py)."""
    watch = supervision(application)
    tg = _ctx(application).config.telegram
    if watch.stopping or watch.conflict:
        return  # stopping (another program polls with this token: it stops too)
    if tg.mode == "polling":
        updater = application.updater
        if updater is None or updater.running:
            return
        await updater.start_polling(
            poll_interval=0.0,
            timeout=tg.poll_timeout,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
            error_callback=poll_errors(application),
        )
        return
    if watch.webhook_set:
        return
    try:
        await application.bot.set_webhook(
            url=tg.webhook_url,
            secret_token=tg.secret_token,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )
    except TelegramError as exc:
        log.warning("could not set the webhook (tried again in a moment): %s", exc)
        return
    watch.webhook_set = True
    log.info(
        "webhook set: Telegram posts updates to %s",
        tg.webhook_url,
        extra={"event": "webhook_set"},
    )


def poll_errors(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> Callable[[TelegramError], None]:
    """As run_polling does: a failed poll goes to the error handler (an outage is one line
    there, not a traceback per poll)."""

    def error_callback(exc: TelegramError) -> None:
        application.create_task(application.process_error(error=exc, update=None))

    return error_callback


async def leadership_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: see ``lead``; while the database cannot be reached, nothing changes here (a lost
    session is noticed when it answers again)."""
    watch = supervision(context.application)
    try:
        await lead(context.application)
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        watch.database.failed(str(exc))


def install_leadership(
    application: Application[Any, Any, Any, Any, Any, Any],
    interval: float = LEADERSHIP_SECONDS,
) -> None:
    """Try (or check) the leader lock every ``interval`` seconds."""
    job_queue = application.job_queue
    assert job_queue is not None
    job_queue.run_repeating(leadership_job, interval=interval, first=interval, name=LEADERSHIP_JOB)
