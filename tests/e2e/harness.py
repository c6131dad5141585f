"""Running goalbot's real Application against the fake Bot API server inside a test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError
from telegram.ext import Application

from goalbot.chat.application import build_application, running
from goalbot.chat.ratelimit import TelegramLimits
from goalbot.config import Config, TelegramConfig
from goalbot.domain.protocol import SendStatus
from goalbot.services.context import AppContext
from goalbot.services.outbox import retry_delay
from goalbot.storage.models import InboxRow, SendRow
from tests.fakes.botapi import FakeBotApi
from tests.fakes.fixtures import RUNNING

UNFINISHED = [s.value for s in SendStatus if not s.is_final]


def bot_config(base: Config, botapi: FakeBotApi, **telegram: Any) -> Config:
    """``base`` pointed at the fake server, with extra [telegram] settings."""
    settings: dict[str, Any] = {
        "token": botapi.token,
        "base_url": botapi.base_url,
        "base_file_url": botapi.base_url.removesuffix("/bot") + "/file/bot",
        "poll_timeout": 1,
        "read_timeout": 5.0,
        "connect_timeout": 5.0,
    }
    settings.update(telegram)
    tg: TelegramConfig = replace(base.telegram, **settings)
    return replace(base, telegram=tg)


def with_telegram(ctx: AppContext, botapi: FakeBotApi, **telegram: Any) -> AppContext:
    """The same services' context, talking to the fake server."""
    return replace(ctx, config=bot_config(ctx.config, botapi, **telegram))


def unpaced() -> TelegramLimits:
    """Limits so high that nothing waits: for tests whose subject is not the pacing itself.

    The bot keeps to Telegram's one message a second per private chat; a test walking an
    owner through 25 questions would spend half a minute waiting for that alone.
    """
    return TelegramLimits(
        overall_per_second=10_000, private_per_second=1_000, group_per_minute=60_000
    )


@asynccontextmanager
async def running_bot(
    ctx: AppContext,
    delivery_interval: float = 0.1,
    calendar: bool = False,
    limits: TelegramLimits | None = None,
    inbox_interval: float = 0.2,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """The real Application, polling the fake server, for the duration of the block.

    The calendar's jobs run only when asked for, so a test's clock opens no round by itself.
    Sends are not paced (see ``unpaced``) unless ``limits`` are given: a test of the pacing
    passes ``TelegramLimits()``, Telegram's own. What waited for the database is tried again
    every ``inbox_interval`` seconds (the bot's own: 2), as the delivery runs more often too.
    """
    application = build_application(
        ctx,
        delivery_interval=delivery_interval,
        calendar=calendar,
        limits=limits if limits is not None else unpaced(),
        inbox_interval=inbox_interval,
    )
    fake = RUNNING.get(ctx.config.telegram.base_url)
    undo = fake.driver.wait_also_for(lambda: unfinished_work(ctx)) if fake else None
    try:
        async with running(application, poll_timeout=1):
            yield application
    finally:
        if undo is not None:
            undo()


def unfinished_work(ctx: AppContext) -> str:
    """What the bot has taken on and not finished, as its database says: updates kept and not
    yet handled, sends due (a send waiting out its backoff on the services' clock is not)."""
    now = ctx.now()
    try:
        with ctx.unit_of_work(read_only=True) as uow:
            updates = uow.session.scalars(
                select(InboxRow.update_id).where(InboxRow.outcome == "")
            ).all()
            sends = uow.session.execute(
                select(SendRow.id, SendRow.status, SendRow.attempts, SendRow.sent_at).where(
                    SendRow.status.in_(UNFINISHED)
                )
            ).all()
    except (OperationalError, DBAPIError):
        return ""  # the database is away (a test of that): the calls alone tell then
    due = [
        send.id
        for send in sends
        if send.status != SendStatus.RETRY
        or send.sent_at is None
        or send.sent_at + retry_delay(send.attempts) <= now
    ]
    left = []
    if updates:
        left.append(f"updates {list(updates)} not handled")
    if due:
        left.append(f"sends {due} due")
    return ", ".join(left)
