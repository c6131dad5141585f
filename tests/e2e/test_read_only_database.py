"""A database that takes no writes: one clear line, no traceback, nothing confirmed to Telegram
that was not stored, and everything goes on once it can be written again; ``goalbot health``
says why."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from goalbot.reporting.rendering import render
from goalbot.services.context import AppContext
from goalbot.services.health import Instance, health_of, record_heartbeat, start_instance
from goalbot.storage.database import (
    database_read_only,
    is_database_unavailable,
    is_read_only_error,
)
from goalbot.storage.instance import InstanceLock
from tests.conftest import Clock, postgres_admin_url
from tests.e2e.chat_steps import enrol, type_text
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi


def set_read_only(url: str, on: bool) -> None:
    """PostgreSQL's default_transaction_read_only for the test's own database, for every
    connection from now on (the old ones are cut, as a failover would)."""
    admin = postgres_admin_url()
    assert admin is not None
    name = make_url(url).database
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            value = "on" if on else "off"
            connection.execute(
                text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {value}')
            )
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
    finally:
        engine.dispose()


def test_a_read_only_sqlite_file_is_told_apart(tmp_path: Path) -> None:
    path = tmp_path / "ro.sqlite3"
    writable = create_engine(f"sqlite:///{path}")
    with writable.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    writable.dispose()
    read_only = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(DBAPIError) as refused, read_only.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
    read_only.dispose()
    assert is_read_only_error(refused.value) and is_database_unavailable(refused.value)
    assert database_read_only(create_engine(f"sqlite:///{path}")) == ""


def test_health_says_the_database_is_read_only(backend: str, ctx: AppContext, clock: Clock) -> None:
    if backend != "postgresql":
        pytest.skip("root writes any SQLite file; PostgreSQL's read-only mode is the test")
    url = ctx.config.database.url
    lock = InstanceLock.acquire(ctx.db.engine)
    try:
        start_instance(ctx, Instance("i-1", "palvelin", 4242, 123))
        set_read_only(url, True)
        ctx.db.engine.dispose()
        lock.keep()  # as the running bot's heartbeat does after losing its connection
        clock.advance(seconds=10)
        with pytest.raises(DBAPIError) as refused:
            record_heartbeat(ctx, "i-1", True, clock.now, "")
        assert is_read_only_error(refused.value) and is_database_unavailable(refused.value)
        health = health_of(ctx)
        line = render("cli/health.txt.j2", "en", health=health, timezone=ctx.config.schedule.zone)
        assert not health.healthy and line.startswith(
            "unhealthy: the bot (pid 4242 on palvelin) runs, but the database is read-only: "
            "PostgreSQL takes no writes"
        )
        set_read_only(url, False)
        ctx.db.engine.dispose()
        lock.keep()
        record_heartbeat(ctx, "i-1", True, clock.now, "")
        assert health_of(ctx).healthy
    finally:
        set_read_only(url, False)
        lock.release()


async def test_the_running_bot_holds_everything_while_the_database_is_read_only(
    backend: str,
    ctx: AppContext,
    clock: Clock,
    botapi: FakeBotApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if backend != "postgresql":
        pytest.skip("root writes any SQLite file; PostgreSQL's read-only mode is the test")
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    ctx = with_telegram(ctx, botapi)
    url = ctx.config.database.url
    owner = botapi.driver.create_user("Reino")
    enrol(ctx, owner, "rakennustarkastaja", "Reino Rakennustarkastaja")
    caplog.set_level(logging.INFO)
    try:
        async with running_bot(ctx):
            first = await type_text(owner, "/status")
            assert first.content.startswith("Omat tavoitteesi")
            set_read_only(url, True)
            before = len(owner.bot_messages())
            owner.send("/status")
            await botapi.driver.wait_until(
                lambda: any("is read-only" in r.getMessage() for r in caplog.records),
                timeout=30,
            )
            await asyncio.sleep(3)  # several polls of the same update meanwhile
            assert botapi.driver.pending_updates == 1  # Telegram still has it: not confirmed
            assert len(owner.bot_messages()) == before
            set_read_only(url, False)
            again = await owner.wait_for_message(
                predicate=lambda m: (
                    m.content.startswith("Omat tavoitteesi") and m.message_id != first.message_id
                ),
                timeout=60,
            )
            assert again.content == first.content
    finally:
        set_read_only(url, False)
    said = [r for r in caplog.records if "is read-only" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.ERROR
    assert "nothing is stored, no update is confirmed" in said[0].getMessage()
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.WARNING]
    assert tracebacks == []
