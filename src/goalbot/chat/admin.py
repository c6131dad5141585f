"""Administrator commands in Telegram: invites, owners, rounds, summaries, pauses, schedule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, ContextTypes

from goalbot.chat.arguments import split_period
from goalbot.chat.delivery import deliver_pending
from goalbot.chat.handlers import allowed_for, app_context, call, language_of, send_html
from goalbot.domain.periods import Period, parse_day
from goalbot.domain.protocol import HolderKind
from goalbot.reporting.rendering import render
from goalbot.scheduling.control import (
    close_round_now,
    extend_round_now,
    open_round_now,
    reopen_round_now,
)
from goalbot.scheduling.runner import coming_events
from goalbot.services import owners as owner_service
from goalbot.services.access import Actor, Command, Identity
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.events import event_states, round_states
from goalbot.services.rounds import choose_management_group, resend_summary


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


@allowed_for(Command.INVITE)
async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity) -> None:
    """/invite ROLE NAME [sijainen]: a single-use link for an owner (or a deputy)."""
    args = list(context.args or [])
    kind = HolderKind.OWNER
    if args and args[-1].casefold() in ("sijainen", "deputy", "varahenkilö", "ersättare"):
        kind = HolderKind.DEPUTY
        args = args[:-1]
    if len(args) < 2:
        await _reply(update, context, "admin_usage", command="invite")
        return
    ctx = app_context(context)
    try:
        created = await call(
            owner_service.invite_owner,
            ctx,
            args[0],
            " ".join(args[1:]),
            kind,
            "telegram",
            by=_actor(identity),
        )
    except ServiceError as exc:
        await _service_error(update, context, exc)
        return
    await _reply(update, context, "invite_link", invite=created, username=context.bot.username)


@allowed_for(Command.OWNERS)
async def owners(update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity) -> None:
    """/owners: every role with its owner, deputy and pending invites."""
    listed = await call(owner_service.list_owners, app_context(context))
    await _reply(update, context, "owners", owners=listed)


async def _round_now(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    identity: Identity,
    command: str,
    action: Callable[[AppContext, Period | None, Actor], object],
    template: str,
    name: str,
) -> None:
    """/remind or /close: an optional period, the action, its reply, then deliver at once."""
    period, rest = split_period(list(context.args or []))
    if rest:
        await _reply(update, context, "admin_usage", command=command)
        return
    try:
        result = await call(action, app_context(context), period, _actor(identity))
    except ServiceError as exc:
        await _service_error(update, context, exc)
        return
    await _reply(update, context, template, **{name: result})
    await deliver_pending(context)


def _opened(ctx: AppContext, period: Period | None, by: Actor) -> object:
    return open_round_now(ctx, period, by=by)


def _closed(ctx: AppContext, period: Period | None, by: Actor) -> object:
    return close_round_now(ctx, period, by=by)


@allowed_for(Command.REMIND)
async def remind(update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity) -> None:
    """/remind [2026Q4]: open the round now and send the reminders."""
    await _round_now(update, context, identity, "remind", _opened, "round_opened", "opened")


@allowed_for(Command.CLOSE)
async def close(update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity) -> None:
    """/close [2026Q4]: close the round now and post the summary."""
    await _round_now(update, context, identity, "close", _closed, "round_closed", "closed")


async def _new_deadline(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    identity: Identity,
    command: str,
) -> None:
    """/reopen 2026Q4 25.1.2027 or /extend 25.1.2027 [2026Q4]: a new deadline, announced."""
    period, rest = split_period(list(context.args or []))
    until = parse_day(rest[0]) if len(rest) == 1 else None
    if until is None or (command == "reopen" and period is None):
        await _reply(update, context, "admin_usage", command=command)
        return
    ctx = app_context(context)
    by = _actor(identity)
    try:
        if command == "reopen":
            assert period is not None
            changed = await call(reopen_round_now, ctx, period, until, by=by)
        else:
            changed = await call(extend_round_now, ctx, period, until, by=by)
    except ServiceError as exc:
        await _service_error(update, context, exc)
        return
    await _reply(update, context, "round_deadline", changed=changed)
    await deliver_pending(context)


@allowed_for(Command.REOPEN)
async def reopen(update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity) -> None:
    """/reopen 2026Q4 25.1.2027: open a closed round again until the day."""
    await _new_deadline(update, context, identity, "reopen")


@allowed_for(Command.EXTEND)
async def extend(update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity) -> None:
    """/extend 25.1.2027 [2026Q4]: the open round closes on that day instead."""
    await _new_deadline(update, context, identity, "extend")


@allowed_for(Command.SUMMARY)
async def summary(update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity) -> None:
    """/summary 2026Q4: post a round's summary to the management group again."""
    period, rest = split_period(list(context.args or []))
    if period is None or rest:
        await _reply(update, context, "admin_usage", command="summary")
        return
    try:
        await call(resend_summary, app_context(context), period, by=_actor(identity))
    except ServiceError as exc:
        await _service_error(update, context, exc)
        return
    await _reply(update, context, "summary_queued", period=period)
    await deliver_pending(context)


@allowed_for(Command.PAUSE)
async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity) -> None:
    """/pause PERSON 31.12.2026 (or /pause PERSON pois): pause a person's nudges until a date."""
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
            owner_service.pause_nudges,
            app_context(context),
            " ".join(args[:-1]),
            until,
            by=_actor(identity),
        )
    except ServiceError as exc:
        await _service_error(update, context, exc)
        return
    await _reply(update, context, "paused", name=name, until=until)


@allowed_for(Command.SCHEDULE)
async def schedule(update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity) -> None:
    """/schedule: the coming year's reporting dates (everyone the bot knows)."""
    ctx = app_context(context)
    events = await call(coming_events, ctx, ctx.now())
    states = await call(event_states, ctx, [e.key for e in events])
    rounds = await call(round_states, ctx)
    await _reply(update, context, "schedule", events=events, states=states, rounds=rounds)


@allowed_for(Command.SETGROUP)
async def setgroup(update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity) -> None:
    """/setgroup in a group: this group receives the summaries."""
    chat = update.effective_chat
    assert chat is not None
    if chat.type == ChatType.PRIVATE:
        await _reply(update, context, "admin_usage", command="setgroup")
        return
    await call(choose_management_group, app_context(context), chat.id, by=_actor(identity))
    await _reply(update, context, "group_set", title=chat.title or "")


def _actor(identity: Identity) -> Actor:
    """The sender, for the services that check again who may change data."""
    return Actor(identity.telegram_user_id)


def add_admin_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the administrator commands."""
    for name, callback in (
        ("invite", invite),
        ("owners", owners),
        ("remind", remind),
        ("close", close),
        ("reopen", reopen),
        ("extend", extend),
        ("summary", summary),
        ("pause", pause),
        ("schedule", schedule),
        ("setgroup", setgroup),
    ):
        application.add_handler(CommandHandler(name, callback))
