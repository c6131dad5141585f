"""A unit of work that only reads waits for no writer and cannot commit.

On SQLite every other unit of work takes the write lock at its start; a read (who someone is,
what language to answer in, what a reminder says) does not need it, and with it each of those
waited for every write of the bot in turn.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from goalbot.services.context import AppContext
from goalbot.storage.models import PersonRow


def people(ctx: AppContext) -> int:
    with ctx.unit_of_work(read_only=True) as reader:
        return reader.session.scalars(select(func.count()).select_from(PersonRow)).one()


def test_a_read_goes_on_while_a_write_holds_the_lock(sqlite_ctx: AppContext) -> None:
    with sqlite_ctx.unit_of_work() as writer, ThreadPoolExecutor(1) as thread:
        writer.session.add(PersonRow(name="Kirjoittaja"))
        writer.flush()  # the write lock is held until the writer ends
        started = time.monotonic()
        before = thread.submit(people, sqlite_ctx).result(timeout=30)
        assert time.monotonic() - started < 1.0  # not the busy timeout of 10 s
        writer.commit()
    assert people(sqlite_ctx) == before + 1  # the read saw what was committed, not the write


def test_a_read_only_unit_of_work_cannot_commit(ctx: AppContext) -> None:
    with ctx.unit_of_work(read_only=True) as reader, pytest.raises(RuntimeError):
        reader.commit()
