"""PostgreSQL decides which bot leads: the leader lock, the member locks, health, takeovers.

One bot holds the leader lock; another stands by and gets it only once the first lets go (its
connection closed, as when its process dies). A lock connection the server cut off loses the
lead and takes its member lock again. ``goalbot health`` names the leader and the standbys. The
updates claimed by a bot that is gone are taken over at once, not after the claim runs out; a
new leader settles the sends the one before it left on their way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from sqlalchemy import text

from goalbot.domain.protocol import SendKind, SendStatus
from goalbot.reporting.rendering import render
from goalbot.services import inbox, leadership, outbox
from goalbot.services.context import AppContext
from goalbot.services.health import Instance, health_of, start_instance
from goalbot.storage.instance import AlreadyRunning, InstanceLock
from goalbot.storage.models import SendRow
from tests.conftest import Clock, Templates, make_context, migrated

pytestmark = pytest.mark.postgres

LEADER = Instance("aaaaaaaa-0000-4000-8000-000000000001", "palvelin1", 4242, 123)
STANDBY = Instance("bbbbbbbb-0000-4000-8000-000000000002", "palvelin2", 5353, 123)


@pytest.fixture
def pg(templates: Templates, clock: Clock) -> Iterator[AppContext]:
    with ExitStack() as stack:
        ctx = make_context(templates.postgres(stack, migrated), clock)
        yield ctx
        ctx.db.dispose()


def line(ctx: AppContext) -> tuple[bool, str]:
    health = health_of(ctx)
    text_ = render("cli/health.txt.j2", "en", health=health, timezone=ctx.config.schedule.zone)
    return health.healthy, text_


def test_one_leads_the_other_stands_by_until_it_is_gone(pg: AppContext) -> None:
    first = InstanceLock.acquire(pg.db.engine, LEADER.name)
    second = InstanceLock.acquire(pg.db.engine, STANDBY.name)
    try:
        assert first.shared and second.shared
        assert first.try_lead() and first.keep()
        assert not second.try_lead() and not second.keep()
        start_instance(pg, LEADER)
        start_instance(pg, STANDBY)
        healthy, said = line(pg)
        assert healthy, said
        assert "; leader: pid 4242 on palvelin1" in said
        assert "; standby: pid 5353 on palvelin2" in said
        first.release()  # the leader's process died: its connection, and the lock, are gone
        healthy, said = line(pg)
        assert not healthy and said.startswith("unhealthy: no bot leads on this database")
        assert second.try_lead()
        healthy, said = line(pg)
        assert healthy and "; leader: pid 5353 on palvelin2" in said and "4242" not in said
    finally:
        first.release()
        second.release()


def test_a_second_process_of_the_same_name_is_refused(pg: AppContext) -> None:
    first = InstanceLock.acquire(pg.db.engine, LEADER.name)
    try:
        with pytest.raises(AlreadyRunning):
            InstanceLock.acquire(pg.db.engine, LEADER.name)
    finally:
        first.release()


LEADER_LOCK = (
    "FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = :key AND objsubid = 1"
)
LEADER_KEY = {"key": 0x676F616C}


def test_a_leader_whose_connection_was_cut_loses_the_lead(pg: AppContext) -> None:
    first = InstanceLock.acquire(pg.db.engine, LEADER.name)
    second = InstanceLock.acquire(pg.db.engine, STANDBY.name)
    try:
        assert first.try_lead()
        with pg.db.engine.connect() as admin:
            # the server ends the leader's session (a restart, a network cut, a DBA)
            admin.execute(text(f"SELECT pg_terminate_backend(pid) {LEADER_LOCK}"), LEADER_KEY)
            # it asks the session to end and does not wait: the lock goes when the session has
            deadline = time.monotonic() + 30
            while admin.execute(text(f"SELECT count(*) {LEADER_LOCK}"), LEADER_KEY).scalar():
                assert time.monotonic() < deadline, "the leader's session did not end"
                time.sleep(0.01)
        assert second.try_lead()  # the lock went with the session
        assert not first.keep()  # and the old leader knows it: it stands by
        assert not first.try_lead()
        assert leadership.gone(pg, [LEADER.name, STANDBY.name]) == set()  # both members again
    finally:
        first.release()
        second.release()


def test_the_updates_of_a_bot_that_is_gone_are_taken_over_at_once(pg: AppContext) -> None:
    alive = InstanceLock.acquire(pg.db.engine, STANDBY.name)
    try:
        # both stored an update a moment ago: their claims run for two minutes
        assert inbox.store_received(pg, 1001, "{}", LEADER.name)  # LEADER is not running
        assert inbox.store_received(pg, 1002, "{}", STANDBY.name)
        assert inbox.claimers(pg) == {LEADER.name, STANDBY.name}
        gone = leadership.gone(pg, inbox.claimers(pg))
        assert gone == {LEADER.name}
        claimed = inbox.claim_stored(pg, "third:1:cccccccc", gone=gone)
        assert [u.update_id for u in claimed] == [1001]  # not the living bot's
    finally:
        alive.release()


def test_a_new_leader_settles_what_the_one_before_left_on_its_way(
    pg: AppContext, clock: Clock
) -> None:
    with pg.unit_of_work() as uow:
        outbox.queue_send(uow, "r:1", SendKind.ADMIN_NOTICE, 555, clock.now, payload={})
        uow.commit()
    (send,) = outbox.claim_due(pg, LEADER.name)
    assert outbox.start_part(pg, send.id, LEADER.name, 0, 1)  # on its way when LEADER died
    assert not leadership.take_lead(pg, STANDBY.name)  # another led before: settled
    with pg.unit_of_work() as uow:
        row = uow.session.get(SendRow, send.id)
        assert row is not None and row.status == SendStatus.UNCERTAIN  # never repeated
        assert row.claimed_by == ""
    # the same bot taking the lead again after a lost connection leaves its own work alone
    clock.advance(seconds=1)
    assert leadership.take_lead(pg, STANDBY.name)
