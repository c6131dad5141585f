"""The goalbot command line: working commands, and one clear line for every bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from goalbot.cli import main
from tests.conftest import SMALL_CATALOGUE
from tests.fakes.botapi import FakeBotApi
from tests.integration.conftest import run

pytestmark = pytest.mark.usefixtures("english_cli")


def assert_one_line_error(code: int, err: str, needle: str) -> None:
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0], err
    assert "Traceback" not in err


def test_catalogue_check_good_and_shipped(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "catalogue", "check", str(SMALL_CATALOGUE))
    assert code == 0 and "OK" in out and "2 goals" in out


def test_catalogue_check_reports_every_problem_with_its_place(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    text = SMALL_CATALOGUE.read_text(encoding="utf-8")
    text = text.replace('by = "2026-12-31"', 'by = "31.12.2026"')
    text = text.replace('kind = "number"\n  unit = "€"', 'kind = "numbr"\n  unit = "€"')
    text = text.replace('department = "tekninen"\narea', 'department = "sivistys"\narea')
    bad.write_text(text, encoding="utf-8")
    code, _out, err = run(capsys, "catalogue", "check", str(bad))
    assert code == 1
    assert "4 problems" in err
    assert "goals[RV-1].area: area 'rakennusvalvonta' is not in department 'sivistys'" in err
    assert "goals[STR-1].metrics[1].kind: 'numbr' is not one of" in err
    assert "goals[RV-1].metrics[1].target.by: '31.12.2026' is not a date" in err
    assert "goals[RV-1].department: unknown department 'sivistys'" in err
    assert "Traceback" not in err


def test_catalogue_check_broken_toml_and_missing_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[catalogue\n", encoding="utf-8")
    code, _, err = run(capsys, "catalogue", "check", str(broken))
    assert code == 1 and "not valid TOML" in err
    code, _, err = run(capsys, "catalogue", "check", str(tmp_path / "missing.toml"))
    assert_one_line_error(code, err, "no such file")


def test_load_show_and_owners_on_a_fresh_database(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    cfg = ["--config", str(config_file)]
    code, out, _ = run(capsys, *cfg, "db", "upgrade")
    assert code == 0 and "up to date" in out
    code, out, _ = run(capsys, *cfg, "catalogue", "load", str(SMALL_CATALOGUE))
    assert code == 0 and "2 added" in out
    code, out, _ = run(capsys, *cfg, "catalogue", "load", str(SMALL_CATALOGUE))
    assert code == 0 and "0 added" in out and "2 unchanged" in out
    code, out, _ = run(capsys, *cfg, "catalogue", "show")
    assert code == 0
    assert "Testilän tavoitteet 2026" in out
    assert "RV-1 [Rakennusvalvonta] Rakentamisluvat käsitellään nopeasti." in out
    assert out.index("City strategic metrics") < out.index("Responsibility-area goals")
    code, out, _ = run(
        capsys,
        *cfg,
        "owners",
        "invite",
        "--role",
        "tekninen-johtaja",
        "--name",
        "Maija Meikäläinen",
    )
    assert code == 0 and "?start=" in out and "Maija Meikäläinen" in out
    code, out, _ = run(capsys, *cfg, "owners", "list")
    assert code == 0 and "invited: Maija Meikäläinen as owner" in out
    code, _, err = run(capsys, *cfg, "owners", "invite", "--role", "pormestari", "--name", "X")
    assert_one_line_error(code, err, "unknown role pormestari")
    code, _, err = run(
        capsys, *cfg, "owners", "assign", "--role", "tekninen-johtaja", "--person", "Nobody"
    )
    assert_one_line_error(code, err, "no person Nobody")


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["catalogue"],
        ["owners", "invite", "--role", "x"],
        ["export", "--period", "2026Q2", "--format", "pdf"],
    ],
)
def test_bad_arguments_give_one_line(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "--help" in err


def test_bad_config_gives_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[telegram]\nadmins = 'me'\n", encoding="utf-8")
    code, _, err = run(capsys, "--config", str(bad), "owners", "list")
    assert_one_line_error(code, err, "telegram.admins")
    code, _, err = run(capsys, "--config", str(tmp_path / "none.toml"), "owners", "list")
    assert_one_line_error(code, err, "does not exist")


def test_unreachable_databases_give_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOALBOT_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    code, _, err = run(capsys, "owners", "list")
    assert_one_line_error(code, err, "cannot use the database")
    monkeypatch.setenv("GOALBOT_DATABASE_URL", f"sqlite:///{tmp_path}/no/such/dir/x.sqlite3")
    code, _, err = run(capsys, "catalogue", "load")
    assert_one_line_error(code, err, "does not exist")
    monkeypatch.setenv("GOALBOT_DATABASE_URL", "mysql+nosuchdriver://x/y")
    code, _, err = run(capsys, "db", "upgrade")
    assert_one_line_error(code, err, "driver")


def test_run_without_token_says_where_to_put_it(
    capsys: pytest.CaptureFixture[str], config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOALBOT_TOKEN", raising=False)
    code, _, err = run(capsys, "--config", str(config_file), "run")
    assert_one_line_error(code, err, "GOALBOT_TOKEN")


def test_bad_period_gives_one_line(capsys: pytest.CaptureFixture[str], config_file: Path) -> None:
    code, _, err = run(
        capsys, "--config", str(config_file), "export", "--period", "2026Q5", "--format", "csv"
    )
    assert_one_line_error(code, err, "2026Q5")


def test_python_dash_m_works_and_never_prints_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "goalbot", "catalogue", "check", str(tmp_path / "x.toml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "no such file" in result.stderr


def test_owners_pause_takes_a_date_or_off(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    cfg = ["--config", str(config_file)]
    code, _, err = run(
        capsys, *cfg, "owners", "pause", "--person", "Nobody", "--until", "2026-12-31"
    )
    assert_one_line_error(code, err, "no person Nobody")
    code, _, err = run(capsys, *cfg, "owners", "pause", "--person", "Nobody", "--until", "someday")
    assert code == 2 and "is not a date" in err


def _run_bot(tmp_path: Path, base_url: str, token: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "bot.toml"
    config.write_text(
        f'[telegram]\ntoken = "{token}"\nbase_url = "{base_url}"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "bot.sqlite3"}"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "db", "upgrade"]) == 0  # as on installing
    return subprocess.run(
        [sys.executable, "-m", "goalbot", "--config", str(config), "run"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_against_an_unreachable_bot_api_says_so_in_one_line(tmp_path: Path) -> None:
    result = _run_bot(tmp_path, "http://127.0.0.1:9/bot", "123:ABC")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("goalbot: cannot reach the Bot API server at http://127.0.0.1:9/bot")
    )


def test_run_with_a_refused_token_names_the_key(tmp_path: Path, botapi: FakeBotApi) -> None:
    result = _run_bot(tmp_path, botapi.base_url, "999999:NOT-THE-TOKEN")
    assert result.returncode == 78  # a configuration error: systemd does not restart it
    assert "Traceback" not in result.stderr
    # PTB's "The token `…` was rejected" is logged without the token
    assert "NOT-THE-TOKEN" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "goalbot: configuration error: telegram.token: the Bot API server refused the token"
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["summary", "--period", "2026Q2"], "the round of Q2/2026 has not been opened"),
        (["close", "--now", "--period", "2026Q3"], "the round of Q3/2026 has not been opened"),
        (["close", "--now"], "no answering round is open"),
        (["remind", "--now", "--period", "2025Q4"], "outside the catalogue's term"),
    ],
)
def test_round_commands_refuse_in_one_line(
    capsys: pytest.CaptureFixture[str], config_file: Path, args: list[str], needle: str
) -> None:
    code, _, err = run(capsys, "--config", str(config_file), *args)
    assert_one_line_error(code, err, needle)


def test_a_second_round_cannot_open_while_one_is_open(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    cfg = ["--config", str(config_file)]
    code, out, _ = run(capsys, *cfg, "remind", "--now", "--period", "2026Q3")
    assert code == 0 and "Q3/2026 is open" in out
    code, _, err = run(capsys, *cfg, "remind", "--now", "--period", "2026Q4")
    assert_one_line_error(code, err, "the round of Q3/2026 is still open")
    code, out, _ = run(capsys, *cfg, "close", "--now")
    assert code == 0 and "Q3/2026 is closed" in out
    code, _, err = run(capsys, *cfg, "summary", "--period", "2026Q3")
    assert_one_line_error(code, err, "no management group is set")
