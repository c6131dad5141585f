"""The heavy libraries are imported when a chart or a file is made, not when goalbot starts."""

from __future__ import annotations

import subprocess
import sys

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
