"""Keeping to Telegram's broadcast limits, as sliding windows, and waiting out flood control.

Telegram allows about 30 messages a second overall, one a second to one private chat and
20 a minute to one group. A leaky bucket lets a burst through on top of its rate, so it can
exceed a limit within one window; counting the sends of the last window does not, and sends
as fast as the limit allows.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)
JSONDict = dict[str, Any]

BeforeRequest = Callable[[], Coroutine[Any, Any, bool]]
before_request: ContextVar[BeforeRequest | None] = ContextVar("before_request", default=None)
"""Called (in the sending task) once the chat's limit lets a request go and its turn in the
overall limit is among the next MARKED_AHEAD, before it leaves; if it returns False the request
is not made (RequestWithdrawn). The outbox marks a send as on its way here, not while it still
waits for its turn behind others."""


class FirstReply:
    """The first message that answers what a person just did in their private chat.

    It is not held for the chat's pacing: the pacing spreads the bot's own messages (a long
    recap's parts, a reminder) evenly, and a person waiting for the answer to their input
    should not wait for those. It goes ahead of them, as soon as Telegram's own limit for the
    chat (a short burst, then one a second) allows, and counts in the chat's window.
    """

    def __init__(self, chat_id: int) -> None:
        self.chat_id = chat_id
        self.pending = True

    def take(self, chat_id: object) -> bool:
        """Whether a send to ``chat_id`` is this first reply (then the next one is not)."""
        if self.pending and chat_id == self.chat_id:
            self.pending = False
            return True
        return False


answering: ContextVar[FirstReply | None] = ContextVar("answering", default=None)
"""Set while an update of a private chat is handled (in the update's task)."""


class RequestWithdrawn(Exception):
    """The request was not made: whoever sent it said, at the last moment, not to."""


PRIVATE_BURST = 3
# The overall limit (AnsweredWindow): a request counts from the moment it leaves until
# OVERALL_PERIOD seconds after its answer came back. Telegram saw it before its answer came, so
# the 31st request after it reaches Telegram more than a second later, however the requests
# were held up on their way (the event loop, the HTTP client's connections, the network, a
# busy server). A window counted from the moments requests left needed a margin for that
# (1.05 s: 28.6 a second at most, and 31 requests were once seen within one second, and a
# stall of 80 ms on the way did it again at that pace); this one needs none but the answers'
# time, a few milliseconds next to the server.
OVERALL_PERIOD = 1.01
# a turn is counted when it was due if the send woke at most this much after it: counted at
# the moment it woke, every turn would start the next spacing that much later
ON_TIME = 0.002
# sends marked as on their way that may wait for the overall window at once: marked while a
# few others are ahead of them, a send leaves at its turn instead of its turn plus the time
# its mark takes, and a stop leaves no more than these uncertain beside what was really sent
MARKED_AHEAD = 4

# Methods that post a message count against the limits; edits and answers do not.
_COUNTED_PREFIXES = ("send", "copyMessage", "forwardMessage")
_NOT_COUNTED = {"sendChatAction"}


class SlidingWindow:
    """At most ``limit`` acquisitions in any ``period`` seconds, spread evenly.

    Even spacing (``period / limit`` apart) keeps a burst from arriving bunched up at the
    other end; the count over the window is the hard limit.
    """

    def __init__(
        self,
        limit: int,
        period: float,
        spread: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.period = period
        self.spread = spread
        self._clock = clock
        self._stamps: deque[float] = deque()
        self._lock = asyncio.Lock()

    def _prune(self, now: float) -> None:
        while self._stamps and self._stamps[0] <= now - self.period:
            self._stamps.popleft()

    async def acquire(self) -> float:
        """Wait until one more send fits in the window, and count it; the time it is counted at."""
        async with self._lock:
            while True:
                now = self._clock()
                self._prune(now)
                spacing = self.period / self.limit
                if self.spread and self._stamps and now < self._stamps[-1] + spacing:
                    await asyncio.sleep(self._stamps[-1] + spacing - now)
                    continue
                if len(self._stamps) < self.limit:
                    self._stamps.append(now)
                    return now
                await asyncio.sleep(self._stamps[0] + self.period - now)

    async def acquire_at_once(self, margin: float = 1.05) -> None:
        """Count a send that goes ahead of the sends waiting for their turn, as soon as
        Telegram's own limit allows it.

        The window holds the bot's own sends to a steady pace; Telegram itself tolerates a
        short burst (``limit`` messages) refilled at ``limit / period`` a second. What that
        allows, with ``margin`` to spare, is when this send goes.
        """
        rate = self.limit / self.period * margin  # the period already has the margin in it
        while True:
            now = self._clock()
            self._prune(now)
            tokens, last = float(self.limit), None
            for stamp in self._stamps:
                if last is not None:
                    tokens = min(float(self.limit), tokens + (stamp - last) * rate)
                tokens, last = tokens - 1, stamp
            if last is not None:
                tokens = min(float(self.limit), tokens + (now - last) * rate)
            if tokens >= margin - 1e-6:  # (rounding must not keep it waiting for nothing)
                self._stamps.append(now)
                return
            await asyncio.sleep((margin - tokens) / rate)

    @property
    def idle(self) -> bool:
        self._prune(self._clock())
        return not self._stamps


class AnsweredWindow:
    """At most ``limit`` requests in any ``period`` seconds as the server received them.

    The server received a request at some moment between the request leaving and its answer
    coming back. So each request counts from the moment it leaves (while its answer is awaited
    it counts, whenever it arrived) until ``period`` after its answer: a new request leaves
    only while fewer than ``limit`` count, and the ``limit + 1``-th arrives more than
    ``period`` after the first of them, however they were held up on the way. Requests leave
    evenly spaced, ``period / limit`` apart, as long as the answers come back in time.
    """

    def __init__(
        self, limit: int, period: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._answered: list[float] = []  # when answers came back, oldest first
        self._awaited = 0  # requests whose answer has not come back
        self._last = -float("inf")  # when the last request was let go (or its turn was due)
        self._lock = asyncio.Lock()
        self._answer = asyncio.Event()

    def _prune(self, now: float) -> None:
        cut = bisect.bisect_right(self._answered, now - self.period)
        if cut:
            del self._answered[:cut]

    async def acquire(self) -> float:
        """Wait until a request may leave and count it (``answered`` when its answer comes);
        the time it was let go at (its turn, if it woke at most ON_TIME after it)."""
        async with self._lock:
            while True:
                now = self._clock()
                self._prune(now)
                counting = self._awaited + len(self._answered)
                if self._awaited >= self.limit:
                    # only an answer makes room: every request counting still waits for one
                    self._answer.clear()
                    await self._answer.wait()
                    continue
                due = max(now, self._last + self.period / self.limit)
                if counting >= self.limit:
                    due = max(due, self._answered[counting - self.limit] + self.period)
                if due <= now:
                    stamp = due if now - due <= ON_TIME else now
                    self._last = stamp
                    self._awaited += 1
                    return stamp
                await asyncio.sleep(due - now)

    def answered(self) -> None:
        """The answer to a counted request came back (or it failed: it is over either way)."""
        self._awaited -= 1
        bisect.insort(self._answered, self._clock())
        self._answer.set()


class TelegramLimits(BaseRateLimiter[int]):
    """Sliding-window limits per Telegram's rules; a 429 pauses every request for retry_after."""

    def __init__(
        self,
        overall_per_second: int = 30,
        private_per_second: int = 1,
        group_per_minute: int = 20,
        margin: float = 1.05,
        max_retries: int = 5,
        overall_period: float = OVERALL_PERIOD,
    ) -> None:
        # the margins keep clear of the chats' limits when requests arrive unevenly spaced;
        # the overall window counts each request until its answer came (AnsweredWindow), so
        # it needs none
        self._overall = AnsweredWindow(overall_per_second, overall_period)
        self._private_rate = private_per_second
        self._group_rate = group_per_minute
        self._margin = margin
        self._chats: dict[int | str, SlidingWindow] = {}
        self._max_retries = max_retries
        self._flood_over = asyncio.Event()
        self._flood_over.set()
        self._marked_ahead = asyncio.Semaphore(MARKED_AHEAD)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    def _chat_window(self, chat_id: int | str) -> SlidingWindow:
        if len(self._chats) > 1024:
            for key in [k for k, w in self._chats.items() if w.idle]:
                del self._chats[key]
        window = self._chats.get(chat_id)
        if window is None:
            is_group = isinstance(chat_id, str) or chat_id < 0
            # a group's summary may come in a few parts at once (20 a minute at most); a
            # conversation may get a few replies at once: a private chat's sustained rate is
            # one a second, with a burst of PRIVATE_BURST tolerated
            window = (
                SlidingWindow(self._group_rate, 60.0 * self._margin, spread=False)
                if is_group
                else SlidingWindow(
                    PRIVATE_BURST * self._private_rate, PRIVATE_BURST * self._margin, spread=False
                )
            )
            self._chats[chat_id] = window
        return window

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Wait for room in the windows, send, and wait out flood control (429) if it comes."""
        counted = endpoint.startswith(_COUNTED_PREFIXES) and endpoint not in _NOT_COUNTED
        chat_id = data.get("chat_id")
        for attempt in range(self._max_retries + 1):
            await self._flood_over.wait()
            if counted and isinstance(chat_id, int | str):
                reply = answering.get()
                if attempt == 0 and reply is not None and reply.take(chat_id):
                    await self._chat_window(chat_id).acquire_at_once(self._margin)
                else:
                    await self._chat_window(chat_id).acquire()
            hook = before_request.get()
            if counted and hook is not None:
                # marked while at most MARKED_AHEAD sends wait for the overall window: the mark
                # is made while those ahead of it go, and it leaves at its own turn
                async with self._marked_ahead:
                    if not await hook():
                        raise RequestWithdrawn(endpoint)
                    await self._overall.acquire()
            elif counted:
                await self._overall.acquire()
            elif hook is not None and not await hook():
                raise RequestWithdrawn(endpoint)
            awaited = counted  # the overall window counts it until its answer
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if awaited:
                    awaited = False
                    self._overall.answered()
                if attempt == self._max_retries:
                    raise
                delay = exc.retry_after
                seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else delay
                log.warning("flood control: waiting %s s before %s", seconds, endpoint)
                self._flood_over.clear()
                try:
                    await asyncio.sleep(float(seconds) + 0.1)
                finally:
                    self._flood_over.set()
            finally:
                if awaited:
                    self._overall.answered()
        raise AssertionError("unreachable")  # pragma: no cover
