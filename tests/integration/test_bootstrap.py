"""Start-up: the bot, the CLI and the tests start from one place, on the same catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from goalbot.bootstrap import bootstrap
from goalbot.cli import main
from goalbot.config import load_config
from goalbot.services.catalogue import get_catalogue, load_catalogue
from tests.conftest import SMALL_CATALOGUE


def show(capsys: pytest.CaptureFixture[str], config: Path) -> str:
    assert main(["--config", str(config), "catalogue", "show"]) == 0
    return capsys.readouterr().out


def test_the_cli_works_from_the_configured_catalogue_as_it_is_now(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An edited catalogue file is what the next command sees, as the bot at its start."""
    catalogue = tmp_path / "goals.toml"
    catalogue.write_text(SMALL_CATALOGUE.read_text(encoding="utf-8"), encoding="utf-8")
    config = tmp_path / "goalbot.toml"
    config.write_text(
        '[database]\nurl = "sqlite:///goalbot.sqlite3"\n[catalogue]\npath = "goals.toml"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    assert "Testilän tavoitteet 2026" in show(capsys, config)

    edited = catalogue.read_text(encoding="utf-8").replace(
        "Testilän tavoitteet 2026", "Testilän tavoitteet 2026 (muutettu)"
    )
    catalogue.write_text(edited, encoding="utf-8")
    assert "Testilän tavoitteet 2026 (muutettu)" in show(capsys, config)


def test_the_shipped_catalogue_is_a_default_and_a_catalogue_loaded_by_hand_stays(
    tmp_path: Path,
) -> None:
    config = load_config(None, env={"GOALBOT_DATABASE_URL": f"sqlite:///{tmp_path}/g.sqlite3"})
    ctx = bootstrap(config, create=True)
    assert get_catalogue(ctx).id == "kokemaki-2026-2029"
    load_catalogue(ctx, SMALL_CATALOGUE)
    ctx.db.dispose()

    again = bootstrap(config)
    assert get_catalogue(again).id == "testila-2026"
    again.db.dispose()


def test_a_sqlite_file_that_went_away_is_not_made_again_by_a_new_connection(
    tmp_path: Path,
) -> None:
    """Only ``db upgrade`` (and the tests) make a database: the bot's and the commands' engines
    fail on a file that was deleted, where SQLite would leave a new empty one in its place."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from goalbot.storage.database import Database

    path = tmp_path / "goalbot.sqlite3"
    made = Database.connect(f"sqlite:///{path}")  # as db upgrade
    with made.engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    made.dispose()
    kept = Database.connect(f"sqlite:///{path}", create=False)
    with kept.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 0
    kept.dispose()  # the pool opens a new connection next
    path.unlink()
    with pytest.raises(OperationalError, match="unable to open database file"):
        kept.engine.connect()
    assert not path.exists()
    kept.dispose()
