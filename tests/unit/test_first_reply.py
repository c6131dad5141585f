"""The first message answering a person's input is not held for the chat's pacing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from goalbot.chat.ratelimit import (
    AnsweredWindow,
    FirstReply,
    SlidingWindow,
    TelegramLimits,
    answering,
)

CHAT = 700000001


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> tuple[TelegramLimits, list[float]]:
    """Telegram's limits on a clock that moves only when the limiter waits; what it waited."""
    clock = Clock()
    waited: list[float] = []

    async def wait(seconds: float) -> None:
        if seconds > 0.2:
            waited.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(asyncio, "sleep", wait)  # the limiter's waits, on the fake clock
    # the overall limit spreads sends 1/30 s apart; what is measured is the chat's own pacing
    limiter = TelegramLimits()
    limiter._overall = AnsweredWindow(30, 1.01, clock=clock)
    limiter._chats[CHAT] = SlidingWindow(3, 3.15, spread=False, clock=clock)
    return limiter, waited


async def send(limiter: TelegramLimits) -> None:
    async def request(*_args: Any, **_kwargs: Any) -> bool:
        return True

    await limiter.process_request(request, (), {}, "sendMessage", {"chat_id": CHAT}, None)


async def test_the_first_reply_goes_as_soon_as_telegram_allows(
    limits: tuple[TelegramLimits, list[float]],
) -> None:
    limiter, waited = limits
    await send(limiter)  # the bot sent the person a message a moment ago
    token = answering.set(FirstReply(CHAT))
    try:
        await send(limiter)  # the answer to the person's input: at once
        assert waited == []
    finally:
        answering.reset(token)


async def test_after_a_burst_the_first_reply_waits_for_telegram_not_for_the_pacing(
    limits: tuple[TelegramLimits, list[float]],
) -> None:
    limiter, waited = limits
    for _ in range(3):  # a burst: Telegram refills one message a second after it
        await send(limiter)
    assert waited == []
    token = answering.set(FirstReply(CHAT))
    try:
        await send(limiter)  # the answer to the person's input
        assert len(waited) == 1 and waited[0] < 1.1
        await send(limiter)  # a second message of the same answer keeps to the pacing
        assert len(waited) == 2 and waited[1] > 2
    finally:
        answering.reset(token)


async def test_without_an_input_to_answer_the_pacing_holds(
    limits: tuple[TelegramLimits, list[float]],
) -> None:
    limiter, waited = limits
    for _ in range(3):
        await send(limiter)
    token = answering.set(FirstReply(CHAT + 1))  # answering someone else
    try:
        await send(limiter)
    finally:
        answering.reset(token)
    assert len(waited) == 1 and waited[0] > 3
