"""Reminders survive Telegram's faults: 429 storms, 5xx, timeouts, blocked users, migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from goalbot.chat.ratelimit import TelegramLimits
from goalbot.domain.periods import Period
from goalbot.domain.protocol import SendStatus
from goalbot.scheduling.control import open_round_now
from goalbot.services import outbox
from goalbot.services.context import AppContext
from goalbot.services.owners import invite_owner
from goalbot.storage.models import PersonRow, SendRow
from tests.conftest import Clock
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi, UserHandle

Q4 = Period(2026, 4)
ROLES = ["rakennustarkastaja", "ymparistopaallikko", "kiinteistopaallikko", "tekninen-johtaja"]


@pytest.fixture
def q4_clock(clock: Clock) -> Clock:
    clock.set(datetime(2026, 12, 15, 8, 0, tzinfo=UTC))
    return clock


async def owners(ctx: AppContext, botapi: FakeBotApi) -> list[UserHandle]:
    people = []
    for number, role in enumerate(ROLES):
        user = botapi.driver.create_user(f"Omistaja{number}")
        invite = invite_owner(ctx, role, f"Omistaja {number}")
        user.start(invite.token)
        await user.wait_for_message(predicate=lambda m: "Tervetuloa" in m.content)
        people.append(user)
    await botapi.driver.wait_until_idle(quiet=0.3)
    return people


def reminders_received(user: UserHandle) -> int:
    return sum("tavoiteraportointi on alkanut" in m.content for m in user.bot_messages())


def blocked_flag(ctx: AppContext, telegram_user_id: int) -> bool:
    with ctx.unit_of_work() as uow:
        person = uow.session.scalars(
            select(PersonRow).where(PersonRow.telegram_user_id == telegram_user_id)
        ).one()
        return person.blocked_bot_at is not None


def sends(ctx: AppContext) -> list[SendRow]:
    with ctx.unit_of_work() as uow:
        return list(uow.session.scalars(select(SendRow).order_by(SendRow.id)))


async def test_a_429_storm_is_waited_out(
    sqlite_ctx: AppContext, botapi: FakeBotApi, q4_clock: Clock
) -> None:
    ctx = with_telegram(sqlite_ctx, botapi)
    async with running_bot(ctx, limits=TelegramLimits()):
        people = await owners(ctx, botapi)
        botapi.driver.rate_limit_next("sendMessage", retry_after=1, times=3)
        open_round_now(ctx, Q4)
        for user in people:
            await user.wait_for_message(predicate=lambda m: "alkanut" in m.content, timeout=15)
        await botapi.driver.wait_until_idle(quiet=0.5)
    assert [reminders_received(u) for u in people] == [1, 1, 1, 1]
    assert {s.status for s in sends(ctx)} == {SendStatus.SENT}
    assert len(botapi.driver.faults_triggered) == 3
    assert botapi.driver.rate_violations == []


async def test_server_errors_are_retried_with_backoff(
    sqlite_ctx: AppContext, botapi: FakeBotApi, q4_clock: Clock
) -> None:
    ctx = with_telegram(sqlite_ctx, botapi)
    async with running_bot(ctx):
        people = await owners(ctx, botapi)
        botapi.driver.server_error_next("sendMessage", status=502, times=len(people))
        open_round_now(ctx, Q4)
        await botapi.driver.wait_until(
            lambda: all(s.status == SendStatus.RETRY for s in sends(ctx)), timeout=10
        )
        assert [reminders_received(u) for u in people] == [0, 0, 0, 0]
        # the backoff runs on the services' clock: nothing is retried before it has passed
        await botapi.driver.wait_until_idle(quiet=0.5)
        assert all(s.attempts == 1 for s in sends(ctx))
        q4_clock.advance(seconds=6)
        for user in people:
            await user.wait_for_message(predicate=lambda m: "alkanut" in m.content, timeout=10)
    assert [reminders_received(u) for u in people] == [1, 1, 1, 1]
    assert [(s.status, s.attempts) for s in sends(ctx)] == [(SendStatus.SENT, 2)] * 4


async def test_a_timeout_after_the_send_is_never_repeated(
    sqlite_ctx: AppContext, botapi: FakeBotApi, q4_clock: Clock
) -> None:
    ctx = with_telegram(sqlite_ctx, botapi, read_timeout=1.0)
    async with running_bot(ctx):
        people = await owners(ctx, botapi)
        # Telegram delivers the first reminder but answers too late
        botapi.driver.delay_next("sendMessage", seconds=2.5, perform=True)
        open_round_now(ctx, Q4)
        for user in people:
            await user.wait_for_message(predicate=lambda m: "alkanut" in m.content, timeout=10)
        await botapi.driver.wait_until(
            lambda: all(s.status != SendStatus.SENDING for s in sends(ctx)), timeout=10
        )
        q4_clock.advance(minutes=30)
        await botapi.driver.wait_until_idle(quiet=0.5)
    assert [reminders_received(u) for u in people] == [1, 1, 1, 1]
    statuses = sorted(s.status for s in sends(ctx))
    assert statuses == sorted(
        [SendStatus.UNCERTAIN, SendStatus.SENT, SendStatus.SENT, SendStatus.SENT]
    )


async def test_a_blocked_owner_is_recorded_and_reported(
    sqlite_ctx: AppContext, botapi: FakeBotApi, q4_clock: Clock
) -> None:
    admin = botapi.driver.create_user("Anna")
    ctx = with_telegram(sqlite_ctx, botapi, admins=(admin.id,))
    async with running_bot(ctx):
        admin.start()
        await admin.wait_for_message()
        people = await owners(ctx, botapi)
        people[1].block()
        open_round_now(ctx, Q4)
        notice = await admin.wait_for_message(
            predicate=lambda m: "estänyt" in m.content, timeout=10
        )
        assert "Omistaja 1" in notice.content
        await botapi.driver.wait_until_idle(quiet=0.5)
        # unblocking tells the bot too: the owner can be nudged again
        people[1].unblock()
        await botapi.driver.wait_until(lambda: not blocked_flag(ctx, people[1].id), timeout=10)
        people[1].block()
        await botapi.driver.wait_until(lambda: blocked_flag(ctx, people[1].id), timeout=10)
        people[1].unblock()
        await botapi.driver.wait_until(lambda: not blocked_flag(ctx, people[1].id), timeout=10)
    reminder_sends = [s for s in sends(ctx) if s.kind == "reminder"]
    assert sorted(s.status for s in reminder_sends) == sorted(
        [SendStatus.BLOCKED, SendStatus.SENT, SendStatus.SENT, SendStatus.SENT]
    )
    assert [reminders_received(u) for u in (people[0], people[2], people[3])] == [1, 1, 1]


async def test_reminders_to_many_owners_keep_to_the_broadcast_limits(
    sqlite_ctx: AppContext, botapi: FakeBotApi, q4_clock: Clock, tmp_path: Path
) -> None:
    """More owners than Telegram allows messages a second: none of its limits is broken."""
    from bench.send_reminders import catalogue_with_roles

    from goalbot.services.catalogue import load_catalogue
    from goalbot.services.owners import accept_invite

    load_catalogue(sqlite_ctx, catalogue_with_roles(45, tmp_path))
    ctx = with_telegram(sqlite_ctx, botapi)
    people = []
    async with running_bot(ctx, limits=TelegramLimits()):
        for number in range(45):
            user = botapi.driver.create_user(f"Vastaaja{number}")
            user.send("/start")  # they have opened the chat with the bot
            invite = invite_owner(ctx, f"bench-{number}", f"Vastaaja {number}")
            accept_invite(ctx, invite.token, user.id)
            people.append(user)
        await botapi.driver.wait_until_idle(quiet=0.5, timeout=20)
        opened = open_round_now(ctx, Q4)
        assert opened.reminders_queued == 45
        await botapi.driver.wait_until(
            lambda: sum(s.status == SendStatus.SENT for s in sends(ctx)) == 45, timeout=30
        )
    assert [reminders_received(u) for u in people] == [1] * 45
    assert botapi.driver.rate_violations == []


async def test_a_chat_telegram_does_not_know_fails_at_once(
    sqlite_ctx: AppContext, botapi: FakeBotApi, q4_clock: Clock
) -> None:
    """A final refusal (400 chat not found) is not retried like a network error."""
    from goalbot.services.owners import accept_invite

    ctx = with_telegram(sqlite_ctx, botapi)
    invite = invite_owner(ctx, "rakennustarkastaja", "Tuntematon")
    accept_invite(ctx, invite.token, 424242)  # an id the Bot API has never seen
    async with running_bot(ctx):
        open_round_now(ctx, Q4)
        await botapi.driver.wait_until(
            lambda: [s.status for s in sends(ctx)] == [SendStatus.FAILED], timeout=10
        )
        q4_clock.advance(minutes=10)
        await botapi.driver.wait_until_idle(quiet=0.5)
    [send] = sends(ctx)
    assert send.attempts == 1 and "chat not found" in send.error.lower()


async def test_a_connection_dropped_after_telegram_acted_is_never_repeated(
    sqlite_ctx: AppContext, botapi: FakeBotApi, q4_clock: Clock
) -> None:
    """'Server disconnected without sending a response': the reminder may be out, and is."""
    admin = botapi.driver.create_user("Anna")
    ctx = with_telegram(sqlite_ctx, botapi, admins=(admin.id,))
    async with running_bot(ctx):
        admin.start()
        await admin.wait_for_message()
        people = await owners(ctx, botapi)
        botapi.driver.drop_next("sendMessage", perform=True)
        open_round_now(ctx, Q4)
        notice = await admin.wait_for_message(
            predicate=lambda m: "eivät ehkä menneet" in m.content, timeout=15
        )
        q4_clock.advance(minutes=30)  # long past every backoff
        await botapi.driver.wait_until_idle(quiet=0.5)
    assert [reminders_received(u) for u in people] == [1, 1, 1, 1]
    statuses = sorted(s.status for s in sends(ctx) if s.kind == "reminder")
    assert statuses == sorted([SendStatus.UNCERTAIN] + [SendStatus.SENT] * 3)
    (uncertain,) = [s for s in sends(ctx) if s.status == SendStatus.UNCERTAIN]
    assert "ei tiedetä, menikö perille" in notice.content
    assert f"#{uncertain.id} muistutus Q4/2026 → Omistaja" in notice.content


async def test_an_administrator_resends_what_may_not_have_arrived(
    sqlite_ctx: AppContext, botapi: FakeBotApi, q4_clock: Clock
) -> None:
    """A dropped connection cannot tell whether Telegram acted: it is not repeated by itself,
    the administrators are told who did not get what, and one of them sends it again."""
    admin = botapi.driver.create_user("Anna")
    ctx = with_telegram(sqlite_ctx, botapi, admins=(admin.id,))
    async with running_bot(ctx):
        admin.start()
        await admin.wait_for_message()
        people = await owners(ctx, botapi)
        botapi.driver.drop_next("sendMessage")  # nothing happened at Telegram, this time
        open_round_now(ctx, Q4)
        await admin.wait_for_message(predicate=lambda m: "eivät ehkä menneet" in m.content)
        await botapi.driver.wait_until_idle(quiet=0.5)
        missed = [u for u in people if not reminders_received(u)]
        assert len(missed) == 1
        [listed] = outbox.undelivered_sends(ctx)
        assert listed.status == SendStatus.UNCERTAIN and listed.person.startswith("Omistaja")
        outbox.resend(ctx, listed.id)
        await missed[0].wait_for_message(predicate=lambda m: "alkanut" in m.content)
        await botapi.driver.wait_until_idle(quiet=0.5)
    assert [reminders_received(u) for u in people] == [1, 1, 1, 1]
    assert outbox.undelivered_sends(ctx) == []
    assert [s.resent_as is not None for s in outbox.undelivered_sends(ctx, everything=True)] == [
        True
    ]


async def test_one_run_of_the_delivery_delivers_everything_due(
    sqlite_ctx: AppContext,
    botapi: FakeBotApi,
    q4_clock: Clock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """More reminders than one claim takes go out at once, not one claim per run of the job."""
    from bench.send_reminders import catalogue_with_roles

    from goalbot.services.catalogue import load_catalogue
    from goalbot.services.owners import accept_invite

    monkeypatch.setattr(outbox, "CLAIM_LIMIT", 4)
    load_catalogue(sqlite_ctx, catalogue_with_roles(10, tmp_path))
    admin = botapi.driver.create_user("Anna")
    ctx = with_telegram(sqlite_ctx, botapi, admins=(admin.id,))
    people = []
    for number in range(10):
        user = botapi.driver.create_user(f"Vastaaja{number}")
        user.start()  # they have opened the chat with the bot
        invite = invite_owner(ctx, f"bench-{number}", f"Vastaaja {number}")
        accept_invite(ctx, invite.token, user.id)
        people.append(user)
    # the job's own runs are an hour apart: /remind delivers what it queued itself
    async with running_bot(ctx, delivery_interval=3600):
        admin.start()
        await botapi.driver.wait_until_idle(quiet=0.5, timeout=20)
        admin.send("/remind Q4-2026")
        await botapi.driver.wait_until(
            lambda: sum(s.status == SendStatus.SENT for s in sends(ctx)) == 10, timeout=20
        )
    assert [reminders_received(u) for u in people] == [1] * 10
