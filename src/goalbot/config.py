"""Configuration: one TOML file validated into a typed, frozen object (see config.example.toml)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_BASE_FILE_URL = "https://api.telegram.org/file/bot"
DEFAULT_DATABASE_URL = "sqlite:///goalbot.sqlite3"
ENV_TOKEN = "GOALBOT_TOKEN"
ENV_DATABASE_URL = "GOALBOT_DATABASE_URL"
ENV_CONFIG = "GOALBOT_CONFIG"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key and what is wrong."""


class StartupError(Exception):
    """The bot cannot start (e.g. the Bot API server cannot be reached); one line says why."""


@dataclass(frozen=True)
class TelegramConfig:
    token: str = ""
    base_url: str = DEFAULT_BASE_URL
    base_file_url: str = DEFAULT_BASE_FILE_URL
    admins: tuple[int, ...] = ()
    managers: tuple[int, ...] = ()
    management_chat_id: int | None = None
    poll_timeout: int = 30
    connect_timeout: float = 10.0
    read_timeout: float = 15.0


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = DEFAULT_DATABASE_URL
    echo: bool = False


@dataclass(frozen=True)
class CatalogueConfig:
    path: Path | None = None  # None: the shipped Kokemäki 2026–2029 catalogue


@dataclass(frozen=True)
class ScheduleConfig:
    timezone: str = "Europe/Helsinki"
    open_working_days_before_quarter_end: int = 10
    send_time: time = time(9, 0)
    nudge_every_working_days: int = 3
    escalate_to_head_working_days_before_close: int = 5
    escalate_to_manager_working_days_before_close: int = 2
    close_working_days_after_quarter_end: int = 10
    close_time: time = time(16, 0)
    grace_period: timedelta = timedelta(days=1)
    extra_non_working_days: tuple[str, ...] = ("christmas_eve", "midsummer_eve")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class InviteConfig:
    valid_days: int = 14


@dataclass(frozen=True)
class TextsConfig:
    language: str = "fi"
    templates: Path | None = None  # a folder of texts looked at before the shipped ones


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    catalogue: CatalogueConfig = field(default_factory=CatalogueConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    invites: InviteConfig = field(default_factory=InviteConfig)
    texts: TextsConfig = field(default_factory=TextsConfig)
    source: Path | None = None

    def require_token(self) -> str:
        """The bot token, or ConfigError saying where to put it."""
        if not self.telegram.token:
            raise ConfigError(
                f"telegram.token: missing (set it in the config file or in ${ENV_TOKEN})"
            )
        return self.telegram.token


class _Section:
    """Reads one table of the file, naming keys as ``section.key`` in errors."""

    def __init__(self, name: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{name}: must be a table ([{name}])")
        self.name = name
        self.data: dict[str, Any] = data

    def check_keys(self, known: set[str]) -> None:
        unknown = sorted(set(self.data) - known)
        if unknown:
            raise ConfigError(
                f"{self.name}.{unknown[0]}: unknown key (known: {', '.join(sorted(known))})"
            )

    def _get(self, key: str, types: type | tuple[type, ...], what: str, default: Any) -> Any:
        if key not in self.data:
            return default
        value = self.data[key]
        if isinstance(value, bool) and bool not in (
            types if isinstance(types, tuple) else (types,)
        ):
            raise ConfigError(f"{self.name}.{key}: must be {what}, not true/false")
        if not isinstance(value, types):
            raise ConfigError(f"{self.name}.{key}: must be {what}, not {value!r}")
        return value

    def string(self, key: str, default: str) -> str:
        return str(self._get(key, str, "text", default))

    def boolean(self, key: str, default: bool) -> bool:
        return bool(self._get(key, bool, "true or false", default))

    def integer(self, key: str, default: int, minimum: int | None = 0) -> int:
        value = int(self._get(key, int, "a whole number", default))
        if minimum is not None and value < minimum:
            raise ConfigError(f"{self.name}.{key}: must be at least {minimum}, not {value}")
        return value

    def number(self, key: str, default: float) -> float:
        value = float(self._get(key, (int, float), "a number", default))
        if value <= 0:
            raise ConfigError(f"{self.name}.{key}: must be greater than 0")
        return value

    def optional_int(self, key: str) -> int | None:
        if key not in self.data:
            return None
        return self.integer(key, 0, minimum=None)

    def int_list(self, key: str) -> tuple[int, ...]:
        value = self._get(key, list, "a list of Telegram user ids", [])
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ConfigError(
                f"{self.name}.{key}: must be a list of Telegram user ids "
                "(whole numbers), e.g. [123456789]"
            )
        return tuple(value)

    def str_list(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self._get(key, list, "a list of texts", list(default))
        if not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{self.name}.{key}: must be a list of texts")
        return tuple(value)

    def clock(self, key: str, default: time) -> time:
        value = self._get(key, (str, time), 'a time such as "09:00"', default)
        if isinstance(value, time):
            return value
        try:
            return time.fromisoformat(value.replace(".", ":"))
        except ValueError as exc:
            raise ConfigError(
                f'{self.name}.{key}: must be a time such as "09:00", not {value!r}'
            ) from exc

    def hours(self, key: str, default: timedelta) -> timedelta:
        value = self._get(key, (int, float), "a number of hours", default.total_seconds() / 3600)
        if value < 0:
            raise ConfigError(f"{self.name}.{key}: must not be negative")
        return timedelta(hours=float(value))


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the config file (if any) and the environment into a Config; ConfigError if bad."""
    env = os.environ if env is None else env
    if path is None and env.get(ENV_CONFIG):
        path = Path(env[ENV_CONFIG])
    data: dict[str, Any] = {}
    if path is not None:
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except FileNotFoundError as exc:
            raise ConfigError(f"{path}: config file does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from exc
    return parse_config(data, env, source=path)


def parse_config(
    data: dict[str, Any], env: Mapping[str, str], source: Path | None = None
) -> Config:
    """Validate the parsed TOML ``data`` and apply environment overrides."""
    known = {"telegram", "database", "catalogue", "schedule", "invites", "texts"}
    for key in data:
        if key not in known:
            raise ConfigError(f"{key}: unknown section (known: {', '.join(sorted(known))})")
    base = source.parent if source is not None else Path.cwd()

    tg = _Section("telegram", data.get("telegram", {}))
    tg.check_keys(
        {
            "token",
            "base_url",
            "base_file_url",
            "admins",
            "managers",
            "management_chat_id",
            "poll_timeout",
            "connect_timeout",
            "read_timeout",
        }
    )
    token = env.get(ENV_TOKEN) or tg.string("token", "")
    base_url = tg.string("base_url", DEFAULT_BASE_URL).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"telegram.base_url: must start with http:// or https://, not {base_url!r}"
        )
    base_file_url = tg.string("base_file_url", "")
    if not base_file_url:
        base_file_url = (
            DEFAULT_BASE_FILE_URL
            if base_url == DEFAULT_BASE_URL
            else base_url.removesuffix("/bot") + "/file/bot"
        )
    telegram = TelegramConfig(
        token=token.strip(),
        base_url=base_url,
        base_file_url=base_file_url,
        admins=tg.int_list("admins"),
        managers=tg.int_list("managers"),
        management_chat_id=tg.optional_int("management_chat_id"),
        poll_timeout=tg.integer("poll_timeout", 30),
        connect_timeout=tg.number("connect_timeout", 10.0),
        read_timeout=tg.number("read_timeout", 15.0),
    )

    db = _Section("database", data.get("database", {}))
    db.check_keys({"url", "echo"})
    url = env.get(ENV_DATABASE_URL) or db.string("url", DEFAULT_DATABASE_URL)
    if "://" not in url:
        raise ConfigError(
            f"database.url: {url!r} is not a database URL "
            "(e.g. sqlite:///goalbot.sqlite3 or postgresql+psycopg://…)"
        )
    database = DatabaseConfig(url=_resolve_sqlite(url, base), echo=db.boolean("echo", False))

    cat = _Section("catalogue", data.get("catalogue", {}))
    cat.check_keys({"path"})
    cat_path = cat.string("path", "")
    catalogue = CatalogueConfig(path=(base / cat_path) if cat_path else None)

    sch = _Section("schedule", data.get("schedule", {}))
    defaults = ScheduleConfig()
    sch.check_keys(
        {
            "timezone",
            "open_working_days_before_quarter_end",
            "send_time",
            "nudge_every_working_days",
            "escalate_to_head_working_days_before_close",
            "escalate_to_manager_working_days_before_close",
            "close_working_days_after_quarter_end",
            "close_time",
            "grace_period_hours",
            "extra_non_working_days",
        }
    )
    timezone = sch.string("timezone", defaults.timezone)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ConfigError(
            f"schedule.timezone: unknown time zone {timezone!r} (e.g. Europe/Helsinki)"
        ) from exc
    schedule = ScheduleConfig(
        timezone=timezone,
        open_working_days_before_quarter_end=sch.integer(
            "open_working_days_before_quarter_end", defaults.open_working_days_before_quarter_end
        ),
        send_time=sch.clock("send_time", defaults.send_time),
        nudge_every_working_days=sch.integer(
            "nudge_every_working_days", defaults.nudge_every_working_days
        ),
        escalate_to_head_working_days_before_close=sch.integer(
            "escalate_to_head_working_days_before_close",
            defaults.escalate_to_head_working_days_before_close,
        ),
        escalate_to_manager_working_days_before_close=sch.integer(
            "escalate_to_manager_working_days_before_close",
            defaults.escalate_to_manager_working_days_before_close,
        ),
        close_working_days_after_quarter_end=sch.integer(
            "close_working_days_after_quarter_end", defaults.close_working_days_after_quarter_end
        ),
        close_time=sch.clock("close_time", defaults.close_time),
        grace_period=sch.hours("grace_period_hours", defaults.grace_period),
        extra_non_working_days=sch.str_list(
            "extra_non_working_days", defaults.extra_non_working_days
        ),
    )

    inv = _Section("invites", data.get("invites", {}))
    inv.check_keys({"valid_days"})
    invites = InviteConfig(valid_days=inv.integer("valid_days", 14, minimum=1))

    txt = _Section("texts", data.get("texts", {}))
    txt.check_keys({"language", "templates"})
    templates = txt.string("templates", "")
    template_folder = (base / templates) if templates else None
    if template_folder is not None and not template_folder.is_dir():
        raise ConfigError(f"texts.templates: {template_folder} is not a folder")
    texts = TextsConfig(language=txt.string("language", "fi"), templates=template_folder)
    _check_calendar(schedule)

    return Config(
        telegram=telegram,
        database=database,
        catalogue=catalogue,
        schedule=schedule,
        invites=invites,
        texts=texts,
        source=source,
    )


def _check_calendar(schedule: ScheduleConfig) -> None:
    """The [schedule] values must make a calendar (e.g. escalations between open and close)."""
    # imported here: the scheduling layer itself reads this module
    from goalbot.scheduling.calendar import CalendarSettingsError
    from goalbot.scheduling.settings import calendar_settings, working_calendar

    try:
        calendar_settings(schedule)
    except CalendarSettingsError as exc:
        key = "grace_period_hours" if exc.field == "grace_period" else exc.field
        raise ConfigError(f"schedule.{key}: {exc.problem}") from exc
    try:
        working_calendar(schedule)
    except ValueError as exc:
        problem = str(exc).removeprefix("extra_non_working_days: ")
        raise ConfigError(f"schedule.extra_non_working_days: {problem}") from exc


def _resolve_sqlite(url: str, base: Path) -> str:
    """Make a relative SQLite path relative to the config file, not the working directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////"):
        rest = url[len(prefix) :]
        if rest and rest != ":memory:" and not rest.startswith("/"):
            return prefix + str((base / rest).resolve())
    return url
