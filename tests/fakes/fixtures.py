"""pytest fixtures for the fake Telegram Bot API server (register via pytest_plugins)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.fakes.botapi import FakeBotApi


def invalid_call_report(api: FakeBotApi) -> str:
    """A readable list of what the bot did wrong (empty if nothing)."""
    driver = api.driver
    sections: list[str] = []
    if driver.errors and not api.invalid_calls_expected:
        sections.append(
            "invalid Bot API calls (the real Telegram would reject them):\n  "
            + "\n  ".join(str(e) for e in driver.errors)
        )
    if driver.unsupported_calls:
        sections.append(
            "calls of methods the fake server does not implement:\n  "
            + "\n  ".join(str(e) for e in driver.unsupported_calls)
        )
    if driver.internal_errors:
        sections.append(
            "answers of the fake server that break the spec:\n  "
            + "\n  ".join(driver.internal_errors)
        )
    return "\n".join(sections)


def assert_no_invalid_calls(api: FakeBotApi) -> None:
    """Fail if the bot made a call Telegram would reject as invalid."""
    errors = api.driver.errors
    if errors:
        raise AssertionError(
            "invalid Bot API calls (the real Telegram would reject them):\n  "
            + "\n  ".join(str(e) for e in errors)
        )


RUNNING: dict[str, FakeBotApi] = {}
"""The fake servers of the test running, by their ``base_url``."""


@pytest.fixture
def botapi_factory() -> Iterator[Callable[..., FakeBotApi]]:
    """Start fake servers with custom options (clock, rate limits, privacy mode...).

    Each is stopped after the test, and the test fails if the bot made invalid calls.
    """
    started: list[FakeBotApi] = []

    def make(**kwargs: Any) -> FakeBotApi:
        api = FakeBotApi(**kwargs)
        api.start()
        started.append(api)
        RUNNING[api.base_url] = api
        return api

    yield make
    reports: list[str] = []
    for api in started:
        RUNNING.pop(api.base_url, None)
        api.stop()
        report = invalid_call_report(api)
        if report:
            reports.append(report)
    if reports:
        pytest.fail("\n".join(reports), pytrace=False)


@pytest.fixture
def botapi(botapi_factory: Callable[..., FakeBotApi]) -> FakeBotApi:
    """A started fake Bot API server: .base_url, .token, .bot_username, .driver."""
    return botapi_factory()
