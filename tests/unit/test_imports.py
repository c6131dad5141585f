"""The heavy libraries are imported when a chart or a file is made, not when goalbot starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("matplotlib", "numpy", "openpyxl", "docx")


def imported_after(statements: str) -> set[str]:
    script = f"import sys\n{statements}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return {name.split(".")[0] for name in out.stdout.split()}


def test_starting_the_bot_or_the_command_line_imports_no_heavy_library() -> None:
    loaded = imported_after(
        "import goalbot.cli, goalbot.chat.application, goalbot.chat.reports, "
        "goalbot.reporting.export, goalbot.reporting.chart"
    )
    assert "telegram" in loaded  # the bot's own modules were imported
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)


def test_the_command_lines_help_loads_neither_the_database_layer_nor_the_calendar() -> None:
    """'goalbot --help' answers at once: each command imports what it uses when it runs. The
    help speaks ``[texts] language``: it reads its texts, a plain dict in the shipped files,
    without Jinja2."""
    loaded = imported_after(
        "import contextlib, io\nfrom goalbot.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])"
    )
    assert "argparse" in loaded
    assert loaded.isdisjoint({"sqlalchemy", "alembic", "holidays", "telegram", "jinja2"}), loaded


def test_a_command_that_parses_says_nothing_and_loads_no_texts_for_it() -> None:
    """Arguments read without a word to say (no --help, no mistake) need no texts."""
    loaded = imported_after(
        "from goalbot.cli import build_parser, parse_arguments\n"
        "parse_arguments(['schedule', 'show'], 'fi')"
    )
    assert "jinja2" not in loaded


def test_the_bot_polling_loads_neither_the_webhook_server_nor_the_migrations(
    tmp_path: Path,
) -> None:
    """aiohttp serves only a webhook, and alembic only migrates: a bot that polls, started
    on a database already at the newest revision, loads neither (half a second)."""
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    migrate = "from goalbot.storage.database import Database, upgrade_database\n"
    migrate += f"upgrade_database(Database.connect({url!r}).engine)"
    subprocess.run([sys.executable, "-c", migrate], check=True, timeout=60)
    loaded = imported_after(f"import goalbot.chat.application\n{migrate}")
    assert "telegram" in loaded
    assert loaded.isdisjoint({"aiohttp", "alembic"}), loaded & {"aiohttp", "alembic"}
