"""Engines, sessions, migrations and the unit of work."""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:  # alembic is imported when a database is migrated or asked its revision
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock keys: one process at a time migrates, one loads the catalogue
MIGRATING = 0x676F6D01
LOADING_CATALOGUE = 0x676F6D02


class StorageError(Exception):
    """The database cannot be used; the message says why in one line."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the bot's worker threads read while one writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Python's sqlite3 begins transactions on its own and late; SQLAlchemy should do it, so that
    # transactions and savepoints mean what they say (SQLAlchemy's pysqlite recipe).
    dbapi_connection.isolation_level = None


READ_ONLY = "goalbot_read_only"  # the execution option of a unit of work that only reads


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE: a unit of work takes the write lock at its start and others wait for it
    # (busy_timeout); two deferred transactions that both read and then write would deadlock
    # and one would fail with "database is locked" at once. One that only reads (it never
    # commits) reads a snapshot beside the writer (WAL) and waits for nobody.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_db_engine(url: str, echo: bool = False, create: bool = True) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout.

    ``create``: a SQLite file that is not there is made on the first connection; without it a
    connection to a file that went away fails (SQLite's ``mode=rw``) instead of leaving a new
    empty file in its place."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"database.url {url!r} is not a valid database URL") from exc
    try:
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                folder = Path(database).expanduser().resolve().parent
                if not folder.is_dir():
                    raise StorageError(f"database folder {folder} does not exist")
            options: dict[str, Any] = {"check_same_thread": False, "timeout": 10}
            if database and database != ":memory:" and not create:
                target = f"file:{quote(str(Path(database).expanduser().resolve()))}?mode=rw"
                engine = create_engine(
                    parsed, echo=echo, creator=lambda: sqlite3.connect(target, uri=True, **options)
                )
            else:
                engine = create_engine(parsed, echo=echo, connect_args=options)
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        return create_engine(
            parsed,
            echo=echo,
            pool_pre_ping=True,
            connect_args=_connect_args(parsed.get_backend_name()),
        )
    except NoSuchModuleError as exc:
        raise StorageError(
            f"no database driver for {parsed.drivername!r}: "
            "install goalbot[postgres] for PostgreSQL"
        ) from exc
    except ModuleNotFoundError as exc:
        raise StorageError(
            f"the database driver {exc.name!r} is not installed "
            "(for PostgreSQL: pip install 'goalbot[postgres]')"
        ) from exc


def _connect_args(backend: str) -> dict[str, Any]:
    if backend == "postgresql":
        return {"connect_timeout": 10}
    return {}


READ_ONLY_SQLSTATE = "25006"  # PostgreSQL's read_only_sql_transaction


def is_read_only_error(exc: BaseException | None) -> bool:
    """Whether ``exc`` is the database refusing a write because it is read-only (a SQLite file
    or folder without write permission, PostgreSQL's ``default_transaction_read_only``, a hot
    standby)."""
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) == READ_ONLY_SQLSTATE:
        return True
    text = str(exc.orig or exc).lower()
    return "readonly database" in text or "read-only transaction" in text


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` means the database could not be reached or used right now (also: it
    cannot be written); the bot holds its work until it can."""
    return isinstance(exc, OperationalError | StorageError) or is_read_only_error(exc)


def database_read_only(engine: Engine) -> str:
    """Why goalbot cannot write the database (a short reason), or "" if it can."""
    url = engine.url.render_as_string(hide_password=False)
    path = sqlite_file(url)
    if path is not None:
        # SQLite writes its journal beside the file: the folder must be writable too
        if path.exists() and not os.access(path, os.W_OK):
            return f"the file {path} is read-only"
        if not os.access(path.parent, os.W_OK):
            return f"the folder {path.parent} is read-only"
        return ""
    if engine.dialect.name != "postgresql":
        return ""
    with engine.connect() as connection:
        read_only = connection.execute(text("SELECT current_setting('transaction_read_only')"))
        if read_only.scalar() == "on":
            return "PostgreSQL takes no writes (default_transaction_read_only, or a standby)"
    return ""


def safe_url(url: str) -> str:
    """The database URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True) if "://" in url else url
    except ArgumentError:
        return url


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().resolve()


def file_identity(url: str) -> tuple[int, int] | None:
    """The device and inode of a SQLite database's file (None for other databases)."""
    path = sqlite_file(url)
    if path is None:
        return None
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def file_vanished(url: str, identity: tuple[int, int] | None) -> str:
    """Why the SQLite file a bot started on is no longer the database ("" while it is)."""
    path = sqlite_file(url)
    if path is None or identity is None:
        return ""
    now = file_identity(url)
    if now == identity:
        return ""
    what = "deleted" if now is None else "replaced by another file"
    return (
        f"the database file {path} was {what} while the bot ran; stopping "
        "('goalbot restore FILE' puts a backup back, 'goalbot db upgrade' makes an empty one)"
    )


class NoDatabase(StorageError):
    """The configured database does not exist (or holds no goalbot tables)."""


def require_existing(database: Database) -> None:
    """Refuse to work on a database nobody created: a CLI run in the wrong folder would
    otherwise make an empty one and report on it. Only ``db upgrade`` and ``run`` create."""
    url = database.engine.url.render_as_string(hide_password=False)
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise NoDatabase(
            f"no goalbot database at {path} (not created: 'goalbot db upgrade' creates it; "
            "or give the right --config)"
        )
    with database.engine.connect() as connection:
        known = _revisions(connection)
    if not known:
        raise NoDatabase(
            f"the database {safe_url(url)} holds no goalbot tables "
            "('goalbot db upgrade' creates them; or give the right --config)"
        )


def database_problems(url: str) -> list[str]:
    """What stops goalbot from using the database at ``url`` (nothing is created)."""
    try:
        engine = create_db_engine(url)
    except StorageError as exc:
        return [str(exc)]
    try:
        if sqlite_file(url) is None:
            with engine.connect():
                pass
    except (OperationalError, DBAPIError) as exc:
        return [describe_db_error(exc, url)]
    finally:
        engine.dispose()
    return []


def describe_db_error(exc: BaseException, url: str) -> str:
    """One line that says why the database could not be used."""
    safe = safe_url(url)
    if isinstance(exc, StorageError):
        return str(exc)
    if isinstance(exc, OperationalError | DBAPIError):
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return f"cannot use the database {safe}: {detail}"
    return f"cannot use the database {safe}: {exc}"


def _alembic_config(engine: Engine | None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


@dataclass(frozen=True)
class Migration:
    """One step of the database's schema."""

    revision: str
    description: str


def known_migrations(engine: Engine) -> list[Migration]:
    """Every migration this version of goalbot has, oldest first."""
    return list(_shipped_migrations())


@lru_cache(maxsize=1)
def _shipped_migrations() -> tuple[Migration, ...]:
    # the scripts ship with goalbot and do not change while it runs: read them once
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(None))
    steps = [
        Migration(str(s.revision), (s.doc or "").strip().splitlines()[0] if s.doc else "")
        for s in script.walk_revisions("base", "heads")
    ]
    return tuple(steps[::-1])


def one_at_a_time(connection: Connection | Session, key: int) -> None:
    """Wait until no other process is in a transaction of ``key``'s kind, till this one ends.

    PostgreSQL: two first starts at once (``goalbot run`` and ``db upgrade``, say) would both
    create the tables, and one would fail on a duplicate key. SQLite: every transaction takes
    the write lock at its start already (``BEGIN IMMEDIATE``).
    """
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    if bind.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


_REVISION = re.compile(
    r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:None|["']([^"']+)["'])\s*$"""
)


@lru_cache(maxsize=1)
def _shipped_head() -> str | None:
    """The newest shipped migration's revision, read from the scripts' ``revision`` and
    ``down_revision`` lines without alembic (which takes a quarter of a second to import
    and runs every script to list them); None if the scripts are not one plain chain."""
    revisions, downs = set(), set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _REVISION.match(line)
            if match is not None:
                found[match.group(1)] = match.group(2)
        if "revision" not in found:
            continue
        revisions.add(found["revision"])
        if found.get("down_revision"):
            downs.add(found["down_revision"])
    heads = revisions - downs
    return next(iter(heads)) if len(heads) == 1 and None not in heads else None


def _revisions(connection: Connection) -> list[str]:
    """The database's revisions as alembic keeps them (none: no goalbot tables yet)."""
    if not inspect(connection).has_table("alembic_version"):
        return []
    found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    return [str(revision) for revision in found]


def _current_revision(connection: Connection) -> str | None:
    """The database's one revision (None: none yet, or several)."""
    revisions = _revisions(connection)
    return revisions[0] if len(revisions) == 1 else None


def upgrade_database(engine: Engine) -> list[Migration]:
    """Apply every migration not yet applied (safe to run at each start); the ones applied."""
    try:
        with engine.begin() as connection:
            one_at_a_time(connection, MIGRATING)
            # every start comes here: a database already at the newest revision needs
            # nothing, and is seen to be without alembic
            head = _shipped_head()
            if head is not None and _current_revision(connection) == head:
                return []
            from alembic import command
            from alembic.runtime.migration import MigrationContext

            before = MigrationContext.configure(connection).get_current_revision()
            shipped = _shipped_migrations()
            if not shipped or before != shipped[-1].revision:
                config = _alembic_config(engine)
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
    except (OperationalError, DBAPIError) as exc:
        raise StorageError(describe_db_error(exc, engine.url.render_as_string(False))) from exc
    steps = known_migrations(engine)
    done = [m.revision for m in steps]
    first_new = done.index(before) + 1 if before in done else 0
    return steps[first_new:]


def database_revision(engine: Engine) -> tuple[str | None, str]:
    """The database's current revision and the newest one this version of goalbot knows."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(engine))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, script.get_current_head() or ""


@dataclass
class Database:
    """An engine and its session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def connect(cls, url: str, echo: bool = False, create: bool = True) -> Database:
        """``create``: a SQLite file that is not there may be made (see ``create_db_engine``)."""
        engine = create_db_engine(url, echo, create)
        return cls(engine, sessionmaker(engine, expire_on_commit=False))

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        """A transaction; ``read_only``: one that reads and never commits (on SQLite it does
        not take the write lock, so it neither waits for writers nor holds them up)."""
        if not read_only:
            return UnitOfWork(self.sessions)
        return UnitOfWork(self._readers, read_only=True)

    @cached_property
    def _readers(self) -> sessionmaker[Session]:
        reader = self.engine.execution_options(**{READ_ONLY: True})
        return sessionmaker(reader, expire_on_commit=False)

    def dispose(self) -> None:
        self.engine.dispose()


_open_units = threading.local()


class UnitOfWork:
    """One transaction per update or job: commit explicitly; leaving without commit rolls back.

    Only the use case that opened it commits; a unit of work opened inside another in the same
    thread is refused, on every database: on SQLite the inner one would wait for the outer
    one's write lock until it timed out, and elsewhere it would commit half of a use case.
    """

    def __init__(self, sessions: Callable[[], Session], read_only: bool = False) -> None:
        self._sessions = sessions
        self._session: Session | None = None
        self.read_only = read_only

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside 'with'")
        return self._session

    def __enter__(self) -> Self:
        if getattr(_open_units, "depth", 0):
            raise RuntimeError("a unit of work was opened inside another in the same thread")
        self._session = self._sessions()
        _open_units.depth = 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed; loaded objects stay readable
        session = self.session
        self._session = None
        _open_units.depth = 0
        session.close()

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a unit of work opened to read only cannot commit")
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        self.session.flush()
