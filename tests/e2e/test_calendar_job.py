"""The calendar's job sets the one job for the next event after every run."""

from __future__ import annotations

from datetime import UTC, datetime

from goalbot.chat.jobs import NEXT_EVENT_JOB, run_calendar_now
from goalbot.scheduling.runner import round_plans
from goalbot.services.context import AppContext
from tests.conftest import Clock
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi


async def test_each_run_of_the_calendar_sets_the_job_for_its_next_event(
    sqlite_ctx: AppContext, botapi: FakeBotApi, clock: Clock
) -> None:
    clock.set(datetime(2027, 1, 20, 10, 0, tzinfo=UTC))  # between Q4/2026's close and Q1's open
    ctx = with_telegram(sqlite_ctx, botapi)
    coming = sorted(
        e.due_at
        for plan in round_plans(ctx, clock.now)
        for e in plan.events
        if e.due_at > clock.now
    )
    async with running_bot(ctx) as application:
        assert application.job_queue is not None
        assert application.job_queue.get_jobs_by_name(NEXT_EVENT_JOB) == ()
        await run_calendar_now(application)
        (job,) = application.job_queue.get_jobs_by_name(NEXT_EVENT_JOB)
        assert job.next_t == coming[0]  # the opening of Q1/2027's round

        # the next run replaces the job rather than adding one
        await run_calendar_now(application)
        jobs = application.job_queue.get_jobs_by_name(NEXT_EVENT_JOB)
        assert [j.next_t for j in jobs] == [coming[0]]
