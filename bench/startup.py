"""Benchmark: how fast goalbot starts, and how much memory it holds when it has.

Each figure is measured in the same run as its baseline, as a whole process:

- ``goalbot --help`` against ``python -c pass`` (the interpreter's own start): CPU seconds
  (user + system) of each, and the difference, goalbot's own time;
- ``goalbot run`` on a fresh SQLite database against the fake Bot API server: seconds from
  the start of the process to its first ``getUpdates``, and its resident memory then, against
  a bare python-telegram-bot bot polling the same server.

    .venv/bin/python bench/startup.py --runs 5 --postgres   # SQLite, then PostgreSQL too

Every figure is the median of the runs, with min and max; one run of each before them, not
counted, compiles the modules (kept, as an installed goalbot has them).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import postgres_database
from tests.fakes.botapi import FakeBotApi

from bench.figures import spread

REPO = Path(__file__).resolve().parents[1]
ECHO_BOT = """
import sys
from telegram.ext import Application, MessageHandler, filters

async def echo(update, context):
    await update.effective_message.reply_text(update.effective_message.text)

app = Application.builder().token(sys.argv[1]).base_url(sys.argv[2]).build()
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling(timeout=1)
"""


def cpu_seconds(command: list[str]) -> float:
    """User plus system seconds of one run of ``command``."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, _status, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def rss_mib(pid: int) -> float:
    """The resident memory of a running process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def until_first_poll(
    botapi: FakeBotApi, command: list[str], env: dict[str, str]
) -> tuple[float, float]:
    """Seconds from starting ``command`` to its first getUpdates, and its memory then (MiB)."""
    polls = len(botapi.driver.requests_for("getUpdates"))
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO
    )
    try:
        botapi.driver.wait_until_sync(
            lambda: len(botapi.driver.requests_for("getUpdates")) > polls, timeout=60
        )
        seconds = time.perf_counter() - started
        return seconds, rss_mib(process.pid)
    finally:
        process.kill()
        process.wait()


def main(runs: int, postgres: bool) -> None:
    python = sys.executable
    helps, bare = [], []
    for _ in range(runs):
        helps.append(cpu_seconds([python, "-m", "goalbot", "--help"]))
        bare.append(cpu_seconds([python, "-c", "pass"]))
    own = [h - b for h, b in zip(helps, bare, strict=True)]
    print(f"goalbot --help    CPU s: {spread(helps)}")
    print(f"python -c pass    CPU s: {spread(bare)}")
    print(f"goalbot's own     CPU s: {spread(own)}  (goal: under 0.3)")

    env = {k: v for k, v in os.environ.items() if not k.startswith("GOALBOT_")}
    env["PYTHONPATH"] = str(REPO)
    # compiled modules kept, as an installed goalbot has them (a shell that says not to write
    # them would otherwise have each start compile goalbot's sources: about a second); the
    # first run of each, not counted, writes them
    env["PYTHONDONTWRITEBYTECODE"] = ""
    env.setdefault("PYTHONPYCACHEPREFIX", str(REPO / ".venv" / "pycache"))
    for where in ("SQLite", "PostgreSQL") if postgres else ("SQLite",):
        ours, theirs, our_memory, their_memory = [], [], [], []
        with FakeBotApi() as botapi, tempfile.TemporaryDirectory() as folder:
            for number in range(runs + 1):
                with database(folder, number, where == "PostgreSQL") as url:
                    config = Path(folder) / f"goalbot-{number}.toml"
                    config.write_text(
                        f'[telegram]\ntoken = "{botapi.token}"\nbase_url = "{botapi.base_url}"\n'
                        f'[database]\nurl = "{url}"\n',
                        encoding="utf-8",
                    )
                    goalbot = [python, "-m", "goalbot", "--config", str(config)]
                    # goalbot run makes no database itself: a new one is made beforehand
                    subprocess.run(
                        [*goalbot, "db", "upgrade"],
                        env=env,
                        check=True,
                        cwd=REPO,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    seconds, memory = until_first_poll(botapi, [*goalbot, "run"], env)
                bare, bare_memory = until_first_poll(
                    botapi, [python, "-c", ECHO_BOT, botapi.token, botapi.base_url], env
                )
                if number == 0:
                    continue  # the warm-up
                ours.append(seconds)
                our_memory.append(memory)
                theirs.append(bare)
                their_memory.append(bare_memory)
        print(
            f"goalbot run to its first getUpdates (a new {where} database, migrated): "
            f"{spread(ours, ' s')}"
        )
        print(f"bare PTB bot to its first getUpdates, the same runs: {spread(theirs, ' s')}")
        print(f"resident memory then: goalbot {spread(our_memory, ' MiB')}")
        print(f"                      bare PTB {spread(their_memory, ' MiB')}")


def database(folder: str, number: int, postgres: bool) -> AbstractContextManager[str]:
    """The URL of one run's database: a new SQLite file, or a fresh PostgreSQL database on the
    server of ``GOALBOT_TEST_POSTGRES_URL`` (dropped after)."""
    if postgres:
        return postgres_database()
    return nullcontext(f"sqlite:///{folder}/goalbot-{number}.sqlite3")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="goalbot run on PostgreSQL too")
    args = parser.parse_args()
    main(args.runs, args.postgres)
