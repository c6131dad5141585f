"""Migrations run from an empty database on SQLite and PostgreSQL, and again harmlessly."""

from __future__ import annotations

from sqlalchemy import inspect

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
