"""The inbox: every update Telegram handed over, kept until it has been applied.

Telegram forgets an update as soon as the bot's next poll confirms it, and python-telegram-bot
confirms a batch as soon as it is queued, before any handler ran; a webhook's 200 answer does
the same. So an update is stored the moment it arrives (:func:`store_received`), before it is
confirmed, and marked applied in the transaction of its effects (:func:`mark_applied`), so that
after a stop at any moment what was received is handled (:func:`claim_stored`) and what was
applied is not applied again.

Several bots may share one database: the bot that stores an update claims it for a while
(``claimed_by``, ``claimed_until``); an update whose claim ran out unapplied (its bot died) is
claimed by another, under a row lock that other bots skip (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), and the applied mark is set under the row's lock, so it is applied once whichever
bot has it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from goalbot.config import Config, DataConfig
from goalbot.services.context import AppContext
from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import InboxRow

log = logging.getLogger(__name__)

# A bot handles an update within seconds; a claim older than this belongs to a bot that died.
CLAIM_LEASE = timedelta(minutes=2)
# An update whose handling killed the bot this often is set aside rather than tried for ever.
# Only a handling begun counts: an update that waited its turn while the bot was stopped for
# another reason is handled however often that happened.
MAX_ATTEMPTS = 5
# Telegram redelivers an unconfirmed update for at most a day, and starts update ids afresh at
# random after a week without updates: older ids are forgotten so a new one never collides
# ([data] keep_update_ids_days, 1 to 6 days; this is its default).
REMEMBER_UPDATES = timedelta(days=DataConfig().keep_update_ids_days)

DONE = "done"  # its handlers ran (its effects, and the replies, are out)
FAILED = "failed"  # handling it failed; the person was told
GIVEN_UP = "given_up"  # handling it stopped the bot again and again
# "" (no outcome yet): received, perhaps applied (``applied_at``), not yet done


class AlreadyApplied(Exception):
    """The update was applied by another handler meanwhile: apply nothing, look again."""


@dataclass(frozen=True)
class StoredUpdate:
    """An update as Telegram sent it, to be handled (again)."""

    update_id: int
    payload: str
    attempts: int


@dataclass
class Marks:
    """What a bot records of its updates at one go: several updates handled side by side
    share one short transaction instead of one each."""

    received: list[tuple[int, str]] = field(default_factory=list)  # (update id, payload)
    begun: list[int] = field(default_factory=list)
    finished: list[tuple[int, str]] = field(default_factory=list)  # (update id, outcome)
    # what goes with a finished update's mark (the messages that showed its reply, noted)
    notes: list[Callable[[UnitOfWork], None]] = field(default_factory=list)


def record(ctx: AppContext, instance: str, marks: Marks) -> set[int]:
    """Record ``marks`` in one transaction: keep the updates received (claimed by
    ``instance``), count the handlings begun, and mark the updates finished; the ids of the
    received updates that were new (the others were kept before: Telegram's redelivery of one
    this bot or another has received already, handled through its stored copy)."""
    now = ctx.now()
    with ctx.unit_of_work() as uow:
        if marks.received:
            # Telegram starts ids afresh after a week: an old id is forgotten before it is new
            forget_old_updates(uow, now, kept_for(ctx.config))
        new = _keep(uow, now, instance, marks.received)
        # the rows marked are locked first, all at once and in the order of their ids, as
        # renew_claims locks them: two writers that lock rows in different orders (this one
        # the begun before the finished) can deadlock on PostgreSQL
        rows = _locked(uow, [*marks.begun, *(update_id for update_id, _ in marks.finished)])
        if marks.begun:
            uow.session.execute(
                update(InboxRow)
                .where(InboxRow.update_id.in_(marks.begun), InboxRow.outcome == "")
                .values(attempts=InboxRow.attempts + 1)
                .execution_options(synchronize_session=False)
            )
        _finish(uow, now, kept_for(ctx.config), marks.finished, rows)
        for note in marks.notes:
            note(uow)
        uow.commit()
        return new


def _locked(uow: UnitOfWork, update_ids: Collection[int]) -> dict[int, InboxRow]:
    """The inbox rows of ``update_ids`` that exist, locked in the order of their ids."""
    if not update_ids:
        return {}
    query = (
        select(InboxRow)
        .where(InboxRow.update_id.in_(sorted(set(update_ids))))
        .order_by(InboxRow.update_id)
        .with_for_update()
    )
    return {row.update_id: row for row in uow.session.scalars(query)}


def _keep(
    uow: UnitOfWork, now: datetime, instance: str, received: list[tuple[int, str]]
) -> set[int]:
    if not received:
        return set()
    rows = [
        {
            "update_id": update_id,
            "payload": payload,
            "received_at": now,
            "outcome": "",
            "claimed_by": instance,
            "claimed_until": now + CLAIM_LEASE,
            "attempts": 0,
        }
        for update_id, payload in received
    ]
    dialect = postgresql if uow.session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = uow.session.execute(
        dialect.insert(InboxRow)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(InboxRow.update_id)
    )
    return {int(update_id) for update_id in inserted.scalars()}


def store_received(ctx: AppContext, update_id: int, payload: str, instance: str) -> bool:
    """Keep an update that has just arrived, claimed by ``instance``; False if it was kept
    before."""
    return update_id in record(ctx, instance, Marks(received=[(update_id, payload)]))


def claim_stored(
    ctx: AppContext,
    instance: str,
    take_over: bool = False,
    limit: int = 100,
    gone: Collection[str] = (),
) -> list[StoredUpdate]:
    """Updates kept and not done whose claim ran out, claimed now for ``instance``.

    An update applied but not done (its effects stored, the bot stopped before it answered) is
    handled again too: its handler finds it applied and only shows where things stand.

    ``take_over``: every update not done, whoever claimed it (at the start of the only bot on
    the database: the bot that claimed them is gone). ``gone``: the bots known to have died
    (their member locks went): their claims are taken over without waiting for them to run out.
    An update whose handling began ``MAX_ATTEMPTS`` times and never ended is set aside (its
    handling stopped the bot each time) and logged.
    """
    now = ctx.now()
    with ctx.unit_of_work() as uow:
        query = (
            select(InboxRow)
            .where(InboxRow.outcome == "")
            .order_by(InboxRow.update_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if not take_over:
            query = query.where(
                or_(
                    InboxRow.claimed_until.is_(None),
                    InboxRow.claimed_until < now,
                    InboxRow.claimed_by.in_(sorted(gone)),
                )
            )
        claimed = []
        for row in uow.session.scalars(query):
            if row.attempts >= MAX_ATTEMPTS:
                row.outcome = GIVEN_UP
                log.error(
                    "update %d was set aside: handling it stopped the bot %d times",
                    row.update_id,
                    row.attempts,
                    extra={"event": "update_given_up", "update_id": row.update_id},
                )
                continue
            row.claimed_by, row.claimed_until = instance, now + CLAIM_LEASE
            claimed.append(StoredUpdate(row.update_id, row.payload, row.attempts))
        uow.commit()
        return claimed


def claimers(ctx: AppContext) -> set[str]:
    """The bots whose claims hold updates not yet done."""
    with ctx.unit_of_work() as uow:
        return set(
            uow.session.scalars(
                select(InboxRow.claimed_by).where(InboxRow.outcome == "").distinct()
            )
        ) - {""}


def begin_handling(ctx: AppContext, update_id: int) -> None:
    """The update's handlers start now: if the bot dies before they end, that counts."""
    record(ctx, "", Marks(begun=[update_id]))


def renew_claims(ctx: AppContext, instance: str, update_ids: list[int]) -> None:
    """``instance`` is still handling these updates: nobody else takes them over meanwhile."""
    if not update_ids:
        return
    with ctx.unit_of_work() as uow:
        until = ctx.now() + CLAIM_LEASE
        for row in _locked(uow, update_ids).values():  # in id order, as record locks them
            if row.claimed_by == instance and row.outcome == "":
                row.claimed_until = until
        uow.commit()


def is_applied(uow: UnitOfWork, update_id: int) -> bool:
    """True if the update's effects are stored already (a redelivery, or another bot had it).

    The update's row stays locked until the unit of work ends, so a second handler of the same
    update waits for the first and then sees it applied.
    """
    if update_id <= 0:
        return False
    row = uow.session.scalars(
        select(InboxRow).where(InboxRow.update_id == update_id).with_for_update()
    ).first()
    if row is not None:
        # locked until the unit of work ends: mark_applied need not read it again
        uow.session.info.setdefault(_LOCKED, {})[update_id] = row
    return row is not None and row.applied_at is not None


_LOCKED = "inbox_rows_locked"  # in a session's info: the rows it has locked, by update id


def kept_for(config: Config) -> timedelta:
    """How long an update (its id and content) is kept after it arrived."""
    return timedelta(days=config.data.keep_update_ids_days)


def forget_old_updates(uow: UnitOfWork, now: datetime, keep: timedelta) -> int:
    """Remove the updates that arrived more than ``keep`` ago; how many."""
    result = uow.session.execute(delete(InboxRow).where(InboxRow.received_at < now - keep))
    return int(cast(CursorResult[Any], result).rowcount or 0)


def mark_applied(
    uow: UnitOfWork, update_id: int, now: datetime, keep: timedelta = REMEMBER_UPDATES
) -> None:
    """Record, in the transaction of the update's effects, that they are stored.

    Raises AlreadyApplied if another handler of the same update got there first (the unit of
    work must then be left without commit and the update looked at again).
    """
    if update_id <= 0:
        return
    locked: dict[int, InboxRow] = uow.session.info.get(_LOCKED, {})
    # is_applied locked and read it in this unit of work: no one changed it since
    row = locked.get(update_id) or uow.session.get(InboxRow, update_id, with_for_update=True)
    if row is not None and row.applied_at is not None:
        # another handler of the same update applied it after is_applied looked
        raise AlreadyApplied(update_id)
    if row is None:
        # handled without having been kept first (a service called directly, as in tests);
        # an update kept first had the old ones forgotten when it was kept (record)
        forget_old_updates(uow, now, keep)
        uow.session.add(
            InboxRow(
                update_id=update_id,
                payload="",
                received_at=now,
                applied_at=now,
                outcome=DONE,
                claimed_by="",
                attempts=1,
            )
        )
    else:
        row.applied_at = now


def finish(ctx: AppContext, update_id: int, outcome: str = DONE) -> None:
    """An update's handlers ran (``DONE``), or failed (``FAILED``): it is not handled again."""
    record(ctx, "", Marks(finished=[(update_id, outcome)]))


def _finish(
    uow: UnitOfWork,
    now: datetime,
    keep: timedelta,
    finished: list[tuple[int, str]],
    rows: dict[int, InboxRow],
) -> None:
    for update_id, outcome in finished:
        row = rows.get(update_id)
        if row is None:
            mark_applied(uow, update_id, now, keep)
        elif not row.outcome:
            row.outcome = outcome
            if outcome == DONE and row.applied_at is None:
                row.applied_at = now


def was_applied(ctx: AppContext, update_id: int) -> bool:
    """Whether an update's effects are stored (e.g. before telling someone it failed)."""
    with ctx.unit_of_work(read_only=True) as uow:
        row = uow.session.get(InboxRow, update_id)
        return row is not None and row.applied_at is not None
