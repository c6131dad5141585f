"""Reports in the chat: /status, /missing, /export, /chart, and the round's summary.

Who may ask (services.access.PERMISSIONS): anyone in the management group; in private,
managers and administrators, and owners /status of their own goals. Others get the refusal,
which shows nothing of the goals; in any other group, too.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, Chat, InputFile, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, CommandHandler, ContextTypes

from goalbot.chat.arguments import split_period
from goalbot.chat.handlers import allowed_for, app_context, call, language_of, send_html
from goalbot.domain.periods import Period
from goalbot.reporting import report_texts
from goalbot.reporting.chart import metric_chart
from goalbot.reporting.export import ExportFormat, export_file, parse_format
from goalbot.reporting.rendering import render
from goalbot.services.access import Command, Identity
from goalbot.services.context import AppContext, ServiceError

log = logging.getLogger(__name__)

REPORT_COMMANDS = ("status", "missing", "export", "chart")


def _chat(update: Update) -> Chat:
    chat = update.effective_chat
    assert chat is not None
    return chat


async def _error(chat: Chat, context: ContextTypes.DEFAULT_TYPE, code: str, **params: Any) -> None:
    language = language_of(context)
    await send_html(chat, render("chat/report_error.html.j2", language, code=code, **params))


async def _send_parts(chat: Chat, parts: list[str]) -> None:
    for part in parts:
        await send_html(chat, part)


@allowed_for(Command.STATUS)
async def status_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity
) -> None:
    """/status [scope] [period]: the whole town, a department, an area or a goal."""
    chat = _chat(update)
    period, words = split_period(list(context.args or []))
    # in private, each sees what they may: an owner who is no manager their own goals
    viewer = identity.telegram_user_id if chat.type == ChatType.PRIVATE else None
    try:
        parts = await call(
            report_texts.status_parts,
            app_context(context),
            " ".join(words),
            period,
            viewer=viewer,
            language=language_of(context),
        )
    except ServiceError as exc:
        await _error(chat, context, exc.code, **exc.params)
        return
    await _send_parts(chat, parts)


@allowed_for(Command.MISSING)
async def missing_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity
) -> None:
    """/missing [period]: who has not answered."""
    chat = _chat(update)
    period, rest = split_period(list(context.args or []))
    if rest:
        await _error(chat, context, "bad_argument", text=" ".join(rest), command="missing")
        return
    try:
        parts = await call(
            report_texts.missing_parts, app_context(context), period, language=language_of(context)
        )
    except ServiceError as exc:
        await _error(chat, context, exc.code, **exc.params)
        return
    await _send_parts(chat, parts)


async def send_export(
    bot: Bot,
    ctx: AppContext,
    chat_id: int,
    period: Period | None,
    fmt: ExportFormat,
    language: str,
) -> Message:
    """The goal table of ``period`` as a file in ``language``, with its caption."""
    export = await call(export_file, ctx, period, fmt, language)
    caption = render(
        "chat/export_caption.html.j2",
        language,
        catalogue_title=export.title,
        period=export.period,
        fmt=fmt,
    )
    return await bot.send_document(
        chat_id,
        document=export.content,
        filename=export.filename,
        caption=caption,
        parse_mode=ParseMode.HTML,
    )


@allowed_for(Command.EXPORT)
async def export_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity
) -> None:
    """/export [period] [xlsx|csv]: the filled-in goal table as a file."""
    chat = _chat(update)
    period, rest = split_period(list(context.args or []))
    fmt: ExportFormat = "xlsx"
    for arg in rest:
        chosen = parse_format(arg)
        if chosen is None:
            await _error(chat, context, "bad_argument", text=arg, command="export")
            return
        fmt = chosen
    try:
        await send_export(
            context.bot, app_context(context), chat.id, period, fmt, language_of(context)
        )
    except ServiceError as exc:
        await _error(chat, context, exc.code, **exc.params)


@allowed_for(Command.CHART)
async def chart_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity
) -> None:
    """/chart GOAL-ID[.metric] [period]: a figure's history against its target."""
    chat = _chat(update)
    period, rest = split_period(list(context.args or []))
    if not rest:
        await _error(chat, context, "chart_usage")
        return
    if len(rest) > 1:
        await _error(chat, context, "bad_argument", text=" ".join(rest[1:]), command="chart")
        return
    ctx = app_context(context)
    try:
        history, picture = await call(metric_chart, ctx, rest[0], period, language_of(context))
    except ServiceError as exc:
        await _error(chat, context, exc.code, **exc.params)
        return
    caption = render("chat/chart_caption.html.j2", language_of(context), history=history)
    # a name ending in .png gives the upload its image/png type (bare bytes go as octet-stream)
    name = f"goalbot-{history.metric.id}-{history.up_to.key}.png"
    await chat.send_photo(
        photo=InputFile(picture, filename=name), caption=caption, parse_mode=ParseMode.HTML
    )


def add_report_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register /status, /missing, /export and /chart."""
    application.add_handler(CommandHandler("status", status_command))
    application.add_handler(CommandHandler("missing", missing_command))
    application.add_handler(CommandHandler("export", export_command))
    application.add_handler(CommandHandler("chart", chart_command))


# ---------------------------------------------------------------- the round's summary


async def summary_parts(ctx: AppContext, period: Period, limit: int, language: str) -> list[str]:
    """The round's summary as HTML messages in ``language``, each within ``limit`` characters."""
    return await call(report_texts.summary_parts, ctx, period, limit, language)
