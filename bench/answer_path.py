"""Benchmark: goalbot's answer path against a bare python-telegram-bot echo bot.

Many owners type their answers at once; each bot runs against the same fake Bot API server
with the rate limits off on both sides (the server only records, the bots do not pace). The
echo bot answers every text with the same text; goalbot stores the answer, judges it and
shows the next question. Each run measures updates handled a second, from the first text
sent to the last reply received; the figure to compare is the ratio goalbot / echo of runs
made side by side (median of the runs, with min and max).

    .venv/bin/python bench/answer_path.py --owners 200 --metrics 5 --history 16 --runs 3

``--history 16`` first stores sixteen quarters (four years) of answers to every metric, by
everyone: the cost of an input must not grow with it. ``--postgres`` runs goalbot on a fresh
PostgreSQL database made on the server of ``GOALBOT_TEST_POSTGRES_URL`` (and dropped after)
instead of SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters
from tests.conftest import Clock, make_context, postgres_database
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi, UserHandle

from bench.figures import spread
from bench.send_reminders import catalogue_with_roles
from goalbot.domain.answers import AnswerValue
from goalbot.domain.periods import Period
from goalbot.scheduling.control import open_round_now
from goalbot.services.catalogue import get_catalogue, load_catalogue
from goalbot.services.context import AppContext
from goalbot.services.owners import accept_invite, invite_owner
from goalbot.storage.database import READ_ONLY
from goalbot.storage.repositories import save_answer

Q4 = Period(2026, 4)
START_BUTTON = "Aloita vastaaminen"


def count_metrics(metrics: int) -> str:
    """``metrics`` counts for a goal, in the catalogue's TOML."""
    return "".join(
        f"""
  [[goals.metrics]]
  key = "{key}"
  name = "Tapahtumien määrä {key}"
  kind = "count"
  unit = "tapahtumaa"

  [goals.metrics.baseline]
  value = 25

  [goals.metrics.target]
  rule = "increase"
  compared_with = "baseline"
"""
        for key in range(1, metrics + 1)
    )


def store_history(ctx: AppContext, quarters: int) -> int:
    """Answer every metric in the ``quarters`` quarters before Q4/2026; how many answers."""
    catalogue = get_catalogue(ctx)
    stored = 0
    with ctx.unit_of_work() as uow:
        for period in (Q4.shifted(-n) for n in range(quarters, 0, -1)):
            for metric in catalogue.metrics():
                value = (
                    AnswerValue.of_flag(False)
                    if metric.kind.value == "yes_no"
                    else AnswerValue.of_number(Decimal(27))
                )
                save_answer(uow, metric.id, period, value, None, ctx.now())
                stored += 1
        uow.commit()
    return stored


def is_question(user: UserHandle) -> bool:
    """The user's last message from the bot asks for a figure."""
    last = user.last_bot_message(with_buttons=True)
    return last is not None and "Ohita…" in last.button_labels


async def replies_to_all(users: list[UserHandle], before: list[int], each: int) -> None:
    """Wait until every user got ``each`` more bot messages than ``before``."""
    while any(  # noqa: ASYNC110 (the fake server's messages have no event to wait on)
        len(u.bot_messages()) < start + each for u, start in zip(users, before, strict=True)
    ):
        await asyncio.sleep(0.02)


async def typing_round(users: list[UserHandle], texts: int) -> float:
    """Everyone types ``texts`` answers, one after the reply to the last; seconds taken."""
    started = time.perf_counter()
    for _ in range(texts):
        before = [len(u.bot_messages()) for u in users]
        for user in users:
            user.send("27")
        await replies_to_all(users, before, 1)
    return time.perf_counter() - started


class Transactions:
    """The transactions begun on a database while counting: writes and reads (on SQLite a
    write takes the one write lock; a read goes beside it)."""

    def __init__(self, ctx: AppContext) -> None:
        self.writes = self.reads = 0
        self.counting = False
        event.listen(ctx.db.engine, "begin", self._begun)

    def _begun(self, connection: Any) -> None:
        if self.counting:
            if connection.get_execution_options().get(READ_ONLY):
                self.reads += 1
            else:
                self.writes += 1


def database(folder: str, postgres: bool) -> AbstractContextManager[str]:
    """The URL of goalbot's database for one run: a SQLite file in ``folder``, or a fresh
    PostgreSQL database."""
    return postgres_database() if postgres else nullcontext(f"sqlite:///{folder}/bench.sqlite3")


async def goalbot_run(
    owners: int, metrics: int, history: int, postgres: bool = False
) -> tuple[float, int, tuple[float, float]]:
    """Updates a second of goalbot, the number of answers stored beforehand, and the write
    and read transactions an input took."""
    with (
        tempfile.TemporaryDirectory() as folder,
        database(folder, postgres) as url,
        FakeBotApi() as botapi,
    ):
        clock = Clock(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
        base = make_context(url, clock)
        catalogue = catalogue_with_roles(owners, Path(folder), count_metrics(metrics))
        load_catalogue(base, catalogue)
        stored = store_history(base, history) if history else 0
        ctx = with_telegram(base, botapi)
        users = []
        for number in range(owners):
            user = botapi.driver.create_user(f"Omistaja{number}")
            user.start()  # a bot may write only to those who started it
            invite = invite_owner(ctx, f"bench-{number}", f"Omistaja {number}")
            accept_invite(ctx, invite.token, user.id)
            users.append(user)
        async with running_bot(ctx, delivery_interval=0.05):
            driver = botapi.driver
            await driver.wait_until_idle(quiet=0.5, timeout=300)  # the welcomes
            open_round_now(ctx, Q4)
            await driver.wait_until(  # the reminders
                lambda: all(u.last_bot_message(with_buttons=True) for u in users), timeout=300
            )
            for user in users:
                if not is_question(user):  # asked at once if the round was open at /start
                    user.press(START_BUTTON)
            await driver.wait_until_idle(quiet=0.5, timeout=300)
            late = [user for user in users if not is_question(user)]
            assert not late, [(m.text or "")[:60] for m in late[0].transcript()[-4:]]
            transactions = Transactions(ctx)
            transactions.counting = True
            seconds = await typing_round(users, metrics)
            transactions.counting = False
        ctx.db.dispose()
        inputs = owners * metrics
        per_input = (transactions.writes / inputs, transactions.reads / inputs)
        return inputs / seconds, stored, per_input


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text)


async def echo_run(owners: int, metrics: int) -> float:
    """Updates a second of a bare PTB echo bot on the same server, limits off."""
    with FakeBotApi() as botapi:
        users = []
        for number in range(owners):
            user = botapi.driver.create_user(f"Omistaja{number}")
            user.start()
            users.append(user)
        application = (
            Application.builder()
            .token(botapi.token)
            .base_url(botapi.base_url)
            .concurrent_updates(True)
            .build()
        )
        application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(timeout=1, drop_pending_updates=True)
            seconds = await typing_round(users, metrics)
            await application.updater.stop()
            await application.stop()
        return owners * metrics / seconds


async def main(owners: int, metrics: int, history: int, runs: int, postgres: bool) -> None:
    ours, echoes, ratios = [], [], []
    stored = 0
    for _ in range(runs):
        echo = await echo_run(owners, metrics)
        rate, stored, per_input = await goalbot_run(owners, metrics, history, postgres)
        ours.append(rate)
        echoes.append(echo)
        ratios.append(rate / echo)
    where = "PostgreSQL" if postgres else "SQLite"
    print(
        f"{owners} owners × {metrics} typed answers, {stored} answers of history, {runs} runs, "
        f"on {where}"
    )
    print(f"goalbot   updates/s: {spread(ours)}")
    writes, reads = per_input
    print(f"goalbot   transactions an input (last run): {writes:.2f} writing, {reads:.2f} reading")
    print(f"echo bot  updates/s: {spread(echoes)}")
    print(f"goalbot / echo:      {spread(ratios)}  (goal: at least 0.5)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--metrics", type=int, default=5)
    parser.add_argument("--history", type=int, default=0, help="quarters of answers first")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="goalbot on PostgreSQL")
    args = parser.parse_args()
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "run skipped" under load
    asyncio.run(main(args.owners, args.metrics, args.history, args.runs, args.postgres))
