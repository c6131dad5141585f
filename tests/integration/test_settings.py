"""The small values the bot remembers (its name, the management group): written in one statement,
so two bots starting at once on one database never fail on the same key."""

from __future__ import annotations

import threading
from datetime import timedelta

from goalbot.services.context import AppContext
from goalbot.storage.models import SettingRow
from goalbot.storage.repositories import get_setting, set_setting
from tests.conftest import Clock


def test_a_setting_is_written_changed_and_kept(ctx: AppContext, clock: Clock) -> None:
    first = clock.now
    with ctx.unit_of_work() as uow:
        set_setting(uow, "bot_id", "1", first)
        uow.commit()
    with ctx.unit_of_work() as uow:
        row = uow.session.get(SettingRow, "bot_id")
        assert row is not None and row.value == "1"
        set_setting(uow, "bot_id", "1", first + timedelta(hours=1))  # the same: kept as it was
        set_setting(uow, "bot_id", "2", first + timedelta(hours=2))
        assert get_setting(uow, "bot_id") == "2"  # the row loaded before is read again
        uow.commit()
    with ctx.unit_of_work() as uow:
        row = uow.session.get(SettingRow, "bot_id")
        assert row is not None and row.value == "2"
        assert row.updated_at.replace(tzinfo=None) == (first + timedelta(hours=2)).replace(
            tzinfo=None
        )


def test_two_bots_noting_the_same_setting_at_once_both_succeed(
    ctx: AppContext, clock: Clock, backend: str
) -> None:
    """The second waits for the first's transaction (PostgreSQL) or its turn (SQLite), then
    writes over it, where an insert after a read failed on the duplicate key."""
    errors: list[BaseException] = []
    inside = threading.Event()
    go_on = threading.Event()

    def first() -> None:
        try:
            with ctx.unit_of_work() as uow:
                set_setting(uow, "bot_username:7", "eka_bot", clock.now)
                inside.set()
                go_on.wait(10)
                uow.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    def second() -> None:
        try:
            inside.wait(10)
            with ctx.unit_of_work() as uow:
                set_setting(uow, "bot_username:7", "toka_bot", clock.now)
                uow.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    inside.wait(10)
    if backend == "sqlite":
        go_on.set()  # the second waits for the write lock: the first must not wait for it
    else:
        threading.Timer(0.5, go_on.set).start()  # the second blocks on the first's row meanwhile
    for thread in threads:
        thread.join(30)
    assert errors == []
    with ctx.unit_of_work() as uow:
        assert get_setting(uow, "bot_username:7") == "toka_bot"
