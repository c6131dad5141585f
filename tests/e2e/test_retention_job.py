"""The running bot applies the retention rules soon after it starts and then every day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from goalbot.chat.jobs import RETENTION_INTERVAL_SECONDS, RETENTION_JOB
from goalbot.services import inbox
from goalbot.services.context import AppContext
from goalbot.storage.models import InboxRow
from tests.conftest import Clock
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi


async def test_the_bot_applies_retention_daily(
    sqlite_ctx: AppContext, botapi: FakeBotApi, clock: Clock
) -> None:
    now = datetime(2027, 1, 20, 10, 0, tzinfo=UTC)
    clock.set(now - timedelta(days=5))
    inbox.store_received(sqlite_ctx, 7, "{}", "an-earlier-bot")
    inbox.finish(sqlite_ctx, 7)
    clock.set(now)
    ctx = with_telegram(sqlite_ctx, botapi)
    async with running_bot(ctx) as application:
        assert application.job_queue is not None
        (job,) = application.job_queue.get_jobs_by_name(RETENTION_JOB)
        trigger = job.job.trigger
        assert trigger.interval == timedelta(seconds=RETENTION_INTERVAL_SECONDS)
        await job.run(application)
    with ctx.unit_of_work() as uow:
        assert list(uow.session.scalars(select(InboxRow.update_id))) == []
