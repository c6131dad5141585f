"""Benchmark: an owner answering a ten-metric round on the phone, against a bare echo bot.

Starts the fake Bot API server and the real Application (with Telegram's rate limits), and
plays one owner through a full round of ten metrics twice: right the first time, and with one
typing mistake per metric. It prints the messages and characters sent to the owner, and the
reply latency of every input (the input reaching the server → the first message answering
it, a new one or an edit), median and 95th percentile. In the same run a bare
python-telegram-bot echo bot answers the same number of messages through the same kind of
server: the figure to compare is goalbot's 95th percentile beside the echo bot's.

    .venv/bin/python bench/phone_round.py [--pace 1.2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters
from tests.conftest import Clock
from tests.e2e.harness import running_bot, with_telegram
from tests.e2e.owner_flow import current_metric, good_typed_answer
from tests.fakes.botapi import FakeBotApi, UserHandle

from goalbot.bootstrap import bootstrap
from goalbot.chat.ratelimit import TelegramLimits
from goalbot.config import Config, DatabaseConfig
from goalbot.domain.goals import MetricKind
from goalbot.domain.periods import Period
from goalbot.scheduling.control import open_round_now
from goalbot.services.context import AppContext
from goalbot.services.owners import accept_invite, invite_owner

ROLES = ("kaupunginjohtaja", "sivistysjohtaja")  # 7 + 3 metrics asked in Q4/2026
MISTAKES = {"number": "abc", "count": "2,5", "survey": "77", "completion": "150", "yes_no": "ehkä"}
REPLIES = ("sendMessage", "editMessageText", "editMessageReplyMarkup")


@dataclass
class Round:
    """What one round sent to the owner, and how long each input waited for its answer."""

    messages: int
    characters: int
    edits: int
    latencies: list[float]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _act(api: FakeBotApi, action: Callable[[], object], pace: float) -> float:
    """Do what a person does; the seconds until the bot's first answer reached the server."""
    before = len(api.driver.requests)
    started = api.driver.clock.now()
    action()

    def first_answer() -> float | None:
        for request in api.driver.requests[before:]:
            if request.method in REPLIES:
                return request.time
        return None

    answered = await api.driver.wait_until(first_answer, timeout=30)
    # a person reads the answer before the next input
    await asyncio.sleep(pace)
    return answered - started


def _context(folder: Path, api: FakeBotApi) -> AppContext:
    clock = Clock(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    return with_telegram(
        bootstrap(Config(database=DatabaseConfig(url=url)), clock=clock, create=True), api
    )


async def play_round(mistakes: bool, pace: float) -> Round:
    """One owner of ten metrics answers a whole round (with one mistake per metric or none)."""
    api = FakeBotApi()
    api.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            ctx = _context(Path(folder), api)
            owner = api.driver.create_user("Kaisa")
            for role in ROLES:
                accept_invite(ctx, invite_owner(ctx, role, "Kaisa Kaupunki").token, owner.id)
            async with running_bot(ctx, limits=TelegramLimits()):
                owner.start()
                await api.driver.wait_until_idle(timeout=20)
                first = len(api.driver.requests)
                open_round_now(ctx, Period(2026, 4))
                reminder = await owner.wait_for_message(
                    predicate=lambda m: "alkanut" in m.content, timeout=30
                )
                latencies = await _answer(ctx, api, owner, reminder.message_id, mistakes, pace)
                await api.driver.wait_until_idle(timeout=20)
                requests = [
                    r
                    for r in api.driver.requests[first:]
                    if str(r.params.get("chat_id")) == str(owner.id) and r.ok
                ]
            ctx.db.dispose()
    finally:
        api.stop()
    sent = [r for r in requests if r.method.startswith("send")]
    characters = sum(len(str((r.response or {})["result"].get("text", ""))) for r in sent)
    edits = sum(r.method.startswith("edit") for r in requests)
    return Round(len(sent), characters, edits, latencies)


async def _answer(
    ctx: AppContext, api: FakeBotApi, owner: UserHandle, reminder: int, mistakes: bool, pace: float
) -> list[float]:
    latencies = [
        await _act(api, lambda: owner.press("Aloita vastaaminen", message_id=reminder), pace)
    ]
    for _ in range(60):
        step, metric = current_metric(ctx, owner.id)
        if step == "recap":
            latencies.append(await _act(api, lambda: owner.press("✅ Vahvista"), pace))
            return latencies
        assert step == "answer" and metric is not None, step
        if mistakes:
            wrong = MISTAKES[metric.kind.value]
            latencies.append(await _act(api, lambda text=wrong: owner.send(text), pace))
        if metric.kind == MetricKind.YES_NO:
            latencies.append(await _act(api, lambda: owner.press("Kyllä"), pace))
        else:
            typed = good_typed_answer(metric)
            latencies.append(await _act(api, lambda text=typed: owner.send(text), pace))
    raise AssertionError("the recap never came")


async def echo_latencies(count: int, pace: float) -> list[float]:
    """A bare python-telegram-bot echo bot, polling the same kind of server."""
    api = FakeBotApi()
    api.start()

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        await update.effective_message.reply_text(update.effective_message.text)

    application = (
        Application.builder()
        .token(api.token)
        .base_url(api.base_url)
        .concurrent_updates(True)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    person = api.driver.create_user("Eero")
    try:
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0.0, timeout=1)
            latencies = [
                await _act(api, lambda n=n: person.send(f"viesti {n}"), pace) for n in range(count)
            ]
            await application.updater.stop()
            await application.stop()
    finally:
        api.stop()
    return latencies


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:<28} median {statistics.median(values) * 1000:6.0f} ms"
        f"   p95 {percentile(values, 0.95) * 1000:6.0f} ms   ({len(values)} inputs)"
    )


async def main(pace: float) -> int:
    right = await play_round(mistakes=False, pace=pace)
    wrong = await play_round(mistakes=True, pace=pace)
    echo = await echo_latencies(len(right.latencies) + len(wrong.latencies), pace)
    print("A ten-metric round, to one owner:")
    for name, played in (("no mistakes", right), ("one mistake per metric", wrong)):
        print(
            f"  {name:<24} {played.messages:3d} messages, {played.characters:6d} characters"
            f" ({played.characters // max(played.messages, 1)} a message), {played.edits} edits"
        )
    goalbot = right.latencies + wrong.latencies
    print("Reply latency (input at the server → first answering message):")
    print("  " + line("goalbot", goalbot))
    print("  " + line("bare PTB echo bot", echo))
    difference = percentile(goalbot, 0.95) - percentile(echo, 0.95)
    ratio = percentile(goalbot, 0.95) / max(percentile(echo, 0.95), 1e-9)
    print(f"  p95 difference {difference * 1000:+.0f} ms (goalbot/echo {ratio:.1f}×)")
    return 0 if right.messages <= 14 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pace", type=float, default=1.2, help="seconds a person takes between inputs"
    )
    sys.exit(asyncio.run(main(parser.parse_args().pace)))
