"""A management group that became a supergroup is followed to its new id, and the id is kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from telegram import Bot

from goalbot.domain.periods import Period
from goalbot.scheduling.control import close_round_now, open_round_now
from goalbot.services.context import AppContext
from goalbot.services.outbox import get_management_chat
from goalbot.storage.models import SendRow
from tests.conftest import Clock
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi

Q4 = Period(2026, 4)


@pytest.fixture
def january(clock: Clock) -> Clock:
    clock.set(datetime(2027, 1, 18, 14, 0, tzinfo=UTC))
    return clock


def summary_sends(ctx: AppContext) -> list[SendRow]:
    with ctx.unit_of_work() as uow:
        return list(uow.session.scalars(select(SendRow).where(SendRow.kind == "summary")))


async def test_a_migration_seen_by_the_bot_moves_the_summary(
    sqlite_ctx: AppContext, botapi: FakeBotApi, january: Clock
) -> None:
    driver = botapi.driver
    manager = driver.create_user("Kalle")
    group = driver.create_group("Johtoryhmä", members=[manager])
    old_id = group.id
    ctx = with_telegram(sqlite_ctx, botapi, management_chat_id=old_id)
    async with running_bot(ctx):
        await driver.wait_until_idle()
        new_id = group.migrate(by=manager)
        await driver.wait_until(lambda: get_management_chat(ctx) == new_id, timeout=10)
        open_round_now(ctx, Q4)
        close_round_now(ctx, Q4)
        await driver.wait_for_message(
            new_id, predicate=lambda m: "Tavoiteraportti" in m.content, timeout=20
        )
        await driver.wait_until(
            lambda: all(s.status == "sent" for s in summary_sends(ctx)), timeout=20
        )
    assert [s.chat_id for s in summary_sends(ctx)] == [new_id]
    assert not [m for m in driver.bot_messages(old_id) if "Tavoiteraportti" in m.content]


async def test_a_send_to_the_old_group_follows_it_and_keeps_the_new_id(
    sqlite_ctx: AppContext, botapi: FakeBotApi, january: Clock
) -> None:
    driver = botapi.driver
    manager = driver.create_user("Kalle")
    group = driver.create_group("Johtoryhmä", members=[manager])
    old_id = group.id
    new_id = group.migrate(by=manager)
    # the bot was down while it happened and never saw the service message
    async with Bot(botapi.token, base_url=botapi.base_url) as bot:
        updates = await bot.get_updates(timeout=0)
        if updates:
            await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    ctx = with_telegram(sqlite_ctx, botapi, management_chat_id=old_id)
    async with running_bot(ctx):
        open_round_now(ctx, Q4)
        close_round_now(ctx, Q4)
        await driver.wait_for_message(
            new_id, predicate=lambda m: "Tavoiteraportti" in m.content, timeout=20
        )
        await driver.wait_until(
            lambda: all(s.status == "sent" for s in summary_sends(ctx)), timeout=20
        )
    assert get_management_chat(ctx) == new_id
    assert [s.chat_id for s in summary_sends(ctx)] == [new_id]
    refused = [e for e in driver.semantic_errors if "upgraded to a supergroup" in str(e)]
    assert len(refused) == 1
