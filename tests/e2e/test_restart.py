"""The real bot process killed in the middle of a round, and started again.

The owner carries on exactly where they were: nothing typed is lost, nothing answered is
asked again or recorded twice, and a reminder that may have gone out is not sent again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from goalbot.chat.application import CONCURRENT_UPDATES
from goalbot.config import load_config
from goalbot.scheduling.control import open_round_now
from goalbot.services.catalogue import load_catalogue
from goalbot.services.context import AppContext
from goalbot.services.owners import invite_owner
from goalbot.storage.models import SendRow
from tests.conftest import Clock, make_context
from tests.e2e.bot_process import POLL_TIMEOUT, BotProcess, write_config
from tests.e2e.chat_steps import Q4, REMINDER, START, enrol, stored_answers
from tests.fakes.botapi import Driver, FakeBotApi, MessageView, UserHandle

ROLE = "elinvoima-hyvinvointipaallikko"  # six questions in Q4/2026; the third is a count
HEADER = re.compile(r"^(\d+)/6 · ", re.MULTILINE)


def polling_since(driver: Driver, seconds: float) -> bool:
    """The bot waits in a getUpdates call begun at most ``seconds`` ago (long before it ends)."""
    polls = driver.requests_for("getUpdates")
    return bool(polls) and not polls[-1].finished and driver.clock.now() - polls[-1].time < seconds


def reminder_sends(ctx: AppContext) -> list[tuple[str, str]]:
    with ctx.unit_of_work() as uow:
        return [(s.kind, s.status) for s in uow.session.scalars(select(SendRow))]


def next_screen(owner: UserHandle, timeout: float = 15.0) -> MessageView:
    return owner.wait_for_message_sync(timeout=timeout)


def question_number(message: MessageView) -> int:
    found = HEADER.search(message.content)
    assert found, message.content
    return int(found.group(1))


@pytest.mark.slow
def test_a_killed_bot_carries_on_where_the_owner_was(botapi: FakeBotApi, tmp_path: Path) -> None:
    driver = botapi.driver
    config_path = write_config(tmp_path, botapi)
    config = load_config(config_path, env={})
    # the bot process runs on the real clock, and so must everything the test prepares
    ctx = make_context(config.database.url, Clock(datetime.now(UTC)), config)
    load_catalogue(ctx)
    owner = driver.create_user("Eeva")
    invite = invite_owner(ctx, ROLE, "Eeva Elinvoima")
    with BotProcess(config_path, tmp_path, driver) as bot:
        bot.start()
        owner.start(invite.token)
        owner.wait_for_message_sync(predicate=lambda m: "Tervetuloa" in m.content, timeout=10)
        # the bot finishes with the invite before the round opens: otherwise it would show the
        # first question right away, and that message would take the delay meant for the reminder
        driver.wait_until_idle_sync(quiet=1.0, timeout=15)

        # 1. Killed while the reminder is on its way: Telegram delivered it, the bot never
        # heard back. It may have gone out, so it is never sent again.
        driver.delay_next("sendMessage", seconds=60, perform=True)
        open_round_now(ctx, Q4)
        # the bot delivers queued sends every few seconds
        reminder = owner.wait_for_message_sync(
            predicate=lambda m: REMINDER in m.content, timeout=15
        )
        assert reminder_sends(ctx) == [("reminder", "sending")]
        bot.kill()
        driver.clear_faults()
        bot.start()
        assert reminder_sends(ctx) == [("reminder", "uncertain")]

        owner.press(START, message_id=reminder.message_id)
        assert question_number(next_screen(owner)) == 1
        owner.press("Kyllä")
        assert question_number(next_screen(owner)) == 2
        owner.press("Kyllä")
        count_question = next_screen(owner)
        assert question_number(count_question) == 3
        driver.wait_for_updates_consumed_sync(timeout=10)

        # 2. Killed after a typed answer was stored, before the bot replied or confirmed the
        # update to Telegram: the restarted bot gets it again, and applies it only once.
        driver.wait_until_sync(lambda: polling_since(driver, POLL_TIMEOUT - 5), timeout=10)
        sends_before = len(driver.requests_for("sendMessage"))
        driver.delay_next("getUpdates", seconds=120, times=None)
        driver.delay_next("sendMessage", seconds=120, times=None)
        owner.send("60")
        driver.wait_until_sync(
            lambda: len(driver.requests_for("sendMessage")) > sends_before, timeout=10
        )
        assert stored_answers(ctx)["EHP-2.1"].number == Decimal(60)
        assert driver.pending_updates == 1
        bot.kill()
        driver.clear_faults()
        bot.start()
        fourth = owner.wait_for_message_sync(after=count_question, timeout=15)
        assert question_number(fourth) == 4
        driver.wait_for_updates_consumed_sync(timeout=10)

        # 3. Killed while idle; the owner answers while the bot is down, and it is not lost.
        driver.wait_until_idle_sync(quiet=0.3, timeout=10)
        bot.kill()
        owner.press("Kyllä", message_id=fourth.message_id)
        bot.start()
        assert question_number(next_screen(owner)) == 5
        owner.send("/raportoi")
        assert question_number(next_screen(owner)) == 5
        owner.press("Kyllä")
        assert question_number(next_screen(owner)) == 6
        owner.press("Kyllä")
        recap = next_screen(owner)
        assert "Yhteenveto, Q4/2026" in recap.content
        owner.press("✅ Vahvista", message_id=recap.message_id)
        assert "on vahvistettu" in next_screen(owner).content
        driver.wait_until_idle_sync(quiet=0.3, timeout=10)

    answers = stored_answers(ctx, Q4)
    assert len(answers) == 6
    assert all(a.history == (("value", "Eeva Elinvoima"),) for a in answers.values())
    assert answers["EHP-2.1"].number == Decimal(60)
    assert all(a.flag is True for m, a in answers.items() if m != "EHP-2.1")
    # one reminder, sent once; no question came back after it was answered
    assert reminder_sends(ctx) == [("reminder", "uncertain")]
    messages = owner.bot_messages()
    assert sum(REMINDER in m.content for m in messages) == 1
    asked = [question_number(m) for m in messages if HEADER.search(m.content)]
    assert asked == sorted(asked) and set(asked) == {1, 2, 3, 4, 5, 6}


@pytest.mark.slow
def test_updates_confirmed_before_they_were_handled_survive_a_kill(
    botapi: FakeBotApi, tmp_path: Path
) -> None:
    """Telegram forgets what the next poll confirms, and that comes before the handlers run.

    Every worker is kept busy (an administrator's /help replies hang at Telegram), so the
    owner's answer waits in the bot's queue, confirmed to Telegram and not yet applied, when
    the bot is killed. The restarted bot applies it from what it kept.
    """
    driver = botapi.driver
    admin = driver.create_user("Anna")
    config_path = write_config(tmp_path, botapi, read_timeout=120.0, admins=(admin.id,))
    config = load_config(config_path, env={})
    ctx = make_context(config.database.url, Clock(datetime.now(UTC)), config)
    load_catalogue(ctx)
    owner = driver.create_user("Eeva")
    with BotProcess(config_path, tmp_path, driver) as bot:
        bot.start()
        for person in (admin, owner):
            person.start()  # they have opened their chats with the bot
            person.wait_for_message_sync(timeout=10)
        enrol(ctx, owner, ROLE, "Eeva Elinvoima")
        open_round_now(ctx, Q4)
        reminder = owner.wait_for_message_sync(
            predicate=lambda m: REMINDER in m.content, timeout=15
        )
        owner.press(START, message_id=reminder.message_id)
        first = next_screen(owner)
        assert question_number(first) == 1
        driver.wait_until_idle_sync(quiet=0.5, timeout=10)

        driver.delay_next("sendMessage", seconds=300, perform=True, times=None)
        before = len(admin.bot_messages())
        for _ in range(CONCURRENT_UPDATES):
            admin.send("/help")
        # each reply is delivered and its answer held back: every worker waits for one
        driver.wait_until_sync(
            lambda: len(admin.bot_messages()) == before + CONCURRENT_UPDATES, timeout=20
        )
        owner.press("Kyllä", message_id=first.message_id)
        driver.wait_for_updates_consumed_sync(timeout=15)  # confirmed to Telegram
        assert "EHP-1.1" not in stored_answers(ctx)
        bot.kill()
        driver.clear_faults()
        bot.start()
        second = owner.wait_for_message_sync(after=first, timeout=15)
        assert question_number(second) == 2
        driver.wait_until_idle_sync(quiet=0.5, timeout=15)
    assert stored_answers(ctx)["EHP-1.1"].flag is True
