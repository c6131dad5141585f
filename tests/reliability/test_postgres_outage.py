"""PostgreSQL stopped for 20 seconds under the running bot, twice: during the reminders'
fan-out and while the owners answer (a server of the test's own, never the shared one).

The sends queued when it went away go out once it is back, without a restart; what the
owners typed meanwhile waits at Telegram and is applied; nothing is sent twice or lost, and
the outage is one warning and one recovery in the log, not a traceback per retry.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from goalbot.scheduling.control import open_round_now
from tests.e2e.chat_steps import Q4
from tests.fakes.botapi import FakeBotApi
from tests.own_postgres import OwnPostgres
from tests.reliability.campaign import Quarter, quarter

pytestmark = [
    pytest.mark.slow,
    pytest.mark.reliability,
    pytest.mark.postgres,
    pytest.mark.timeout(600),
]
OWNERS = 40
OUTAGE_SECONDS = 20
DB_OUTAGE = "the database cannot be reached"
DB_RECOVERY = "the database reachable again"


def outage(run: Quarter, server: OwnPostgres, owners: bool) -> None:
    """The server stops; the owners go on pressing and typing (the test touches no database
    meanwhile); it starts again."""
    server.stop()
    until = time.monotonic() + OUTAGE_SECONDS
    while time.monotonic() < until:
        if owners:
            for owner in run.owners:
                owner.step(time.monotonic())
        time.sleep(0.2)
    server.start()


def test_postgres_stopped_and_started_under_the_running_bot(
    botapi: FakeBotApi, tmp_path: Path, own_postgres: OwnPostgres
) -> None:
    server = own_postgres
    run = quarter("postgres outage", botapi, tmp_path, server.url, OWNERS, seed=30)
    with run.bot:

        def reminded() -> int:
            return sum(run.reminders(o) > 0 for o in run.owners)

        open_round_now(run.ctx, Q4)
        run.driver.wait_until_sync(lambda: reminded() > 0, timeout=60)
        outage(run, server, owners=False)  # in the middle of the fan-out
        run.run_until(lambda: run.settled("reminder"), timeout=120)

        def halfway() -> bool:
            return sum(o.done for o in run.owners) >= OWNERS // 4

        run.run_until(halfway, timeout=300, owners=True)
        outage(run, server, owners=True)
        run.answering(0)
        run.close(0)
        run.repair()
        figures = run.count()
        log = run.bot.output(limit=None)
    assert run.bot.starts == 1  # no restart was needed
    figures.check(summaries=1)
    assert log.count(DB_OUTAGE) == 2 and log.count(DB_RECOVERY) == 2, log
