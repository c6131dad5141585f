"""Running ``goalbot sandbox`` for a test, and a person's steps on its web page (Playwright)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = REPO_ROOT / "tests" / "data" / "sandbox_catalogue.toml"
CHROMIUM = Path(os.environ.get("GOALBOT_TEST_CHROMIUM", "/usr/bin/chromium"))
# without these Chromium reaches for the network (updates, sync, field trials) at start
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("GOALBOT_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts"))
# "goalbot sandbox: avaa http://… selaimessa", in the town's language
READY = re.compile(r"goalbot sandbox: \S+ (http://\S+)")
START_TIMEOUT = 90.0
WAIT = 30_000  # milliseconds: what the bot does may wait for Telegram's pacing

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)",
)


class SandboxProcess:
    """``python -m goalbot sandbox`` in a process of its own, on a free port."""

    def __init__(self, folder: Path, *args: str) -> None:
        self.folder = folder
        self.args = args
        self.database = folder / "sandbox.sqlite3"
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.output: list[str] = []
        self._log: IO[str] | None = None
        self.starts = 0

    def start(self, *extra: str) -> str:
        """Start it and wait until it prints the page's address; returns the address."""
        assert self.process is None
        self.starts += 1
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOALBOT_")}
        env["PYTHONPATH"] = str(REPO_ROOT)
        command = [sys.executable, "-m", "goalbot", "sandbox", "--port", "0"]
        command += ["--database", str(self.database), *self.args, *extra]
        self._log = (self.folder / f"sandbox-{self.starts}.log").open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            command,
            cwd=self.folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        found = threading.Event()
        threading.Thread(target=self._read, args=(found,), daemon=True).start()
        if not found.wait(START_TIMEOUT) or not self.url:
            self.stop()
            raise AssertionError("the sandbox did not start:\n" + "".join(self.output[-40:]))
        return self.url

    def _read(self, found: threading.Event) -> None:
        process, log = self.process, self._log
        assert process is not None and process.stdout is not None and log is not None
        for line in process.stdout:
            self.output.append(line)
            log.write(line)
            log.flush()
            match = READY.search(line)
            if match:
                self.url = match.group(1)
                found.set()
        found.set()

    def stop(self) -> int:
        """Stop it as Ctrl-C or systemd would (SIGTERM); returns its exit code."""
        process = self.process
        if process is None:
            return 0
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait(10)
        self.process = None
        self.url = ""
        return code


@contextmanager
def running_sandbox(folder: Path, *args: str) -> Iterator[SandboxProcess]:
    sandbox = SandboxProcess(folder, *args)
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


def artefact_folder(name: str) -> Path:
    """Where a test keeps its screenshots and downloads (git-ignored test-artifacts/)."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ---- a person on the page ------------------------------------------------------------------


class Screen:
    """One browser tab on the sandbox's page, with screenshots kept in ``folder``."""

    def __init__(self, page: Any, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def shot(self, name: str) -> Path:
        path = self.folder / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def open_chat(self, label: str) -> None:
        """Click the person or group whose list entry shows ``label``."""
        self.page.locator(".chat-item", has_text=label).first.click()
        self.page.wait_for_selector("#messages:not([hidden])")

    def bot_messages(self) -> Any:
        return self.page.locator("#messages .message.from-bot")

    def bot_count(self) -> int:
        return int(self.bot_messages().count())

    def wait_for_bot(self, text: str, *, after: int = 0) -> str:
        """The text of the first bot message after the first ``after`` that shows ``text``."""
        messages = self.bot_messages()
        self.page.wait_for_function(
            """([after, text]) => [...document.querySelectorAll('#messages .message.from-bot')]
                .slice(after).some((m) => m.innerText.includes(text))""",
            arg=[after, text],
            timeout=WAIT,
        )
        for index in range(after, int(messages.count())):
            content = str(messages.nth(index).inner_text())
            if text in content:
                return content
        raise AssertionError(f"no bot message with {text!r}")

    def next_bot_message(self, after: int) -> str:
        """The text of the bot's next message once it has arrived."""
        self.page.wait_for_function(
            "(n) => document.querySelectorAll('#messages .message.from-bot').length > n",
            arg=after,
            timeout=WAIT,
        )
        return str(self.bot_messages().nth(after).inner_text())

    def type(self, text: str) -> None:
        self.page.fill("#text", text)
        self.page.press("#text", "Enter")
        self.page.wait_for_function("() => document.querySelector('#text').value === ''")

    def press(self, label: str) -> None:
        """Press a button of the bot's latest message that has buttons."""
        message = self.page.locator("#messages .message.from-bot:has(.keyboard)").last
        message.locator("button.key", has_text=label).first.click()

    def panel_action(self, action: str, value: str | None = None) -> None:
        if value is not None:
            self.page.fill(f"input[data-action={action}]", value)
        self.page.click(f"button[data-action={action}]")

    def wait_for_notice(self, text: str) -> str:
        notice = self.page.locator("#panel .banner.info", has_text=text)
        notice.wait_for(timeout=120_000)
        return str(notice.inner_text())
