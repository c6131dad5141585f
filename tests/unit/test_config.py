"""Config: typed, frozen, every error names its key; the environment overrides secrets."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import time
from pathlib import Path

import pytest

from goalbot.config import DEFAULT_BASE_URL, ConfigError, load_config, parse_config

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def test_defaults_without_a_file() -> None:
    config = parse_config({}, env={})
    assert config.telegram.base_url == DEFAULT_BASE_URL
    assert config.database.url.startswith("sqlite:///")
    assert config.schedule.timezone == "Europe/Helsinki"
    assert config.catalogue.path is None
    assert config.invites.valid_days == 14
    with pytest.raises(FrozenInstanceError):
        setattr(config.telegram, "token", "x")  # noqa: B010 (the type checker forbids it too)


def test_environment_overrides_token_and_database() -> None:
    data = {"telegram": {"token": "file"}, "database": {"url": "sqlite:///a.db"}}
    config = parse_config(
        data,
        env={"GOALBOT_TOKEN": "env-token", "GOALBOT_DATABASE_URL": "postgresql+psycopg://h/db"},
    )
    assert config.telegram.token == "env-token"
    assert config.database.url == "postgresql+psycopg://h/db"


def test_relative_sqlite_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "goalbot.toml"
    path.write_text('[database]\nurl = "sqlite:///data/goalbot.sqlite3"\n')
    config = load_config(path, env={})
    assert config.database.url == f"sqlite:///{tmp_path / 'data' / 'goalbot.sqlite3'}"


def test_missing_token_names_the_key_and_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"telegram\.token.*GOALBOT_TOKEN"):
        parse_config({}, env={}).require_token()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"telegram": {"admins": "123"}}, r"telegram\.admins: must be a list"),
        ({"telegram": {"admins": [1, "x"]}}, r"telegram\.admins"),
        ({"telegram": {"poll_timeout": "30"}}, r"telegram\.poll_timeout: must be a whole number"),
        ({"telegram": {"base_url": "ftp://x"}}, r"telegram\.base_url"),
        ({"telegram": {"tokn": "x"}}, r"telegram\.tokn: unknown key"),
        ({"schedule": {"timezone": "Europe/Kokemaki"}}, r"schedule\.timezone: unknown time zone"),
        ({"schedule": {"timezone": "Europe"}}, r"schedule\.timezone: unknown time zone"),
        ({"schedule": {"send_time": "9 am"}}, r"schedule\.send_time"),
        ({"schedule": {"nudge_every_working_days": -1}}, r"schedule\.nudge_every_working_days"),
        ({"database": {"url": "goalbot.db"}}, r"database\.url"),
        ({"invites": {"valid_days": 0}}, r"invites\.valid_days: must be at least 1"),
        ({"telegrm": {}}, r"telegrm: unknown section"),
        ({"texts": {"language": 5}}, r"texts\.language: must be text"),
    ],
)
def test_bad_values_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(data, env={})


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (
            {
                "escalate_to_head_working_days_before_close": 1,
                "escalate_to_manager_working_days_before_close": 2,
            },
            r"schedule\.escalate_to_\w+_working_days_before_close",
        ),
        ({"extra_non_working_days": ["juhannus"]}, r"schedule\.extra_non_working_days"),
    ],
)
def test_a_calendar_that_cannot_work_names_the_key(
    schedule: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config({"schedule": schedule}, env={})


def test_times_parse() -> None:
    config = parse_config({"schedule": {"send_time": "08.30", "close_time": "15:45"}}, env={})
    assert config.schedule.send_time == time(8, 30)
    assert config.schedule.close_time == time(15, 45)


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", env={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[telegram\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken, env={})


def test_the_example_config_is_valid_and_documents_every_key() -> None:
    config = load_config(EXAMPLE, env={})
    text = EXAMPLE.read_text()
    for section in ("telegram", "database", "catalogue", "schedule", "invites", "texts", "logging"):
        assert f"[{section}]" in text
        for key in vars(getattr(config, section)):
            if key == "grace_period":
                key = "grace_period_hours"
            assert key in text, f"config.example.toml does not document {section}.{key}"
