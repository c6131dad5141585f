"""The overall limit holds for the moments the server receives requests, however they were held
up on their way, and keeps near Telegram's 30 a second.

A request counts from the moment it leaves until OVERALL_PERIOD after its answer came back
(the server saw it in between). A send is marked as on its way in the database only while a
few others are ahead of it (MARKED_AHEAD), so it leaves at its turn, not at its turn plus the
time its mark takes.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from goalbot.chat.ratelimit import (
    MARKED_AHEAD,
    OVERALL_PERIOD,
    AnsweredWindow,
    TelegramLimits,
    before_request,
)
from tests.unit.test_first_reply import Clock


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A clock that moves only when someone sleeps; the sleeps take turns as asyncio's do."""
    clock = Clock()
    real_sleep = asyncio.sleep

    async def wait(seconds: float) -> None:
        clock.now += max(seconds, 0.0)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", wait)
    return clock


def most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))


def limiter_on(clock: Clock) -> TelegramLimits:
    limiter = TelegramLimits()
    limiter._overall = AnsweredWindow(30, OVERALL_PERIOD, clock=clock)
    return limiter


async def send_all(
    limiter: TelegramLimits,
    count: int,
    request: Any,
    mark: Any = None,
) -> None:
    async def one(number: int) -> None:
        token = before_request.set(mark(number) if mark else None)
        try:
            chat = {"chat_id": 800000000 + number}
            await limiter.process_request(request, (), {}, "sendMessage", chat, None)
        finally:
            before_request.reset(token)

    await asyncio.gather(*(one(number) for number in range(count)))


async def test_requests_held_up_on_their_way_do_not_reach_the_server_bunched_up(
    clock: Clock,
) -> None:
    limiter = limiter_on(clock)
    received: list[float] = []
    rng = random.Random(7)

    async def request(*_args: Any, **_kwargs: Any) -> bool:
        # now and then a request waits on its way (the event loop, a busy server), then its
        # answer takes a moment more
        await asyncio.sleep(0.2 if rng.random() < 0.05 else 0.001)
        received.append(clock.now)
        await asyncio.sleep(0.002)
        return True

    await send_all(limiter, 300, request)
    assert len(received) == 300
    assert most_in_one_second(received) <= 30


async def test_the_pace_keeps_to_telegrams_30_a_second_when_answers_come_at_once(
    clock: Clock,
) -> None:
    limiter = limiter_on(clock)
    received: list[float] = []

    async def request(*_args: Any, **_kwargs: Any) -> bool:
        received.append(clock.now)
        return True

    await send_all(limiter, 300, request)
    assert most_in_one_second(received) <= 30
    pace = (len(received) - 1) / (received[-1] - received[0])
    assert pace >= 0.95 * 30


async def test_while_30_answers_are_awaited_nothing_more_leaves(clock: Clock) -> None:
    window = AnsweredWindow(30, OVERALL_PERIOD, clock=clock)
    for _ in range(30):
        await window.acquire()
    waiting = asyncio.ensure_future(window.acquire())
    for _ in range(20):
        await asyncio.sleep(1.0)  # the server does not answer: time passes, nothing leaves
    assert not waiting.done()
    window.answered()
    clock.now += OVERALL_PERIOD + 0.001
    await waiting


async def test_slow_marks_are_made_a_few_turns_ahead_and_never_bunch_the_requests(
    clock: Clock,
) -> None:
    limiter = limiter_on(clock)
    made: list[float] = []
    marked: list[float] = []
    lock = asyncio.Lock()  # the database's write lock: one mark at a time, some slow

    async def request(*_args: Any, **_kwargs: Any) -> bool:
        made.append(clock.now)
        return True

    def mark(number: int) -> Any:
        async def mark_on_its_way() -> bool:
            async with lock:
                # now and then a mark waits half a second for the write lock
                await asyncio.sleep(0.5 if number % 40 == 0 else 0.001)
            marked.append(clock.now)
            return True

        return mark_on_its_way

    await send_all(limiter, 200, request, mark)
    assert len(made) == 200
    assert most_in_one_second(made) <= 30
    # no more sends are marked and not yet made than MARKED_AHEAD, at any moment
    for moment in marked:
        ahead = sum(1 for t in marked if t <= moment) - sum(1 for t in made if t < moment)
        assert ahead <= MARKED_AHEAD
    # and the pace stays near the limit: 200 sends at 29.7 a second, plus the five stalls
    assert made[-1] - made[0] < 200 * OVERALL_PERIOD / 30 + 5 * 0.5
