"""Running goalbot's real Application against the fake Bot API server inside a test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from telegram.ext import Application

from goalbot.chat.application import build_application, running
from goalbot.chat.ratelimit import TelegramLimits
from goalbot.config import Config, TelegramConfig
from goalbot.services.context import AppContext
from tests.fakes.botapi import FakeBotApi


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
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """The real Application, polling the fake server, for the duration of the block.

    The calendar's jobs run only when asked for, so a test's clock opens no round by itself.
    Sends are not paced (see ``unpaced``) unless ``limits`` are given: a test of the pacing
    passes ``TelegramLimits()``, Telegram's own.
    """
    application = build_application(
        ctx,
        delivery_interval=delivery_interval,
        calendar=calendar,
        limits=limits if limits is not None else unpaced(),
    )
    async with running(application, poll_timeout=1):
        yield application
