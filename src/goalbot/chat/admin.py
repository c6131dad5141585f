"""Administrator commands in Telegram: invites, owners, rounds, summaries, pauses, schedule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, ContextTypes

from goalbot.chat.arguments import split_period
from goalbot.chat.delivery import deliver_pending
from goalbot.chat.handlers import app_context, call, language_of, refuse, send_html
from goalbot.domain.periods import Period, parse_day
from goalbot.domain.protocol import HolderKind
from goalbot.reporting.rendering import render
from goalbot.scheduling.control import close_round_now, open_round_now
from goalbot.scheduling.runner import coming_events
from goalbot.services import owners as owner_service
from goalbot.services.access import Identity, who_is
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.events import event_states, round_states
from goalbot.services.outbox import set_management_chat
from goalbot.services.rounds import resend_summary


async def _admin(
    update: Update, context: ContextTypes.DEFAULT_TYPE, private_only: bool = False
) -> Identity | None:
    """The admin behind the command, or None after telling the sender why not.

    ``private_only``: the command shows links or names that a group must not see.
    """
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    identity = await call(who_is, app_context(context), user.id)
    if identity.is_admin:
        if private_only and chat.type != ChatType.PRIVATE:
            await send_html(chat, render("chat/private_only.html.j2", language_of(context)))
            return None
        return identity
    if not identity.is_known:
        if chat.type == ChatType.PRIVATE:
            await refuse(update, context)
        return None
    await send_html(chat, render("chat/admin_only.html.j2", language_of(context)))
    return None


async def _reply(
    update: Update, context: ContextTypes.DEFAULT_TYPE, template: str, **values: Any
) -> None:
    chat = update.effective_chat
    assert chat is not None
    ctx = app_context(context)
    await send_html(
        chat,
        render(
            f"chat/{template}.html.j2",
            language_of(context),
            timezone=ctx.config.schedule.zone,
            **values,
        ),
    )


async def _service_error(
    update: Update, context: ContextTypes.DEFAULT_TYPE, error: ServiceError
) -> None:
    await _reply(update, context, "admin_error", code=error.code, p=error.params)


async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/invite ROLE NAME [sijainen]: a single-use link for an owner (or a deputy)."""
    if await _admin(update, context, private_only=True) is None:
        return
    args = list(context.args or [])
    kind = HolderKind.OWNER
    if args and args[-1].casefold() in ("sijainen", "deputy", "varahenkilö"):
        kind = HolderKind.DEPUTY
        args = args[:-1]
    if len(args) < 2:
        await _reply(update, context, "admin_usage", command="invite")
        return
    ctx = app_context(context)
    try:
        created = await call(
            owner_service.invite_owner, ctx, args[0], " ".join(args[1:]), kind, "telegram"
        )
    except ServiceError as exc:
        await _service_error(update, context, exc)
        return
    await _reply(update, context, "invite_link", invite=created, username=context.bot.username)


async def owners(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/owners: every role with its owner, deputy and pending invites."""
    if await _admin(update, context, private_only=True) is None:
        return
    listed = await call(owner_service.list_owners, app_context(context))
    await _reply(update, context, "owners", owners=listed)


async def _round_now(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    command: str,
    action: Callable[[AppContext, Period | None], object],
    template: str,
    name: str,
) -> None:
    """/remind or /close: an optional period, the action, its reply, then deliver at once."""
    if await _admin(update, context) is None:
        return
    period, rest = split_period(list(context.args or []))
    if rest:
        await _reply(update, context, "admin_usage", command=command)
        return
    try:
        result = await call(action, app_context(context), period)
    except ServiceError as exc:
        await _service_error(update, context, exc)
        return
    await _reply(update, context, template, **{name: result})
    await deliver_pending(context)


async def remind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/remind [2026Q4]: open the round now and send the reminders."""
    await _round_now(update, context, "remind", open_round_now, "round_opened", "opened")


async def close(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/close [2026Q4]: close the round now and post the summary."""
    await _round_now(update, context, "close", close_round_now, "round_closed", "closed")


async def summary(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/summary 2026Q4: post a round's summary to the management group again."""
    if await _admin(update, context) is None:
        return
    period, rest = split_period(list(context.args or []))
    if period is None or rest:
        await _reply(update, context, "admin_usage", command="summary")
        return
    try:
        await call(resend_summary, app_context(context), period)
    except ServiceError as exc:
        await _service_error(update, context, exc)
        return
    await _reply(update, context, "summary_queued", period=period)
    await deliver_pending(context)


async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pause PERSON 31.12.2026 (or /pause PERSON pois): pause a person's nudges until a date."""
    if await _admin(update, context, private_only=True) is None:
        return
    args = list(context.args or [])
    if len(args) < 2:
        await _reply(update, context, "admin_usage", command="pause")
        return
    resume = args[-1].casefold() in ("pois", "off", "jatka")
    until = None if resume else parse_day(args[-1])
    if until is None and not resume:
        await _reply(update, context, "admin_usage", command="pause")
        return
    try:
        name, until = await call(
            owner_service.pause_nudges, app_context(context), " ".join(args[:-1]), until
        )
    except ServiceError as exc:
        await _service_error(update, context, exc)
        return
    await _reply(update, context, "paused", name=name, until=until)


async def schedule(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/schedule: the coming year's reporting dates (managers and admins)."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    ctx = app_context(context)
    identity = await call(who_is, ctx, user.id)
    if not (identity.is_manager or identity.is_admin or identity.owns_goals):
        if chat.type == ChatType.PRIVATE:
            await refuse(update, context)
        return
    events = await call(coming_events, ctx, ctx.now())
    states = await call(event_states, ctx, [e.key for e in events])
    rounds = await call(round_states, ctx)
    await _reply(update, context, "schedule", events=events, states=states, rounds=rounds)


async def setgroup(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/setgroup in a group: this group receives the summaries."""
    chat = update.effective_chat
    assert chat is not None
    if await _admin(update, context) is None:
        return
    if chat.type == ChatType.PRIVATE:
        await _reply(update, context, "admin_usage", command="setgroup")
        return
    await call(set_management_chat, app_context(context), chat.id)
    await _reply(update, context, "group_set", title=chat.title or "")


def add_admin_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the administrator commands."""
    for name, callback in (
        ("invite", invite),
        ("owners", owners),
        ("remind", remind),
        ("close", close),
        ("summary", summary),
        ("pause", pause),
        ("schedule", schedule),
        ("setgroup", setgroup),
    ):
        application.add_handler(CommandHandler(name, callback))
