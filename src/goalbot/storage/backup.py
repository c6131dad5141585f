"""Backups: a consistent copy of the database in one file, and putting one back.

A backup is a SQLite file with goalbot's schema, whatever the database is: SQLite is copied
with SQLite's own online backup (consistent while the bot writes), PostgreSQL table by table
inside one REPEATABLE READ transaction (one snapshot). The same file restores into SQLite or
PostgreSQL, so a backup also moves a municipality from one to the other.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, Table, create_engine, select, text
from sqlalchemy.engine import Connection

from goalbot.storage.database import (
    StorageError,
    database_revision,
    known_migrations,
    sqlite_file,
    upgrade_database,
)
from goalbot.storage.instance import held_elsewhere
from goalbot.storage.models import Base

BATCH = 1000
VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class Copied:
    """What a backup or a restore copied."""

    path: Path
    revision: str
    rows: int
    tables: int


def _tables() -> list[Table]:
    """goalbot's tables, each after the ones it refers to."""
    return list(Base.metadata.sorted_tables)


def _count(connection: Connection) -> int:
    return sum(
        int(connection.execute(text(f'SELECT count(*) FROM "{t.name}"')).scalar() or 0)
        for t in _tables()
    )


def backup_database(engine: Engine, path: Path) -> Copied:
    """Write a consistent copy of the database at ``engine`` to the new file ``path``."""
    if path.exists():
        raise StorageError(f"{path}: exists already; a backup never overwrites a file")
    if not path.parent.is_dir():
        raise StorageError(f"{path.parent}: no such folder")
    current, head = database_revision(engine)
    if current is None:
        raise StorageError("the database holds no goalbot tables: nothing to back up")
    source = sqlite_file(engine.url.render_as_string(hide_password=False))
    if source is None and current != head:
        raise StorageError(
            f"the database is at migration {current}, this goalbot at {head}: "
            "back it up with the goalbot that runs on it, or run 'goalbot db upgrade' first"
        )
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if source is not None:
            _copy_sqlite(source, partial)
        else:
            _copy_tables(engine, partial, current)
        copied = _check_backup(partial)
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    return Copied(path, copied.revision, copied.rows, copied.tables)


def _copy_sqlite(source: Path, target: Path) -> None:
    # SQLite's online backup copies one consistent state even while the bot writes
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _sqlite_engine(path: Path) -> Engine:
    return create_engine(f"sqlite:///{path}")


def _copy_tables(engine: Engine, target: Path, revision: str) -> None:
    """Every table into a new SQLite file, read in one snapshot of the source."""
    destination = _sqlite_engine(target)
    try:
        Base.metadata.create_all(destination)
        with destination.begin() as out:
            out.execute(text(f"CREATE TABLE {VERSION_TABLE} (version_num VARCHAR(32) NOT NULL)"))
            out.execute(text(f"INSERT INTO {VERSION_TABLE} VALUES (:r)"), {"r": revision})
        snapshot = engine.connect().execution_options(isolation_level="REPEATABLE READ")
        with snapshot as source, source.begin(), destination.begin() as out:
            if engine.dialect.name == "postgresql":
                source.execute(text("SET TRANSACTION READ ONLY"))
            for table in _tables():
                for rows in _batches(source, table):
                    out.execute(table.insert(), rows)
    finally:
        destination.dispose()


def _batches(connection: Connection, table: Table) -> Iterator[list[dict[str, object]]]:
    result = connection.execute(select(table).order_by(*table.primary_key.columns))
    while rows := result.mappings().fetchmany(BATCH):
        yield [dict(row) for row in rows]


def _check_backup(path: Path) -> Copied:
    """The backup file is a sound SQLite database with goalbot's tables (or StorageError)."""
    engine = _sqlite_engine(path)
    try:
        with engine.connect() as connection:
            verdict = connection.execute(text("PRAGMA integrity_check")).scalar()
            if verdict != "ok":
                raise StorageError(f"{path}: the copy is damaged: {verdict}")
            revision = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
            return Copied(path, str(revision), _count(connection), len(_tables()))
    except StorageError:
        raise
    except Exception as exc:
        detail = getattr(exc, "orig", None) or exc
        first = str(detail).strip().splitlines()[0] if str(detail).strip() else type(exc).__name__
        raise StorageError(f"{path}: not a goalbot backup ({first})") from exc
    finally:
        engine.dispose()


def restore_database(engine: Engine, path: Path, replace: bool) -> Copied:
    """Replace every row of the database at ``engine`` by the backup ``path``'s."""
    if not path.is_file():
        raise StorageError(f"{path}: no such backup file")
    if held_elsewhere(engine):
        raise StorageError("the bot is running on this database: stop it before a restore")
    backup = _check_backup(path)
    known = [m.revision for m in known_migrations(engine)]
    if backup.revision not in known:
        raise StorageError(
            f"{path}: made by a newer goalbot (migration {backup.revision}); install that one"
        )
    upgrade_database(engine)
    with tempfile.TemporaryDirectory() as folder:
        # a backup from an older goalbot is brought to this one's schema first, on a copy
        work = Path(folder) / "backup.sqlite3"
        shutil.copyfile(path, work)
        source = _sqlite_engine(work)
        try:
            upgrade_database(source)
            with source.connect() as reader, engine.begin() as target:
                if _count(target) and not replace:
                    raise StorageError(
                        "the database is not empty: add --yes to replace its contents"
                    )
                for table in reversed(_tables()):
                    target.execute(table.delete())
                rows = 0
                for table in _tables():
                    for batch in _batches(reader, table):
                        target.execute(table.insert(), batch)
                        rows += len(batch)
                if engine.dialect.name == "postgresql":
                    _reset_sequences(target)
        finally:
            source.dispose()
    return Copied(path, known[-1], rows, len(_tables()))


def _reset_sequences(connection: Connection) -> None:
    """PostgreSQL's id counters continue after the restored rows."""
    for table in _tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True or (
                column.autoincrement == "auto" and column.type.python_type is int
            ):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                        f'COALESCE((SELECT max("{column.name}") FROM "{table.name}"), 0) + 1, '
                        "false) WHERE pg_get_serial_sequence('"
                        f"{table.name}', '{column.name}') IS NOT NULL"
                    )
                )
