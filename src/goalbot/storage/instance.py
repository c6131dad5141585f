"""Which running bot leads on a database: a lock held for the life of the process.

SQLite: one bot per database, an exclusive ``flock`` on ``<database>.lock`` beside the file; a
second ``goalbot run`` is refused. PostgreSQL: any number of bots, each holding two kinds of
session-level advisory lock on a connection of its own: a member lock of its own (so others can
tell it lives, and take over what it claimed when it is gone) and, for one of them, the leader
lock. The leader runs the calendar and delivers the queued sends (and polls Telegram in polling
mode); the others stand by and try the leader lock every few seconds. Locks are let go by the
operating system or the server when the process dies, however it dies, so a crashed bot never
blocks the next one: a killed process closes its connection at once, and a machine that
vanished is noticed by the server's TCP keepalives (set short on this connection).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import zlib
from pathlib import Path
from typing import IO

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from goalbot.storage.database import StorageError, sqlite_file

# pg_advisory_lock's key for "the goalbot that leads on this database" (classid 0, objsubid 1)
ADVISORY_KEY = 0x676F616C
# the first key of a member lock (pg_advisory_lock(MEMBER_CLASS, member_key(name)), objsubid 2)
MEMBER_CLASS = 0x676F6D45
# the server lets go of a dead machine's locks after about idle + interval * count seconds
SERVER_KEEPALIVES = {"tcp_keepalives_idle": 5, "tcp_keepalives_interval": 5}
SERVER_KEEPALIVE_COUNT = 3
# and this side notices a server gone as soon (a check unanswered this long fails)
CLIENT_CONNECT_ARGS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 15_000,
}
_LOCKS = (
    "SELECT classid::bigint AS classid, objid::bigint AS objid, objsubid, pid FROM pg_locks "
    "WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


class AlreadyRunning(StorageError):
    """Another goalbot holds this database (SQLite: one bot per database file)."""


def member_key(name: str) -> int:
    """The second key of the member lock of the bot process called ``name``."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def _lock_path(engine: Engine) -> Path | None:
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    return None if path is None else path.with_name(path.name + ".lock")


class InstanceLock:
    """This process's hold on the database: whether it leads, and on PostgreSQL its member
    lock. ``acquire`` refuses only where one bot per database is the rule (SQLite)."""

    def __init__(
        self,
        handle: IO[bytes] | None,
        connection: Connection | None,
        engine: Engine | None = None,
        name: str = "",
    ) -> None:
        self._handle = handle
        self._connection = connection
        self._engine = engine  # PostgreSQL: the lock connection's own engine
        self.name = name
        self.leading = connection is None  # without a leader lock to take, this one leads
        self.shared = connection is not None  # several bots may run on this database

    @classmethod
    def acquire(cls, engine: Engine, name: str = "") -> InstanceLock:
        """SQLite: the one bot's lock, or AlreadyRunning. PostgreSQL: the member lock of bot
        ``name`` (not yet the leader's: see ``try_lead``)."""
        path = _lock_path(engine)
        if path is not None:
            try:
                handle = path.open("ab")
            except OSError as exc:
                raise StorageError(
                    f"the lock file {path} beside the database cannot be written: "
                    f"{exc.strerror or exc} (check the folder's owner and permissions)"
                ) from exc
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                handle.close()
                raise AlreadyRunning(str(path)) from exc
            return cls(handle, None, name=name)
        if engine.dialect.name != "postgresql":
            return cls(None, None, name=name)  # other databases: no lock to take
        own = create_engine(engine.url, poolclass=NullPool, connect_args=CLIENT_CONNECT_ARGS)
        return cls(None, _member_connection(own, name), own, name)

    def try_lead(self) -> bool:
        """Take the leader lock if nobody holds it; whether this process leads now."""
        if self.leading or self._connection is None:
            return self.leading
        got = self._connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
        ).scalar()
        self._connection.commit()
        self.leading = bool(got)
        return self.leading

    def keep(self) -> bool:
        """Check the lock connection; whether this process still leads. A lost session (the
        server restarted, the network broke) lost its locks: the member lock is taken again on
        a new connection, the leader lock is not (another bot may have it by now); a database
        that cannot be reached raises as the database does."""
        if self._engine is None:
            return self.leading
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                self._connection.commit()
                return self.leading
            except DBAPIError:
                with contextlib.suppress(Exception):
                    self._connection.invalidate()
                    self._connection.close()
                self._connection = None
        self.leading = False
        self._connection = _member_connection(self._engine, self.name)
        return False

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file lets go of the flock
            self._handle = None
        if self._connection is not None:
            # the session's advisory locks go with it (the server may be gone: so are they)
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()
        self.leading = False


def _member_connection(engine: Engine, name: str) -> Connection:
    """A connection of its own holding the member lock of ``name``, with short keepalives."""
    try:
        connection = engine.connect()
    except DBAPIError as exc:
        raise StorageError(f"cannot reach the database for the instance lock: {exc}") from exc
    try:
        for setting, value in (
            *SERVER_KEEPALIVES.items(),
            ("tcp_keepalives_count", SERVER_KEEPALIVE_COUNT),
        ):
            connection.execute(text(f"SET {setting} = {int(value)}"))
        got = connection.execute(
            text("SELECT pg_try_advisory_lock(:cls, :key)"),
            {"cls": MEMBER_CLASS, "key": member_key(name)},
        ).scalar()
        connection.commit()
    except BaseException:
        connection.close()
        raise
    if not got:
        connection.close()
        raise AlreadyRunning(f"another goalbot process is called {name!r} on this database")
    return connection


def _advisory_locks(engine: Engine) -> tuple[dict[int, int], set[int]]:
    """PostgreSQL: {member key: server pid} of the member locks, and the leader lock's pids."""
    with engine.connect() as connection:
        rows = connection.execute(text(_LOCKS)).all()
    members = {
        int(row.objid): int(row.pid)
        for row in rows
        if row.classid == MEMBER_CLASS and row.objsubid == 2
    }
    leaders = {
        int(row.pid)
        for row in rows
        if row.classid == 0 and row.objid == ADVISORY_KEY and row.objsubid == 1
    }
    return members, leaders


def running_members(engine: Engine) -> tuple[set[int], int | None]:
    """PostgreSQL: the member keys of the bots running on the database, and the leader's."""
    members, leaders = _advisory_locks(engine)
    leader = next((key for key, pid in members.items() if pid in leaders), None)
    return set(members), leader


def held_elsewhere(engine: Engine) -> bool:
    """Whether a bot process runs on the database (this process holds no lock of its own)."""
    path = _lock_path(engine)
    if path is not None:
        if not path.exists():
            return False
        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False
    if engine.dialect.name != "postgresql":
        return False
    members, leaders = _advisory_locks(engine)
    return bool(members or leaders)
