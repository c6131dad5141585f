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
from tests.e2e.bot_process import REPO_ROOT, BotProcess
from tests.fakes.botapi import FakeBotApi
from tests.own_postgres import OwnPostgres

OUTAGE = "Telegram cannot be reached"
RECOVERY = "Telegram reachable again"
DB_OUTAGE = "the database cannot be reached"
DB_RECOVERY = "the database reachable again"


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


def live_through_an_outage(
    bot: BotProcess,
    check_health: Callable[[], tuple[int, str]],
    lose: Callable[[], None],
    restore: Callable[[], object],
    messages: tuple[str, str],
    while_lost: Callable[[], None] = lambda: None,
) -> str:
    """A started bot loses a service and gets it back; its log then (also checked here)."""
    started, ended = messages
    try:
        wait_for(lambda: check_health()[0] == 0, 30, "a healthy bot")
        lose()
        wait_for(lambda: started in log_of(bot), 40, f"{started!r} in the log")
        while_lost()
        time.sleep(6)  # the poller, deliveries, the calendar and the heartbeat retry meanwhile
        assert log_of(bot).count(started) == 1
        restore()
        wait_for(lambda: ended in log_of(bot), 40, f"{ended!r} in the log")
        wait_for(lambda: check_health()[0] == 0, 30, "a healthy bot again")
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
    assert log.count(started) == 1 and log.count(ended) == 1, log
    assert "Traceback" not in log and " ERROR " not in log, log
    return log


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
    assert code == 1 and line == "ei kunnossa: tällä tietokannalla ei ole vielä ajettu bottia"

    sock, address = notify_socket
    env = {"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "4000000"}
    bot = BotProcess(config, tmp_path, botapi.driver, env=env)
    bot.start()
    try:
        # systemd (Type=notify) hears that the bot is ready, then the watchdog's beats
        messages = [sock.recv(4096).decode() for _ in range(2)]
        assert "READY=1" in messages[0] and messages[1] == "WATCHDOG=1"
    except BaseException:
        bot.stop()
        raise

    def cut_off() -> None:
        wait_for(lambda: health(capsys, config)[0] == 1, 30, "health to notice the outage")
        line = health(capsys, config)[1]
        assert line.startswith("ei kunnossa: botti ei saa yhteyttä Telegramiin "), line

    log = live_through_an_outage(
        bot,
        lambda: health(capsys, config),
        botapi.stop,  # Telegram is gone
        botapi.start,  # and back, on the same port
        (OUTAGE, RECOVERY),
        while_lost=cut_off,
    )
    assert botapi.token not in log
    code, line = health(capsys, config)
    assert code == 1 and re.match(r"ei kunnossa: botti ei ole käynnissä \(pysähtyi ", line)


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
        # in the town's language, Finnish by default, as the administrator reads it
        assert lines[0].startswith("goalbot: toinen goalbot on jo käynnissä tällä tietokannalla")
        assert f"(pid {bot.process.pid if bot.process else 0} koneella " in lines[0]
        assert not bot.exited()
    finally:
        bot.stop()


@pytest.mark.slow
@pytest.mark.postgres
def test_losing_the_database_is_one_warning_and_one_recovery(
    botapi: FakeBotApi,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    own_postgres: OwnPostgres,
) -> None:
    config = tmp_path / "goalbot.toml"
    config.write_text(
        f'[telegram]\ntoken = "{botapi.token}"\nbase_url = "{botapi.base_url}"\n'
        "poll_timeout = 2\nconnect_timeout = 2.0\nread_timeout = 3.0\n"
        f'[database]\nurl = "{own_postgres.url}"\n',
        encoding="utf-8",
    )
    make_context(own_postgres.url, Clock(datetime.now(UTC))).db.dispose()  # 'db upgrade'
    bot = BotProcess(config, tmp_path, botapi.driver)
    bot.start()
    # afterwards it holds the database again: health needs the instance lock
    live_through_an_outage(
        bot,
        lambda: health(capsys, config),
        own_postgres.stop,
        own_postgres.start,
        (DB_OUTAGE, DB_RECOVERY),
    )


@pytest.mark.slow
def test_two_bots_polling_with_one_token_leave_one_polling(
    botapi: FakeBotApi, tmp_path: Path
) -> None:
    """Each with a database of its own: Telegram tells one its poll was taken over."""
    bots = []
    for name in ("first", "second"):
        folder = tmp_path / name
        folder.mkdir()
        bots.append(BotProcess(write_config(folder, botapi), folder, botapi.driver))
    try:
        bots[0].start()
        bots[1].start_nowait()
        wait_for(lambda: any(b.exited() for b in bots), 60, "one of the two to stop")
        stopped = next(b for b in bots if b.exited())
        running = next(b for b in bots if b is not stopped)
        assert stopped.process is not None
        assert stopped.process.wait(10) == EXIT_ALREADY_RUNNING
        last = log_of(stopped).strip().splitlines()[-1]
        assert last.startswith("goalbot: toinen ohjelma kysyy Telegramilta tämän botin tunnuksella")
        assert "Traceback" not in log_of(stopped)
        time.sleep(3)
        assert not running.exited(), running.output()
    finally:
        for bot in bots:
            if bot.process is not None and not bot.exited():
                bot.stop()
