"""The running bot's log: one line per business event, nothing anyone typed, no token."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from goalbot.config import LoggingConfig
from goalbot.logs import setup_logging
from goalbot.scheduling.control import close_round_now, open_round_now
from goalbot.services.context import AppContext
from tests.conftest import Clock
from tests.e2e.chat_steps import Q4, REMINDER, START, bind
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi

SECRET_ANSWER = "salainen vastaus 4711"


@pytest.fixture
def log_stream(restore_logging: None) -> io.StringIO:
    """The log as the running bot writes it."""
    return io.StringIO()


async def test_a_round_is_logged_as_events_without_what_people_typed(
    sqlite_ctx: AppContext, clock: Clock, botapi: FakeBotApi, log_stream: io.StringIO
) -> None:
    ctx = sqlite_ctx
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    reino, ylva = botapi.driver.create_user("Reino"), botapi.driver.create_user("Ylva")
    group = botapi.driver.create_group("Johtoryhmä", members=[reino])
    ctx = with_telegram(ctx, botapi, management_chat_id=group.id)
    setup_logging(LoggingConfig(level="debug"), secrets=[botapi.token], stream=log_stream)
    async with running_bot(ctx):
        await bind(reino, ctx, "rakennustarkastaja", "Reino Rakennustarkastaja")
        await bind(ylva, ctx, "ymparistopaallikko", "Ylva Ympäristö")
        ylva.block()
        await botapi.driver.wait_until_idle(quiet=0.3)
        open_round_now(ctx, Q4)
        reminder = await reino.wait_for_message(predicate=lambda m: REMINDER in m.content)
        await botapi.driver.wait_until(lambda: "reminder 2026Q4:" in log_stream.getvalue())
        reino.press(START, message_id=reminder.message_id)
        await reino.wait_for_message()
        reino.send(SECRET_ANSWER)  # not an answer to a yes/no question: refused, not logged
        await reino.wait_for_message()
        close_round_now(ctx, Q4)
        await group.wait_for_message(predicate=lambda m: "Tavoiteraportti" in m.content)
        await botapi.driver.wait_until(lambda: "summary of" in log_stream.getvalue())
        await botapi.driver.wait_until_idle()

    log = log_stream.getvalue()
    assert "round Q4/2026 opened by hand: 2 reminders queued" in log, log
    assert "reminder 2026Q4: 1 blocked, 1 sent" in log, log
    assert "round Q4/2026 closed by hand: 0 answers, " in log, log
    assert "apscheduler" not in log  # "skipped: maximum number of running instances" is noise
    assert "summary of 2026Q4 posted to the management group" in log, log
    assert SECRET_ANSWER not in log
    assert botapi.token not in log
    assert "Traceback" not in log
