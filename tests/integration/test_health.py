"""What goalbot health makes of the heartbeat: each verdict and its one line."""

from __future__ import annotations

import pytest

from goalbot.reporting.rendering import render
from goalbot.services.context import AppContext
from goalbot.services.health import (
    STALE_AFTER,
    Instance,
    health_of,
    record_heartbeat,
    start_instance,
    stop_instance,
)
from goalbot.storage.instance import InstanceLock
from tests.conftest import Clock, make_context

pytestmark = pytest.mark.usefixtures("english_cli")


def line(ctx: AppContext) -> tuple[bool, str]:
    health = health_of(ctx)
    return health.healthy, render(
        "cli/health.txt.j2", "en", health=health, timezone=ctx.config.schedule.zone
    )


def test_each_verdict_of_the_heartbeat(migrated_url: str, clock: Clock) -> None:
    ctx = make_context(migrated_url, clock)
    try:
        assert line(ctx) == (False, "unhealthy: no bot has run on this database yet")
        lock = InstanceLock.acquire(ctx.db.engine)  # held as by a running bot
        instance = Instance("i-1", "palvelin", 4242, 123)
        start_instance(ctx, instance)
        healthy, text = line(ctx)
        assert healthy and text.startswith("healthy: the bot runs (pid 4242 on palvelin")
        # cut off from Telegram
        clock.advance(seconds=10)
        record_heartbeat(ctx, "i-1", False, clock.now, "httpx.ConnectError: refused")
        assert line(ctx) == (
            False,
            "unhealthy: the bot cannot reach Telegram since 15.6.2026 at 9.00: "
            "httpx.ConnectError: refused",
        )
        # a heartbeat that stops while the process lives: the bot hangs
        clock.advance(seconds=STALE_AFTER.total_seconds() + 1)
        healthy, text = line(ctx)
        assert not healthy and text.startswith("unhealthy: the bot (pid 4242 on palvelin)")
        assert text.endswith("s: it hangs")
        # the process is gone: its lock went with it
        stop_instance(ctx, "i-1")
        lock.release()
        clock.advance(seconds=1)
        healthy, text = line(ctx)
        assert not healthy
        assert text.startswith("unhealthy: the bot is not running (last stopped at 15.6.2026")
    finally:
        ctx.db.dispose()
