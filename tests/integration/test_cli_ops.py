"""The command line as an operator meets it: options anywhere, help for every option, one line
per problem (the traceback on request), no database made by mistake, quiet in a pipe."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from goalbot.cli import EXIT_BROKEN_PIPE, EXIT_CONFIG, build_parser, main
from goalbot.storage.database import Database, upgrade_database

pytestmark = pytest.mark.usefixtures("english_cli")

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write_config(folder: Path, database: str = "sqlite:///goalbot.sqlite3") -> Path:
    path = folder / "goalbot.toml"
    path.write_text(f'[database]\nurl = "{database}"\n', encoding="utf-8")
    return path


def test_config_goes_before_or_after_the_subcommand(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = str(write_config(tmp_path))
    assert run(capsys, "db", "upgrade", "--config", config)[0] == 0
    assert (tmp_path / "goalbot.sqlite3").exists()
    code, out, _ = run(capsys, "owners", "list", "--config", config)
    assert code == 0 and "tekninen-johtaja" in out
    code, out, _ = run(capsys, "--config", config, "owners", "list")
    assert code == 0 and "tekninen-johtaja" in out


def test_every_option_and_command_has_a_help_text() -> None:
    missing: list[str] = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    if not choice.help:
                        missing.append(f"{path} {choice.dest}")
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "goalbot")
    assert not missing, missing


def test_debug_shows_the_traceback_that_is_otherwise_hidden(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = str(write_config(tmp_path))
    assert run(capsys, "db", "upgrade", "--config", config)[0] == 0
    args = ("owners", "assign", "--role", "tekninen-johtaja", "--person", "Nobody")
    code, _, err = run(capsys, "--config", config, *args)
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "--config", config, *args, "--debug")
    assert code == 1 and "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1] == err.strip().splitlines()[-1]
    assert "no person Nobody" in err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "args",
    [
        ["owners", "list"],
        ["status"],
        ["catalogue", "load"],
        ["remind", "--now"],
        ["schedule", "show"],
        ["export", "--period", "2026Q2", "--format", "csv"],
    ],
)
def test_a_run_in_the_wrong_folder_creates_no_database(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOALBOT_CONFIG", raising=False)
    monkeypatch.delenv("GOALBOT_DATABASE_URL", raising=False)
    code, _, err = run(capsys, *args)
    assert code == 1
    assert err.strip() == (
        f"goalbot: no goalbot database at {tmp_path / 'goalbot.sqlite3'} (not created: "
        "'goalbot db upgrade' creates it; or give the right --config)"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_empty_postgresql_database_is_not_taken_for_goalbot_s(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, postgres_url: str
) -> None:
    config = str(write_config(tmp_path, postgres_url))
    code, _, err = run(capsys, "--config", config, "owners", "list")
    assert code == 1 and "holds no goalbot tables" in err and "db upgrade" in err
    database = Database.connect(postgres_url)
    try:
        upgrade_database(database.engine)
    finally:
        database.dispose()
    assert run(capsys, "--config", config, "owners", "list")[0] == 0


def test_config_check_reports_every_problem_at_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOALBOT_TOKEN", raising=False)
    path = tmp_path / "goalbot.toml"
    path.write_text(
        '[telegram]\nadmins = "me"\npoll_timeout = -1\n[schedule]\ntimezone = "Mars/Olympus"\n'
        '[texts]\nlanguage = "de"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("GOALBOT_INVITES__VALID_DAYS", "never")
    monkeypatch.delenv("GOALBOT_TEXTS__LANGUAGE")  # the file's own language is one problem
    code, out, _ = run(capsys, "config", "check", "--config", str(path))
    assert code == EXIT_CONFIG
    lines = out.strip().splitlines()
    # a configuration that cannot be read speaks the default language
    assert lines[0] == f"{path}: 5 ongelmaa:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "telegram.admins",
        "telegram.poll_timeout",
        "schedule.timezone",
        "invites.valid_days (from GOALBOT_INVITES__VALID_DAYS)",
        "texts.language",
    ]
    # the other commands name the first problem and point here
    code, _, err = run(capsys, "--config", str(path), "owners", "list")
    assert code == EXIT_CONFIG and "(ja 4 muuta: katso 'goalbot config check')" in err


def test_config_check_of_a_good_configuration(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOALBOT_TOKEN", "123:ABC")
    config = write_config(tmp_path)
    code, out, _ = run(capsys, "config", "check", "--config", str(config))
    assert code == 0, out
    assert out.startswith(f"{config}: OK") and str(tmp_path / "goalbot.sqlite3") in out
    monkeypatch.delenv("GOALBOT_TOKEN")
    code, out, _ = run(capsys, "config", "check", "--config", str(config))
    assert code == EXIT_CONFIG and "telegram.token: missing" in out


def test_output_into_a_pipe_that_closed_ends_quietly() -> None:
    """``goalbot catalogue show | head``: the reader goes away, goalbot stops without a word."""
    catalogue = ROOT / "src" / "goalbot" / "catalogues" / "kokemaki-2026-2029.toml"
    process = subprocess.Popen(
        [sys.executable, "-m", "goalbot", "catalogue", "show", str(catalogue)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head -0`: nobody reads what follows
    err = process.stderr.read().decode()
    assert process.wait(60) == EXIT_BROKEN_PIPE
    assert err == ""
