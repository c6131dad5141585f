"""Delivering queued sends (reminders, nudges, escalations, summaries) and recording outcomes.

Telegram's faults: 429 is waited out by the rate limiter; a refused connection or a 5xx is
retried later with backoff (the request did not take effect); a timeout after the request left
is recorded as uncertain and never repeated, because Telegram may have delivered it.
"""

from __future__ import annotations

import asyncio
import logging

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
from goalbot.reporting.rendering import render
from goalbot.services import outbox
from goalbot.services.context import AppContext
from goalbot.services.events import notify_admins
from goalbot.services.questionnaire import reminder_view

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
PARALLEL_CHATS = 32


class NothingToSend(Exception):
    """The send no longer has content (e.g. the person has no goals any more)."""


async def _content(ctx: AppContext, send: outbox.QueuedSend) -> list[tuple[str, bool]]:
    """The HTML texts of a send; the bool says whether the start button goes under it."""
    language = ctx.config.texts.language
    zone = ctx.config.schedule.zone
    if send.kind in ("reminder", "nudge") and send.person_id is not None and send.period:
        view = await call(reminder_view, ctx, send.person_id, send.period)
        if view is None or not view.is_open or (send.kind == "nudge" and not view.outstanding):
            raise NothingToSend
        return [(render(f"chat/{send.kind}.html.j2", language, view=view, timezone=zone), True)]
    if send.kind == "summary" and send.period is not None:
        from goalbot.chat.reports import summary_parts

        return [(part, False) for part in await summary_parts(ctx, send.period)]
    if send.kind in ("escalation", "admin_notice"):
        text = render(
            f"chat/{send.kind}.html.j2",
            language,
            period=send.period,
            payload=send.payload,
            timezone=zone,
        )
        return [(text, False)]
    raise NothingToSend


async def deliver(bot: Bot, ctx: AppContext, send: outbox.QueuedSend) -> str:
    """Send one queued item and record what happened; returns the recorded status."""
    try:
        parts = await _content(ctx, send)
    except NothingToSend:
        await call(
            outbox.record_outcome, ctx, send.id, outbox.FAILED, error="nothing to send any more"
        )
        return outbox.FAILED
    chat_id = send.chat_id
    first_id: int | None = None
    language = ctx.config.texts.language
    for number, (text, with_button) in enumerate(parts):
        try:
            message = await _send(
                bot, chat_id, text, start_keyboard(language) if with_button else None
            )
        except ChatMigrated as exc:
            new_id = int(exc.new_chat_id)
            await call(outbox.follow_migration, ctx, chat_id, new_id)
            chat_id = new_id
            message = await _send(
                bot, chat_id, text, start_keyboard(language) if with_button else None
            )
        except Forbidden as exc:
            name = await call(outbox.record_outcome, ctx, send.id, outbox.BLOCKED, error=str(exc))
            if send.kind != "admin_notice":
                await call(
                    notify_admins,
                    ctx,
                    f"blocked:{send.id}",
                    {"code": "blocked", "person": name, "chat_id": chat_id, "kind": send.kind},
                )
            return outbox.BLOCKED
        except TimedOut as exc:
            status = outbox.UNCERTAIN if number == 0 else outbox.SENT
            await call(
                outbox.record_outcome,
                ctx,
                send.id,
                status,
                first_id,
                error=f"timed out: {exc}",
                chat_id=chat_id,
            )
            return status
        except RetryAfter as exc:
            await call(
                outbox.record_outcome,
                ctx,
                send.id,
                outbox.RETRY,
                first_id,
                error=f"flood control: {exc}",
            )
            return outbox.RETRY
        # BadRequest is a NetworkError in PTB, but final: it must be caught first
        except BadRequest as exc:
            await call(
                outbox.record_outcome,
                ctx,
                send.id,
                outbox.FAILED,
                first_id,
                error=str(exc),
                chat_id=chat_id,
            )
            return outbox.FAILED
        except NetworkError as exc:
            if number > 0:
                # part of a long summary went out: do not repeat it; note the gap
                await call(
                    outbox.record_outcome,
                    ctx,
                    send.id,
                    outbox.SENT,
                    first_id,
                    error=f"later part failed: {exc}",
                    chat_id=chat_id,
                )
                return outbox.SENT
            status = outbox.RETRY if send.attempts < MAX_ATTEMPTS else outbox.FAILED
            await call(outbox.record_outcome, ctx, send.id, status, error=str(exc))
            return status
        if first_id is None:
            first_id = message.message_id
    if send.kind == "summary" and send.period is not None:
        from goalbot.chat.reports import send_summary_document

        await send_summary_document(bot, ctx, chat_id, send.period)
    await call(outbox.record_outcome, ctx, send.id, outbox.SENT, first_id, chat_id=chat_id)
    return outbox.SENT


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
        outcomes: list[tuple[outbox.QueuedSend, str]] = []

        async def serve(chat_sends: list[outbox.QueuedSend]) -> None:
            async with slots:
                for send in chat_sends:
                    outcomes.append((send, await _deliver_safely(context.bot, ctx, send)))

        await asyncio.gather(*(serve(chat_sends) for chat_sends in by_chat.values()))
        log_deliveries(outcomes)


def log_deliveries(outcomes: list[tuple[outbox.QueuedSend, str]]) -> None:
    """One line per kind of send and period delivered in a run (the business events)."""
    groups: dict[tuple[str, str], dict[str, int]] = {}
    for send, status in outcomes:
        period = send.period.key if send.period else ""
        counts = groups.setdefault((send.kind, period), {})
        counts[status] = counts.get(status, 0) + 1
    for (kind, period), counts in sorted(groups.items()):
        sent = counts.get(outbox.SENT, 0)
        fields = {"event": f"{kind}_delivered", "kind": kind, "period": period, **counts}
        if kind == "summary" and sent == sum(counts.values()):
            log.info("summary of %s posted to the management group", period, extra=fields)
        elif kind == "escalation" and sent == sum(counts.values()):
            log.info("escalation for %s sent to %d people", period, sent, extra=fields)
        else:
            outcome = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            log.info("%s %s: %s", kind, period or "-", outcome, extra=fields)


async def _deliver_safely(bot: Bot, ctx: AppContext, send: outbox.QueuedSend) -> str:
    try:
        return await deliver(bot, ctx, send)
    except Exception:
        log.exception("delivering send %s failed", send.key)
        await call(
            outbox.record_outcome,
            ctx,
            send.id,
            outbox.UNCERTAIN,
            error="internal error while sending; not repeated",
        )
        return outbox.UNCERTAIN
