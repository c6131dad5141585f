"""The inbox: what Telegram handed over is kept until done, claimed by one bot at a time."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, select, text

from goalbot.chat.inbox import MarkWriter
from goalbot.services import inbox
from goalbot.services.context import AppContext
from goalbot.storage.models import InboxRow
from tests.conftest import Clock


def test_an_update_is_kept_once(ctx: AppContext) -> None:
    assert inbox.store_received(ctx, 10, '{"update_id": 10}', "bot-a")
    assert not inbox.store_received(ctx, 10, '{"update_id": 10}', "bot-a")  # Telegram's redelivery
    assert not inbox.store_received(ctx, 10, '{"update_id": 10}', "bot-b")


def test_a_new_start_takes_over_what_was_not_done(ctx: AppContext) -> None:
    for update_id in (1, 2, 3):
        inbox.store_received(ctx, update_id, f'{{"update_id": {update_id}}}', "dead-bot")
    inbox.finish(ctx, 1)
    with ctx.unit_of_work() as uow:  # 2 was applied, and the bot died before it answered
        inbox.mark_applied(uow, 2, ctx.now())
        uow.commit()
    # another bot does not take claims that have not run out
    assert inbox.claim_stored(ctx, "other-bot") == []
    claimed = inbox.claim_stored(ctx, "new-bot", take_over=True)
    assert [u.update_id for u in claimed] == [2, 3]
    assert claimed[1].payload == '{"update_id": 3}'


def test_an_expired_claim_is_taken_by_another_bot(ctx: AppContext, clock: Clock) -> None:
    inbox.store_received(ctx, 5, "{}", "bot-a")
    inbox.renew_claims(ctx, "bot-a", [5])
    clock.advance(seconds=inbox.CLAIM_LEASE.total_seconds() - 1)
    assert inbox.claim_stored(ctx, "bot-b") == []
    clock.advance(seconds=2)
    assert [u.update_id for u in inbox.claim_stored(ctx, "bot-b")] == [5]
    # the first bot's renewal no longer holds it: the claim is bot-b's now
    inbox.renew_claims(ctx, "bot-a", [5])
    clock.advance(seconds=inbox.CLAIM_LEASE.total_seconds() - 1)
    assert inbox.claim_stored(ctx, "bot-c") == []


def test_an_update_that_stops_the_bot_each_time_is_set_aside(ctx: AppContext) -> None:
    inbox.store_received(ctx, 7, "{}", "bot")
    inbox.begin_handling(ctx, 7)  # and the bot died
    for _ in range(inbox.MAX_ATTEMPTS - 1):
        assert [u.update_id for u in inbox.claim_stored(ctx, "bot", take_over=True)] == [7]
        inbox.begin_handling(ctx, 7)
    assert inbox.claim_stored(ctx, "bot", take_over=True) == []


def test_an_update_that_only_waited_its_turn_is_never_set_aside(ctx: AppContext) -> None:
    """The bot was stopped again and again for other reasons before it came to the update."""
    inbox.store_received(ctx, 7, "{}", "bot")
    for _ in range(3 * inbox.MAX_ATTEMPTS):
        assert [u.update_id for u in inbox.claim_stored(ctx, "bot", take_over=True)] == [7]


def test_applied_and_done_are_kept_apart(ctx: AppContext) -> None:
    inbox.store_received(ctx, 8, "{}", "bot")
    assert not inbox.was_applied(ctx, 8)
    inbox.finish(ctx, 8, inbox.FAILED)
    assert not inbox.was_applied(ctx, 8)
    assert inbox.claim_stored(ctx, "bot", take_over=True) == []
    with ctx.unit_of_work() as uow:
        inbox.mark_applied(uow, 9, ctx.now())  # never kept (a service called directly)
        uow.commit()
    assert inbox.was_applied(ctx, 9)
    assert inbox.claim_stored(ctx, "bot", take_over=True) == []


def test_old_updates_are_forgotten(ctx: AppContext, clock: Clock) -> None:
    inbox.store_received(ctx, 100, "{}", "bot")
    inbox.finish(ctx, 100)
    clock.advance(days=4)
    inbox.finish(ctx, 101)
    # a reused id is new again
    assert inbox.store_received(ctx, 100, "{}", "bot")


def test_a_bot_skips_the_updates_another_is_claiming(
    backend: str, ctx: AppContext, clock: Clock
) -> None:
    """PostgreSQL: rows another bot has locked are skipped at once, not waited for."""
    if backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    for update_id in range(1, 21):
        inbox.store_received(ctx, update_id, "{}", "dead-bot")
    clock.advance(seconds=inbox.CLAIM_LEASE.total_seconds() + 1)
    with ctx.db.engine.connect() as other:
        other.execute(text("SET lock_timeout = '5s'"))
        other.execute(text("SELECT update_id FROM inbox WHERE update_id <= 10 FOR UPDATE"))
        started = time.monotonic()
        claimed = [u.update_id for u in inbox.claim_stored(ctx, "bot-b")]
        assert time.monotonic() - started < 2
        assert claimed == list(range(11, 21))
        other.rollback()
    assert [u.update_id for u in inbox.claim_stored(ctx, "bot-c")] == list(range(1, 11))


async def test_marks_of_updates_handled_side_by_side_share_a_transaction(ctx: AppContext) -> None:
    """Kept, begun and done: what arrives while a write is under way goes into the next."""
    writer = MarkWriter(ctx, "bot")
    transactions = 0

    def begun(*_args: object) -> None:
        nonlocal transactions
        transactions += 1

    event.listen(ctx.db.engine, "begin", begun)
    try:
        kept = await asyncio.gather(
            *(writer.keep(n, "{}") for n in range(1, 21)), writer.keep(5, "{}")
        )
        assert kept == [True] * 20 + [False]  # the same update twice: the first is the one
        await asyncio.gather(*(writer.begin(n) for n in range(1, 21)))
        await asyncio.gather(*(writer.finish(n, inbox.DONE) for n in range(1, 11)))
    finally:
        event.remove(ctx.db.engine, "begin", begun)
    assert transactions <= 6  # three rounds of marks: one write at once, the rest together
    with ctx.unit_of_work(read_only=True) as uow:
        rows = {row.update_id: row for row in uow.session.scalars(select(InboxRow))}
    assert sorted(rows) == list(range(1, 21))
    assert all(row.attempts == 1 for row in rows.values())
    assert [n for n, row in sorted(rows.items()) if row.outcome == inbox.DONE] == list(range(1, 11))


def test_marks_lock_their_rows_in_the_order_of_their_ids(backend: str, ctx: AppContext) -> None:
    """PostgreSQL: the marks of one update begun (7) and another done (3) wait for a writer
    that holds the lower row without taking the higher one first, so that writer, locking
    in the same order as renew_claims does, gets it: no deadlock."""
    if backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    for update_id in (3, 7):
        inbox.store_received(ctx, update_id, "{}", "bot")
    marks = inbox.Marks(begun=[7], finished=[(3, inbox.DONE)])
    with ctx.db.engine.connect() as other:
        other.execute(text("SET lock_timeout = '10s'"))
        other.execute(text("SELECT 1 FROM inbox WHERE update_id = 3 FOR UPDATE"))
        with ThreadPoolExecutor(1) as pool:
            recording = pool.submit(inbox.record, ctx, "bot", marks)
            time.sleep(0.5)  # the marks are waiting for row 3 now
            started = time.monotonic()
            other.execute(text("SELECT 1 FROM inbox WHERE update_id = 7 FOR UPDATE"))
            assert time.monotonic() - started < 2
            other.rollback()
            recording.result(timeout=30)
    with ctx.unit_of_work(read_only=True) as uow:
        rows = {row.update_id: row for row in uow.session.scalars(select(InboxRow))}
    assert (rows[3].outcome, rows[7].attempts) == (inbox.DONE, 1)


def test_renewed_claims_are_only_this_bots_and_not_done(ctx: AppContext, clock: Clock) -> None:
    for update_id, instance in ((1, "bot"), (2, "other"), (3, "bot")):
        inbox.store_received(ctx, update_id, "{}", instance)
    inbox.finish(ctx, 3)
    clock.advance(seconds=60)
    inbox.renew_claims(ctx, "bot", [1, 2, 3])
    with ctx.unit_of_work(read_only=True) as uow:
        rows = {row.update_id: row for row in uow.session.scalars(select(InboxRow))}
    until = {n: row.claimed_until for n, row in rows.items()}
    assert until[1] is not None and until[2] is not None and until[1] > until[2]
    assert until[3] == until[2]  # done: its claim is not renewed
