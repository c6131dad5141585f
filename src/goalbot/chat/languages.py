"""The language of each update's answers, and /kieli (/språk, /language) to choose it."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from goalbot.chat.handlers import (
    LANGUAGE_KEY,
    allowed_for,
    app_context,
    call,
    language_of,
    send_html,
)
from goalbot.config import LANGUAGES
from goalbot.reporting.rendering import render
from goalbot.services.access import Actor, Command, Identity
from goalbot.services.context import ServiceError
from goalbot.services.languages import choose_language, language_for, parse_language

# Telegram's commands are Latin letters, digits and underscores: /språk is read as text
LANGUAGE_COMMANDS = ["kieli", "language", "sprak"]
SWEDISH_COMMAND = r"^/språk(@\w+)?(\s|$)"
BEFORE_HANDLERS = -1  # the handler group that runs before every other


async def find_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Before any handler: the language this update is answered in (see language_of)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or context.chat_data is None:
        return
    context.chat_data[LANGUAGE_KEY] = await call(
        language_for,
        app_context(context),
        user.id,
        user.language_code or "",
        chat.id,
        chat.type == ChatType.PRIVATE,
    )


def _typed_argument(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    if context.args is not None:
        return " ".join(context.args)
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    return text.partition(" ")[2]


@allowed_for(Command.LANGUAGE)
async def language_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity
) -> None:
    """/kieli sv: the person's language in private, the group's in the management group."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    private = chat.type == ChatType.PRIVATE
    current = language_of(context)
    typed = _typed_argument(update, context).strip()
    if not typed:
        text = render("chat/language.html.j2", current, current=current, languages=LANGUAGES,
                      private=private, changed=False, unknown="")  # fmt: skip
        await send_html(chat, text)
        return
    wanted = parse_language(typed)
    if wanted is None:
        text = render("chat/language.html.j2", current, current=current, languages=LANGUAGES,
                      private=private, changed=False, unknown=typed)  # fmt: skip
        await send_html(chat, text)
        return
    try:
        chosen = await call(
            choose_language, app_context(context), wanted, user.id, chat.id, private,
            by=Actor(user.id),
        )  # fmt: skip
    except ServiceError:
        text = render("chat/language.html.j2", current, current=current, languages=LANGUAGES,
                      private=private, changed=False, unknown=typed)  # fmt: skip
        await send_html(chat, text)
        return
    if context.chat_data is not None:
        context.chat_data[LANGUAGE_KEY] = chosen
    text = render("chat/language.html.j2", chosen, current=chosen, languages=LANGUAGES,
                  private=private, changed=True, unknown="")  # fmt: skip
    await send_html(chat, text)


def add_language_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The language finder before every handler, and the commands that choose a language."""
    application.add_handler(TypeHandler(Update, find_language), group=BEFORE_HANDLERS)
    application.add_handler(CommandHandler(LANGUAGE_COMMANDS, language_command))
    application.add_handler(MessageHandler(filters.Regex(SWEDISH_COMMAND), language_command))
