"""A round's summary is complete, or visibly incomplete, and resumes where it was cut off.

The summary is several messages, numbered, and the goal table as a file. A part that certainly
did not go out is tried again from there on; a part that may have arrived is not repeated, the
rest still goes out, and the administrators are told which part may be missing.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from goalbot.domain.protocol import SendStatus
from goalbot.services.context import AppContext
from goalbot.storage.models import SendRow
from tests.conftest import Clock
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi, Fault, GroupHandle, MessageView
from tests.report_data import Q4, close_round_of, fill_answers, open_round_without_deadline

PART = re.compile(r"Osa (\d+)/(\d+)$")


def summary_send(ctx: AppContext) -> SendRow:
    with ctx.unit_of_work() as uow:
        (row,) = uow.session.scalars(select(SendRow).where(SendRow.kind == "summary"))
        return row


def numbered(group: GroupHandle) -> list[tuple[int, int]]:
    """(part, of) of every summary part in the group, in order."""
    found = []
    for message in group.bot_messages():
        match = PART.search(message.content.strip()) if message.kind == "text" else None
        if match:
            found.append((int(match.group(1)), int(match.group(2))))
    return found


def tables(group: GroupHandle) -> list[MessageView]:
    return [m for m in group.bot_messages() if m.kind == "document"]


def second_part(params: dict[str, object]) -> bool:
    return "Osa 2/" in str(params.get("text", ""))


def round_to_close(ctx: AppContext, botapi: FakeBotApi) -> tuple[AppContext, GroupHandle]:
    """A round with long explanations, an administrator and the management group."""
    driver = botapi.driver
    admin = driver.create_user("Anna")
    member = driver.create_user("Mikko")
    group = driver.create_group("Johtoryhmä", members=[member])
    fill_answers(ctx, explanation_length=160)  # long enough for a few parts
    ctx = with_telegram(ctx, botapi, management_chat_id=group.id, admins=(admin.id,))
    open_round_without_deadline(ctx, Q4)
    return ctx, group


async def test_a_part_that_did_not_go_out_is_sent_later_and_nothing_twice(
    sqlite_ctx: AppContext, botapi: FakeBotApi, clock: Clock
) -> None:
    ctx, group = round_to_close(sqlite_ctx, botapi)
    driver = botapi.driver
    async with running_bot(ctx):
        admin = driver.user(ctx.config.telegram.admins[0])
        admin.start()
        await admin.wait_for_message()
        # the second part meets a server error: it took no effect
        driver.inject(Fault("server_error", "sendMessage", status=502, when=second_part))
        close_round_of(ctx, Q4)
        await driver.wait_until(lambda: summary_send(ctx).status == SendStatus.RETRY, timeout=20)
        assert numbered(group) == [(1, numbered(group)[0][1])] and tables(group) == []
        clock.advance(seconds=6)  # the backoff runs on the services' clock
        await driver.wait_until(lambda: len(tables(group)) == 1, timeout=30)
        await driver.wait_until_idle(quiet=0.5)
    total = numbered(group)[0][1]
    assert total >= 3
    assert numbered(group) == [(n, total) for n in range(1, total + 1)]
    row = summary_send(ctx)
    assert row.status == SendStatus.SENT and row.attempts == 2
    assert not [m for m in admin.bot_messages() if "eivät ehkä menneet" in m.content]


async def test_a_part_that_may_have_arrived_is_not_repeated_and_the_admins_are_told(
    sqlite_ctx: AppContext, botapi: FakeBotApi, clock: Clock
) -> None:
    ctx, group = round_to_close(sqlite_ctx, botapi)
    driver = botapi.driver
    async with running_bot(ctx):
        admin = driver.user(ctx.config.telegram.admins[0])
        admin.start()
        await admin.wait_for_message()
        # Telegram posts the second part, and the answer is lost on the way back
        driver.inject(Fault("drop", "sendMessage", perform=True, when=second_part))
        close_round_of(ctx, Q4)
        notice = await admin.wait_for_message(
            predicate=lambda m: "eivät ehkä menneet" in m.content, timeout=30
        )
        clock.advance(minutes=30)
        await driver.wait_until_idle(quiet=0.5)
    total = numbered(group)[0][1]
    # every part once (the second one did arrive), and the table
    assert numbered(group) == [(n, total) for n in range(1, total + 1)]
    assert len(tables(group)) == 1
    row = summary_send(ctx)
    assert row.status == SendStatus.UNCERTAIN
    assert f"osa 2/{total}" in notice.content and f"goalbot sends resend {row.id}" in notice.content
    assert row.sent_at is not None and timedelta(0) <= clock.now - row.sent_at
