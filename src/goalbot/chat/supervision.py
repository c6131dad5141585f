"""Keeping watch while the bot runs: Telegram and the database, the heartbeat, systemd.

Losing Telegram or the database is logged once when it starts and once when it ends, never
as a traceback per retry; while one is lost, the jobs that need it wait (the poller and the
heartbeat keep trying, with backoff), so queued sends are not used up by futile attempts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import httpx
from telegram.error import NetworkError, TelegramError
from telegram.ext import Application, ContextTypes
from telegram.request import HTTPXRequest, RequestData

from goalbot.chat.handlers import app_context, call
from goalbot.chat.inbox import InboxUnavailable
from goalbot.chat.systemd import notify, watchdog_seconds
from goalbot.logs import TOKEN_SHAPE
from goalbot.services import health
from goalbot.storage.database import (
    file_vanished,
    is_database_unavailable,
    is_read_only_error,
)
from goalbot.storage.instance import InstanceLock
from goalbot.storage.models import utcnow

log = logging.getLogger(__name__)
HEARTBEAT_JOB = "heartbeat"


class Outage:
    """Whether a service the bot needs is reachable; logs the changes, not every failure."""

    def __init__(self, name: str, clock: Callable[[], datetime] = utcnow) -> None:
        self.name = name
        self.clock = clock
        self.down_since: datetime | None = None
        self.since = clock()  # when the current state (up or down) began
        self.detail = ""
        self.read_only = False  # the database answers, but takes no writes

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def failed(self, detail: str, read_only: bool = False) -> None:
        self.detail = TOKEN_SHAPE.sub("[token]", detail)[:500]
        if read_only and not self.read_only:
            # said once, also when the outage began as a lost connection
            self.read_only = True
            if self.down_since is None:
                self.down_since = self.since = self.clock()
            log.error(
                "%s is read-only: %s; nothing is stored, no update is confirmed to "
                "Telegram and nothing is sent until it can be written again",
                self.name,
                self.detail,
                extra={"event": "outage_started", "service": self.name, "read_only": True},
            )
            return
        if self.down_since is None:
            self.down_since = self.since = self.clock()
            log.warning(
                "%s cannot be reached: %s; retrying with backoff",
                self.name,
                self.detail,
                extra={"event": "outage_started", "service": self.name},
            )

    def recovered(self) -> None:
        if self.down_since is None:
            return
        seconds = (self.clock() - self.down_since).total_seconds()
        self.down_since, self.since, self.detail = None, self.clock(), ""
        self.read_only = False
        log.warning(
            "%s reachable again after %.0f s",
            self.name,
            seconds,
            extra={"event": "outage_ended", "service": self.name, "seconds": round(seconds)},
        )


@dataclass
class Supervision:
    """What the running bot keeps watch over (kept in ``bot_data``)."""

    telegram: Outage = field(default_factory=lambda: Outage("Telegram"))
    database: Outage = field(default_factory=lambda: Outage("the database"))
    instance: health.Instance | None = None
    lock: InstanceLock | None = None
    leading: bool = False  # this bot runs the calendar and the delivery (chat/leadership.py)
    webhook_set: bool = False  # the leader told Telegram where to post (setWebhook)
    stopping: bool = False  # the bot is stopping: nothing starts polling again
    ready: bool = False
    conflict: str = ""  # Telegram's word that another program polls with the same token
    database_file: tuple[int, int] | None = None  # the SQLite file started on (device, inode)
    fatal: str = ""  # why the bot stopped itself (the database file vanished)

    @property
    def status(self) -> str:
        """systemd's STATUS= line: what this bot does."""
        return "leading: runs the calendar and the delivery" if self.leading else "standing by"


def supervision(application: Application[Any, Any, Any, Any, Any, Any]) -> Supervision:
    """The application's Supervision (made on first use)."""
    found = application.bot_data.get("supervision")
    if not isinstance(found, Supervision):
        found = application.bot_data["supervision"] = Supervision()
    return found


def _describe(exc: BaseException) -> str:
    cause = exc.__cause__
    text = str(exc)
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text} ({cause})"
    return text or type(exc).__name__


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    # httpx's own default, made once: reading the certificates for every client costs more
    # than a bot's start should (each start makes two clients, and makes them again after a
    # lost connection)
    return httpx.create_ssl_context()


class TrackingRequest(HTTPXRequest):
    """PTB's HTTP client, telling an Outage whether the Bot API server answered."""

    def __init__(self, outage: Outage, **kwargs: Any) -> None:
        kwargs.setdefault("httpx_kwargs", {"verify": _tls()})
        super().__init__(**kwargs)
        self._outage = outage

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        write_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: Any = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        try:
            code, payload = await super().do_request(
                url,
                method,
                request_data,
                read_timeout,
                write_timeout,
                connect_timeout,
                pool_timeout,
            )
        except NetworkError as exc:
            self._outage.failed(_describe(exc))
            raise
        if code >= 500:
            self._outage.failed(f"the Bot API server answered HTTP {code}")
        else:
            self._outage.recovered()  # any answer, also a refusal, means it is reachable
        return code, payload


def is_outage_error(error: BaseException | None, watch: Supervision) -> bool:
    """Whether ``error`` belongs to an outage already logged (so no traceback for it)."""
    # an update that could not be kept (InboxUnavailable) names the database's error as cause
    cause = error.__cause__ if isinstance(error, InboxUnavailable) else error
    if is_database_unavailable(cause):
        watch.database.failed(_describe(cause) if cause else "", is_read_only_error(cause))
        return True
    # a failed poll or a job's request: the TrackingRequest has recorded the outage
    return isinstance(error, NetworkError) and watch.telegram.down


async def heartbeat(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: tell the database (for goalbot health) and systemd's watchdog that the bot lives."""
    watch = supervision(context.application)
    ctx = app_context(context)
    if not watch.ready:
        watch.ready = notify("READY=1", f"STATUS={watch.status}")
    # the watchdog watches the event loop: it is fed even while Telegram or the database is lost
    notify("WATCHDOG=1")
    if watch.instance is None:
        return
    vanished = file_vanished(ctx.config.database.url, watch.database_file)
    if vanished:
        # going on would write into a file nobody can open again, or into a new empty one
        watch.fatal = vanished
        context.application.stop_running()
        return
    tg = watch.telegram
    if tg.down:
        # the poller may wait in backoff: ask Telegram now, so recovery is noticed soon
        with contextlib.suppress(TelegramError):
            await context.bot.get_me()
    try:
        await call(
            health.record_heartbeat, ctx, watch.instance.id, not tg.down, tg.since, tg.detail
        )
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        # (a lock session cut off meanwhile is taken again by the leadership check)
        watch.database.failed(_describe(exc), is_read_only_error(exc))
        return
    watch.database.recovered()


def heartbeat_interval() -> float:
    """Often enough for the watchdog (half its timeout) and for goalbot health."""
    watchdog = watchdog_seconds()
    return min(health.HEARTBEAT_SECONDS, watchdog / 2) if watchdog else health.HEARTBEAT_SECONDS


def this_instance(token: str) -> health.Instance:
    """This process as a run of the bot (the bot's id is the token's number)."""
    bot_id, _, _ = token.partition(":")
    return health.Instance(
        id=str(uuid.uuid4()),
        host=socket.gethostname(),
        pid=os.getpid(),
        bot_id=int(bot_id) if bot_id.isdigit() else None,
    )
