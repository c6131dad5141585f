"""Benchmark: how fast goalbot sends a round's reminders to many owners.

Starts the fake Bot API server and the real Application, binds N owners to copies of the
shipped catalogue's roles, opens a round and measures until every reminder is delivered.
Telegram allows about 30 messages a second overall: the figure to compare is messages/s as
a share of those 30 (goal: at least 95 %, with no limit broken), with the delivery job's
production interval unless ``--interval`` says otherwise; the median of ``--runs`` runs, with
min and max. Two rates: the pace (first reminder to last, at the server) and the whole
fan-out (from opening the round, including the delivery job's first run).

The bot runs as ``goalbot run`` in a process of its own (``--in-process``: inside this one, for
a profiler), and its resident memory after the round is that process's alone: not the fake
server's, which holds every owner and every request in this process.

In the same run, the baseline: a bare python-telegram-bot loop sending the same number of
messages through PTB's own ``AIORateLimiter`` (its defaults, 30 a second overall), to a fake
server of its own, as many at a time as its connection pool holds (all at once, 10,000
requests stalled waiting for a connection); its pace and the limits it broke.

    .venv/bin/python bench/send_reminders.py --owners 1000 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools
from collections import Counter
from contextlib import AsyncExitStack
from typing import Any

from sqlalchemy import func, select
from telegram.ext import AIORateLimiter, Application
from tests.conftest import Clock, make_context
from tests.e2e.bot_process import BotProcess, write_config
from tests.e2e.harness import UNFINISHED, running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi

from goalbot.chat.application import DELIVERY_INTERVAL_SECONDS
from goalbot.chat.ratelimit import TelegramLimits
from goalbot.domain.periods import Period
from goalbot.domain.protocol import SendStatus
from goalbot.scheduling.control import open_round_now
from goalbot.services import outbox
from goalbot.services.catalogue import load_catalogue
from goalbot.services.context import AppContext
from goalbot.services.owners import accept_invite, invite_owner, list_owners
from goalbot.storage.models import SendRow

DONE_METRIC = """
  [[goals.metrics]]
  key = "1"
  name = "Tehty"
  kind = "yes_no"
  baseline = { value = false }
  target = { rule = "done", value = true }
"""


def catalogue_with_roles(count: int, folder: Path, metrics: str = DONE_METRIC) -> Path:
    """The shipped catalogue plus ``count`` extra roles, each owning a copy of one goal.

    ``metrics``: the goal's metrics, as the catalogue's TOML has them (default one yes/no).
    """
    from goalbot.catalogues import shipped_catalogue_path

    text = shipped_catalogue_path().read_text(encoding="utf-8")
    extra = []
    for number in range(count):
        extra.append(f"""
[[roles]]
id = "bench-{number}"
name = "Vastuuhenkilö {number}"

[[goals]]
id = "BENCH-{number}"
tier = "area"
body = "tekninen-lautakunta"
department = "tekninen"
area = "rakennusvalvonta"
title = "Vertailutavoite {number}"
owner_role = "bench-{number}"
{metrics}""")
    path = folder / "bench.toml"
    head, goals = text.split(
        "# ================================================================= goals", 1
    )
    roles_end = head.index(
        "# ---------------------------------------------------------------- bodies"
    )
    roles = "".join(e.split("[[goals]]")[0] for e in extra)
    goal_tables = "".join("[[goals]]" + e.split("[[goals]]")[1] for e in extra)
    path.write_text(
        head[:roles_end] + roles + head[roles_end:] + goals + goal_tables, encoding="utf-8"
    )
    return path


def all_sent(ctx: AppContext, expected: int) -> bool:
    with ctx.unit_of_work() as uow:
        done = uow.session.scalars(
            select(func.count()).select_from(SendRow).where(SendRow.status == SendStatus.SENT)
        ).one()
    return done >= expected


def resident_mib(pid: int | str = "self", field: str = "VmRSS") -> float:
    """A process's resident memory now (``VmHWM``: its peak), in MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_chats(botapi: FakeBotApi, users: list[Any]) -> None:
    """The owners have started the bot (their private chats exist), without an update each
    for the bot to answer before the round."""
    state = botapi.driver.state
    with state.lock:
        for user in users:
            person = state.get_user(user.id)
            person.started = True
            state.private_chat(person)


def all_final(ctx: AppContext) -> bool:
    """Nothing left to deliver (the owners' command menus, queued when they joined)."""
    with ctx.unit_of_work() as uow:
        return not uow.session.scalars(
            select(SendRow.id).where(SendRow.status.in_(UNFINISHED)).limit(1)
        ).first()


def pace(times: list[float]) -> float:
    """Messages a second from the first to the last of ``times`` (the server's clock)."""
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


BARE_POOL = 256  # the bare loop's connections, and its requests at a time


async def bare_ptb_run(owners: int) -> tuple[float, int, int]:
    """A bare PTB bot sending ``owners`` messages through AIORateLimiter, as many at a time as
    its connection pool holds: its pace at the server, the rate violations the server saw,
    and the sends that failed."""
    with FakeBotApi() as botapi:
        users = [botapi.driver.create_user(f"Omistaja{number}") for number in range(owners)]
        open_chats(botapi, users)
        application = (
            Application.builder()
            .token(botapi.token)
            .base_url(botapi.base_url)
            .rate_limiter(AIORateLimiter())
            .connection_pool_size(BARE_POOL)
            .build()
        )
        async with application:
            text = "Kierros 4/2026 on alkanut"
            # all at once, 10,000 requests waited for a connection past any timeout: at most
            # a pool's worth is waiting in the limiter at a time
            at_a_time = asyncio.Semaphore(BARE_POOL)

            async def send(user_id: int) -> object:
                async with at_a_time:
                    return await application.bot.send_message(user_id, text)

            # a send that fails is counted, not raised
            results = await asyncio.gather(*(send(u.id) for u in users), return_exceptions=True)
        failed = sum(1 for result in results if isinstance(result, BaseException))
        times = sorted(
            r.time
            for r in botapi.driver.requests_for("sendMessage")
            if "alkanut" in str(r.params.get("text", ""))
        )
        return pace(times), len(botapi.driver.rate_violations), failed


async def one_run(owners: int, interval: float, in_process: bool) -> tuple[float, float, int, int]:
    """Reminders a second of one round's fan-out (the whole of it, and its pace at the
    server), the rate violations the server saw, and the owners never reminded plus the
    reminders sent twice."""
    with tempfile.TemporaryDirectory() as folder, FakeBotApi() as botapi:
        clock = Clock(datetime(2026, 12, 15, 7, 0, tzinfo=UTC))
        catalogue = catalogue_with_roles(owners, Path(folder))
        url = f"sqlite:///{folder}/bench.sqlite3"
        base = make_context(url, clock)
        load_catalogue(base, catalogue)
        ctx = with_telegram(base, botapi)
        users = [botapi.driver.create_user(f"Omistaja{number}") for number in range(owners)]
        open_chats(botapi, users)
        for number, user in enumerate(users):
            invite = invite_owner(ctx, f"bench-{number}", f"Omistaja {number}")
            accept_invite(ctx, invite.token, user.id)
        settle = 120 + owners / 20  # the owners' command menus go out first
        async with AsyncExitStack() as stack:
            if in_process:
                await stack.enter_async_context(
                    running_bot(ctx, delivery_interval=interval, limits=TelegramLimits())
                )
                pid = os.getpid()
            else:
                extra = f'[catalogue]\npath = "{catalogue}"\n'
                if interval != DELIVERY_INTERVAL_SECONDS:
                    print("--interval is for --in-process only: the process has its own")
                config = write_config(Path(folder), botapi, database_url=url, extra=extra)
                bot = stack.enter_context(BotProcess(config, Path(folder), botapi.driver))
                # a catalogue of 10,000 goals takes the bot a while to read at its start
                await asyncio.to_thread(bot.start, timeout=30 + owners / 50)
                assert bot.process is not None
                pid = bot.process.pid
            until = time.monotonic() + settle
            while not await asyncio.to_thread(all_final, ctx):
                assert time.monotonic() < until, "the owners' menus did not go out"
                await asyncio.sleep(0.2)
            await botapi.driver.wait_until_idle(quiet=0.5, timeout=settle)
            before = resident_mib(pid)
            cpu_before = cpu_seconds(pid)
            start = time.perf_counter()
            opened = open_round_now(ctx, Period(2026, 4))
            # poll the database, not the server: a busy check would slow the bot's own loop
            while not await asyncio.to_thread(all_sent, ctx, opened.reminders_queued):
                if await asyncio.to_thread(all_final, ctx):
                    break  # settled with reminders not sent: counted below as lost
                await asyncio.sleep(0.1)
            elapsed = time.perf_counter() - start
            cpu = cpu_seconds(pid) - cpu_before
            after_round, peak = resident_mib(pid), resident_mib(pid, "VmHWM")
        sent = opened.reminders_queued
        whose = (
            "this process: the bot, the fake server's thread and the bench's own owners"
            if in_process
            else "the bot's own process, goalbot run"
        )
        print(
            f"resident memory of the bot after the round: {after_round:.0f} MiB ({whose}; "
            f"{before:.0f} MiB before the round, peak {peak:.0f} MiB)"
        )
        print(
            f"owners: {owners}, reminders: {sent}, seconds: {elapsed:.2f}, "
            f"messages/s: {sent / elapsed:.1f} (Telegram's limit: 30/s overall), "
            f"processor time of the bot's process {1000 * cpu / max(sent, 1):.1f} ms a reminder"
        )
        times = sorted(
            r.time
            for r in botapi.driver.requests_for("sendMessage")
            if "alkanut" in str(r.params.get("text", ""))
        )
        gaps = [b - a for a, b in itertools.pairwise(times)]
        if gaps:
            print(
                f"first to last reminder at the server: {times[-1] - times[0]:.2f} s "
                f"({pace(times):.1f} a second), longest gap {max(gaps):.2f} s"
            )
        spans = [b - a for a, b in zip(times, times[30:], strict=False)]
        if spans:
            # Telegram's 30 a second: 31 reminders within less than a second break it
            print(f"shortest time 31 reminders in a row took at the server: {min(spans):.3f} s")
        violations = botapi.driver.rate_violations
        print(f"rate violations flagged by the fake server: {len(violations)}")
        for violation in violations[:3]:
            print("  ", violation)
        left = outbox.claim_due(ctx, "bench")
        print(f"left pending: {len(left)}; roles listed: {len(list_owners(ctx).roles)}")
        reached = Counter(
            int(r.params.get("chat_id", 0))
            for r in botapi.driver.requests_for("sendMessage")
            if "alkanut" in str(r.params.get("text", ""))
        )
        lost = sum(1 for user in users if not reached.get(user.id))
        duplicated = sum(n - 1 for n in reached.values() if n > 1)
        print(f"owners never reminded: {lost}; reminders sent twice: {duplicated}")
        ctx.db.dispose()
        return sent / elapsed, pace(times), len(violations), lost + duplicated


def share(rates: list[float]) -> str:
    shares = [rate / 30 for rate in rates]
    return (
        f"{statistics.median(rates):.1f} messages/s (min {min(rates):.1f}, max {max(rates):.1f}), "
        f"{statistics.median(shares):.0%} of 30/s (min {min(shares):.0%}, max {max(shares):.0%})"
    )


def cpu_seconds(pid: int) -> float:
    """The processor time a process has used so far (user and system), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def main(owners: int, runs: int, interval: float, in_process: bool) -> None:
    rates, paces, violations, wrong = [], [], [], []
    bare_paces, bare_violations, bare_failed = [], [], []
    for _ in range(runs):
        bare, broken, failed = await bare_ptb_run(owners)
        print(f"bare PTB AIORateLimiter loop: {bare:.1f} a second, {broken} rate violations")
        bare_failed.append(failed)
        bare_paces.append(bare)
        bare_violations.append(broken)
        rate, at_server, broken, missed = await one_run(owners, interval, in_process)
        wrong.append(missed)
        rates.append(rate)
        paces.append(at_server)
        violations.append(broken)
    print(f"{owners} owners, delivery every {interval} s, {runs} runs (goal: at least 95 %):")
    print(f"goalbot pace at the server: {share(paces)}, rate violations {max(violations)} at most")
    print(f"goalbot from the round's opening: {share(rates)}")
    print(f"goalbot owners lost or reminded twice: {max(wrong)} at most")
    print(
        f"bare PTB AIORateLimiter pace: {share(bare_paces)}, "
        f"rate violations {min(bare_violations)} to {max(bare_violations)}, "
        f"sends failed {min(bare_failed)} to {max(bare_failed)}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--interval", type=float, default=DELIVERY_INTERVAL_SECONDS)
    parser.add_argument(
        "--in-process", action="store_true", help="the bot inside this process (to profile it)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.owners, args.runs, args.interval, args.in_process))
