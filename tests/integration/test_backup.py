"""Backup while the bot runs, restore into SQLite or PostgreSQL: every row comes back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from goalbot.cli import main
from goalbot.services.context import AppContext
from goalbot.storage.database import Database, known_migrations, upgrade_database
from goalbot.storage.instance import InstanceLock
from goalbot.storage.models import AnswerRow, Base
from tests.conftest import Clock
from tests.e2e.chat_steps import START, bind, open_round, stored_answers
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi

pytestmark = pytest.mark.usefixtures("english_cli")


def head_revision() -> str:
    """The newest migration goalbot knows."""
    return known_migrations(create_engine("sqlite://"))[-1].revision


def contents(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in key order, as Python values."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    dict(row)
                    for row in connection.execute(
                        select(table).order_by(*table.primary_key.columns)
                    ).mappings()
                ]
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def config_for(folder: Path, url: str, name: str) -> str:
    path = folder / f"{name}.toml"
    path.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    return str(path)


async def test_a_backup_taken_while_the_bot_runs_restores_every_row(
    ctx: AppContext,
    clock: Clock,
    botapi: FakeBotApi,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    ctx = with_telegram(ctx, botapi)
    url = ctx.config.database.url
    config = config_for(tmp_path, url, "live")
    backup = tmp_path / "goalbot-backup.sqlite3"
    owner = botapi.driver.create_user("Reino")
    lock = InstanceLock.acquire(ctx.db.engine)  # as 'goalbot run' holds it
    try:
        async with running_bot(ctx):
            await bind(owner, ctx, "rakennustarkastaja", "Reino Rakennustarkastaja")
            (reminder,) = await open_round(ctx, owner)
            owner.press(START, message_id=reminder.message_id)
            await owner.wait_for_message()
            owner.press("Ei tietoa vielä")
            await owner.wait_for_message()
            # the owner goes on answering while the backup is taken
            owner.press("Ei tietoa vielä")
            code = await asyncio.to_thread(main, ["--config", config, "backup", str(backup)])
            out, err = capsys.readouterr()
            assert code == 0, err
            assert f"written to {backup}" in out and f"migration {head_revision()}" in out
            await owner.wait_for_message()
            await botapi.driver.wait_until_idle()
            code = await asyncio.to_thread(
                main, ["--config", config, "restore", str(backup), "--yes"]
            )
            assert code == 1
            assert "the bot is running on this database" in capsys.readouterr().err
    finally:
        lock.release()
    saved = contents(f"sqlite:///{backup}")
    assert len(saved["answers"]) >= 1 and saved["people"] and saved["sends"]
    assert len(saved["answer_history"]) >= len(saved["answers"])  # one snapshot, nothing torn

    # into a new SQLite database, as on a new machine: db upgrade, then restore
    fresh = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    fresh_config = config_for(tmp_path, fresh, "new")
    assert main(["--config", fresh_config, "restore", str(backup)]) == 1  # no database yet
    assert main(["--config", fresh_config, "db", "upgrade"]) == 0
    assert main(["--config", fresh_config, "restore", str(backup)]) == 0
    assert contents(fresh) == saved

    # and back into the live database (SQLite or PostgreSQL), replacing what it holds now
    assert len(stored_answers(ctx)) == 2
    assert main(["--config", config, "restore", str(backup)]) == 1  # not empty: needs --yes
    assert "add --yes" in capsys.readouterr().err
    assert main(["--config", config, "restore", str(backup), "--yes"]) == 0
    assert contents(url) == saved
    # new rows get new ids after the restored ones (PostgreSQL's sequences were moved on)
    with ctx.unit_of_work() as uow:
        highest = max(r.id for r in uow.session.scalars(select(AnswerRow)))
    assert highest == max(a["id"] for a in saved["answers"])
    database = Database.connect(url)
    try:
        upgrade_database(database.engine)
        with database.engine.begin() as connection:
            connection.execute(
                Base.metadata.tables["settings"].insert(),
                {"key": "after-restore", "value": "x", "updated_at": datetime.now(UTC)},
            )
            if database.engine.dialect.name == "postgresql":
                next_id = connection.exec_driver_sql(
                    "SELECT nextval(pg_get_serial_sequence('answers', 'id'))"
                ).scalar()
                assert next_id == highest + 1
    finally:
        database.dispose()


def test_a_backup_never_overwrites_and_a_wrong_file_is_refused(
    sqlite_ctx: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(tmp_path, sqlite_ctx.config.database.url, "live")
    existing = tmp_path / "exists.sqlite3"
    existing.write_text("precious", encoding="utf-8")
    assert main(["--config", config, "backup", str(existing)]) == 1
    assert "exists already" in capsys.readouterr().err
    assert existing.read_text(encoding="utf-8") == "precious"
    assert main(["--config", config, "restore", str(existing), "--yes"]) == 1
    err = capsys.readouterr().err
    assert "not a goalbot backup" in err and len(err.strip().splitlines()) == 1
