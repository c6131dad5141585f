"""``goalbot status`` and ``goalbot export`` in the terminal."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from goalbot.cli import main
from goalbot.domain.periods import Period
from tests.conftest import Templates
from tests.integration.conftest import run
from tests.integration.test_cli import assert_one_line_error
from tests.report_data import Q4, answered_town


@pytest.fixture
def config_file(tmp_path: Path, templates: Templates) -> Path:
    """A config whose database already holds the Kokemäki catalogue with Q3–Q4/2026 answered."""
    url = templates.sqlite(tmp_path / "goalbot.sqlite3", answered_town(director=False))
    path = tmp_path / "goalbot.toml"
    path.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    return path


def test_status_of_the_whole_town(capsys: pytest.CaptureFixture[str], config_file: Path) -> None:
    code, out, err = run(capsys, "--config", str(config_file), "status", "--period", "2026Q4")
    assert code == 0, err
    assert out.startswith("Tavoitteiden tilanne Q4/2026")
    assert "Tekninen:" in out and "Yhteensä:" in out
    assert "<b>" not in out and "&amp;" not in out


def test_status_of_a_department(capsys: pytest.CaptureFixture[str], config_file: Path) -> None:
    code, out, err = run(
        capsys, "--config", str(config_file), "status", "tekninen", "--period", "Q4/2026"
    )
    assert code == 0, err
    assert out.startswith("Tekninen osasto · Q4/2026")
    assert "TEK-1 " in out and "RV-1 " in out and "STR-" not in out


def test_status_without_a_period_shows_the_current_quarter(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    today = datetime.now(ZoneInfo("Europe/Helsinki")).date()
    shown = max(Period(2026, 2), min(Period(2029, 4), Period.containing(today)))
    code, out, _ = run(capsys, "--config", str(config_file), "status")
    assert code == 0 and out.startswith(f"Tavoitteiden tilanne {shown.label}")


def test_unknown_and_ambiguous_scope_is_one_line(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    # the town's language ([texts] language, Finnish by default) for the messages too
    code, out, err = run(capsys, "--config", str(config_file), "status", "nosuch")
    assert_one_line_error(code, err, 'tuntematon kohde "nosuch"')
    assert "tekninen" in err and "rakennusvalvonta" in err and out == ""
    code, _, err = run(capsys, "--config", str(config_file), "status", "yle")
    assert_one_line_error(code, err, "yleishallinto, yleisten-alueiden-hoito")
    code, _, err = run(capsys, "--config", str(config_file), "status", "--period", "2031Q1")
    assert_one_line_error(code, err, "ei kuulu tavoitekauteen")


def test_export_xlsx_and_csv(
    capsys: pytest.CaptureFixture[str], config_file: Path, tmp_path: Path
) -> None:
    target = tmp_path / "taulukko.xlsx"
    code, out, err = run(
        capsys,
        "--config",
        str(config_file),
        "export",
        "--period",
        "2026Q4",
        "--format",
        "xlsx",
        "--output",
        str(target),
    )
    assert code == 0, err
    assert str(target) in out and "Q4/2026" in out
    workbook = openpyxl.load_workbook(target)
    assert "Kaupunginhallitus" in workbook.sheetnames
    assert workbook["Kaupunginhallitus"]["F3"].value == "Q4/2026"

    code, out, err = run(
        capsys,
        "--config",
        str(config_file),
        "export",
        "--period",
        "2026Q4",
        "--format",
        "csv",
        "--output",
        str(tmp_path / "taulukko.csv"),
    )
    assert code == 0, err
    rows = list(
        csv.reader(io.StringIO((tmp_path / "taulukko.csv").read_text("utf-8-sig")), delimiter=";")
    )
    assert len(rows) == 68 and rows[0][0] == "Toimielin"


def test_export_docx_and_json(
    capsys: pytest.CaptureFixture[str], config_file: Path, tmp_path: Path
) -> None:
    from docx import Document

    target = tmp_path / "taulukot.docx"
    code, out, err = run(
        capsys,
        "--config",
        str(config_file),
        "export",
        "--period",
        "2026Q4",
        "--format",
        "docx",
        "--output",
        str(target),
    )
    assert code == 0, err
    assert str(target) in out
    assert len(Document(str(target)).tables) == 10  # eight adopted tables and two lists
    code, out, err = run(
        capsys,
        "--config",
        str(config_file),
        "export",
        "--period",
        "2026Q4",
        "--format",
        "json",
        "--output",
        "-",
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["schema"] == "goalbot-report/1" and len(document["metrics"]) == 67
    assert document["period"] == {"key": "2026Q4", "label": "Q4/2026"}


def test_status_as_json(capsys: pytest.CaptureFixture[str], config_file: Path) -> None:
    code, out, err = run(
        capsys, "--config", str(config_file), "status", "tekninen", "--format", "json"
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["scope"] == "tekninen"
    assert {m["goal"]["department"] for m in document["metrics"]} == {"tekninen"}
    assert sum(document["counts"].values()) == len(document["metrics"])


def test_export_default_file_name(
    capsys: pytest.CaptureFixture[str],
    config_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(
        capsys, "--config", str(config_file), "export", "--period", "2026Q4", "--format", "xlsx"
    )
    assert code == 0, err
    assert (tmp_path / f"goalbot-{Q4.key}.xlsx").stat().st_size > 5000


@pytest.mark.usefixtures("english_cli")
def test_export_bad_arguments_are_one_line(
    capsys: pytest.CaptureFixture[str], config_file: Path, tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, "--config", str(config_file), "export", "--period", "2026Q9", "--format", "xlsx"
    )
    assert_one_line_error(code, err, "not a quarter")
    code, _, err = run(
        capsys, "--config", str(config_file), "export", "--period", "2026Q4", "--format", "pdf"
    )
    assert_one_line_error(code, err, "invalid choice")
    code, _, err = run(
        capsys,
        "--config",
        str(config_file),
        "export",
        "--period",
        "2026Q4",
        "--format",
        "xlsx",
        "--output",
        str(tmp_path),
    )
    assert_one_line_error(code, err, "is a folder")
    code, _, err = run(
        capsys,
        "--config",
        str(config_file),
        "export",
        "--period",
        "2026Q4",
        "--format",
        "csv",
        "--output",
        str(tmp_path / "no" / "such" / "x.csv"),
    )
    assert_one_line_error(code, err, "cannot write")


def test_the_console_script_prints_the_report(config_file: Path) -> None:
    assert main(["--config", str(config_file), "status", "rv-1", "--period", "2026Q4"]) == 0


@pytest.mark.parametrize(
    ("language", "opened"),
    [
        ("fi", "Raportointikierros Q4/2026 on avattu"),
        ("sv", "Rapporteringsomgången Q4/2026 är öppnad"),
        ("en", "The round of Q4/2026 is open"),
    ],
)
def test_the_command_line_speaks_the_towns_language(
    capsys: pytest.CaptureFixture[str], config_file: Path, language: str, opened: str
) -> None:
    config_file.write_text(
        config_file.read_text(encoding="utf-8") + f'\n[texts]\nlanguage = "{language}"\n',
        encoding="utf-8",
    )
    code, out, err = run(capsys, "--config", str(config_file), "remind", "--now", "--period",
                         "2026Q4")  # fmt: skip
    assert code == 0, err
    assert out.startswith(opened)
    code, _, err = run(capsys, "--config", str(config_file), "close", "--now", "--period",
                       "2026Q2")  # fmt: skip
    expected = {"fi": "kierrosta Q2/2026 ei ole avattu", "sv": "omgången Q2/2026 har inte öppnats",
                "en": "the round of Q2/2026 has not been opened"}[language]  # fmt: skip
    assert_one_line_error(code, err, expected)
