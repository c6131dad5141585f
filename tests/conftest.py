"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable), app contexts, clocks."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
RUN_ENV = "GOALBOT_TEST_RUN"  # one run of the tests, its processes included
TEMPLATE_PREFIX = "goalbot_template_"  # the PostgreSQL templates of a run
COPY_PREFIX = "goalbot_copy_"  # and the copies of them that its tests use
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
    name = f"goalbot_test_{uuid.uuid4().hex[:12]}"
    url = create_postgres_database(name, template)
    try:
        yield url
    finally:
        drop_postgres_databases([name])


def create_postgres_database(name: str, template: str | None = None) -> str:
    """A PostgreSQL database ``name`` (a copy of ``template``, else empty); its URL."""
    admin = postgres_admin_url()
    if not admin:
        pytest.skip(f"{POSTGRES_URL_ENV} is not set")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL not usable: {exc}")
    finally:
        engine.dispose()
    return postgres_url_of(name)


def postgres_url_of(name: str, query: dict[str, str] | None = None) -> str:
    """The URL of the PostgreSQL database ``name`` on the tests' server (with ``query``)."""
    admin = postgres_admin_url()
    assert admin is not None
    url = make_url(admin).set(database=name)
    if query:
        url = url.update_query_dict(query)
    return url.render_as_string(hide_password=False)


def drop_postgres_databases(names: list[str]) -> None:
    """Drop the PostgreSQL databases ``names``."""
    admin = postgres_admin_url()
    assert admin is not None
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def postgres_databases(prefix: str) -> list[str]:
    """The names of the PostgreSQL databases whose names start with ``prefix``."""
    admin = postgres_admin_url()
    assert admin is not None
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            return list(
                connection.scalars(
                    text("SELECT datname FROM pg_database WHERE datname LIKE :prefix"),
                    {"prefix": f"{prefix}%"},
                )
            )
    finally:
        engine.dispose()


@pytest.fixture
def postgres_url(templates: Templates) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (skipped where none is reachable)."""
    with ExitStack() as stack:
        yield templates.empty_postgres(stack)


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


def migrated(_ctx: AppContext, _clock: Clock) -> None:
    """Not a preparation: a template with every migration applied and nothing loaded (what
    ``make_context`` makes of an empty database)."""


class Templates:
    """Databases migrated and loaded with the shipped catalogue once per test run.

    A test that wants one gets a copy (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE``
    on PostgreSQL): the same content as migrating and loading it afresh, in a fraction of
    the time. A ``prepare`` step (answers, people, an open round) is likewise applied once,
    to a template of its own, and its result copied for every test that asks for it.

    The test processes of one run share the templates (in ``folder``, the run's own): the
    first that needs one makes it while the others wait for it, so each is made once, not
    once per process. The run's first process drops the PostgreSQL ones at its end.
    """

    def __init__(self, folder: Path, run: str) -> None:
        self.folder = folder
        self.run = run
        self._sqlite: dict[Prepare | None, Path] = {}
        self._postgres: dict[Prepare | None, str] = {}
        # PostgreSQL's copies made ahead, by template, and the drops, each one at a time
        self._spares: dict[str | None, Future[str]] = {}
        self._ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="postgres-copy")
        self._behind = ThreadPoolExecutor(max_workers=1, thread_name_prefix="postgres-drop")

    @staticmethod
    def _fill(url: str, prepare: Prepare | None) -> None:
        if prepare is migrated:
            context = make_context(url, Clock(START))
        elif prepare is None:
            config = Config(database=DatabaseConfig(url=url))
            context = bootstrap(config, clock=Clock(START), create=True)
        else:
            clock = Clock(START)
            context = loaded_context(url, clock)
            prepare(context, clock)
        context.db.dispose()

    @staticmethod
    def _name(prepare: Prepare | None) -> str:
        """The same name in every test process for the same step."""
        if prepare is None:
            return "template"
        return f"{prepare.__module__}.{prepare.__name__}".replace(".", "-")

    @contextmanager
    def _made_once(self, name: str) -> Iterator[bool]:
        """Whether ``name`` is still to be made (by the caller, in the block): one process of
        the run at a time asks, so each template is made once."""
        done = self.folder / f"{name}.done"
        with (self.folder / f"{name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                made = done.exists()
                yield not made
                if not made:
                    done.touch()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def sqlite(self, path: Path, prepare: Prepare | None = None) -> str:
        """A loaded (and prepared) SQLite database at ``path``; its URL."""
        template = self._sqlite.get(prepare)
        if template is None:
            name = self._name(prepare)
            template = self.folder / f"{name}.sqlite3"
            with self._made_once(f"sqlite-{name}") as to_make:
                if to_make:
                    template.unlink(missing_ok=True)
                    if prepare not in (None, migrated):
                        self.sqlite(template)
                    self._fill(f"sqlite:///{template}", prepare)
                    # the last connection closed has written the log back into the file
                    assert not template.with_name(template.name + "-wal").exists()
            self._sqlite[prepare] = template
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"

    def postgres(self, stack: ExitStack, prepare: Prepare | None = None) -> str:
        """A loaded (and prepared) PostgreSQL database, dropped when ``stack`` closes; its URL."""
        return self._postgres_copy(stack, self._postgres_template(prepare))

    def empty_postgres(self, stack: ExitStack) -> str:
        """An empty PostgreSQL database, dropped when ``stack`` closes; its URL."""
        return self._postgres_copy(stack, None)

    def _postgres_copy(self, stack: ExitStack, template: str | None) -> str:
        """A copy of ``template`` (else an empty database), dropped when ``stack`` closes.

        The copy is one made while an earlier test ran, where there is one: PostgreSQL takes
        a good part of a second to copy a template, which no test needs to wait for. The next
        test's copy is begun at once, and this one is dropped behind the test. The last copies
        made ahead, which no test took, the run's first process drops with the templates.
        """
        spare = self._spares.pop(template, None)
        # (one not begun yet is not waited for: it is made here and now)
        name = spare.result() if spare is not None and not spare.cancel() else self._copy(template)
        self._spares[template] = self._ahead.submit(self._copy, template)
        stack.callback(self._behind.submit, drop_postgres_databases, [name])
        # a commit is not waited for on the disk: a copy outlives no crash of the server
        return postgres_url_of(name, {"options": "-c synchronous_commit=off"})

    def _copy(self, template: str | None) -> str:
        name = f"{COPY_PREFIX}{self.run}_{uuid.uuid4().hex[:12]}"
        create_postgres_database(name, template)
        return name

    def close(self) -> None:
        """Stop making copies ahead (the last ones made are left to the run's first process)
        and finish the drops, while the other processes still run their tests."""
        self._ahead.shutdown(wait=True, cancel_futures=True)
        self._behind.shutdown(wait=True)

    def _postgres_template(self, prepare: Prepare | None) -> str:
        """The name of the run's PostgreSQL template for ``prepare``, made if need be."""
        template = self._postgres.get(prepare)
        if template is None:
            name = self._name(prepare)
            digest = hashlib.sha1(name.encode()).hexdigest()[:10]
            template = f"{TEMPLATE_PREFIX}{self.run}_{digest}"
            with self._made_once(f"postgres-{name}") as to_make:
                if to_make:
                    base = None if prepare in (None, migrated) else self._postgres_template(None)
                    self._fill(create_postgres_database(template, base), prepare)
            self._postgres[prepare] = template
        return template

    def url(self, backend: str, folder: Path, stack: ExitStack, prepare: Prepare | None) -> str:
        """A copy on ``backend`` (a SQLite file in ``folder``); its URL."""
        if backend == "sqlite":
            return self.sqlite(folder / "goalbot.sqlite3", prepare)
        return self.postgres(stack, prepare)


DEFAULT_MARKERS = "not reliability and not slow"  # pyproject's addopts: the default suite


@pytest.hookimpl(optionalhook=True)  # (xdist's hook: no error where it is not loaded)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: two test processes a core for the default suite, one for the others.

    A test waits part of its time (for the bot's reply, the fake server, PostgreSQL's copies
    and commits, a program it started): a second process a core works meanwhile. Each
    process collects the tests anew (about 4 s of a core), which is what a third would cost.
    The reliability suite measures the bot under kills and faults on a core each, as it always
    has.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # (xdist's own reading of it)
    cores = len(os.sched_getaffinity(0))
    return 2 * cores if config.getoption("markexpr") == DEFAULT_MARKERS else cores


def pytest_configure(config: pytest.Config) -> None:
    """The run's name, which its test processes inherit: they share its templates."""
    if not hasattr(config, "workerinput"):
        os.environ.setdefault(RUN_ENV, uuid.uuid4().hex[:12])


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's first process drops the run's PostgreSQL templates and what is left of their
    copies, the others done."""
    run = os.environ.get(RUN_ENV)
    if hasattr(session.config, "workerinput") or not postgres_admin_url() or not run:
        return
    # a database left behind (the server went away) is only a database too many
    with contextlib.suppress(Exception):
        names = postgres_databases(f"{COPY_PREFIX}{run}")
        names += postgres_databases(f"{TEMPLATE_PREFIX}{run}")
        # several at once: the run's last seconds are spent on them
        with ThreadPoolExecutor(max_workers=4) as dropping:
            list(dropping.map(lambda name: drop_postgres_databases([name]), names))


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    # the test processes of one run have their temporary folders side by side
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "goalbot-templates"
    folder.mkdir(exist_ok=True)
    templates = Templates(folder, os.environ.get(RUN_ENV) or uuid.uuid4().hex[:12])
    try:
        yield templates
    finally:
        templates.close()


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
def migrated_url(backend: str, templates: Templates, tmp_path: Path) -> Iterator[str]:
    """A database on each backend with every migration applied and nothing in it."""
    with ExitStack() as stack:
        yield templates.url(backend, tmp_path, stack, migrated)


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
