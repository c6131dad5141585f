"""An input that met an unreachable database is kept and applied once it answers.

The owner is told that their message waits (once), and is not asked to send it again: a resent
answer would land on the next question when the kept one is applied.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from goalbot.chat import handlers
from goalbot.services.context import AppContext
from goalbot.services.questionnaire import handle_input
from tests.e2e.chat_steps import bind, header, start_answering, stored_answers
from tests.e2e.harness import running_bot
from tests.fakes.botapi import FakeBotApi

WAITING = "Viestisi on tallessa"


async def test_an_input_that_met_a_database_outage_is_applied_when_it_is_back(
    q4_ctx: AppContext, botapi: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = q4_ctx
    owner = botapi.driver.create_user("Reino")
    failures = {"left": 3}

    def unreachable_at_first(*args: Any, **kwargs: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return handle_input(*args, **kwargs)

    async with running_bot(ctx):
        await bind(owner, ctx, "elinvoima-hyvinvointipaallikko", "Reino Rakentaja")
        first = await start_answering(ctx, owner)
        monkeypatch.setattr(handlers, "handle_input", unreachable_at_first)
        owner.press("Kyllä", message_id=first.message_id)
        notice = await owner.wait_for_message(after=first)
        assert WAITING in notice.content
        second = await owner.wait_for_message(after=notice, timeout=20)
        await botapi.driver.wait_until_idle(quiet=0.5)
    assert second.content.startswith(header(2, 6)), second.content
    assert sum(WAITING in m.content for m in owner.bot_messages()) == 1
    answers = stored_answers(ctx)
    assert len(answers) == 1 and next(iter(answers.values())).flag is True
