"""Two first starts at once on one database: one bot runs, nothing crashes on a duplicate key.

``goalbot db upgrade`` twice at the same moment on an empty database, then two ``goalbot run``
and two commands that load the catalogue at the same moment: the migrations and the catalogue
are made once, one bot polls; on SQLite the other refuses in one line (another bot holds the
database), on PostgreSQL it stands by (and takes over when the first one stops).
"""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from goalbot.cli import EXIT_ALREADY_RUNNING
from tests.conftest import postgres_database
from tests.e2e.bot_process import REPO_ROOT, write_config
from tests.fakes.botapi import FakeBotApi
from tests.reliability.figures import Figures

pytestmark = [pytest.mark.slow, pytest.mark.reliability, pytest.mark.timeout(600)]
ROUNDS = {"sqlite": 1, "postgresql": 3}


def goalbot(config: Path, *args: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "goalbot", "--config", str(config), *args],
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def wait_all(processes: list[subprocess.Popen[bytes]], timeout: float = 60) -> list[int]:
    return [p.wait(timeout) for p in processes]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_first_starts_at_once(backend: str, botapi: FakeBotApi, tmp_path: Path) -> None:
    figures = Figures(f"two first starts, {backend}")
    for number in range(ROUNDS[backend]):
        folder = tmp_path / str(number)
        folder.mkdir()
        with ExitStack() as stack:
            url = (
                f"sqlite:///{folder / 'goalbot.sqlite3'}"
                if backend == "sqlite"
                else stack.enter_context(postgres_database())
            )
            config = write_config(folder, botapi, database_url=url)
            logs = [folder / f"{name}.log" for name in ("up1", "up2", "run1", "run2", "ls1", "ls2")]
            upgrades = [goalbot(config, "db", "upgrade", log=log) for log in logs[:2]]
            assert wait_all(upgrades) == [0, 0], [log.read_text() for log in logs[:2]]
            polls = len(botapi.driver.requests_for("getUpdates"))
            bots = [goalbot(config, "run", log=log) for log in logs[2:4]]
            shows = [goalbot(config, "catalogue", "show", log=log) for log in logs[4:]]
            try:
                assert wait_all(shows) == [0, 0], [log.read_text() for log in logs[4:]]
                deadline = time.monotonic() + 60
                if backend == "postgresql":
                    while not (
                        any("stands by" in log.read_text() for log in logs[2:4])
                        and len(botapi.driver.requests_for("getUpdates")) > polls
                    ):
                        assert time.monotonic() < deadline, [log.read_text() for log in logs]
                        time.sleep(0.2)
                    time.sleep(1)
                    assert [b.poll() for b in bots] == [None, None]
                    leading = [log for log in logs[2:4] if "leads now" in log.read_text()]
                    assert len(leading) == 1, [log.read_text() for log in logs]
                else:
                    while not (
                        any(b.poll() is not None for b in bots)
                        and len(botapi.driver.requests_for("getUpdates")) > polls
                    ):
                        assert time.monotonic() < deadline, [log.read_text() for log in logs]
                        time.sleep(0.2)
                    time.sleep(1)  # the one that runs keeps running
                    codes = [b.poll() for b in bots]
                    assert sorted(codes, key=str) == [EXIT_ALREADY_RUNNING, None], codes
                    refused = logs[2 + codes.index(EXIT_ALREADY_RUNNING)].read_text().strip()
                    assert len(refused.splitlines()) == 1, refused
                    assert "toinen goalbot on jo käynnissä tällä tietokannalla" in refused
            finally:
                for bot in bots:
                    if bot.poll() is None:
                        bot.kill()
                        bot.wait(10)
            output = "".join(log.read_text(errors="replace") for log in logs)
            figures.crashes += output.count("Traceback") + output.count("duplicate key")
            figures.kills += 1
    figures.check()
