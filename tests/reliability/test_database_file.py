"""The SQLite file deleted under the running bot: it stops with one line, and never starts
again on a new empty database in its place (``goalbot db upgrade`` would make one on purpose).
The file made read-only: the bot refuses to start with one line, confirms nothing to Telegram,
and answers what waited once the permissions are put right.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from goalbot.config import load_config
from goalbot.services.catalogue import load_catalogue
from tests.conftest import Clock, make_context
from tests.e2e.bot_process import BotProcess, write_config
from tests.e2e.chat_steps import enrol
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
            f"goalbot: tietokantatiedosto {database} poistettiin botin ollessa käynnissä; "
            "botti pysähtyy"
        ), bot.output()
        assert not database.exists()  # nothing was written into a new empty file
        figures.crashes += bot.output(limit=None).count("Traceback")
        bot.process = None

        # started again (systemd would): it refuses, and makes no database
        bot.start_nowait()
        assert bot.process is not None and bot.process.wait(60) == 1
        assert last_line(bot).startswith(
            f"goalbot: tiedostossa {database} ei ole goalbotin tietokantaa"
        )
        assert not database.exists()
        figures.crashes += bot.output(limit=None).count("Traceback")
        bot.process = None
    figures.check()


def as_a_service_user() -> tuple[str, ...]:
    """What the bot runs under so that a read-only file is read-only to it, as it is to the
    service user it runs as in production (root writes any file)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root writes any file, and setpriv (util-linux) is not installed")
    return (setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--")


def test_the_database_file_made_read_only(botapi: FakeBotApi, tmp_path: Path) -> None:
    figures = Figures("database file read-only")
    config = write_config(tmp_path, botapi)
    ctx = make_context(load_config(config, env={}).database.url, Clock(datetime.now(UTC)))
    load_catalogue(ctx)
    owner = botapi.driver.create_user("Reino")
    enrol(ctx, owner, "rakennustarkastaja", "Reino Rakennustarkastaja")
    ctx.db.dispose()
    database = tmp_path / "goalbot.sqlite3"
    files = [p for p in tmp_path.glob("goalbot.sqlite3*")]

    def answers() -> int:
        return sum(m.content.startswith("Omat tavoitteesi") for m in owner.bot_messages())

    def make_read_only(read_only: bool) -> None:
        for path in files:
            path.chmod(0o444 if read_only else 0o644)
        tmp_path.chmod(0o555 if read_only else 0o755)

    bot = BotProcess(config, tmp_path, botapi.driver, prefix=as_a_service_user())
    try:
        with bot:
            bot.start()
            owner.send("/status")
            botapi.driver.wait_until_sync(lambda: answers() == 1, timeout=30)

            # made read-only under the running bot: what it holds open it goes on writing, or
            # it holds the input and says why; it never stops without a word
            make_read_only(True)
            owner.send("/status")
            botapi.driver.wait_until_sync(
                lambda: answers() == 2 or "is read-only" in bot.output(limit=None), timeout=30
            )
            assert not bot.exited(), bot.output()
            bot.kill()

            # started again (systemd would) on the read-only file: one line, nothing confirmed
            before = database.read_bytes()
            owner.send("/status")
            bot.start_nowait()
            assert bot.process is not None and bot.process.wait(60) == 1
            assert last_line(bot).startswith(
                f"goalbot: tiedosto {database} on kirjoitussuojattu: "
                "botti tallentaa jokaisen vastauksen"
            ), bot.output()
            figures.crashes += bot.output(limit=None).count("Traceback")
            bot.process = None
            assert database.read_bytes() == before
            assert botapi.driver.pending_updates >= 1  # Telegram keeps what was not stored

            # the permissions put right: it starts, and answers what waited
            make_read_only(False)
            waiting = answers()
            bot.start()
            botapi.driver.wait_until_sync(lambda: answers() > waiting, timeout=60)
            figures.crashes += bot.output(limit=None).count("Traceback")
    finally:
        make_read_only(False)
    figures.check()
