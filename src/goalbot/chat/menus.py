"""The command menus Telegram shows (setMyCommands), registered by the bot that leads."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.error import TelegramError
from telegram.ext import Application

from goalbot.chat import handlers
from goalbot.services.access import OWNERS_MENU, personal_menus
from goalbot.services.context import AppContext
from goalbot.storage.database import describe_db_error, is_database_unavailable

log = logging.getLogger(__name__)
GROUP_COMMANDS = ["status", "missing", "export", "chart", "kieli", "help"]


async def set_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the command menus (in the town's language by default, and in each language
    goalbot has for the Telegram apps set to it).

    Every private chat shows an owner's commands; the administrators and managers get a menu
    of their own with everything they may use (services.access.PERMISSIONS).
    """
    bot = application.bot
    ctx = application.bot_data["ctx"]
    assert isinstance(ctx, AppContext)
    try:
        for language, code in handlers.menu_languages(ctx.config.texts.language):
            await bot.set_my_commands(
                handlers.commands_of(OWNERS_MENU, language),
                scope=BotCommandScopeAllPrivateChats(),
                language_code=code,
            )
            await bot.set_my_commands(
                handlers.commands_of(GROUP_COMMANDS, language),
                scope=BotCommandScopeAllGroupChats(),
                language_code=code,
            )
    except TelegramError as exc:
        log.warning("could not register the command menus: %s", exc)
        return
    try:
        menus = await handlers.call(personal_menus, ctx)
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        # the bot has just taken the lead and the database went away: the bot goes on (its
        # outage is told of by the heartbeat); the menus follow at the next start or invite
        log.warning(
            "the personal command menus were not registered: %s",
            describe_db_error(exc, ctx.config.database.url),
        )
        return
    for chat_id, menu in menus.items():
        await handlers.set_menu(bot, chat_id, menu, ctx.config.texts.language)
