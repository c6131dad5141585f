"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable), app contexts, clocks."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from goalbot.bootstrap import bootstrap
from goalbot.config import Config, DatabaseConfig
from goalbot.services.context import AppContext

pytest_plugins = ["tests.fakes.fixtures", "tests.own_postgres"]

POSTGRES_URL_ENV = "GOALBOT_TEST_POSTGRES_URL"
SMALL_CATALOGUE = Path(__file__).parent / "data" / "small_catalogue.toml"


class Clock:
    """A controllable clock for services (no real waiting)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_URL_ENV) or None


@contextmanager
def postgres_database(template: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database (a copy of ``template``, else empty), dropped afterwards."""
    admin = postgres_admin_url()
    if not admin:
        pytest.skip(f"{POSTGRES_URL_ENV} is not set")
    name = f"goalbot_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        engine.dispose()
        pytest.skip(f"PostgreSQL not usable: {exc}")
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (skipped where none is reachable)."""
    with postgres_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'goalbot.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each storage test runs on SQLite and on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'goalbot.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


START = datetime(2026, 6, 15, 6, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


def make_context(url: str, clock: Clock, config: Config | None = None) -> AppContext:
    """The services' context on ``url`` as the bot starts it, without loading a catalogue."""
    config = replace(config or Config(), database=DatabaseConfig(url=url))
    return bootstrap(config, clock=clock, create=True, catalogue=False)


Prepare = Callable[[AppContext, Clock], None]
"""What a test's data is made of, on a loaded database and a clock at ``START``."""


class Templates:
    """Databases migrated and loaded with the shipped catalogue once per test session.

    A test that wants one gets a copy (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE``
    on PostgreSQL): the same content as migrating and loading it afresh, in a fraction of
    the time. A ``prepare`` step (answers, people, an open round) is likewise applied once,
    to a template of its own, and its result copied for every test that asks for it.
    """

    def __init__(self, folder: Path, stack: ExitStack) -> None:
        self.folder = folder
        self._stack = stack
        self._sqlite: dict[Prepare | None, Path] = {}
        self._postgres: dict[Prepare | None, str] = {}

    @staticmethod
    def _fill(url: str, prepare: Prepare | None) -> None:
        if prepare is None:
            config = Config(database=DatabaseConfig(url=url))
            context = bootstrap(config, clock=Clock(START), create=True)
        else:
            clock = Clock(START)
            context = loaded_context(url, clock)
            prepare(context, clock)
        context.db.dispose()

    def sqlite(self, path: Path, prepare: Prepare | None = None) -> str:
        """A loaded (and prepared) SQLite database at ``path``; its URL."""
        template = self._sqlite.get(prepare)
        if template is None:
            name = "template" if prepare is None else f"{prepare.__name__}-{len(self._sqlite)}"
            template = self.folder / f"{name}.sqlite3"
            if prepare is not None:
                self.sqlite(template)
            self._fill(f"sqlite:///{template}", prepare)
            # the last connection closed has written the log back into the file
            assert not template.with_name(template.name + "-wal").exists()
            self._sqlite[prepare] = template
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"

    def postgres(self, stack: ExitStack, prepare: Prepare | None = None) -> str:
        """A loaded (and prepared) PostgreSQL database, dropped when ``stack`` closes; its URL."""
        template = self._postgres.get(prepare)
        if template is None:
            url = self.postgres(self._stack) if prepare is not None else None
            url = url or self._stack.enter_context(postgres_database())
            self._fill(url, prepare)
            template = self._postgres[prepare] = str(make_url(url).database)
        return stack.enter_context(postgres_database(template))

    def url(self, backend: str, folder: Path, stack: ExitStack, prepare: Prepare | None) -> str:
        """A copy on ``backend`` (a SQLite file in ``folder``); its URL."""
        if backend == "sqlite":
            return self.sqlite(folder / "goalbot.sqlite3", prepare)
        return self.postgres(stack, prepare)


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    with ExitStack() as stack:
        yield Templates(tmp_path_factory.mktemp("templates"), stack)


def loaded_context(url: str, clock: Clock) -> AppContext:
    """The services' context on a copy of a template, started as the bot starts."""
    return bootstrap(Config(database=DatabaseConfig(url=url)), clock=clock)


@contextmanager
def copied_context(
    templates: Templates,
    backend: str,
    clock: Clock,
    folder: Path,
    prepare: Prepare | None = None,
) -> Iterator[AppContext]:
    """The services' context on a fresh copy of a (prepared) template, closed afterwards."""
    with ExitStack() as stack:
        context = loaded_context(templates.url(backend, folder, stack, prepare), clock)
        try:
            yield context
        finally:
            context.db.dispose()


@pytest.fixture
def ctx(backend: str, clock: Clock, templates: Templates, tmp_path: Path) -> Iterator[AppContext]:
    """A migrated database with the shipped Kokemäki catalogue loaded."""
    with copied_context(templates, backend, clock, tmp_path) as context:
        yield context


@pytest.fixture
def sqlite_ctx(clock: Clock, templates: Templates, tmp_path: Path) -> Iterator[AppContext]:
    """Like ctx, on SQLite only (for tests that do not concern the database)."""
    with copied_context(templates, "sqlite", clock, tmp_path) as context:
        yield context


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the logging set-up back after a test that configured it as the bot does."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name in ("goalbot", "telegram", "httpx", "httpcore", "apscheduler", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.NOTSET)
