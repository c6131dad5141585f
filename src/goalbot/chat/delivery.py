"""Delivering queued sends (reminders, nudges, escalations, summaries).

This module only performs the requests and names what each attempt came to (an
``outbox.Outcome``: a 403 is BLOCKED, a timeout after the request left TIMED_OUT, a 5xx or a
refused connection UNREACHABLE …); the outbox decides what that means for the send: retried
with backoff, recorded as uncertain and never repeated, or done. A 429 is first waited out by
the rate limiter.
"""

from __future__ import annotations

import asyncio
import logging
from typing import assert_never

from telegram import Bot, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ContextTypes

from goalbot.chat.handlers import app_context, call
from goalbot.chat.keyboards import start_keyboard
from goalbot.chat.supervision import supervision
from goalbot.domain.protocol import SendKind, SendStatus
from goalbot.reporting.rendering import render
from goalbot.services import outbox
from goalbot.services.context import AppContext
from goalbot.services.questionnaire import reminder_view

log = logging.getLogger(__name__)
PARALLEL_CHATS = 32


class NothingToSend(Exception):
    """The send no longer has content (e.g. the person has no goals any more)."""


async def _content(ctx: AppContext, send: outbox.QueuedSend) -> list[tuple[str, bool]]:
    """The HTML texts of a send; the bool says whether the start button goes under it."""
    language = ctx.config.texts.language
    zone = ctx.config.schedule.zone
    match send.kind:
        case SendKind.REMINDER | SendKind.NUDGE:
            if send.person_id is None or send.period is None:
                raise NothingToSend
            view = await call(reminder_view, ctx, send.person_id, send.period)
            if view is None or not view.is_open:
                raise NothingToSend
            if send.kind == SendKind.NUDGE and not view.outstanding:
                raise NothingToSend
            template = f"chat/{send.kind.value}.html.j2"
            return [(render(template, language, view=view, timezone=zone), True)]
        case SendKind.SUMMARY:
            if send.period is None:
                raise NothingToSend
            from goalbot.chat.reports import summary_parts

            return [(part, False) for part in await summary_parts(ctx, send.period)]
        case SendKind.ESCALATION | SendKind.ADMIN_NOTICE:
            text = render(
                f"chat/{send.kind.value}.html.j2",
                language,
                period=send.period,
                payload=send.payload,
                timezone=zone,
            )
            return [(text, False)]
    assert_never(send.kind)


async def _attempt(
    bot: Bot, ctx: AppContext, send: outbox.QueuedSend
) -> tuple[outbox.Outcome, int, int | None, int, str]:
    """Send every part: (what it came to, parts sent, first message id, chat id, detail)."""
    try:
        parts = await _content(ctx, send)
    except NothingToSend:
        return outbox.Outcome.NOTHING_TO_SEND, 0, None, send.chat_id, ""
    chat_id = send.chat_id
    first_id: int | None = None
    language = ctx.config.texts.language
    for number, (text, with_button) in enumerate(parts):
        keyboard = start_keyboard(language) if with_button else None
        try:
            try:
                message = await _send(bot, chat_id, text, keyboard)
            except ChatMigrated as exc:
                new_id = int(exc.new_chat_id)
                await call(outbox.follow_migration, ctx, chat_id, new_id)
                chat_id = new_id
                message = await _send(bot, chat_id, text, keyboard)
        except Forbidden as exc:
            return outbox.Outcome.BLOCKED, number, first_id, chat_id, str(exc)
        except TimedOut as exc:
            return outbox.Outcome.TIMED_OUT, number, first_id, chat_id, str(exc)
        except RetryAfter as exc:
            return outbox.Outcome.FLOOD, number, first_id, chat_id, str(exc)
        # BadRequest is a NetworkError in PTB, but final: it must be caught first
        except BadRequest as exc:
            return outbox.Outcome.REFUSED, number, first_id, chat_id, str(exc)
        except NetworkError as exc:
            return outbox.Outcome.UNREACHABLE, number, first_id, chat_id, str(exc)
        if first_id is None:
            first_id = message.message_id
    if send.kind == SendKind.SUMMARY and send.period is not None:
        from goalbot.chat.reports import send_summary_document

        await send_summary_document(bot, ctx, chat_id, send.period)
    return outbox.Outcome.DELIVERED, len(parts), first_id, chat_id, ""


async def deliver(bot: Bot, ctx: AppContext, send: outbox.QueuedSend) -> SendStatus | None:
    """Send one queued item and record what happened; returns the send's new status."""
    outcome, parts_sent, first_id, chat_id, detail = await _attempt(bot, ctx, send)
    return await call(
        outbox.record_outcome,
        ctx,
        send.id,
        outcome,
        parts_sent=parts_sent,
        message_id=first_id,
        detail=detail,
        chat_id=chat_id,
    )


async def _send(bot: Bot, chat_id: int, text: str, keyboard: object) -> Message:
    return await bot.send_message(
        chat_id,
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,  # type: ignore[arg-type]
        disable_web_page_preview=True,
    )


async def deliver_pending(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: deliver whatever is queued (sends queued by the CLI are picked up here too).

    Different chats are served side by side, so a round's reminders go out as fast as
    Telegram's limits allow (the rate limiter paces them); one chat's sends stay in order.
    """
    ctx = app_context(context)
    watch = supervision(context.application)
    if watch.telegram.down or watch.database.down:
        return  # the poller and the heartbeat find out when it is back; sends wait meanwhile
    lock = context.application.bot_data.get("delivery_lock")
    if lock is None:
        lock = context.application.bot_data["delivery_lock"] = asyncio.Lock()
    if lock.locked():
        return
    async with lock:
        sends = await call(outbox.claim_pending, ctx)
        by_chat: dict[int, list[outbox.QueuedSend]] = {}
        for send in sends:
            by_chat.setdefault(send.chat_id, []).append(send)
        slots = asyncio.Semaphore(PARALLEL_CHATS)
        outcomes: list[tuple[outbox.QueuedSend, SendStatus | None]] = []

        async def serve(chat_sends: list[outbox.QueuedSend]) -> None:
            async with slots:
                for send in chat_sends:
                    outcomes.append((send, await _deliver_safely(context.bot, ctx, send)))

        await asyncio.gather(*(serve(chat_sends) for chat_sends in by_chat.values()))
        log_deliveries(outcomes)


def log_deliveries(outcomes: list[tuple[outbox.QueuedSend, SendStatus | None]]) -> None:
    """One line per kind of send and period delivered in a run (the business events)."""
    groups: dict[tuple[SendKind, str], dict[str, int]] = {}
    for send, status in outcomes:
        period = send.period.key if send.period else ""
        counts = groups.setdefault((send.kind, period), {})
        word = status.value if status is not None else "unknown"
        counts[word] = counts.get(word, 0) + 1
    for (kind, period), counts in sorted(groups.items()):
        sent = counts.get(SendStatus.SENT.value, 0)
        fields: dict[str, object] = {
            "event": f"{kind.value}_delivered",
            "kind": kind.value,
            "period": period,
            **counts,
        }
        if kind == SendKind.SUMMARY and sent == sum(counts.values()):
            log.info("summary of %s posted to the management group", period, extra=fields)
        elif kind == SendKind.ESCALATION and sent == sum(counts.values()):
            log.info("escalation for %s sent to %d people", period, sent, extra=fields)
        else:
            outcome = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            log.info("%s %s: %s", kind.value, period or "-", outcome, extra=fields)


async def _deliver_safely(bot: Bot, ctx: AppContext, send: outbox.QueuedSend) -> SendStatus | None:
    try:
        return await deliver(bot, ctx, send)
    except Exception:
        log.exception("delivering send %s failed", send.key)
        return await call(outbox.record_outcome, ctx, send.id, outbox.Outcome.CRASHED)
