"""/vastaa through the fake Bot API: an owner on a phone gives a figure whose round closed."""

from __future__ import annotations

from datetime import UTC, datetime, time

from goalbot.domain.periods import Period
from goalbot.scheduling.control import close_round_now, open_round_now
from goalbot.services.context import AppContext
from goalbot.services.questionnaire import stored_answer
from tests.conftest import Clock
from tests.e2e.chat_steps import enrol
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi


async def test_an_owner_lists_and_gives_a_figure_whose_round_closed(
    sqlite_ctx: AppContext, clock: Clock, botapi: FakeBotApi
) -> None:
    ctx = with_telegram(sqlite_ctx, botapi)
    owner = botapi.driver.create_user("Kaisa")
    enrol(ctx, owner, "kaupunginjohtaja", "Kaisa Kaupunki")
    clock.set(datetime(2027, 3, 10, 9, tzinfo=UTC))
    open_round_now(ctx, Period(2027, 1))
    close_round_now(ctx, Period(2027, 1))  # the 2026 statistics were asked, not answered
    clock.set(datetime.combine(datetime(2027, 4, 20).date(), time(9), tzinfo=UTC))
    async with running_bot(ctx):
        owner.send("/vastaa")
        listing = await owner.wait_for_message(predicate=lambda m: "lukusi" in m.content)
        assert listing.content.startswith("Puuttuvat lukusi"), listing.content
        assert "/vastaa STR-5.1 2026" in listing.content
        owner.send("/vastaa STR-5.1 2026 −60")
        saved = await owner.wait_for_message(predicate=lambda m: "Tallennettu" in m.content)
        assert saved.content.startswith("✓ Tallennettu:") and "2026: −60" in saved.content
        owner.send("/vastaa STR-5.1 2026 paljon")
        wrong = await owner.wait_for_message(predicate=lambda m: "⚠️" in m.content)
        assert wrong.content.startswith("⚠️ Tuo ei ole luku.")
    answer = stored_answer(ctx, "STR-5.1", Period(2026, 4))
    assert answer is not None and answer.confirmed and answer.answered_by == "Kaisa Kaupunki"
