"""Fixtures of the integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from goalbot.cli import main


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A config file whose SQLite database (beside it) is created and migrated."""
    path = tmp_path / "goalbot.toml"
    path.write_text('[database]\nurl = "sqlite:///goalbot.sqlite3"\n', encoding="utf-8")
    assert main(["--config", str(path), "db", "upgrade"]) == 0
    return path


@pytest.fixture
def english_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line's messages in English (``[texts] language = "en"``), as these tests
    read them; the default language's are tested on their own."""
    monkeypatch.setenv("GOALBOT_TEXTS__LANGUAGE", "en")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command line; its exit code, standard output and standard error."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err
