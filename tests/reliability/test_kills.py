"""The real ``goalbot run`` process killed (SIGKILL) at random moments of a whole quarter.

During the reminders' fan-out, while the owners answer, and while the summary goes out, on
SQLite and on PostgreSQL: every owner gets exactly one reminder (one the bot could not know
about is reported to the administrators, who resend it), no answer the bot acknowledged is
lost or applied twice, and the summary is posted once, complete.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.conftest import postgres_database
from tests.fakes.botapi import FakeBotApi
from tests.reliability.campaign import quarter

pytestmark = [pytest.mark.slow, pytest.mark.reliability, pytest.mark.timeout(900)]
OWNERS = 40
# the summary is three parts and the table: a kill at each of its first three requests
KILLS = {"fan_out": 3, "answering": 7, "close": 3}  # 13 on each database, 26 in all


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_killed_at_random_moments_of_a_quarter(
    backend: str, botapi: FakeBotApi, tmp_path: Path
) -> None:
    with ExitStack() as stack:
        url = None if backend == "sqlite" else stack.enter_context(postgres_database())
        run = quarter(f"kills, {backend}", botapi, tmp_path, url, OWNERS, seed=11)
        with run.bot:
            run.fan_out(KILLS["fan_out"])
            # the reminders in flight at a kill are reported; the administrators resend those
            # that did not arrive (an owner without one cannot start)
            run.repair()
            run.answering(KILLS["answering"])
            run.close(KILLS["close"])
            run.repair()
            figures = run.count()
        figures.check(summaries=1)
        assert figures.kills == sum(KILLS.values())
