"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable), app contexts, clocks."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from goalbot.config import Config, DatabaseConfig
from goalbot.services.catalogue import load_catalogue
from goalbot.services.context import AppContext
from goalbot.storage.database import Database, upgrade_database

pytest_plugins = ["tests.fakes.fixtures"]

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


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (skipped where none is reachable)."""
    admin = postgres_admin_url()
    if not admin:
        pytest.skip(f"{POSTGRES_URL_ENV} is not set")
    name = f"goalbot_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
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
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'goalbot.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'goalbot.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 6, 15, 6, 0, tzinfo=UTC))


def make_context(url: str, clock: Clock, config: Config | None = None) -> AppContext:
    config = config or Config()
    config = replace(config, database=DatabaseConfig(url=url))
    database = Database.connect(url)
    upgrade_database(database.engine)
    return AppContext(config=config, db=database, clock=clock)


@pytest.fixture
def ctx(db_url: str, clock: Clock) -> Iterator[AppContext]:
    """A migrated database with the shipped Kokemäki catalogue loaded."""
    context = make_context(db_url, clock)
    load_catalogue(context)
    yield context
    context.db.dispose()


@pytest.fixture
def sqlite_ctx(sqlite_url: str, clock: Clock) -> Iterator[AppContext]:
    """Like ctx, on SQLite only (for tests that do not concern the database)."""
    context = make_context(sqlite_url, clock)
    load_catalogue(context)
    yield context
    context.db.dispose()
