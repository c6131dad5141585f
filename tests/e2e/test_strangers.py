"""A stranger flooding a chat with commands gets one refusal and stalls nobody."""

from __future__ import annotations

import time

from goalbot.chat.application import CONCURRENT_UPDATES
from goalbot.chat.ratelimit import TelegramLimits
from goalbot.services.context import AppContext
from tests.e2e.chat_steps import REFUSAL, enrol, header, open_round, press
from tests.e2e.harness import running_bot
from tests.fakes.botapi import FakeBotApi

FLOOD = 5 * CONCURRENT_UPDATES  # more commands than a group may get answers to in a minute


async def test_a_stranger_flooding_their_group_stalls_no_owner(
    q4_ctx: AppContext, botapi: FakeBotApi
) -> None:
    ctx = q4_ctx
    driver = botapi.driver
    stranger = driver.create_user("Outo")
    owner = driver.create_user("Reino")
    group = driver.create_group("Outojen kerho", members=[stranger])
    # Telegram's own limits: a group gets 20 messages a minute
    async with running_bot(ctx, limits=TelegramLimits()):
        owner.start()  # Reino has opened his chat with the bot before he was invited
        await owner.wait_for_message()
        enrol(ctx, owner, "elinvoima-hyvinvointipaallikko", "Reino Rakentaja")
        (reminder,) = await open_round(ctx, owner)
        for _ in range(FLOOD):
            driver.send_command_in_group(group, stranger, "status")
        stranger.send("/status")  # and in private, too, again and again
        stranger.send("/help")
        stranger.send("/raportoi")
        stranger.send("/status")
        started = time.monotonic()
        screen = await press(owner, "Aloita vastaaminen", reminder)
        for number in (2, 3):
            screen = await press(owner, "Kyllä", screen)
            assert header(number, 6) in screen.content
        waited = time.monotonic() - started
        await driver.wait_for_updates_consumed(timeout=20)
        await driver.wait_until_idle(quiet=1.0, timeout=20)
    assert waited < 10, f"the owner waited {waited:.0f} s for three answers"
    assert [REFUSAL in m.content for m in group.bot_messages()] == [True]
    assert [REFUSAL in m.content for m in stranger.bot_messages()] == [True] * 3
    assert driver.rate_violations == []
