"""A poll left behind when the database's outage stopped the updater is not logged as a crash."""

from __future__ import annotations

import asyncio
import logging

import pytest

from goalbot.chat.application import _outage_not_a_crash
from goalbot.chat.inbox import InboxUnavailable


def test_a_poll_that_could_not_keep_its_updates_is_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = asyncio.new_event_loop()
    try:
        caplog.set_level(logging.DEBUG)
        context = {
            "message": "Task exception was never retrieved",
            "exception": InboxUnavailable("update 1 could not be kept (OperationalError)"),
        }
        _outage_not_a_crash(loop, context)
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        # anything else still goes to asyncio's own handler, traceback and all
        _outage_not_a_crash(loop, {"message": "boom", "exception": RuntimeError("boom")})
        assert [r for r in caplog.records if r.levelno >= logging.ERROR]
    finally:
        loop.close()
