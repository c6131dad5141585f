"""Buttons pressed late, twice, in the wrong chat or by the wrong person, and updates seen twice.

None of them may change an answer. A second tap is one toast and nothing more; an older
message's button gets a toast and the message loses its buttons; no question is sent twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from goalbot.domain.periods import Period
from goalbot.emulator.state import CallbackAnswer
from goalbot.scheduling.control import close_round_now, open_round_now
from goalbot.services.context import AppContext
from tests.conftest import Clock
from tests.e2e.chat_steps import (
    HANDLED_TOAST,
    NO_DATA,
    Q4,
    REFUSAL,
    REMINDER,
    STALE_NOTE,
    STALE_TOAST,
    START,
    bind,
    enrol,
    footprint,
    header,
    start_answering,
    stored_answers,
    type_text,
)
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import Driver, FakeBotApi, MessageView, UserHandle

Q1_2027 = Period(2027, 1)


@pytest.fixture
def q4_ctx(sqlite_ctx: AppContext, clock: Clock, botapi: FakeBotApi) -> AppContext:
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    return with_telegram(sqlite_ctx, botapi)


async def press_late(
    driver: Driver, owner: UserHandle, label: str, message: MessageView
) -> tuple[str | None, MessageView]:
    """Press a button of an older message; the toast shown and the bot's next message."""
    query = owner.press(label, message_id=message.message_id)
    reply = await owner.wait_for_message()
    answer = await driver.wait_until(lambda: driver.callback_answer(query))
    return answer.text, reply


async def test_a_question_answered_by_typing_loses_its_buttons(
    q4_ctx: AppContext, botapi: FakeBotApi
) -> None:
    ctx = q4_ctx
    driver = botapi.driver
    owner = driver.create_user("Reino")
    open_round_now(ctx, Q4)
    enrol(ctx, owner, "ymparistopaallikko", "Reino Rakennustarkastaja")
    async with running_bot(ctx):
        first = await type_text(owner, "/raportoi")
        assert header(1, 2) in first.content
        assert first.button_labels == ["Kyllä", "Ei", NO_DATA, "Ohita…"]
        second = await type_text(owner, "kyllä")
        assert header(2, 2) in second.content
        await driver.wait_until_idle()
        # the answered question keeps its text, and has no buttons left to press by mistake
        answered = driver.message(owner, first.message_id)
        assert answered.content == first.content and answered.button_labels == []
        assert driver.message(owner, second.message_id).button_labels == first.button_labels
    answer = stored_answers(ctx)["YMP-1.1"]
    assert answer.flag is True and len(answer.history) == 1
    assert "YMP-2.1" not in stored_answers(ctx)


async def test_the_reminders_button_takes_the_owner_back_to_where_they_were(
    q4_ctx: AppContext, botapi: FakeBotApi
) -> None:
    ctx = q4_ctx
    driver = botapi.driver
    owner = driver.create_user("Reino")
    async with running_bot(ctx):
        await bind(owner, ctx, "ymparistopaallikko", "Reino Rakennustarkastaja")
        first = await start_answering(ctx, owner)
        assert header(1, 2) in first.content
        second = await type_text(owner, "kyllä")
        reminder = next(m for m in owner.bot_messages() if REMINDER in m.content)
        assert driver.message(owner, reminder.message_id).button_labels == [START]
        before = footprint(ctx, owner.id)
        toast, reply = await press_late(driver, owner, START, reminder)
        assert not toast
        assert reply.content == second.content
        assert footprint(ctx, owner.id) == before
        assert driver.message(owner, reminder.message_id).button_labels == [START]


async def test_a_double_tap_records_one_answer(q4_ctx: AppContext, botapi: FakeBotApi) -> None:
    ctx = q4_ctx
    driver = botapi.driver
    owner = driver.create_user("Kimmo")
    open_round_now(ctx, Q4)
    enrol(ctx, owner, "kiinteistopaallikko", "Kimmo Kiinteistö")
    async with running_bot(ctx):
        first = await type_text(owner, "/raportoi")
        assert header(1, 2) in first.content
        # both taps reach Telegram before the bot has answered either
        queries = [owner.press("Kyllä", message_id=first.message_id) for _ in range(2)]

        def all_answered() -> list[CallbackAnswer | None] | None:
            found = [driver.callback_answer(q) for q in queries]
            return found if all(found) else None

        answers = await driver.wait_until(all_answered)
        await driver.wait_until_idle()
        replies = [m for m in owner.bot_messages() if m.message_id > first.message_id]
        # one tap answered and question 2 followed, once; the other tap is one toast
        assert len(replies) == 1 and header(2, 2) in replies[0].content
        assert STALE_NOTE not in replies[0].content
        assert sorted(str(a.text) for a in answers if a is not None) == ["None", HANDLED_TOAST]
        # the accepted tap took the buttons away from the answered question
        assert driver.message(owner, first.message_id).button_labels == []
    answer = stored_answers(ctx)["KH-1.1"]
    assert answer.flag is True and answer.history == (("value", "Kimmo Kiinteistö"),)
    assert "KH-2.1" not in stored_answers(ctx)


def _polling_now(driver: Driver) -> bool:
    """The bot is waiting in a getUpdates call that began a moment ago."""
    polls = driver.requests_for("getUpdates")
    return bool(polls) and not polls[-1].finished and driver.clock.now() - polls[-1].time < 0.3


async def test_an_update_delivered_again_is_applied_once(
    ctx: AppContext, clock: Clock, botapi: FakeBotApi
) -> None:
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    ctx = with_telegram(ctx, botapi)
    driver = botapi.driver
    owner = driver.create_user("Reino")
    open_round_now(ctx, Q4)
    enrol(ctx, owner, "ymparistopaallikko", "Reino Rakennustarkastaja")
    async with running_bot(ctx):
        await type_text(owner, "/raportoi")
        await driver.wait_for_updates_consumed()
        await driver.wait_until(lambda: _polling_now(driver))
        # from now on the bot cannot confirm to Telegram what it has received
        driver.drop_next("getUpdates", times=None)
        second = await type_text(owner, "kyllä")
        assert header(2, 2) in second.content
    assert driver.pending_updates == 1
    before = footprint(ctx, owner.id)
    driver.clear_faults()
    async with running_bot(ctx):
        # Telegram gives the unconfirmed "kyllä" to the restarted bot, which kept it and
        # answered it before: it is neither applied nor answered again
        await driver.wait_for_updates_consumed()
        await driver.wait_until_idle(quiet=0.5)
    assert owner.bot_messages()[-1].message_id == second.message_id
    assert footprint(ctx, owner.id) == before
    answer = stored_answers(ctx)["YMP-1.1"]
    assert answer.flag is True and len(answer.history) == 1


async def test_a_button_between_rounds_changes_nothing(
    q4_ctx: AppContext, botapi: FakeBotApi
) -> None:
    ctx = q4_ctx
    driver = botapi.driver
    owner = driver.create_user("Reino")
    open_round_now(ctx, Q4)
    enrol(ctx, owner, "ymparistopaallikko", "Reino Rakennustarkastaja")
    async with running_bot(ctx):
        await type_text(owner, "/raportoi")
        question = await type_text(owner, "kyllä")
        close_round_now(ctx)
        # closed before its deadline: the owner, with an answer still open, is told
        await owner.wait_for_message(predicate=lambda m: "suljettiin ennen" in m.content)
        await driver.wait_until_idle()
        before = footprint(ctx, owner.id)
        toast, reply = await press_late(driver, owner, NO_DATA, question)
        assert not toast
        assert reply.content.startswith("Raportointikierros ei ole nyt auki.")
        assert not reply.button_labels
        assert footprint(ctx, owner.id) == before


async def test_a_button_from_an_earlier_quarter_changes_nothing(
    q4_ctx: AppContext, clock: Clock, botapi: FakeBotApi
) -> None:
    ctx = q4_ctx
    driver = botapi.driver
    owner = driver.create_user("Reino")
    open_round_now(ctx, Q4)
    enrol(ctx, owner, "ymparistopaallikko", "Reino Rakennustarkastaja")
    async with running_bot(ctx):
        q4_question = await type_text(owner, "/raportoi")
        assert header(1, 2) in q4_question.content and "Q4/2026:" in q4_question.content
        close_round_now(ctx)
        clock.set(datetime(2027, 3, 18, 7, 0, tzinfo=UTC))
        open_round_now(ctx, Q1_2027)
        await owner.wait_for_message(predicate=lambda m: "Q1/2027" in m.content)
        q4_answers = footprint(ctx).answers

        # the owner has not begun the new round: the old button begins it, and does no more
        toast, reply = await press_late(driver, owner, "Kyllä", q4_question)
        assert toast == STALE_TOAST
        assert reply.content.startswith(STALE_NOTE)
        assert header(1, 2) in reply.content and "Q1/2027:" in reply.content
        assert footprint(ctx).answers == q4_answers == ()
        # and the old question lost its buttons, so it is not pressed again
        await driver.wait_until_idle()
        assert driver.message(owner, q4_question.message_id).button_labels == []
        assert driver.message(owner, reply.message_id).button_labels == [
            "Kyllä",
            "Ei",
            NO_DATA,
            "Ohita…",
        ]
    assert stored_answers(ctx) == stored_answers(ctx, Q1_2027) == {}


async def test_forged_buttons_in_other_chats_do_nothing(
    q4_ctx: AppContext, botapi: FakeBotApi
) -> None:
    ctx = q4_ctx
    driver = botapi.driver
    owner = driver.create_user("Reino")
    stranger = driver.create_user("Seppo")
    group = driver.create_group("Kahvihuone", members=[owner, stranger])
    open_round_now(ctx, Q4)
    enrol(ctx, owner, "ymparistopaallikko", "Reino Rakennustarkastaja")
    async with running_bot(ctx):
        first = await type_text(owner, "/raportoi")
        stranger.start()
        await stranger.wait_for_message(predicate=lambda m: REFUSAL in m.content)
        # a button that would answer the owner's current question if the owner pressed it in
        # their own chat, and one this bot never made
        data = first.button("Kyllä")["callback_data"]
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("Kyllä", callback_data=data)],
                [InlineKeyboardButton("Outo", callback_data="not-ours")],
            ]
        )
        async with Bot(botapi.token, base_url=botapi.base_url) as bot:
            in_group = await bot.send_message(group.id, "Kyllä vai ei?", reply_markup=keyboard)
            in_private = await bot.send_message(stranger.id, "Kyllä vai ei?", reply_markup=keyboard)
            in_owners = await bot.send_message(owner.id, "Kyllä vai ei?", reply_markup=keyboard)
        await driver.wait_until_idle()
        before = footprint(ctx, owner.id)
        group_messages = len(group.transcript())

        for presser in (stranger, owner):
            query = group.press(presser, "Kyllä", message_id=in_group.message_id)
            answer = await driver.wait_until(partial(driver.callback_answer, query))
            assert answer.text == STALE_TOAST

        stranger.press("Kyllä", message_id=in_private.message_id)
        refusal = await stranger.wait_for_message()
        assert REFUSAL in refusal.content and not refusal.button_labels

        query = owner.press("Outo", message_id=in_owners.message_id)
        answer = await driver.wait_until(lambda: driver.callback_answer(query))
        assert answer.text == STALE_TOAST

        await driver.wait_until_idle()
        assert len(group.transcript()) == group_messages
        last = owner.last_bot_message()
        assert last is not None and last.message_id == in_owners.message_id
        assert footprint(ctx, owner.id) == before
        assert [REFUSAL in m.content for m in stranger.bot_messages()] == [True, False, True]
    assert stored_answers(ctx) == {}
