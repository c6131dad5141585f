"""Benchmark: updates per second with one, two and three ``goalbot run`` on one PostgreSQL
database in webhook mode, and how long a standby takes to lead when the leader is killed.

Each run is a fresh database with ``--owners`` owners, the fake Bot API server posting to a
round-robin proxy in front of the processes (as nginx would be), and the Q4/2026 round opened.
Then every owner presses the reminder's start button at once, and then "Kyllä" on the first
question: updates per second is those presses divided by the seconds until the last owner had
the bot's answer to each (the bot's sends are paced to Telegram's limits: about 30 messages a
second per process). Then the leader is SIGKILLed ``--kills`` times; takeover is the seconds
from the kill until a standby holds the leader lock.

    GOALBOT_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1/test \\
        .venv/bin/python bench/instances.py --owners 200 --kills 3
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import POSTGRES_URL_ENV, postgres_database
from tests.e2e.chat_steps import REMINDER, START
from tests.fakes.botapi import FakeBotApi, UserHandle
from tests.reliability.campaign import HEADER, RECAP, quarter
from tests.reliability.cluster import Clusters

from bench.figures import spread

SECRET = "bench-instances_secret"
PATH = "/goalbot/telegram"


def everyone(people: list[UserHandle], shows: Callable[[str], bool]) -> bool:
    """Whether the last message of the bot in each person's chat ``shows`` what is awaited."""
    for user in people:
        last = user.last_bot_message()
        if last is None or not shows(last.content):
            return False
    return True


def wait(condition: Callable[[], bool], what: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not done in {timeout} s")
        time.sleep(0.05)


def measure(instances: int, owners: int, kills: int, folder: Path) -> tuple[float, list[float]]:
    """(updates per second, takeover seconds) of one cluster of ``instances`` processes."""
    with ExitStack() as stack:
        clusters = stack.enter_context(Clusters(instances, PATH, SECRET))
        botapi = stack.enter_context(FakeBotApi())
        botapi.invalid_calls_expected = True
        url = stack.enter_context(postgres_database())
        run = quarter(
            f"{instances}", botapi, folder, url, owners, seed=1, figures=False, bots=clusters
        )
        cluster = clusters.cluster
        stack.enter_context(cluster)
        run.fan_out(0)
        people = [o.user for o in run.owners]
        started = time.monotonic()
        for user in people:
            reminder = next(m for m in user.bot_messages() if REMINDER in m.content)
            user.press(START, message_id=reminder.message_id)

        wait(lambda: everyone(people, lambda text: bool(HEADER.search(text))), "questions")
        for user in people:
            last = user.last_bot_message()
            assert last is not None
            user.press("Kyllä", message_id=last.message_id)
        wait(lambda: everyone(people, lambda text: RECAP in text), "the recaps")
        rate = 2 * owners / (time.monotonic() - started)
        if instances > 1:
            for _ in range(kills):
                cluster.kill()
                cluster.start()
        return rate, cluster.takeovers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--kills", type=int, default=3, help="leader kills per cluster")
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    if not os.environ.get(POSTGRES_URL_ENV):
        raise SystemExit(f"set {POSTGRES_URL_ENV} to a PostgreSQL server's database")
    for count in args.instances:
        with tempfile.TemporaryDirectory() as folder:
            rate, takeovers = measure(count, args.owners, args.kills, Path(folder))
        takeover = spread(takeovers, " s") if takeovers else "-"
        print(
            f"{count} instance(s), {args.owners} owners: {rate:.1f} updates/s; takeover {takeover}"
        )


if __name__ == "__main__":
    main()
