"""A quarter played against the real ``goalbot run`` process, and what it lost or repeated.

The owners of many roles are reminded, answer in the chat (a button and a typed figure each)
and confirm; the round is closed and the summary posted to the management group. Meanwhile
the bot can be killed (SIGKILL) at chosen moments and the Bot API can fail. At the end an
administrator resends, as ``goalbot sends resend`` would, what the bot reported as possibly
undelivered and is indeed missing; then the figures are counted from what the people received
and what the database holds.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from bench.send_reminders import DONE_METRIC, catalogue_with_roles
from sqlalchemy import select

from goalbot.config import load_config
from goalbot.domain.protocol import SendStatus
from goalbot.scheduling.control import close_round_now, open_round_now
from goalbot.services import outbox
from goalbot.services.catalogue import load_catalogue
from goalbot.services.context import AppContext
from goalbot.storage.models import SendRow
from tests.conftest import Clock, make_context
from tests.e2e.bot_process import BotProcess, write_config
from tests.e2e.chat_steps import Q4, REMINDER, START, enrol, stored_answers
from tests.fakes.botapi import Driver, FakeBotApi, GroupHandle, UserHandle
from tests.reliability.figures import Figures
from tests.report_data import fill_answers

# a count any figure of 0 or more meets (no explanation asked), beside the yes/no
FIGURE_METRIC = """
  [[goals.metrics]]
  key = "2"
  name = "Tapahtumia"
  kind = "count"
  unit = "kpl"
  baseline = { value = 0 }
  target = { rule = "at_least", value = 0, text = "Vähintään 0" }
"""
HEADER = re.compile(r"^(\d+)/(\d+) · ", re.MULTILINE)
PART = re.compile(r"Osa (\d+)/(\d+)\s*$")
RECAP = "Yhteenveto, Q4/2026"
CONFIRMED = "on vahvistettu"
UNDELIVERED_NOTICE = "eivät ehkä menneet perille"
PATIENCE = 15.0  # no answer this long: the owner asks for the question again
# a button pressed while the bot was down is answered too late for Telegram: refused, harmless
TOO_LATE = "query is too old"
SETTLED = {SendStatus.SENT, SendStatus.UNCERTAIN, SendStatus.FAILED, SendStatus.BLOCKED}


def reached(count: Callable[[], int], mark: int) -> Callable[[], bool]:
    """A condition: ``count()`` is at ``mark`` or beyond."""
    return lambda: count() >= mark


def opened_chat(driver: Driver, user: UserHandle) -> None:
    """The person has pressed Start in the bot's chat once, long ago."""
    state = driver.state
    person = state.get_user(user.id)
    state.private_chat(person)
    person.started = True


@dataclass
class Owner:
    """A goal owner who answers whatever the bot shows last, as a person with a phone does."""

    user: UserHandle
    figure: int
    patience: float = PATIENCE
    acted_on: tuple[int, int, str] | None = None
    acted_at: float = 0.0
    asked_again: int = 0
    actions: int = 0
    done: bool = False

    def step(self, now: float) -> None:
        if self.done:
            return
        last = self.user.last_bot_message()
        if last is None:
            return
        key = (last.message_id, last.version, last.content)
        if key == self.acted_on:
            if now - self.acted_at > self.patience:
                self.user.send("/raportoi")  # where was I?
                self.asked_again += 1
                self.acted_at = now
            return
        content = last.content
        if CONFIRMED in content:
            self.done = True
            return
        labels = last.button_labels
        if RECAP in content and "✅ Vahvista" in labels:
            self.user.press("✅ Vahvista", message_id=last.message_id)
        elif HEADER.search(content) and "Kyllä" in labels:
            self.user.press("Kyllä", message_id=last.message_id)
        elif HEADER.search(content):
            self.user.send(str(self.figure))
        elif REMINDER in content and START in labels:
            self.user.press(START, message_id=last.message_id)
        else:
            self.acted_on, self.acted_at = key, now
            return  # nothing to do but wait
        self.actions += 1
        self.acted_on, self.acted_at = key, now


@dataclass
class Quarter:
    """The people, the bot process and its database, for one run."""

    name: str
    botapi: FakeBotApi
    folder: Path
    ctx: AppContext
    bot: BotProcess
    admin: UserHandle
    group: GroupHandle
    owners: list[Owner]
    rng: random.Random
    figures_asked: bool = True  # each owner types a figure besides pressing Kyllä
    figures: Figures = field(init=False)
    looked_at: set[int] = field(default_factory=set)  # undelivered sends already repaired

    def __post_init__(self) -> None:
        self.figures = Figures(self.name, owners=len(self.owners))
        self.botapi.invalid_calls_expected = True  # counted in the figures instead

    @property
    def driver(self) -> Driver:
        return self.botapi.driver

    # ---- the bot ----------------------------------------------------------------------------

    def kill_and_restart(self) -> None:
        """SIGKILL at this moment, then start again (a bot that died by itself is a crash)."""
        if self.bot.exited():
            self.figures.crashes += 1
        self.bot.kill()
        self.figures.kills += 1
        self.bot.start()

    def run_until(
        self,
        done: Callable[[], bool],
        timeout: float,
        kill_when: list[Callable[[], bool]] | None = None,
        owners: bool = False,
        after_kill: Callable[[], None] = lambda: None,
    ) -> None:
        """Let the people act until ``done``; kill the bot whenever the next condition holds
        (at a random moment soon after), and start it again."""
        pending = list(kill_when or [])
        deadline = time.monotonic() + timeout
        while not done():
            now = time.monotonic()
            if now > deadline:
                raise AssertionError(f"{self.name}: not done in {timeout} s\n{self.report()}")
            if self.bot.exited():
                self.figures.crashes += 1
                raise AssertionError(f"{self.name}: the bot stopped\n{self.bot.output()}")
            if pending and pending[0]():
                pending.pop(0)
                # a random moment inside whatever the bot is doing
                time.sleep(self.rng.uniform(0, 0.3))
                self.kill_and_restart()
                after_kill()
            if owners:
                for owner in self.owners:
                    owner.step(time.monotonic())
            time.sleep(0.2)
        assert not pending, f"{self.name}: {len(pending)} kills never came\n{self.report()}"

    # ---- what the people received ------------------------------------------------------------

    def reminders(self, owner: Owner) -> int:
        return sum(REMINDER in m.content for m in owner.user.bot_messages())

    def summary_parts(self) -> tuple[list[tuple[int, int]], int]:
        """(part, of) of every numbered summary message, and how many tables arrived."""
        parts = []
        for message in self.group.bot_messages():
            found = PART.search(message.content) if message.kind == "text" else None
            if found:
                parts.append((int(found.group(1)), int(found.group(2))))
        tables = sum(m.kind == "document" for m in self.group.bot_messages())
        return parts, tables

    def sends(self, kind: str) -> list[SendRow]:
        with self.ctx.unit_of_work() as uow:
            return list(uow.session.scalars(select(SendRow).where(SendRow.kind == kind)))

    def settled(self, kind: str) -> bool:
        rows = self.sends(kind)
        return bool(rows) and all(SendStatus(r.status) in SETTLED for r in rows)

    def report(self) -> str:
        stuck = [o.user.id for o in self.owners if not o.done]
        chat = [
            ("bot" if m.from_bot else "owner", m.message_id, m.content[:60], m.button_labels)
            for o in [o for o in self.owners if not o.done][:1]
            for m in o.user.transcript()[-8:]
        ]
        last = self.owners[0].user.last_bot_message()
        summaries = [(r.id, r.status, r.error) for r in self.sends("summary")]
        return (
            f"{self.figures}; summary sends {summaries}, parts {self.summary_parts()}; "
            f"{len(stuck)} owners not done: {stuck[:10]}…; the first owner's actions: "
            f"{self.owners[0].actions}, last message: {last.content if last else None!r}\n"
            f"the first owners' chats: {chat}\n{self.bot.output()[-3000:]}"
        )

    # ---- the phases ----------------------------------------------------------------------------

    def fan_out(self, kills: int) -> None:
        """Open the round; kill each time the reminders are going out (again, after a restart)."""

        def received() -> int:
            return sum(self.reminders(o) > 0 for o in self.owners)

        at_restart = [0]

        def sending() -> bool:
            if received() > at_restart[0]:
                at_restart[0] = len(self.owners)  # counted again once the bot is back
                return True
            return False

        open_round_now(self.ctx, Q4)
        self.run_until(
            lambda: self.settled("reminder"),
            timeout=120,
            kill_when=[sending] * kills,
            after_kill=lambda: at_restart.__setitem__(0, received()),
        )

    def answering(self, kills: int, timeout: float = 300) -> None:
        """The owners answer; kill after a random number of them has confirmed or typed."""
        # start, a button, a figure (then confirm): each owner's steps
        total = (2 + self.figures_asked) * len(self.owners)

        def steps() -> int:
            return sum(o.actions for o in self.owners)

        marks = sorted(self.rng.sample(range(1, total), kills))
        self.run_until(
            lambda: all(o.done for o in self.owners or ()),
            timeout=timeout,
            kill_when=[reached(steps, mark) for mark in marks],
            owners=True,
        )

    def close(self, kills: int) -> None:
        """Close the round; kill while the summary's parts go out."""
        # the shipped catalogue's goals answered at length: a summary of several parts
        fill_answers(
            self.ctx, (Q4,), explanation_length=160, where=lambda m: not m.id.startswith("BENCH")
        )
        close_round_now(self.ctx, Q4)

        def requests() -> int:
            parts = self.driver.requests_for("sendMessage")
            return len(self.driver.requests_for("sendDocument")) + sum(
                "Osa " in str(r.params.get("text", "")) for r in parts
            )

        marks = list(range(kills))  # the first part's request, the next one's after the restart…
        self.run_until(
            lambda: self.settled("summary"),
            timeout=240,
            kill_when=[reached(requests, mark + 1) for mark in marks],
        )

    def all_settled(self) -> bool:
        with self.ctx.unit_of_work() as uow:
            statuses = uow.session.scalars(select(SendRow.status)).all()
        return all(SendStatus(status) in SETTLED for status in statuses)

    def repair(self) -> None:
        """An administrator resends what was reported as possibly undelivered, and is missing.

        Called after the fan-out (an owner whose reminder did not arrive cannot start), and at
        the end; a send is looked at once.

        Notices to the administrators that may be lost themselves are sent again first (they
        are listed by ``goalbot sends list`` too).
        """
        self.driver.clear_faults()
        self.run_until(self.all_settled, timeout=120)
        notices = [s for s in outbox.undelivered_sends(self.ctx) if s.kind.value == "admin_notice"]
        for send in notices:
            outbox.resend(self.ctx, send.id)
        self.run_until(self.all_settled, timeout=120)
        told = " ".join(m.content for m in self.admin.bot_messages())
        resent = 0
        for send in outbox.undelivered_sends(self.ctx):
            if send.kind.value == "admin_notice" or send.id in self.looked_at:
                continue
            self.looked_at.add(send.id)
            self.figures.uncertain_reported += 1
            if f"#{send.id} " not in told:
                self.figures.unreported += 1
            missing: tuple[int, ...] = ()
            if send.kind.value == "reminder":
                (row,) = [r for r in self.sends("reminder") if r.id == send.id]
                owner = next(o for o in self.owners if o.user.id == row.chat_id)
                missing = (1,) if self.reminders(owner) == 0 else ()
            elif send.kind.value == "summary":
                # what the group shows: its numbered texts, then the table (the last part)
                parts, tables = self.summary_parts()
                seen = {n for n, _of in parts} | ({send.total} if tables else set())
                missing = tuple(n for n in send.missing if n not in seen)
            if missing:
                outbox.resend(self.ctx, send.id, missing)
                resent += 1
        if resent:
            self.run_until(self.all_settled, timeout=120)

    def count(self) -> Figures:
        """The figures from what the people received and what the database holds."""
        figures = self.figures
        answers = stored_answers(self.ctx)
        for number, owner in enumerate(self.owners):
            got = self.reminders(owner)
            figures.reminders_delivered += got
            figures.reminders_missing += got == 0
            figures.duplicates += max(0, got - 1)
            flag = answers.get(f"BENCH-{number}.1")
            count = answers.get(f"BENCH-{number}.2") if self.figures_asked else None
            figures.answers_acknowledged += (1 + self.figures_asked) * owner.done
            figures.answers_lost += (flag is None or flag.flag is not True) + (
                self.figures_asked and (count is None or count.number != Decimal(owner.figure))
            )
            if got > 1:
                print(f"{self.name}: owner {owner.user.id} got {got} reminders")
            if not owner.asked_again:
                # an answer applied twice would show as a second change
                twice = sum(len(a.history) - 1 for a in (flag, count) if a is not None)
                figures.duplicates += twice
                if twice:
                    print(f"{self.name}: owner {owner.user.id}: an answer changed {twice} more")
        parts, tables = self.summary_parts()
        total = parts[0][1] if parts else 0
        again = len(parts) - len(set(parts)) + max(0, tables - 1)
        if again:
            print(f"{self.name}: summary parts {parts}, {tables} tables")
        figures.duplicates += again
        complete = tables >= 1 and (
            not parts or set(parts) == {(n, total) for n in range(1, total + 1)}
        )
        figures.summaries_complete += complete
        figures.summaries_incomplete += not complete
        log = self.bot.output(limit=None)
        figures.crashes += log.count("Traceback")
        figures.invalid_calls += sum(TOO_LATE not in str(error) for error in self.driver.errors)
        return figures


def quarter(
    name: str,
    botapi: FakeBotApi,
    folder: Path,
    url: str | None,
    owners: int,
    seed: int,
    read_timeout: float = 5.0,
    figures: bool = True,
    patience: float = PATIENCE,
    bots: Callable[[Path, Path, Driver, AppContext], BotProcess] | None = None,
) -> Quarter:
    """A database with ``owners`` roles filled, the management group, the bot started.

    ``figures``: each owner is asked a count besides a yes/no; ``patience``: how long an owner
    waits for an answer before asking for the question again; ``bots``: what runs the bot
    (config file, log folder, driver, context), one process by default."""
    driver = botapi.driver
    admin = driver.create_user("Anna")
    member = driver.create_user("Mikko")
    group = driver.create_group("Johtoryhmä", members=[member])
    opened_chat(driver, admin)
    metrics = DONE_METRIC + (FIGURE_METRIC if figures else "")
    catalogue = catalogue_with_roles(owners, folder, metrics)
    config_path = write_config(
        folder,
        botapi,
        database_url=url,
        read_timeout=read_timeout,
        admins=(admin.id,),
        management_chat_id=group.id,
        extra=f'[catalogue]\npath = "{catalogue}"\n',
    )
    config = load_config(config_path, env={})
    # the bot process runs on the real clock, and so must everything the test prepares
    ctx = make_context(config.database.url, Clock(datetime.now(UTC)), config)
    load_catalogue(ctx, catalogue)
    people = []
    for number in range(owners):
        user = driver.create_user(f"Omistaja{number}")
        opened_chat(driver, user)
        enrol(ctx, user, f"bench-{number}", f"Omistaja {number}")
        people.append(Owner(user, figure=number + 1, patience=patience))
    bot = (bots or (lambda path, logs, driver, ctx: BotProcess(path, logs, driver)))(
        config_path, folder, driver, ctx
    )
    bot.start()
    return Quarter(
        name, botapi, folder, ctx, bot, admin, group, people, random.Random(seed), figures
    )
