"""Sends are claimed by one bot at a time and marked on their way only when their request is.

A bot stopped during a round's fan-out leaves uncertain only what was really on its way; the
rest goes out after the restart. A send of several parts resumes after the part that was cut
off. Two bots on one PostgreSQL database never take the same send.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from goalbot.domain.periods import Period
from goalbot.domain.protocol import SendKind, SendStatus
from goalbot.services import outbox
from goalbot.services.context import AppContext
from goalbot.storage.models import SendRow
from tests.conftest import Clock

Q4 = Period(2026, 4)
DELIVERED = outbox.Outcome.DELIVERED


def queue(ctx: AppContext, count: int, kind: SendKind = SendKind.ESCALATION) -> None:
    with ctx.unit_of_work() as uow:
        for number in range(count):
            outbox.queue_send(uow, f"test:{number}", kind, 1000 + number, ctx.now(), period=Q4)
        uow.commit()


def statuses(ctx: AppContext) -> list[str]:
    with ctx.unit_of_work() as uow:
        return [row.status for row in uow.session.scalars(select(SendRow).order_by(SendRow.id))]


@pytest.fixture
def admin_ctx(ctx: AppContext, clock: Clock) -> AppContext:
    from dataclasses import replace

    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    telegram = replace(ctx.config.telegram, admins=(42,))
    return replace(ctx, config=replace(ctx.config, telegram=telegram))


def test_a_claim_sends_nothing_and_a_stop_after_it_loses_nothing(ctx: AppContext) -> None:
    queue(ctx, 100)
    claimed = outbox.claim_due(ctx, "bot-a")
    assert len(claimed) == 100
    assert set(statuses(ctx)) == {SendStatus.PENDING}
    # three requests were on their way when the bot was killed
    for send in claimed[:3]:
        assert outbox.start_part(ctx, send.id, "bot-a", 0, 1)
    assert outbox.recover_interrupted(ctx) == 3
    assert statuses(ctx) == [SendStatus.UNCERTAIN] * 3 + [SendStatus.PENDING] * 97
    assert len(outbox.claim_due(ctx, "bot-b")) == 97


def test_the_uncertain_and_the_failed_are_reported_once(admin_ctx: AppContext) -> None:
    ctx = admin_ctx
    queue(ctx, 3)
    first, second, third = outbox.claim_due(ctx, "bot")
    for send, outcome in ((first, DELIVERED), (second, outbox.Outcome.TIMED_OUT)):
        outbox.start_part(ctx, send.id, "bot", 0, 1)
        outbox.end_part(ctx, send.id, 0, outcome)
    outbox.start_part(ctx, third.id, "bot", 0, 1)
    outbox.end_part(ctx, third.id, 0, outbox.Outcome.REFUSED, detail="chat not found")
    assert outbox.report_undelivered(ctx) == 2
    assert outbox.report_undelivered(ctx) == 0
    with ctx.unit_of_work() as uow:
        (notice,) = uow.session.scalars(select(SendRow).where(SendRow.kind == "admin_notice"))
        assert notice.chat_id == 42 and notice.payload is not None
        assert [s["id"] for s in notice.payload["sends"]] == [second.id, third.id]
        assert [s["status"] for s in notice.payload["sends"]] == ["uncertain", "failed"]


def test_a_send_of_several_parts_resumes_after_the_one_cut_off(ctx: AppContext) -> None:
    queue(ctx, 1, SendKind.SUMMARY)
    (send,) = outbox.claim_due(ctx, "bot")
    assert outbox.start_part(ctx, send.id, "bot", 0, 4)
    assert outbox.end_part(ctx, send.id, 0, DELIVERED, message_id=7) == SendStatus.SENDING
    assert outbox.start_part(ctx, send.id, "bot", 1, 4)
    # killed while the second part was on its way
    assert outbox.recover_interrupted(ctx) == 1
    assert statuses(ctx) == [SendStatus.PENDING]
    (again,) = outbox.claim_due(ctx, "restarted")
    assert [again.progress.settled(i) for i in range(4)] == [True, True, False, False]
    for part in (2, 3):
        assert outbox.start_part(ctx, send.id, "restarted", part, 4)
        status = outbox.end_part(ctx, send.id, part, DELIVERED)
    assert status == SendStatus.UNCERTAIN  # the second part may be missing: it is reported
    [listed] = outbox.undelivered_sends(ctx)
    assert listed.missing == (2,) and listed.total == 4
    # resent on an administrator's word: only the part not surely out
    copy = outbox.resend(ctx, send.id)
    assert [copy.progress.settled(i) for i in range(4)] == [True, False, True, True]


def test_a_part_that_certainly_did_not_leave_is_tried_again_from_there(ctx: AppContext) -> None:
    queue(ctx, 1, SendKind.SUMMARY)
    (send,) = outbox.claim_due(ctx, "bot")
    outbox.start_part(ctx, send.id, "bot", 0, 3)
    outbox.end_part(ctx, send.id, 0, DELIVERED)
    outbox.start_part(ctx, send.id, "bot", 1, 3)
    assert outbox.end_part(ctx, send.id, 1, outbox.Outcome.UNREACHABLE) == SendStatus.RETRY
    assert outbox.claim_due(ctx, "bot") == []  # not before the backoff


def test_another_bots_claim_holds_until_it_runs_out(ctx: AppContext, clock: Clock) -> None:
    queue(ctx, 2)
    assert len(outbox.claim_due(ctx, "bot-a")) == 2
    assert outbox.claim_due(ctx, "bot-b") == []
    clock.advance(seconds=outbox.CLAIM_LEASE.total_seconds() + 1)
    taken = outbox.claim_due(ctx, "bot-b")
    assert len(taken) == 2
    # bot-a, slow, finds at the last moment that the send is no longer its own
    assert not outbox.start_part(ctx, taken[0].id, "bot-a", 0, 1)
    assert outbox.start_part(ctx, taken[0].id, "bot-b", 0, 1)


def test_two_bots_claiming_at_once_skip_each_others_sends(backend: str, ctx: AppContext) -> None:
    if backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    queue(ctx, 20)
    with ctx.db.engine.connect() as other:
        # another bot is in the middle of claiming the first ten
        other.execute(text("SELECT id FROM sends ORDER BY id LIMIT 10 FOR UPDATE"))
        started = time.monotonic()
        mine = outbox.claim_due(ctx, "bot-b")
        assert time.monotonic() - started < 2
        other.rollback()
    assert len(mine) == 10
    assert len(outbox.claim_due(ctx, "bot-c")) == 10
    assert outbox.claim_due(ctx, "bot-d") == []
