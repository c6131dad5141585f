"""Keeping every update Telegram hands over until it is applied (see services/inbox.py).

The application's update queue stores an update before queuing it: python-telegram-bot's
Updater queues a batch and only then confirms it with the next poll's offset (a webhook answers
200 after queuing), so nothing is confirmed that is not kept. The update processor marks an
update done once its handlers ran. At start, what was kept and not applied is queued again;
an update whose handling failed because the database was unreachable waits and is queued again
as soon as it answers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import NetworkError
from telegram.ext import Application, ContextTypes, SimpleUpdateProcessor

from goalbot.chat.ratelimit import FirstReply, answering
from goalbot.services import inbox, leadership
from goalbot.services.context import AppContext
from goalbot.storage.database import UnitOfWork

log = logging.getLogger(__name__)
INBOX_JOB = "inbox"
INBOX_INTERVAL_SECONDS = 2.0
# how often the claims of updates in hand are renewed, and expired ones of other bots taken
CLAIMS_EVERY = 15
# how often a bot among several takes over the updates of a bot that died (a few seconds)
ORPHANS_EVERY = 2


class InboxUnavailable(NetworkError):
    """An update could not be kept (the database is unreachable): Telegram keeps it meanwhile.

    A NetworkError, so the Updater waits a while and polls again from the same offset.
    """


def instance_name() -> str:
    """This process, as its claims name it: host, process id and a random part."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


class MarkWriter:
    """Records the inbox's marks (kept, begun, done) of updates handled side by side in one
    transaction: what arrives while a write is under way goes into the next one together.

    Each caller waits until its own mark is committed (an update is kept before it is
    confirmed to Telegram, and its handling counted before its handlers run); alone, a mark
    is written at once as before.
    """

    def __init__(self, ctx: AppContext, instance: str) -> None:
        self.ctx = ctx
        self.instance = instance
        self._marks = inbox.Marks()
        self._waiting: list[asyncio.Future[set[int]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def _write(self) -> set[int]:
        future: asyncio.Future[set[int]] = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._drain(), name="inbox-marks")
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            marks, self._marks = self._marks, inbox.Marks()
            waiting, self._waiting = self._waiting, []
            try:
                new = await asyncio.to_thread(inbox.record, self.ctx, self.instance, marks)
            except asyncio.CancelledError:
                for future in waiting + self._waiting:
                    future.cancel()
                raise
            except Exception as exc:
                for future in waiting:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for future in waiting:
                if not future.done():
                    future.set_result(new)

    async def keep(self, update_id: int, payload: str) -> bool:
        """Keep an update just received; False if it was kept before."""
        if any(kept == update_id for kept, _payload in self._marks.received):
            return False  # the same update twice in one batch: the first is the one
        self._marks.received.append((update_id, payload))
        return update_id in await self._write()

    async def begin(self, update_id: int) -> None:
        """Count the handling of an update that begins now."""
        self._marks.begun.append(update_id)
        await self._write()

    async def finish(
        self, update_id: int, outcome: str, notes: Sequence[Callable[[UnitOfWork], None]] = ()
    ) -> None:
        """Mark an update done (or failed, or set aside), with ``notes`` written beside."""
        self._marks.finished.append((update_id, outcome))
        self._marks.notes.extend(notes)
        await self._write()


class Inbox:
    """The running bot's side of the inbox: what it keeps, handles, and must try again."""

    def __init__(self, ctx: AppContext, instance: str | None = None) -> None:
        self.ctx = ctx
        self.instance = instance or instance_name()
        self.in_hand: set[int] = set()  # updates being handled by this process
        self.failures: dict[int, str] = {}  # update id → why its handling failed
        self.waiting: dict[int, Update] = {}  # failed on the database: queued again later
        self.told: set[int] = set()  # updates whose sender was told they wait
        self.finished: set[int] = set()  # marked done by their handler already (see finish)
        self.queue: InboxQueue | None = None
        self.shared = False  # other bots may run on the database (they die, others take over)
        self.marks = MarkWriter(ctx, self.instance)
        self._ticks = 0

    # -- receiving ---------------------------------------------------------------------------
    async def keep(self, update: Update) -> bool:
        """Store an update that just arrived; False if it was kept before (a redelivery)."""
        payload = json.dumps(update.to_dict(), ensure_ascii=False)
        try:
            new = await self.marks.keep(update.update_id, payload)
        except Exception as exc:
            raise InboxUnavailable(
                f"update {update.update_id} could not be kept ({type(exc).__name__}); "
                "Telegram keeps it until the database answers"
            ) from exc
        if new:
            self.in_hand.add(update.update_id)
        return new

    # -- handling ----------------------------------------------------------------------------
    def failed(self, update_id: int, why: str) -> None:
        """A handler of the update failed (called from the error handler)."""
        self.failures[update_id] = why

    def first_notice(self, update_id: int) -> bool:
        """True the first time the sender of a waiting update is to be told it waits."""
        if update_id in self.told:
            return False
        self.told.add(update_id)
        return True

    async def begin(self, update: Update) -> None:
        """The update's handlers are about to run (an update that stops the bot each time it is
        handled is set aside after a few starts; one that only waited its turn is not)."""
        try:
            await self.marks.begin(update.update_id)
        except Exception as exc:
            # the handlers meet the same database and wait for it; nothing is lost meanwhile
            log.debug("update %d: its start could not be recorded: %s", update.update_id, exc)

    async def finish(self, update: Update, notes: Sequence[Callable[[UnitOfWork], None]]) -> None:
        """The handler has shown everything: mark the update done now, with ``notes`` (what
        showed its reply) in the same transaction, so an input costs one write of its own (its
        effects) beside the marks it shares with other updates. A failure is raised, and the
        update is then marked as if its handler had failed."""
        await self.marks.finish(update.update_id, inbox.DONE, notes)
        self.finished.add(update.update_id)

    async def done(self, update: Update) -> None:
        """The update's handlers ran: mark it done, or keep it for another try."""
        update_id = update.update_id
        if update_id in self.finished:
            self.finished.discard(update_id)
            self.failures.pop(update_id, None)
            self.in_hand.discard(update_id)
            self.told.discard(update_id)
            return
        why = self.failures.pop(update_id, None)
        if why == "database":
            self.waiting[update_id] = update
            return
        self.in_hand.discard(update_id)
        self.told.discard(update_id)
        outcome = inbox.FAILED if why else inbox.DONE
        try:
            await self.marks.finish(update_id, outcome)
        except Exception as exc:
            # it stays kept: handled again at the next start (a questionnaire input is applied
            # once all the same; a report may be answered twice)
            log.warning("update %d could not be marked done: %s", update_id, exc)

    # -- trying again ------------------------------------------------------------------------
    async def refeed(
        self, application: Application[Any, Any, Any, Any, Any, Any], alone: bool = True
    ) -> int:
        """At start: queue again every update kept and not applied (``alone``: the only bot on
        the database), or those of the bots that are gone; how many."""
        if alone:
            stored = await asyncio.to_thread(
                inbox.claim_stored, self.ctx, self.instance, take_over=True
            )
        else:
            self.shared = True
            stored = await asyncio.to_thread(self._claim_orphans)
        return await self._queue_stored(application, stored)

    def _claim_orphans(self) -> list[inbox.StoredUpdate]:
        """The updates whose claim ran out, or whose bot is gone (its member lock went)."""
        others = inbox.claimers(self.ctx) - {self.instance} if self.shared else set()
        gone = leadership.gone(self.ctx, others) if others else set()
        return inbox.claim_stored(self.ctx, self.instance, gone=gone)

    async def _queue_stored(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        stored: list[inbox.StoredUpdate],
    ) -> int:
        assert self.queue is not None
        queued = 0
        for item in stored:
            if item.update_id in self.in_hand:
                continue
            try:
                update = Update.de_json(json.loads(item.payload), application.bot)
            except (ValueError, TypeError, KeyError) as exc:
                log.error("kept update %d cannot be read again: %s", item.update_id, exc)
                await self.marks.finish(item.update_id, inbox.GIVEN_UP)
                continue
            self.in_hand.add(item.update_id)
            await self.queue.put_kept(update)
            queued += 1
        if queued:
            log.info(
                "%d updates received before a stop are handled now",
                queued,
                extra={"event": "updates_recovered", "count": queued},
            )
        return queued

    async def tick(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Job: queue again the updates that waited for the database, once it answers; now
        and then renew this bot's claims and take over the expired claims of others."""
        self._ticks += 1
        renew_due = self._ticks % CLAIMS_EVERY == 0
        claims_due = renew_due or (self.shared and self._ticks % ORPHANS_EVERY == 0)
        if not self.waiting and not claims_due:
            return
        try:
            if renew_due or self.waiting:
                await asyncio.to_thread(
                    inbox.renew_claims, self.ctx, self.instance, sorted(self.in_hand)
                )
            stored = await asyncio.to_thread(self._claim_orphans) if claims_due else []
        except Exception as exc:
            log.debug("the inbox waits for the database: %s", exc)
            return
        await self.flush_waiting()
        await self._queue_stored(application, stored)

    async def flush_waiting(self) -> None:
        """Queue the updates that waited for the database, oldest first."""
        assert self.queue is not None
        waiting, self.waiting = self.waiting, {}
        for update_id in sorted(waiting):
            await self.queue.put_kept(waiting[update_id])


class InboxQueue(asyncio.Queue[object]):
    """The application's update queue: an update is kept in the database before it is queued.

    If it cannot be kept, ``put`` raises InboxUnavailable and the Updater polls again from the
    same offset later; an update kept before (Telegram's redelivery of one received before a
    stop) is not queued again, its kept copy is.
    """

    def __init__(self) -> None:
        super().__init__()
        self.inbox: Inbox | None = None

    async def put(self, item: object) -> None:
        if isinstance(item, Update) and self.inbox is not None:
            if self.inbox.waiting:
                # what waited for the database goes first, so a person's messages stay in order
                await self.inbox.flush_waiting()
            if not await self.inbox.keep(item):
                log.debug("update %d was kept before; its kept copy is handled", item.update_id)
                return
        await super().put(item)

    async def put_kept(self, update: Update) -> None:
        """Queue an update that is kept already."""
        await super().put(update)


class InboxProcessor(SimpleUpdateProcessor):
    """Handles updates side by side (as SimpleUpdateProcessor), then marks each one done."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self.inbox: Inbox | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if isinstance(update, Update) and self.inbox is not None:
            await self.inbox.begin(update)
        chat = update.effective_chat if isinstance(update, Update) else None
        # the first message answering a person's input goes at once (see FirstReply)
        token = answering.set(
            FirstReply(chat.id) if chat and chat.type == ChatType.PRIVATE else None
        )
        try:
            await coroutine
        finally:
            answering.reset(token)
        if isinstance(update, Update) and self.inbox is not None:
            await self.inbox.done(update)


def attach_inbox(
    application: Application[Any, Any, Any, Any, Any, Any],
    ctx: AppContext,
    instance: str,
    interval: float = INBOX_INTERVAL_SECONDS,
) -> Inbox:
    """Give the application its inbox (built with InboxQueue and InboxProcessor); what waited
    for the database is tried again every ``interval`` seconds."""
    keeper = Inbox(ctx, instance)
    queue = application.update_queue
    processor = application.update_processor
    assert isinstance(queue, InboxQueue) and isinstance(processor, InboxProcessor)
    queue.inbox = processor.inbox = keeper
    keeper.queue = queue
    application.bot_data["inbox"] = keeper
    job_queue = application.job_queue
    assert job_queue is not None
    job_queue.run_repeating(inbox_job, interval=interval, first=interval, name=INBOX_JOB)
    return keeper


def inbox_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Inbox | None:
    """The application's inbox, if it has one."""
    keeper = application.bot_data.get("inbox")
    return keeper if isinstance(keeper, Inbox) else None


async def inbox_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: see Inbox.tick."""
    keeper = inbox_of(context.application)
    if keeper is not None:
        await keeper.tick(context.application)
