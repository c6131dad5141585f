"""The bot as an operator runs it: health, an outage of Telegram, one bot per database, systemd.

The real ``goalbot run`` process against the fake Bot API server; the server is stopped and
started again on the same port, as a Telegram that could not be reached for a while.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from goalbot.cli import EXIT_ALREADY_RUNNING, main
from goalbot.config import load_config
from tests.conftest import Clock, make_context
from tests.e2e.test_restart import REPO_ROOT, BotProcess
from tests.fakes.botapi import FakeBotApi

OUTAGE = "Telegram cannot be reached"
RECOVERY = "Telegram reachable again"


def write_config(folder: Path, botapi: FakeBotApi) -> Path:
    path = folder / "goalbot.toml"
    path.write_text(
        f'[telegram]\ntoken = "{botapi.token}"\nbase_url = "{botapi.base_url}"\n'
        "poll_timeout = 2\nconnect_timeout = 2.0\nread_timeout = 3.0\n"
        f'[database]\nurl = "sqlite:///{folder / "goalbot.sqlite3"}"\n',
        encoding="utf-8",
    )
    # the database exists (goalbot health never creates one)
    make_context(load_config(path, env={}).database.url, Clock(datetime.now(UTC))).db.dispose()
    return path


def health(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, str]:
    code = main(["--config", str(config), "health"])
    out, err = capsys.readouterr()
    lines = (out + err).strip().splitlines()
    assert len(lines) == 1, lines
    return code, lines[0]


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.2)


def log_of(bot: BotProcess) -> str:
    return "".join(p.read_text(errors="replace") for p in sorted(bot.logs.glob("bot-*.log")))


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A socket where systemd would listen for sd_notify's datagrams."""
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(15)
    yield sock, path
    sock.close()


@pytest.mark.slow
def test_health_through_a_telegram_outage_and_a_stop(
    botapi: FakeBotApi,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    notify_socket: tuple[socket.socket, str],
) -> None:
    config = write_config(tmp_path, botapi)
    code, line = health(capsys, config)
    assert code == 1 and line == "unhealthy: no bot has run on this database yet"

    sock, address = notify_socket
    env = {"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "4000000"}
    bot = BotProcess(config, tmp_path, botapi.driver, env=env)
    try:
        bot.start()
        # systemd (Type=notify) hears that the bot is ready, then the watchdog's beats
        messages = [sock.recv(4096).decode() for _ in range(2)]
        assert "READY=1" in messages[0] and messages[1] == "WATCHDOG=1"
        wait_for(lambda: health(capsys, config)[0] == 0, 20, "a healthy bot")
        assert health(capsys, config)[1].startswith("healthy: the bot runs (pid ")

        botapi.stop()  # Telegram is gone
        wait_for(lambda: OUTAGE in log_of(bot), 30, "the outage to be logged")
        wait_for(lambda: health(capsys, config)[0] == 1, 30, "health to notice the outage")
        code, line = health(capsys, config)
        assert line.startswith("unhealthy: the bot cannot reach Telegram since "), line
        time.sleep(6)  # a few retries of the poller and of the deliveries, each unlogged
        assert log_of(bot).count(OUTAGE) == 1

        botapi.start()  # and back, on the same port
        wait_for(lambda: RECOVERY in log_of(bot), 40, "the recovery to be logged")
        wait_for(lambda: health(capsys, config)[0] == 0, 30, "a healthy bot again")
        assert not bot.exited()
    except BaseException:
        print(bot.output())
        raise
    finally:
        if bot.process is not None:
            bot.process.send_signal(signal.SIGTERM)
            bot.process.wait(30)
            bot.process = None

    log = log_of(bot)
    assert log.count(OUTAGE) == 1 and log.count(RECOVERY) == 1, log
    assert "Traceback" not in log and " ERROR " not in log, log
    assert botapi.token not in log
    code, line = health(capsys, config)
    assert code == 1 and re.match(r"unhealthy: the bot is not running \(last stopped at ", line)


@pytest.mark.slow
def test_a_second_bot_on_the_same_database_refuses_in_one_line(
    botapi: FakeBotApi, tmp_path: Path
) -> None:
    config = write_config(tmp_path, botapi)
    bot = BotProcess(config, tmp_path, botapi.driver)
    try:
        bot.start()
        second = subprocess.run(
            [sys.executable, "-m", "goalbot", "--config", str(config), "run"],
            env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == EXIT_ALREADY_RUNNING
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert lines[0].startswith("goalbot: another goalbot is already running on this database")
        assert f"(pid {bot.process.pid if bot.process else 0} on " in lines[0]
        assert not bot.exited()
    finally:
        bot.stop()
