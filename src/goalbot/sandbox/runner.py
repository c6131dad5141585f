"""Running the sandbox: the real bot, unchanged, against goalbot's own Bot API emulator.

The emulator serves the Bot API on 127.0.0.1 (by default) and, on the same port, a web chat
in which a person plays the administrator, the owners, a deputy, a stranger and the management
group. The bot talks to it over HTTP through python-telegram-bot exactly as to Telegram, and
every call is validated against the Bot API description. The sandbox keeps its own SQLite
database and a rehearsal clock that only it moves: to the next calendar event or to a date,
with everything scheduled in between done in order, so a quarter is rehearsed in minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from goalbot.bootstrap import bootstrap
from goalbot.catalogues import shipped_catalogue_path
from goalbot.chat.application import build_application, running
from goalbot.chat.jobs import run_calendar_now
from goalbot.config import LANGUAGES, Config, DatabaseConfig, StartupError, TelegramConfig
from goalbot.domain.catalogue_file import read_catalogue
from goalbot.domain.protocol import HolderKind, SendStatus
from goalbot.emulator import FakeBotApi
from goalbot.emulator.webchat import JsonDict
from goalbot.logs import setup_logging
from goalbot.reporting.rendering import render
from goalbot.reporting.words import Words
from goalbot.sandbox.clock import RehearsalClock
from goalbot.sandbox.people import ADMIN, OWNER, DemoPerson, demo_people, management_group
from goalbot.scheduling.calendar import (
    ScheduledEvent,
    local_datetime,
    parse_event_key,
    plan_round,
)
from goalbot.scheduling.runner import round_plans
from goalbot.scheduling.settings import working_calendar
from goalbot.services import owners as owner_service
from goalbot.services.access import who_is
from goalbot.services.context import AppContext
from goalbot.services.events import EventState, event_states
from goalbot.storage.database import Database, UnitOfWork, upgrade_database
from goalbot.storage.models import SendRow
from goalbot.storage.repositories import get_setting, set_setting

log = logging.getLogger(__name__)

BOT_USERNAME = "goalbot_sandbox_bot"
BOT_NAME = "goalbot"
GROUP_TITLE = "Johtoryhmä"
DEFAULT_DATABASE = Path("goalbot-sandbox.sqlite3")
CLOCK_SETTING = "sandbox_clock"
CHATS_SUFFIX = "-chats.json"  # beside the database, like SQLite's own -wal and -journal
CHATS_SAVE_SECONDS = 20.0
CATALOGUE_SETTING = "sandbox_catalogue"
SETTLE_TIMEOUT = 120.0
ACT_TIMEOUT = 3600.0  # a "go to date" years ahead walks through every event on the way
MAX_STEPS = 400  # calendar events one "go to date" may walk through
PANEL_CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class SandboxOptions:
    """What ``goalbot sandbox`` was asked for."""

    host: str = "127.0.0.1"
    port: int = 8080
    database: Path = DEFAULT_DATABASE
    catalogue: Path | None = None
    reset: bool = False
    start: date | None = None  # the bot's date at a fresh start (default: today)


class SandboxError(StartupError):
    """The sandbox cannot start; one line says why."""


def run_sandbox(
    config: Config, options: SandboxOptions, on_ready: Callable[[Sandbox], None] | None = None
) -> None:
    """Run the sandbox until Ctrl-C or SIGTERM; ``on_ready`` gets the page's address."""
    asyncio.run(Sandbox(config, options).main(on_ready))


class Sandbox:
    """The emulator, the bot's sessions (one per database), and the page's panel."""

    def __init__(self, config: Config, options: SandboxOptions) -> None:
        self.options = options
        self.database = options.database.resolve()
        catalogue_file = options.catalogue or config.catalogue.path
        self.base_config = replace(
            config,
            catalogue=replace(config.catalogue, path=catalogue_file),
            database=DatabaseConfig(url=f"sqlite:///{self.database}"),
        )
        self.language = config.texts.language
        self.catalogue = read_catalogue(catalogue_file or shipped_catalogue_path())
        self.people = demo_people(self.catalogue)
        self.clock = RehearsalClock()
        self.token = f"7000000001:{secrets.token_urlsafe(24)}"
        self.api = FakeBotApi(
            token=self.token,
            bot_username=BOT_USERNAME,
            bot_first_name=BOT_NAME,
            host=options.host,
            port=options.port,
            clock=self.clock,
            director=self,
        )
        self.ctx: AppContext | None = None
        self.application: Any = None  # the running bot (python-telegram-bot's Application)
        self.group_id = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._end: asyncio.Event | None = None
        self._reset_requested = False
        self._ready = threading.Event()
        self._acting: asyncio.Lock | None = None
        self._waiting_for_start: list[asyncio.Future[None]] = []
        self._notice: Notice | None = None
        self._panel_cache: dict[str, tuple[float, JsonDict]] = {}
        self._panel_lock = threading.Lock()

    # ---- running ------------------------------------------------------------------------

    async def main(self, on_ready: Callable[[Sandbox], None] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._end = asyncio.Event()
        self._acting = asyncio.Lock()
        setup_logging(self.base_config.logging, secrets=[self.token])
        # a calendar job set for a rehearsed moment that real time has passed is only skipped
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        if self.options.reset:
            remove_database(self.database)
        try:
            self.api.start()
        except RuntimeError as exc:
            reason = exc.__cause__ or exc
            raise SandboxError(
                f"cannot serve the sandbox on {self.options.host}:{self.options.port}: {reason}"
            ) from exc
        for signum in (signal.SIGTERM,):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                self._loop.add_signal_handler(signum, self._stop)
        try:
            first = True
            while True:
                await self._session(on_ready if first else None)
                first = False
                if not self._reset_requested:
                    break
                self._reset_requested = False
                remove_database(self.database)
                self.api.reset()
        finally:
            self.api.stop()

    @property
    def url(self) -> str:
        return self.api.url + "/"

    def _stop(self) -> None:
        if self._end is not None:
            self._end.set()

    async def _session(self, on_ready: Callable[[Sandbox], None] | None) -> None:
        """One run of the bot on the sandbox's database, until a reset or a stop."""
        assert self._end is not None
        self._end.clear()
        self._ready.clear()
        self._create_world()
        config = self._config()
        await asyncio.to_thread(self._check_catalogue, config)
        ctx = await asyncio.to_thread(
            bootstrap, config, clock=self.clock, create=True, delivers=True
        )
        try:
            fresh = await asyncio.to_thread(self._restore, ctx)
            application = build_application(ctx, delivery_interval=1.0)
            async with running(application, poll_timeout=10):
                self.ctx, self.application = ctx, application
                if fresh:
                    await self._welcome_everybody(ctx)
                self._panel_cache.clear()
                self._ready.set()
                self.api.state.notify()
                for waiting in self._waiting_for_start:
                    if not waiting.done():
                        waiting.set_result(None)
                self._waiting_for_start.clear()
                if on_ready is not None:
                    on_ready(self)
                keeper = asyncio.create_task(self._keep_chats())
                try:
                    await self._end.wait()
                finally:
                    keeper.cancel()
                    self._ready.clear()
                    if not self._reset_requested:
                        await asyncio.to_thread(self._save_clock, ctx)
        finally:
            self.ctx = self.application = None
            ctx.db.dispose()

    def _config(self) -> Config:
        return replace(
            self.base_config,
            telegram=TelegramConfig(
                token=self.token,
                base_url=self.api.base_url,
                base_file_url=self.api.base_file_url,
                admins=(next(p.user_id for p in self.people if p.kind == ADMIN),),
                managers=(),
                management_chat_id=self.group_id,
                poll_timeout=10,
                connect_timeout=5.0,
                read_timeout=10.0,
            ),
        )

    @property
    def chats_file(self) -> Path:
        """Where the chats are kept between runs, beside the database."""
        return Path(f"{self.database}{CHATS_SUFFIX}")

    def _create_world(self) -> None:
        """The people and the management group in the emulator (the bot is not running yet):
        the chats of the last run if the database goes on, else new ones."""
        if self.database.exists() and self.chats_file.exists():
            try:
                self.api.state.load_world(json.loads(self.chats_file.read_text("utf-8")))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("the chats of the last run could not be read (%s): new ones", exc)
                self.api.reset()
            else:
                groups = [c for c in self.api.state.chats.values() if c.title == GROUP_TITLE]
                if groups:
                    self.group_id = groups[0].id
                    return
                self.api.reset()
        driver = self.api.driver
        handles = {}
        for person in self.people:
            handles[person.user_id] = driver.ensure_user(
                person.user_id,
                first_name=person.first_name,
                last_name=person.last_name,
                username=person.username,
                language_code=self.language,  # the town's: the rehearsal speaks it
            )
        members = [handles[p.user_id] for p in management_group(self.people)]
        group = driver.create_group(GROUP_TITLE, members=members)
        self.group_id = group.id

    def _check_catalogue(self, config: Config) -> None:
        """An existing sandbox database rehearses one catalogue: another one needs --reset."""
        if not self.database.exists():
            return
        database = Database.connect(config.database.url)
        try:
            upgrade_database(database.engine)
            with database.unit_of_work() as uow:
                catalogue_id = get_setting(uow, CATALOGUE_SETTING)
        finally:
            database.dispose()
        if catalogue_id is not None and catalogue_id != self.catalogue.id:
            raise SandboxError(
                f"the sandbox database {self.database} rehearses the catalogue "
                f"{catalogue_id!r}, not {self.catalogue.id!r}: add --reset to start afresh"
            )

    def _restore(self, ctx: AppContext) -> bool:
        """Continue where the last run stopped; True if the database is new."""
        with ctx.unit_of_work() as uow:
            catalogue_id = get_setting(uow, CATALOGUE_SETTING)
            saved = get_setting(uow, CLOCK_SETTING)
        if catalogue_id is None:
            self.clock.set(self._start_moment(ctx))
            return True
        self.clock.set(datetime.fromisoformat(saved) if saved else self.clock())
        # the people opened their invites in an earlier run: they have started the bot
        state = self.api.state
        with state.lock:
            for person in self.people:
                user = state.get_user(person.user_id)
                user.started = True
                state.private_chat(user)
        return False

    def _start_moment(self, ctx: AppContext) -> datetime:
        """A fresh sandbox starts today (or on --date), within the catalogue's term."""
        settings = ctx.config.schedule
        calendar = working_calendar(ctx.config.schedule)
        first = plan_round(self.catalogue.first_period, settings, calendar)
        last = plan_round(self.catalogue.last_period, settings, calendar)
        before_first = first.events[0].due_at - timedelta(days=1)
        if self.options.start is not None:
            moment = local_datetime(self.options.start, settings.send_time, settings.zone)
            return (moment - timedelta(hours=1)).astimezone(UTC)
        now = self.clock()
        if now < before_first - timedelta(days=90) or now > last.deadline:
            return before_first.astimezone(UTC)
        return now

    async def _welcome_everybody(self, ctx: AppContext) -> None:
        """A new rehearsal: the administrator says hello, everybody opens their invite."""
        driver = self.api.driver
        for person in self.people:
            if person.kind == ADMIN:
                driver.send_text(person.user_id, person.user_id, "/start")
            elif person.role_id:
                kind = HolderKind.OWNER if person.kind == OWNER else HolderKind.DEPUTY
                invite = await asyncio.to_thread(
                    owner_service.invite_owner,
                    ctx,
                    person.role_id,
                    person.name,
                    kind,
                    created_by="sandbox",
                )
                driver.send_text(person.user_id, person.user_id, f"/start {invite.token}")
        await self._settle(ctx)
        with ctx.unit_of_work() as uow:
            set_setting(uow, CATALOGUE_SETTING, self.catalogue.id, ctx.now())
            uow.commit()
        self._save_clock(ctx)

    def _save_clock(self, ctx: AppContext) -> None:
        """Keep the bot's time and the chats, for the next run on this database."""
        with ctx.unit_of_work() as uow:
            set_setting(uow, CLOCK_SETTING, self.clock().isoformat(), ctx.now())
            uow.commit()
        self._save_chats()

    def _save_chats(self) -> None:
        world = self.api.state.world_json()
        partial = self.chats_file.with_name(self.chats_file.name + ".partial")
        partial.write_text(json.dumps(world, ensure_ascii=False), encoding="utf-8")
        partial.replace(self.chats_file)

    async def _keep_chats(self) -> None:
        """Save the chats now and then, so a run that is killed loses little."""
        saved = -1
        while True:
            await asyncio.sleep(CHATS_SAVE_SECONDS)
            revision = self.api.state.revision
            if revision != saved:
                await asyncio.to_thread(self._save_chats)
                saved = revision

    # ---- the rehearsal clock -------------------------------------------------------------

    async def _run_calendar(self) -> None:
        """Run the bot's own calendar job now, and wait until what it sent has arrived."""
        application, ctx = self.application, self.ctx
        assert application is not None and ctx is not None
        await run_calendar_now(application)
        await self._settle(ctx)

    async def _settle(self, ctx: AppContext) -> None:
        """Wait until nothing is queued to send and the bot has answered everything."""
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while time.monotonic() < deadline:
            if not await asyncio.to_thread(pending_sends, ctx):
                break
            await asyncio.sleep(0.1)
        with contextlib.suppress(TimeoutError):
            await asyncio.to_thread(
                self.api.driver.wait_until_idle_sync,
                timeout=max(deadline - time.monotonic(), 1.0),
                quiet=0.4,
            )

    async def _step_to(self, moment: datetime) -> None:
        self.clock.move_to(max(moment, self.clock()))
        self.api.state.notify()
        await self._run_calendar()

    async def _next_event(self) -> Notice:
        ctx = self.ctx
        assert ctx is not None
        before = await asyncio.to_thread(self._event_states, ctx)
        upcoming = await asyncio.to_thread(self._undone_events, ctx)
        if not upcoming:
            return self._notice_of("no_more_events")
        await self._step_to(upcoming[0].due_at)
        return await self._outcome(ctx, before)

    async def _go_to(self, value: str) -> Notice:
        ctx = self.ctx
        assert ctx is not None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return self._notice_of("bad_date", value=value, level="error")
        target = self._evening(day).astimezone(UTC)
        if target <= self.clock():
            return self._notice_of(
                "date_passed", now=self.clock(), timezone=ctx.config.schedule.zone, level="error"
            )
        before = await asyncio.to_thread(self._event_states, ctx)
        for _ in range(MAX_STEPS):
            upcoming = await asyncio.to_thread(self._undone_events, ctx)
            if not upcoming or upcoming[0].due_at > target:
                break
            await self._step_to(upcoming[0].due_at)
        await self._step_to(target)
        return await self._outcome(ctx, before)

    def _evening(self, day: date) -> datetime:
        """The moment a "go to date" lands on: after that day's sends and its close."""
        settings = self.base_config.schedule
        latest = max(settings.send_time, settings.close_time)
        moment = local_datetime(day, latest, settings.zone) + timedelta(hours=1)
        if moment.date() != day:
            moment = local_datetime(day, latest, settings.zone) + timedelta(minutes=1)
        return moment

    async def _reset(self) -> Notice:
        assert self._end is not None
        assert self._loop is not None
        started: asyncio.Future[None] = self._loop.create_future()
        self._waiting_for_start.append(started)
        self._reset_requested = True
        self._end.set()
        await asyncio.wait_for(started, SETTLE_TIMEOUT)
        return self._notice_of("reset_done")

    # ---- what the page asks (the emulator's Director) -----------------------------------

    def act(self, action: str, value: str, language: str = "") -> JsonDict:
        """Do an action of the panel (called in a worker thread of the emulator); its notice
        in the page's ``language`` (default: the town's)."""
        shown = self.page_language(language)
        loop = self._loop
        if loop is None or not self._ready.is_set():
            return {"notice": self._shown(self._notice_of("not_ready", level="error"), shown)}
        future = asyncio.run_coroutine_threadsafe(self._act(action, value), loop)
        notice = future.result(timeout=ACT_TIMEOUT)
        if action != "reset" and self.ctx is not None:
            self._save_clock(self.ctx)
        with self._panel_lock:
            self._notice = notice
            self._panel_cache.clear()
        return {"notice": self._shown(notice, shown)}

    def page_language(self, asked: str = "") -> str:
        """The page's language: the one asked for (``?lang=sv``) if goalbot speaks it, else
        the town's (``[texts] language``)."""
        return asked if asked in LANGUAGES else self.language

    async def _act(self, action: str, value: str) -> Notice:
        assert self._acting is not None
        async with self._acting:
            try:
                if action == "next":
                    return await self._next_event()
                if action == "go_to":
                    return await self._go_to(value)
                if action == "reset":
                    return await self._reset()
            except Exception:
                log.exception("sandbox action %s failed", action)
                return self._notice_of("failed", level="error")
        return self._notice_of("unknown_action", level="error")

    def panel(self, language: str = "") -> JsonDict:
        """The page's sections besides the chats, in the page's ``language`` (default: the
        town's), called in worker threads."""
        shown = self.page_language(language)
        with self._panel_lock:
            cached = self._panel_cache.get(shown)
            if cached is not None and time.monotonic() - cached[0] < PANEL_CACHE_SECONDS:
                return cached[1]
            ctx = self.ctx
            ready = ctx is not None and self._ready.is_set()
            panel = self._panel(ctx, shown) if ctx is not None and ready else {}
            panel.update(self._people_panel(ctx if ready else None, shown))
            if ctx is not None and self._ready.is_set():
                self._panel_cache[shown] = (time.monotonic(), panel)
            return panel

    def _people_panel(self, ctx: AppContext | None, language: str) -> JsonDict:
        """The people in the list's order, each labelled by what the bot knows of them now
        (an invite opened or a role revoked in the rehearsal shows at once)."""

        def text(key: str, **values: Any) -> str:
            return self._text(key, language, **values)

        identities = {p.user_id: who_is(ctx, p.user_id) if ctx else None for p in self.people}

        def describe(person: DemoPerson, part: str) -> str:
            identity = identities[person.user_id]
            values = {"person": person, "identity": identity, "part": part}
            return render("sandbox/person.txt.j2", language, **values).replace("\n", "")

        return {
            "title": text("title"),
            "intro": [
                p.strip()
                for p in render(
                    "sandbox/intro.txt.j2",
                    language,
                    admin=self.people[0],
                    group=GROUP_TITLE,
                ).split("\n\n")
                if p.strip()
            ],
            "people": {
                str(p.user_id): {"label": describe(p, "label"), "detail": describe(p, "detail")}
                for p in self.people
            },
            "order": [p.user_id for p in self.people],
            "timezone": self.base_config.schedule.timezone,
            "language": language,
            "texts": page_texts(language),
        }

    def _panel(self, ctx: AppContext, language: str) -> JsonDict:
        zone = ctx.config.schedule.zone
        now = self.clock()
        upcoming = self._undone_events(ctx)
        following = upcoming[0] if upcoming else None

        def text(key: str, **values: Any) -> str:
            return self._text(key, language, **values)

        next_action: JsonDict = {
            "id": "next",
            "label": text("next_label"),
            "primary": True,
            "hint": text("next_hint", event=following, timezone=zone),
        }
        suggestion = (following.due_at if following else now).astimezone(zone).date()
        clock_section = {
            "title": text("clock_title"),
            "lines": [
                {"text": text("clock_now", now=now, timezone=zone), "state": "now"},
                {"text": text("clock_note"), "state": "note"},
            ],
            "actions": [
                next_action,
                {
                    "id": "go_to",
                    "label": text("go_to_label"),
                    "input": "date",
                    "value": suggestion.isoformat(),
                    "hint": text("go_to_hint", at=self._evening(suggestion), timezone=zone),
                },
            ],
        }
        lines: list[JsonDict] = []
        states = self._event_states(ctx)
        for plan in self._shown_plans(ctx, now):
            lines.append({"text": text("period", period=plan.period), "state": "period"})
            for event in plan.events:
                state = states.get(event.key)
                if state is not None and state.done_at is not None:
                    look = "done"
                elif state is not None and state.skipped_at is not None:
                    look = "skipped"
                elif following is not None and event.key == following.key:
                    look = "next"
                else:
                    look = "coming"
                lines.append({"text": text("event", event=event, timezone=zone), "state": look})
        return {
            "sections": [
                clock_section,
                {"title": text("calendar_title"), "lines": lines, "actions": []},
                {
                    "title": text("reset_title"),
                    "lines": [{"text": text("reset_note", path=self.database), "state": "note"}],
                    "actions": [
                        {
                            "id": "reset",
                            "label": text("reset_label"),
                            "confirm": text("reset_confirm"),
                        }
                    ],
                },
            ],
            "notice": self._shown(self._notice, language) if self._notice else None,
        }

    def _shown_plans(self, ctx: AppContext, now: datetime) -> list[Any]:
        """The round in progress or just closed, and the next one."""
        plans = [p for p in round_plans(ctx, now) if p.deadline >= now - timedelta(days=30)]
        return plans[:2]

    def _undone_events(self, ctx: AppContext) -> list[ScheduledEvent]:
        """The calendar's events not yet done or skipped, in order."""
        now = self.clock()
        events = [e for plan in round_plans(ctx, now) for e in plan.events]
        states = event_states(ctx, [e.key for e in events])
        undone = [
            e
            for e in events
            if not (
                (s := states.get(e.key)) is not None
                and (s.done_at is not None or s.skipped_at is not None)
            )
        ]
        return sorted(undone, key=lambda e: e.sort_key())

    def _event_states(self, ctx: AppContext) -> dict[str, EventState]:
        now = self.clock()
        events = [e for plan in round_plans(ctx, now) for e in plan.events]
        return event_states(ctx, [e.key for e in events])

    async def _outcome(self, ctx: AppContext, before: dict[str, EventState]) -> Notice:
        """What the move did: each event done (or skipped) since ``before``."""
        after = await asyncio.to_thread(self._event_states, ctx)
        happened = []
        for key, state in after.items():
            old = before.get(key)
            done = state.done_at is not None and (old is None or old.done_at is None)
            skipped = state.skipped_at is not None and (old is None or old.skipped_at is None)
            if done or skipped:
                happened.append((_event_of(state), done))
        happened.sort(key=lambda h: h[0].sort_key())
        return self._notice_of(
            "moved", now=self.clock(), happened=happened, timezone=ctx.config.schedule.zone
        )

    def _notice_of(self, key: str, level: str = "info", **values: Any) -> Notice:
        return Notice(key, level, values)

    def _shown(self, notice: Notice, language: str) -> JsonDict:
        """A notice as the page shows it, in ``language``."""
        return {"text": self._text(notice.key, language, **notice.values), "level": notice.level}

    def _text(self, key: str, language: str, **values: Any) -> str:
        return render("sandbox/panel.txt.j2", language, key=key, **values)


@dataclass(frozen=True)
class Notice:
    """What an action of the panel came to: a text of ``sandbox/panel.txt.j2`` with its
    values, shown in the language of the page that asks."""

    key: str
    level: str
    values: dict[str, Any]


PAGE_TEXTS = (
    "people",
    "groups",
    "no_messages",
    "edited",
    "download",
    "menu_empty",
    "not_member",
    "errors_title",
    "error_in_chat",
    "error_banner",
    "members",
    "group",
    "busy",
    "send_failed",
    "press_failed",
    "unread",
    "joined",
    "left",
    "migrated",
    "group_created",
    "service",
    "sidebar",
    "help",
    "speaking_as",
    "connection_lost",
    "menu",
    "menu_title",
    "placeholder",
    "message",
    "send",
    "panel",
    "cancel",
    "yes",
    "link_before",
    "link_after",
    "understood",
)
"""The web page's own words (``sandbox/page.txt.j2``); ``{n}``, ``{by}`` and ``{names}`` in
them are filled in by the page."""


def page_texts(language: str) -> dict[str, str]:
    """The web chat's own words in ``language``, for the page to show instead of its own."""
    words = Words("sandbox/page.txt.j2", language)
    return {key: words("text", key) for key in PAGE_TEXTS}


def _event_of(state: EventState) -> ScheduledEvent:
    period, kind, sequence = parse_event_key(state.key)
    due = state.due_at if state.due_at.tzinfo else state.due_at.replace(tzinfo=UTC)
    return ScheduledEvent(kind, period, due, sequence)


def pending_sends(ctx: AppContext) -> int:
    """Sends queued and not yet delivered (retries after a failure wait their turn)."""
    with ctx.unit_of_work() as uow:
        return _count_pending(uow)


def _count_pending(uow: UnitOfWork) -> int:
    count = uow.session.scalar(
        select(func.count())
        .select_from(SendRow)
        .where(SendRow.status.in_([SendStatus.PENDING.value, SendStatus.SENDING.value]))
    )
    return int(count or 0)


def remove_database(path: Path) -> None:
    """Delete the sandbox's SQLite file and its journal files."""
    for suffix in ("", "-wal", "-shm", "-journal", CHATS_SUFFIX):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()
