"""The command line's messages made in Python (its help and usage errors, the problems of a
configuration or a catalogue, database errors) speak ``[texts] language`` as its templates do."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from goalbot.cli import build_parser
from goalbot.reporting.cli_texts import known, translated
from tests.integration.conftest import run

SOURCES = Path(__file__).parents[2] / "src" / "goalbot"


def help_texts() -> set[str]:
    texts: set[str] = set()

    def walk(parser: argparse.ArgumentParser) -> None:
        if parser.description:
            texts.add(parser.description)
        for action in parser._actions:
            if action.help and action.help is not argparse.SUPPRESS:
                texts.add(action.help)
            if isinstance(action, argparse._SubParsersAction):
                texts.update(c.help for c in action._choices_actions if c.help)
                for sub in action.choices.values():
                    walk(sub)

    walk(build_parser())
    return texts


def literal_messages(module: str, call: str, position: int) -> set[str]:
    """The plain (not formatted) texts given to ``call`` in a module's source."""
    tree = ast.parse((SOURCES / module).read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or len(node.args) <= position:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func
        name = name.id if isinstance(name, ast.Name) else name
        argument = node.args[position]
        if name == call and isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            found.add(argument.value)
    return found


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_help_text_is_in_the_language(language: str) -> None:
    texts = help_texts()
    assert len(texts) > 80
    untranslated = {t for t in texts if translated(t, language) == t and t not in known(language)}
    assert untranslated == set()


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_catalogue_and_configuration_problem_written_out_is_in_the_language(
    language: str,
) -> None:
    messages = literal_messages("domain/catalogue_file.py", "problem", 1)
    assert len(messages) >= 40
    assert {m for m in messages if translated(m, language) == m} == set()
    invalid = literal_messages("config.py", "_Invalid", 0)
    assert len(invalid) > 3
    assert {m for m in invalid if translated(f"x.y: {m}", language) == f"x.y: {m}"} == set()


def test_a_message_with_values_keeps_them_in_its_place() -> None:
    assert translated("telegram.admins: must be a whole number, not 'x'", "sv") == (
        "telegram.admins: måste vara ett heltal, inte 'x'"
    )
    # the values of a line are translated too, where they are such messages
    more = "see 'goalbot config check'"
    line = f"goalbot: configuration error: a.b: must not be negative (and 2 more: {more})"
    assert translated(line, "fi") == (
        "goalbot: asetusvirhe: a.b: ei saa olla negatiivinen (ja 2 muuta: katso "
        "'goalbot config check')"
    )
    assert translated("something goalbot never says", "sv") == "something goalbot never says"
    assert translated("must not be empty", "en") == "must not be empty"


@pytest.mark.parametrize(
    ("language", "usage", "required"),
    [
        ("fi", "käyttö: goalbot owners invite", "seuraavat argumentit puuttuvat: --role, --name"),
        ("sv", "användning: goalbot owners invite", "följande argument krävs: --role, --name"),
        ("en", "usage: goalbot owners invite", "the following arguments are required: --role"),
    ],
)
def test_the_help_and_a_usage_error_speak_the_language(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    usage: str,
    required: str,
) -> None:
    monkeypatch.setenv("GOALBOT_TEXTS__LANGUAGE", language)
    with pytest.raises(SystemExit):
        run(capsys, "owners", "invite", "--help")
    shown = capsys.readouterr().out
    assert shown.startswith(usage)
    assert {"fi": "henkilön nimi", "sv": "personens namn", "en": "the person's name"}[
        language
    ] in shown
    code, _, err = run(capsys, "owners", "invite")
    assert code == 2 and required in err and len(err.strip().splitlines()) == 1


def test_the_language_of_the_config_file_named_is_the_helps(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GOALBOT_TEXTS__LANGUAGE", raising=False)
    path = tmp_path / "goalbot.toml"
    path.write_text('[texts]\nlanguage = "sv"\n', encoding="utf-8")
    code, _, err = run(capsys, "--config", str(path), "remind")
    assert code == 2 and "följande argument krävs: --now" in err


def test_configuration_and_catalogue_problems_and_database_errors_speak_the_language(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GOALBOT_TEXTS__LANGUAGE", "sv")
    monkeypatch.delenv("GOALBOT_TOKEN", raising=False)
    path = tmp_path / "goalbot.toml"
    path.write_text("[telegram]\npoll_timeout = -1\n", encoding="utf-8")
    code, _, err = run(capsys, "--config", str(path), "owners", "list")
    assert code == 78
    assert (
        err.strip()
        == "goalbot: konfigurationsfel: telegram.poll_timeout: måste vara minst 0, inte -1"
    )
    good = tmp_path / "good.toml"
    good.write_text('[database]\nurl = "sqlite:///nowhere/goalbot.sqlite3"\n', encoding="utf-8")
    code, out, _ = run(capsys, "config", "check", "--config", str(good))
    assert "telegram.token: saknas" in out
    code, _, err = run(capsys, "--config", str(good), "owners", "list")
    assert re.fullmatch(r"goalbot: databasmappen \S+ finns inte\n", err), err
    catalogue = tmp_path / "goals.toml"
    catalogue.write_text("[catalogue]\nid = 5\n", encoding="utf-8")
    code, _, err = run(capsys, "catalogue", "check", str(catalogue))
    assert code == 1 and "catalogue.id: måste vara text, inte int" in err
    assert "goals: katalogen har inga mål" in err or "saknas" in err
    code, _, err = run(capsys, "catalogue", "check", str(tmp_path / "none.toml"))
    assert err.strip() == f"{tmp_path / 'none.toml'}: filen finns inte"


def test_a_towns_own_wording_of_the_help_made_with_jinja_is_read_too(tmp_path: Path) -> None:
    """The shipped texts are a plain dict, read without Jinja; a town's own file that words
    them with Jinja's expressions is read by Jinja."""
    from goalbot.reporting.folders import use_template_folder

    own = tmp_path / "sv" / "cli"
    own.mkdir(parents=True)
    (own / "python_texts.txt.j2").write_text(
        '{% set word = "boten" %}{% set texts = {"run the bot": "starta " ~ word} %}',
        encoding="utf-8",
    )
    use_template_folder(tmp_path)
    try:
        assert translated("run the bot", "sv") == "starta boten"
    finally:
        use_template_folder(None)
    assert translated("run the bot", "sv") == "kör boten"


SCHEDULE_AND_PERIOD_PROBLEMS = [
    "goalbot: configuration error: schedule.escalate_to_head_working_days_before_close: must be "
    "greater than escalate_to_manager_working_days_before_close (3) so that the department head "
    "is asked before the town manager, not 2",
    "goalbot: configuration error: schedule.escalate_to_manager_working_days_before_close: is 0, "
    "i.e. on the closing day, so send_time must be earlier than close_time",
    "goalbot: configuration error: schedule.escalate_to_head_working_days_before_close: must be "
    "less than 12 so that the escalation falls after the round opens "
    "(open_working_days_before_quarter_end=5, close_working_days_after_quarter_end=8), not 13",
    "goalbot: quarter must be 1–4, not 5",
    "goalbot: year out of range: 99999",
    "goalbot: not a quarter: '2026Q5' (use the form 2026Q2)",
]


@pytest.mark.parametrize("language", ["fi", "sv"])
@pytest.mark.parametrize("message", SCHEDULE_AND_PERIOD_PROBLEMS)
def test_the_schedules_and_the_periods_problems_are_said_whole_in_the_language(
    language: str, message: str
) -> None:
    said = translated(message, language)
    english = {"must", "than", "that", "not", "the", "quarter", "year", "use", "form", "is"}
    words = set(re.findall(r"(?<![_=.])\b[a-z]+\b(?![_=.])", said))
    assert words.isdisjoint(english), (said, words & english)
