"""The overall limit holds for the moments requests are made, not the moments they were let go.

A send is marked as on its way in the database after the limiter lets it go and before its
request leaves; when that waits (for the write lock, say), several sends would leave bunched
up. Each is counted again when it actually leaves, so no second holds more than 30.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from goalbot.chat.ratelimit import (
    LEAVING_TOLERANCE,
    OVERALL_MARGIN,
    SlidingWindow,
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


async def test_requests_delayed_after_the_limiter_do_not_leave_bunched_up(clock: Clock) -> None:
    limiter = TelegramLimits()
    limiter._overall = SlidingWindow(30, OVERALL_MARGIN, clock=clock)
    made: list[float] = []
    lock = asyncio.Lock()  # the database's write lock: one mark at a time, some slow

    async def request(*_args: Any, **_kwargs: Any) -> bool:
        made.append(clock.now)
        return True

    async def one(number: int) -> None:
        async def mark_on_its_way() -> bool:
            async with lock:
                # now and then a mark waits half a second for the write lock
                await asyncio.sleep(0.5 if number % 40 == 0 else 0.001)
            return True

        token = before_request.set(mark_on_its_way)
        try:
            chat = {"chat_id": 800000000 + number}
            await limiter.process_request(request, (), {}, "sendMessage", chat, None)
        finally:
            before_request.reset(token)

    await asyncio.gather(*(one(number) for number in range(200)))
    assert len(made) == 200
    assert most_in_one_second(made) <= 30
    # and the pace stays near the limit: 200 sends at 28.6 a second, plus at most one window
    # for each of the five stalls (a send marked as on its way never waits its turn again,
    # so what a stall held back leaves together when it ends and fills that window)
    assert made[-1] - made[0] < 200 * OVERALL_MARGIN / 30 + 5 * OVERALL_MARGIN


async def test_a_request_that_leaves_at_once_keeps_its_count(clock: Clock) -> None:
    window = SlidingWindow(30, OVERALL_MARGIN, clock=clock)
    stamp = await window.acquire()
    clock.now += LEAVING_TOLERANCE / 2
    await window.leaving(stamp, LEAVING_TOLERANCE)
    assert list(window._stamps) == [stamp]
    clock.now += 1.0
    await window.leaving(stamp, LEAVING_TOLERANCE)  # late: counted again, now
    assert list(window._stamps) == [clock.now]
