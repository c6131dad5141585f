"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from goalbot.services.context import AppContext
from tests.conftest import Clock
from tests.e2e.harness import with_telegram
from tests.fakes.botapi import FakeBotApi


@pytest.fixture
def q4_ctx(sqlite_ctx: AppContext, clock: Clock, botapi: FakeBotApi) -> AppContext:
    """A database with the catalogue, the clock in the Q4/2026 round, the bot at the fake."""
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    return with_telegram(sqlite_ctx, botapi)
