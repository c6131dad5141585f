"""Every key from the environment, every problem at once, and config files in any encoding."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from goalbot.config import ConfigError, load_config, parse_config

FILE = '[telegram]\ntoken = "1:file"\nadmins = [1]\n[database]\nurl = "sqlite:///file.sqlite3"\n'


def test_every_key_can_come_from_the_environment() -> None:
    config = parse_config(
        {},
        env={
            "GOALBOT_TELEGRAM__ADMINS": "123, 456",
            "GOALBOT_TELEGRAM__MANAGERS": "[7, 8]",
            "GOALBOT_TELEGRAM__MANAGEMENT_CHAT_ID": "-1001",
            "GOALBOT_TELEGRAM__READ_TIMEOUT": "2.5",
            "GOALBOT_DATABASE__ECHO": "yes",
            "GOALBOT_SCHEDULE__SEND_TIME": "08.30",
            "GOALBOT_SCHEDULE__EXTRA_NON_WORKING_DAYS": "christmas_eve,12-27",
            "GOALBOT_SCHEDULE__GRACE_PERIOD_HOURS": "6",
            "GOALBOT_INVITES__VALID_DAYS": "3",
            "GOALBOT_LOGGING__FORMAT": "JSON",
        },
    )
    assert config.telegram.admins == (123, 456)
    assert config.telegram.managers == (7, 8)
    assert config.telegram.management_chat_id == -1001
    assert config.telegram.read_timeout == 2.5
    assert config.database.echo is True
    assert config.schedule.send_time == time(8, 30)
    assert config.schedule.extra_non_working_days == ("christmas_eve", "12-27")
    assert config.schedule.grace_period.total_seconds() == 6 * 3600
    assert config.invites.valid_days == 3
    assert config.logging.format == "json"


def test_the_environment_overrides_only_what_it_sets(tmp_path: Path) -> None:
    path = tmp_path / "goalbot.toml"
    path.write_text(FILE, encoding="utf-8")
    config = load_config(path, env={"GOALBOT_TELEGRAM__ADMINS": "2"})
    assert config.telegram.admins == (2,)
    assert config.telegram.token == "1:file"
    assert config.database.url == f"sqlite:///{tmp_path / 'file.sqlite3'}"
    # the short names still work; the long name wins over the short one
    config = load_config(
        path,
        env={"GOALBOT_TOKEN": "2:short", "GOALBOT_DATABASE_URL": "sqlite:////x/short.sqlite3"},
    )
    assert (config.telegram.token, config.database.url) == ("2:short", "sqlite:////x/short.sqlite3")
    config = load_config(
        path, env={"GOALBOT_TOKEN": "2:short", "GOALBOT_TELEGRAM__TOKEN": "3:long"}
    )
    assert config.telegram.token == "3:long"


def test_every_problem_is_reported_in_one_go_naming_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {"telegram": {"admins": "me", "tokn": "x"}, "schedule": {"send_time": "9 am"}},
            env={
                "GOALBOT_TELEGRAM__POLL_TIMEOUT": "soon",
                "GOALBOT_TELEGRAM__TOKNE": "x",
                "GOALBOT_TELEGRM__TOKEN": "x",
                "GOALBOT_LOGGING__LEVEL": "loud",
                "GOALBOT_TEXTS__LANGUAGE": "klingon",
            },
        )
    problems = caught.value.problems
    wanted = [
        "telegram.tokn: unknown key",
        "GOALBOT_TELEGRAM__TOKNE: unknown key telegram.tokne",
        "GOALBOT_TELEGRM__TOKEN: unknown section telegrm",
        "telegram.admins: must be a list of Telegram user ids",
        "telegram.poll_timeout (from GOALBOT_TELEGRAM__POLL_TIMEOUT): must be a whole number",
        'schedule.send_time: must be a time such as "09:00"',
        "logging.level (from GOALBOT_LOGGING__LEVEL): must be one of debug, info",
        "texts.language (from GOALBOT_TEXTS__LANGUAGE): no texts for language 'klingon'",
    ]
    for needle in wanted:
        assert any(needle in p for p in problems), (needle, problems)
    assert len(problems) == len(wanted), problems
    assert "and 7 more" in str(caught.value)


def test_a_language_needs_its_folder_of_texts(tmp_path: Path) -> None:
    assert parse_config({"texts": {"language": "en"}}, env={}).texts.language == "en"
    assert parse_config({"texts": {"language": "sv"}}, env={}).texts.language == "sv"
    with pytest.raises(ConfigError, match=r"texts\.language: no texts for language 'de'"):
        parse_config({"texts": {"language": "de"}}, env={})
    (tmp_path / "de").mkdir()
    config = parse_config({"texts": {"language": "de", "templates": str(tmp_path)}}, env={})
    assert config.texts.language == "de"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be"])
def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "goalbot.toml"
    text = FILE.replace("1:file", "1:Kokemäki")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    assert load_config(path, env={}).telegram.token == "1:Kokemäki"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (FILE.encode("utf-16-le"), "UTF-16 without a byte-order mark; save the file as UTF-8"),
        (FILE.replace("file", "Kokemäki").encode("latin-1"), "not UTF-8 text"),
    ],
)
def test_a_file_in_another_encoding_is_refused_in_one_line(
    tmp_path: Path, data: bytes, message: str
) -> None:
    path = tmp_path / "goalbot.toml"
    path.write_bytes(data)
    with pytest.raises(ConfigError, match=message):
        load_config(path, env={})
