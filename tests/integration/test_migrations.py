"""Migrations run from an empty database on SQLite and PostgreSQL, and again harmlessly."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from goalbot.services.context import AppContext
from goalbot.storage.database import Database, database_revision, upgrade_database
from goalbot.storage.models import Base


def test_migrations_from_empty_match_the_models(db_url: str) -> None:
    database = Database.connect(db_url)
    try:
        assert database_revision(database.engine)[0] is None
        upgrade_database(database.engine)
        upgrade_database(database.engine)  # a second start changes nothing
        current, head = database_revision(database.engine)
        assert current == head
        inspector = inspect(database.engine)
        tables = set(inspector.get_table_names()) - {"alembic_version"}
        assert tables == set(Base.metadata.tables)
        for name, table in Base.metadata.tables.items():
            columns = {c["name"] for c in inspector.get_columns(name)}
            assert columns == {c.name for c in table.columns}, name
    finally:
        database.dispose()


def test_sqlite_uses_wal_and_foreign_keys(sqlite_url: str) -> None:
    database = Database.connect(sqlite_url)
    try:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        database.dispose()


def test_sqlite_units_of_work_take_the_write_lock_at_their_start(sqlite_url: str) -> None:
    """Two units of work never both read and then write: the second waits for the first."""
    import sqlite3

    database = Database.connect(sqlite_url)
    try:
        upgrade_database(database.engine)
        with database.unit_of_work() as uow:
            uow.session.execute(text("SELECT 1"))
            path = sqlite_url.removeprefix("sqlite:///")
            other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                assert "locked" in str(exc)
            else:  # pragma: no cover - the assertion below explains the failure
                other.execute("ROLLBACK")
                raise AssertionError("a second writer got in during a unit of work")
            finally:
                other.close()
    finally:
        database.dispose()


def test_a_unit_of_work_inside_another_is_refused_on_every_database(ctx: AppContext) -> None:
    """Only the use case that opened a unit of work commits; nesting one is an error everywhere."""
    with ctx.unit_of_work() as uow:
        uow.session.execute(text("SELECT 1"))
        with pytest.raises(RuntimeError, match="inside another"), ctx.unit_of_work():
            pass  # pragma: no cover - never entered
    # the refusal left nothing behind: the next unit of work opens as usual
    with ctx.unit_of_work() as uow:
        assert uow.session.execute(text("SELECT 1")).scalar() == 1
