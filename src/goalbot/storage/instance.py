"""One running bot per database: a lock held for the life of the process.

SQLite: an exclusive ``flock`` on ``<database>.lock`` beside the file. PostgreSQL: a
session-level advisory lock on a connection kept open. Both are let go by the operating system
or the server when the process dies, however it dies, so a crashed bot never blocks the next
start. (A standby that waits for the lock instead of refusing can be built on the same lock.)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from goalbot.storage.database import StorageError, sqlite_file

# pg_advisory_lock's key for "the goalbot of this database" (the bytes of "goalbot\0" >> 8)
ADVISORY_KEY = 0x676F616C
_HELD_ELSEWHERE = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND classid = 0 AND objid = :key AND objsubid = 1 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND pid <> pg_backend_pid()"
)


class AlreadyRunning(StorageError):
    """Another goalbot holds this database."""


def _lock_path(engine: Engine) -> Path | None:
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    return None if path is None else path.with_name(path.name + ".lock")


class InstanceLock:
    """Held by the running bot; ``acquire`` refuses while another process holds it."""

    def __init__(
        self, handle: IO[bytes] | None, connection: Connection | None, engine: Engine | None = None
    ) -> None:
        self._handle = handle
        self._connection = connection
        self._engine = engine

    @classmethod
    def acquire(cls, engine: Engine) -> InstanceLock:
        path = _lock_path(engine)
        if path is not None:
            handle = path.open("ab")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                handle.close()
                raise AlreadyRunning(str(path)) from exc
            return cls(handle, None)
        if engine.dialect.name != "postgresql":
            return cls(None, None)  # other databases: no lock to take
        connection = engine.connect()
        # out of the pool: closing it ends the session, and the session's lock with it
        connection.detach()
        got = connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
        ).scalar()
        connection.commit()
        if not got:
            connection.close()
            raise AlreadyRunning(engine.url.render_as_string(hide_password=True))
        return cls(None, connection, engine)

    def keep(self) -> None:
        """PostgreSQL: take the lock again if the server lost the session (say, a restart);
        AlreadyRunning if another bot took it meanwhile."""
        if self._connection is None or self._engine is None:
            return
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
            return
        except DBAPIError:
            with contextlib.suppress(Exception):
                self._connection.invalidate()
                self._connection.close()
            self._connection = None
        self._connection = InstanceLock.acquire(self._engine)._connection

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file lets go of the flock
            self._handle = None
        if self._connection is not None:
            # the session's advisory lock goes with it (the server may be gone: so is the lock)
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None


def held_elsewhere(engine: Engine) -> bool:
    """Whether a process other than this connection's holds the database's lock."""
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
    with engine.connect() as connection:
        return bool(connection.execute(_HELD_ELSEWHERE, {"key": ADVISORY_KEY}).scalar())
