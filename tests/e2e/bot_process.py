"""``goalbot run`` in a process of its own, killed without warning, and started again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from tests.fakes.botapi import Driver, FakeBotApi

REPO_ROOT = Path(__file__).resolve().parents[2]
POLL_TIMEOUT = 20
START_TIMEOUT = 30.0


class BotProcess:
    """``python -m goalbot run`` in a process of its own, killed without warning on demand."""

    def __init__(
        self,
        config: Path,
        logs: Path,
        driver: Driver,
        env: dict[str, str] | None = None,
        name: str = "bot",
        prefix: tuple[str, ...] = (),
    ) -> None:
        self.config = config
        self.extra_env = env or {}
        self.logs = logs
        self.driver = driver
        self.name = name  # its logs are <name>-<start>.log
        self.prefix = prefix  # a command the bot runs under (e.g. with fewer privileges)
        self.process: subprocess.Popen[bytes] | None = None
        self.log: IO[bytes] | None = None
        self.starts = 0

    def start(
        self, ready: Callable[[], bool] | None = None, timeout: float = START_TIMEOUT
    ) -> None:
        """Start the bot and wait until it polls for updates (or until ``ready()``)."""
        polls = len(self.driver.requests_for("getUpdates"))
        self.start_nowait()
        started = ready or (lambda: len(self.driver.requests_for("getUpdates")) > polls)
        self.driver.wait_until_sync(
            lambda: started() or self.exited(), timeout=timeout, message=self.output
        )
        assert not self.exited(), self.output()

    def start_nowait(self) -> None:
        """Start the bot process."""
        assert self.process is None
        self.starts += 1
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOALBOT_")}
        env["PYTHONPATH"] = str(REPO_ROOT)
        env.update(self.extra_env)
        self.log = (self.logs / f"{self.name}-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [*self.prefix, sys.executable, "-m", "goalbot", "--config", str(self.config), "run"],
            env=env,
            cwd=REPO_ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def kill(self) -> None:
        """SIGKILL: no clean-up, no last getUpdates to confirm what was received."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.process = None
        if self.log is not None:
            self.log.close()

    def stop(self) -> None:
        if self.process is not None:
            self.kill()

    def __enter__(self) -> BotProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        """Stop the bot; a failed test shows what the bot logged."""
        if kind is not None:
            print(self.output())
        self.stop()

    def output(self, limit: int | None = 4000) -> str:
        """What each start of the bot logged (the last ``limit`` characters of each)."""
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-(limit or 0) :]}"
            for path in sorted(self.logs.glob(f"{self.name}-*.log"))
        )


def write_config(
    folder: Path,
    botapi: FakeBotApi,
    *,
    database_url: str | None = None,
    read_timeout: float = 5.0,
    admins: tuple[int, ...] = (),
    management_chat_id: int | None = None,
    extra: str = "",
) -> Path:
    """A config file for the bot process: the fake server, a database (SQLite by default)."""
    path = folder / "goalbot.toml"
    url = database_url or f"sqlite:///{folder / 'goalbot.sqlite3'}"
    path.write_text(
        f"""
[telegram]
token = "{botapi.token}"
base_url = "{botapi.base_url}"
poll_timeout = {POLL_TIMEOUT}
connect_timeout = 5.0
read_timeout = {read_timeout}
admins = [{", ".join(str(a) for a in admins)}]
{f"management_chat_id = {management_chat_id}" if management_chat_id is not None else ""}

[database]
url = "{url}"

[schedule]
nudge_every_working_days = 0
{extra}
""",
        encoding="utf-8",
    )
    return path
