"""Asking Telegram who the bot is (for invite links printed by the CLI)."""

from __future__ import annotations

import asyncio

from telegram import Bot
from telegram.error import TelegramError

from goalbot.config import Config


async def _username(config: Config) -> str | None:
    bot = Bot(
        config.require_token(),
        base_url=config.telegram.base_url,
        base_file_url=config.telegram.base_file_url,
    )
    async with bot:
        return bot.username


def fetch_bot_username(config: Config) -> str | None:
    """The bot's @username from getMe; None if Telegram cannot be reached."""
    try:
        return asyncio.run(_username(config))
    except (TelegramError, OSError):
        return None
