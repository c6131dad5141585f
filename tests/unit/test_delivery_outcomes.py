"""Where a request failed decides whether it may be tried again: before it left, or after."""

from __future__ import annotations

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from goalbot.chat.delivery import _failure
from goalbot.services.outbox import Outcome


def wrapped(error: TelegramError, cause: BaseException | None) -> TelegramError:
    """As PTB's HTTPXRequest raises it: the httpx exception as the cause."""
    error.__cause__ = cause
    return error


REQUEST = httpx.Request("POST", "https://api.telegram.org/botX/sendMessage")


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        # certainly before the request left: tried again
        (wrapped(NetworkError("httpx.ConnectError: refused"), httpx.ConnectError("x")), "u"),
        (wrapped(TimedOut(), httpx.ConnectTimeout("x")), "u"),
        (wrapped(TimedOut("Pool timeout"), httpx.PoolTimeout("x")), "u"),
        (NetworkError("Bad Gateway (502)"), "u"),  # Telegram answered: it took no effect
        # after it left: Telegram may have acted; never repeated
        (wrapped(TimedOut(), httpx.ReadTimeout("x")), "t"),
        (wrapped(TimedOut(), httpx.WriteTimeout("x")), "t"),
        (
            wrapped(
                NetworkError("httpx.RemoteProtocolError"),
                httpx.RemoteProtocolError("Server disconnected without sending a response."),
            ),
            "t",
        ),
        (wrapped(NetworkError("httpx.ReadError"), httpx.ReadError("x")), "t"),
        (wrapped(NetworkError("httpx.WriteError"), httpx.WriteError("x")), "t"),
        # answers
        (Forbidden("bot was blocked by the user"), "b"),
        (BadRequest("chat not found"), "r"),
        (RetryAfter(3), "f"),
    ],
)
def test_a_failure_is_judged_by_where_it_happened(error: TelegramError, outcome: str) -> None:
    expected = {
        "u": Outcome.UNREACHABLE,
        "t": Outcome.TIMED_OUT,
        "b": Outcome.BLOCKED,
        "r": Outcome.REFUSED,
        "f": Outcome.FLOOD,
    }[outcome]
    assert _failure(error) == expected
