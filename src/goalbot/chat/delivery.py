"""Delivering queued sends (reminders, nudges, escalations, summaries), part by part.

This module only performs the requests and names what each came to (an ``outbox.Outcome``);
the outbox decides what that means for the send. A send is marked as on its way only when the
rate limiter is about to let its request go (``ratelimit.before_request``: its turn is among the
next few), not while it waits its turn behind others.

What a failure means depends on where it happened, which PTB keeps as the httpx exception
behind its own (``__cause__``): a refused connection or a connect timeout certainly happened
before the request left, and so did a 5xx answer's request take no effect: UNREACHABLE, tried
again. A read timeout, a write error or a connection closed without an answer ("Server
disconnected without sending a response") may come after Telegram acted: TIMED_OUT, never
repeated. A 429 is first waited out by the rate limiter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, assert_never

import httpx
from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ContextTypes

from goalbot.chat.handlers import app_context, call, put_menu
from goalbot.chat.keyboards import start_keyboard
from goalbot.chat.ratelimit import RequestWithdrawn, before_request
from goalbot.chat.supervision import supervision
from goalbot.domain.periods import Period
from goalbot.domain.protocol import SendKind, SendStatus
from goalbot.reporting.messages import TEXT_LIMIT
from goalbot.reporting.rendering import render
from goalbot.services import outbox
from goalbot.services.access import menu_for
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.questionnaire import ReminderView, reminder_view, reminder_views
from goalbot.storage.database import is_database_unavailable

log = logging.getLogger(__name__)
PARALLEL_CHATS = 32
MAX_CLAIMS_A_RUN = 20  # claims in one run of the delivery job (2,000 sends)
# room for the "part 2/3" line under each part of a long summary
PART_LINE_ROOM = 60
# the request certainly never left: nothing can have happened at Telegram
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class NothingToSend(Exception):
    """The send no longer has content (e.g. the person has no goals any more)."""


@dataclass(frozen=True)
class Part:
    """One message of a send: an HTML text (with the start button or not), or the table."""

    text: str = ""
    with_button: bool = False
    table: Period | None = None  # the period's goal table as an XLSX file
    menu: tuple[str, ...] | None = None  # a person's command menu (setMyCommands), not a text
    language: str = ""  # of the button's label, and of the table


async def _content(
    ctx: AppContext,
    send: outbox.QueuedSend,
    views: Mapping[int, ReminderView | None] | None = None,
) -> list[Part]:
    """The parts of a send, in order, in the language the send was queued in; ``views``: the
    contents of reminders read for the claim, by send."""
    language = send.language or ctx.config.texts.language
    zone = ctx.config.schedule.zone
    match send.kind:
        case SendKind.REMINDER | SendKind.NUDGE:
            if send.person_id is None or send.period is None:
                raise NothingToSend
            if views is not None and send.id in views:
                view = views[send.id]
            else:
                view = await call(reminder_view, ctx, send.person_id, send.period)
            if view is None or not view.is_open:
                raise NothingToSend
            if send.kind == SendKind.NUDGE and not view.outstanding:
                raise NothingToSend
            template = f"chat/{send.kind.value}.html.j2"
            text = render(template, language, view=view, timezone=zone)
            return [Part(text, True, language=language)]
        case SendKind.SUMMARY:
            if send.period is None:
                raise NothingToSend
            kept = send.payload.get("parts")
            if isinstance(kept, list) and all(isinstance(text, str) for text in kept):
                texts = list(kept)  # resumed or sent again: the parts as first made
            else:
                texts = await _summary_texts(ctx, send.period, language)
                await call(outbox.keep_parts, ctx, send.id, texts)
            return [*(Part(text) for text in texts), Part(table=send.period, language=language)]
        case SendKind.ROUND_CHANGED:
            payload = send.payload or {}
            deadline = payload.get("deadline")
            text = render(
                "chat/round_changed.html.j2",
                language,
                period=send.period,
                payload=payload,
                deadline=datetime.fromisoformat(deadline) if isinstance(deadline, str) else None,
                timezone=zone,
            )
            # reopened or extended: the start button takes them back to their answers
            return [Part(text, with_button=bool(payload.get("button")), language=language)]
        case SendKind.MENU:
            return [Part(menu=await call(menu_for, ctx, send.chat_id))]
        case SendKind.ESCALATION | SendKind.ADMIN_NOTICE:
            text = render(
                f"chat/{send.kind.value}.html.j2",
                language,
                period=send.period,
                payload=send.payload,
                timezone=zone,
            )
            return [Part(text)]
    assert_never(send.kind)


async def _summary_texts(ctx: AppContext, period: Period, language: str) -> list[str]:
    """The summary's texts, numbered when there are several."""
    from goalbot.chat.reports import summary_parts

    texts = await summary_parts(ctx, period, TEXT_LIMIT - PART_LINE_ROOM, language)
    if len(texts) > 1:
        # numbered, so that a part that did not arrive shows as missing
        total = len(texts)
        texts = [
            f"{text}\n\n{render('chat/part.html.j2', language, number=n, total=total)}"
            for n, text in enumerate(texts, start=1)
        ]
    return texts


def _failure(exc: TelegramError) -> outbox.Outcome:
    """What a failed request came to, by where it failed."""
    if isinstance(exc, Forbidden):
        return outbox.Outcome.BLOCKED
    if isinstance(exc, RetryAfter):
        return outbox.Outcome.FLOOD
    # BadRequest is a NetworkError in PTB, but final: it must be looked at first
    if isinstance(exc, BadRequest):
        return outbox.Outcome.REFUSED
    if isinstance(exc.__cause__, NOT_SENT):
        return outbox.Outcome.UNREACHABLE
    if isinstance(exc, NetworkError) and exc.__cause__ is None:
        # Telegram answered, with a 5xx (or a body PTB could not read): it took no effect
        return outbox.Outcome.UNREACHABLE
    # a timeout or a lost connection after the request left: Telegram may have acted on it
    return outbox.Outcome.TIMED_OUT


async def _request(bot: Bot, ctx: AppContext, chat_id: int, part: Part) -> Message | None:
    language = part.language or ctx.config.texts.language
    if part.menu is not None:
        await put_menu(bot, chat_id, part.menu, ctx.config.texts.language)
        return None
    if part.table is not None:
        from goalbot.chat.reports import send_export

        return await send_export(bot, ctx, chat_id, part.table, "xlsx", language)
    keyboard: InlineKeyboardMarkup | None = start_keyboard(language) if part.with_button else None
    return await bot.send_message(
        chat_id,
        part.text,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
        disable_web_page_preview=True,
    )


class Deliverer:
    """This bot's delivery: its name in claims, and outcomes it could not record yet."""

    def __init__(self, instance: str) -> None:
        self.instance = instance
        self.unrecorded: list[tuple[int, int, outbox.Outcome, dict[str, Any]]] = []
        self.busy: set[int] = set()  # sends claimed and not yet delivered
        self.chats = ChatTurns()
        self.slots = asyncio.Semaphore(PARALLEL_CHATS)  # chats served side by side

    async def record(
        self, ctx: AppContext, send_id: int, part: int, outcome: outbox.Outcome, **details: Any
    ) -> SendStatus | None:
        """Record a part's outcome; if the database cannot be reached, keep it to record later
        (the send stays as it is meanwhile: nothing is sent twice, nothing forgotten)."""
        try:
            return await call(outbox.end_part, ctx, send_id, part, outcome, **details)
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            self.unrecorded.append((send_id, part, outcome, details))
            return None

    async def flush(self, ctx: AppContext) -> None:
        """Record what could not be recorded while the database was away."""
        waiting, self.unrecorded = self.unrecorded, []
        for number, (send_id, part, outcome, details) in enumerate(waiting):
            try:
                await call(outbox.end_part, ctx, send_id, part, outcome, **details)
            except Exception as exc:
                if not is_database_unavailable(exc):
                    raise
                self.unrecorded = waiting[number:] + self.unrecorded
                return

    async def deliver(
        self,
        bot: Bot,
        ctx: AppContext,
        send: outbox.QueuedSend,
        views: Mapping[int, ReminderView | None] | None = None,
    ) -> SendStatus | None:
        """Send a claimed send's parts not yet sent and record each; the send's status.
        ``views``: reminders' contents read for the whole claim, by send (read here if not)."""
        try:
            parts = await _content(ctx, send, views)
        except NothingToSend:
            await call(outbox.nothing_to_send, ctx, send.id, self.instance)
            return SendStatus.FAILED
        chat_id = send.chat_id
        status: SendStatus | None = None
        for index, part in enumerate(parts):
            if send.progress.settled(index):
                continue
            status, chat_id = await self._part(bot, ctx, send, index, len(parts), part, chat_id)
            if status != SendStatus.SENDING:
                return status
        return status

    async def _part(
        self,
        bot: Bot,
        ctx: AppContext,
        send: outbox.QueuedSend,
        index: int,
        total: int,
        part: Part,
        chat_id: int,
    ) -> tuple[SendStatus | None, int]:
        started = False

        async def mark_on_its_way() -> bool:
            nonlocal started
            started = await call(outbox.start_part, ctx, send.id, self.instance, index, total)
            return started

        token = before_request.set(mark_on_its_way)
        try:
            try:
                message = await _request(bot, ctx, chat_id, part)
            except ChatMigrated as exc:
                # the group became a supergroup; the request took no effect
                chat_id = int(exc.new_chat_id)
                await call(outbox.follow_migration, ctx, send.chat_id, chat_id)
                message = await _request(bot, ctx, chat_id, part)
        except RequestWithdrawn:
            return None, chat_id  # another bot has it now
        except TelegramError as exc:
            outcome = _failure(exc)
            if not started:
                if outcome == outbox.Outcome.TIMED_OUT:
                    outcome = outbox.Outcome.UNREACHABLE  # it never left
                if not await call(outbox.start_part, ctx, send.id, self.instance, index, total):
                    return None, chat_id
            detail = f"{exc} ({type(exc.__cause__).__name__})" if exc.__cause__ else str(exc)
            status = await self.record(ctx, send.id, index, outcome, detail=detail, chat_id=chat_id)
            return status, chat_id
        except ServiceError as exc:
            # the table could not be made: the summary stands without it, visibly
            if not await call(outbox.start_part, ctx, send.id, self.instance, index, total):
                return None, chat_id
            detail = f"the table could not be made: {exc.code}"
            status = await self.record(ctx, send.id, index, outbox.Outcome.REFUSED, detail=detail)
            return status, chat_id
        finally:
            before_request.reset(token)
        if not started:  # sent without the rate limiter's word (never in goalbot's own bot)
            await call(outbox.start_part, ctx, send.id, self.instance, index, total)
        status = await self.record(
            ctx,
            send.id,
            index,
            outbox.Outcome.DELIVERED,
            message_id=message.message_id if message is not None else None,
            chat_id=chat_id,
        )
        return status, chat_id


def deliverer(context: ContextTypes.DEFAULT_TYPE) -> Deliverer:
    """The application's Deliverer (made on first use)."""
    found = context.application.bot_data.get("deliverer")
    if not isinstance(found, Deliverer):
        instance = str(context.application.bot_data.get("instance") or "bot")
        found = context.application.bot_data["deliverer"] = Deliverer(instance)
    return found


async def deliver_pending(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: deliver whatever is queued (sends queued by the CLI are picked up here too).

    Different chats are served side by side, so a round's reminders go out as fast as
    Telegram's limits allow (the rate limiter paces them); one chat's sends stay in order.
    What ended uncertain or failed is then reported to the administrators.
    """
    ctx = app_context(context)
    watch = supervision(context.application)
    if not watch.leading:
        return  # a standby: the bot that leads delivers (within seconds, by its own job)
    if watch.telegram.down or watch.database.down:
        return  # the poller and the heartbeat find out when it is back; sends wait meanwhile
    lock = context.application.bot_data.get("delivery_lock")
    if lock is None:
        lock = context.application.bot_data["delivery_lock"] = asyncio.Lock()
    if lock.locked():
        return
    me = deliverer(context)
    async with lock:
        # a full claim is followed by the next while its last sends still wait for their turn,
        # so the limiter always has a send ready: a round's fan-out does not wait for the job's
        # next run (which is skipped while this one runs), nor for a claim's last send before
        # the next claim's content is read; the run ends when Telegram or the database goes
        # away, and after MAX_CLAIMS_A_RUN claims at most
        batches: list[asyncio.Task[int]] = []
        try:
            for _ in range(MAX_CLAIMS_A_RUN):
                await me.flush(ctx)
                if me.unrecorded:
                    break  # the database is still away
                sends = await call(outbox.claim_due, ctx, me.instance, outbox.CLAIM_LIMIT, me.busy)
                if not sends:
                    break
                me.busy.update(send.id for send in sends)
                under_way = asyncio.Event()
                batch = asyncio.create_task(_deliver_claimed(context, ctx, me, sends, under_way))
                batches.append(batch)
                if len(sends) < outbox.CLAIM_LIMIT:
                    break
                await asyncio.wait(
                    [batch, asyncio.ensure_future(under_way.wait())],
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if (
                    _stopped_short(batch)
                    or watch.telegram.down
                    or watch.database.down
                    or not watch.leading
                ):
                    break
        except asyncio.CancelledError:
            for batch in batches:
                batch.cancel()  # the bot stops: so do the claims' deliveries
            raise
        finally:
            if batches:
                await asyncio.wait(batches)
        for batch in batches:
            batch.result()  # a claim's delivery that failed fails the job, once all have ended


def _stopped_short(batch: asyncio.Task[int]) -> bool:
    """A claim's delivery ended with the database away, or failed."""
    if not batch.done():
        return False
    return batch.cancelled() or batch.exception() is not None or batch.result() == 0


async def _reminder_views(
    ctx: AppContext, sends: list[outbox.QueuedSend]
) -> dict[int, ReminderView | None]:
    """The contents of a claim's reminders and nudges, by send, in one read (each is read by
    itself, as it goes, if this read fails: the database may be away for a moment)."""
    reminders: list[outbox.QueuedSend] = []
    wanted: list[tuple[int, Period]] = []
    for send in sends:
        if send.kind not in (SendKind.REMINDER, SendKind.NUDGE):
            continue
        if send.person_id is not None and send.period is not None:
            reminders.append(send)
            wanted.append((send.person_id, send.period))
    if not reminders:
        return {}
    try:
        views = await call(reminder_views, ctx, wanted)
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        return {}
    return {send.id: view for send, view in zip(reminders, views, strict=True)}


class ChatTurns:
    """One chat's sends one after another, in the order they were claimed, across claims."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, chat_id: int) -> AsyncIterator[None]:
        lock, waiting = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, waiting + 1)
        try:
            async with lock:
                yield
        finally:
            lock, waiting = self._locks[chat_id]
            if waiting == 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, waiting - 1)


async def _deliver_claimed(
    context: ContextTypes.DEFAULT_TYPE,
    ctx: AppContext,
    me: Deliverer,
    sends: list[outbox.QueuedSend],
    under_way: asyncio.Event,
) -> int:
    """Deliver claimed sends (``me.busy`` holds them meanwhile) and report what did not arrive;
    how many were claimed (0 if the database went away). ``under_way`` is set once what is left
    of them is no more than the chats served side by side: then the next claim can be made."""
    by_chat: dict[int, list[outbox.QueuedSend]] = {}
    for send in sends:
        by_chat.setdefault(send.chat_id, []).append(send)
    outcomes: list[tuple[outbox.QueuedSend, SendStatus | None]] = []
    left = len(sends)
    views = await _reminder_views(ctx, sends)

    def finished(count: int) -> None:
        nonlocal left
        left -= count
        if left <= PARALLEL_CHATS:
            under_way.set()

    async def serve(chat_sends: list[outbox.QueuedSend]) -> None:
        async with me.chats.turn(chat_sends[0].chat_id), me.slots:
            for number, send in enumerate(chat_sends):
                status = await _deliver_safely(context.bot, ctx, me, send, views)
                outcomes.append((send, status))
                me.busy.discard(send.id)
                finished(1)
                if status is None and me.unrecorded:
                    finished(len(chat_sends) - number - 1)
                    return  # the database went away: the rest waits for it

    finished(0)
    try:
        await asyncio.gather(*(serve(chat_sends) for chat_sends in by_chat.values()))
    finally:
        me.busy.difference_update(send.id for send in sends)
        under_way.set()
    log_deliveries(outcomes)
    if any(status is not None and status != SendStatus.SENT for _, status in outcomes):
        await call(outbox.report_undelivered, ctx)
    return 0 if me.unrecorded else len(sends)


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


async def _deliver_safely(
    bot: Bot,
    ctx: AppContext,
    me: Deliverer,
    send: outbox.QueuedSend,
    views: Mapping[int, ReminderView | None],
) -> SendStatus | None:
    try:
        return await me.deliver(bot, ctx, send, views)
    except Exception as exc:
        if is_database_unavailable(exc):
            # nothing was recorded as on its way, or the outcome waits in me.unrecorded
            log.debug("delivering send %s waits for the database: %s", send.key, exc)
            return None
        log.exception("delivering send %s failed", send.key)
        # what was on its way may have arrived: the outbox keeps it from being repeated
        return await call(outbox.crashed, ctx, send.id, me.instance)
