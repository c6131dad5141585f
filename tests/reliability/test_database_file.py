"""The SQLite file deleted under the running bot: it stops with one line, and never starts
again on a new empty database in its place (``goalbot db upgrade`` would make one on purpose).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from goalbot.config import load_config
from tests.conftest import Clock, make_context
from tests.e2e.bot_process import BotProcess, write_config
from tests.fakes.botapi import FakeBotApi
from tests.reliability.figures import Figures

pytestmark = [pytest.mark.slow, pytest.mark.reliability]


def last_line(bot: BotProcess) -> str:
    return bot.output(limit=None).strip().splitlines()[-1]


def test_the_database_file_deleted_while_the_bot_runs(botapi: FakeBotApi, tmp_path: Path) -> None:
    figures = Figures("database file deleted")
    config = write_config(tmp_path, botapi)
    url = load_config(config, env={}).database.url
    make_context(url, Clock(datetime.now(UTC))).db.dispose()  # 'goalbot db upgrade'
    database = tmp_path / "goalbot.sqlite3"
    bot = BotProcess(config, tmp_path, botapi.driver)
    with bot:
        bot.start()
        for path in tmp_path.glob("goalbot.sqlite3*"):
            if not path.name.endswith(".lock"):
                path.unlink()
        deadline = time.monotonic() + 60
        while not bot.exited():
            assert time.monotonic() < deadline, bot.output()
            time.sleep(0.3)
        assert bot.process is not None and bot.process.returncode == 1
        assert last_line(bot).startswith(
            f"goalbot: the database file {database} was deleted while the bot ran; stopping"
        ), bot.output()
        assert not database.exists()  # nothing was written into a new empty file
        figures.crashes += bot.output(limit=None).count("Traceback")
        bot.process = None

        # started again (systemd would): it refuses, and makes no database
        bot.start_nowait()
        assert bot.process is not None and bot.process.wait(60) == 1
        assert last_line(bot).startswith(f"goalbot: no goalbot database at {database}")
        assert not database.exists()
        figures.crashes += bot.output(limit=None).count("Traceback")
        bot.process = None
    figures.check()
