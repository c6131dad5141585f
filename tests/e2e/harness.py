"""Running goalbot's real Application against the fake Bot API server inside a test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from telegram.ext import Application

from goalbot.chat.application import build_application, running
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


@asynccontextmanager
async def running_bot(
    ctx: AppContext, delivery_interval: float = 0.1, calendar: bool = False
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """The real Application, polling the fake server, for the duration of the block.

    The calendar's jobs run only when asked for, so a test's clock opens no round by itself.
    """
    application = build_application(ctx, delivery_interval=delivery_interval, calendar=calendar)
    async with running(application, poll_timeout=1):
        yield application
