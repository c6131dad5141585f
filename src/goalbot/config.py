"""Configuration: one TOML file validated into a typed, frozen object (see config.example.toml).

Every key can also come from the environment as ``GOALBOT_<SECTION>__<KEY>`` (for example
``GOALBOT_TELEGRAM__ADMINS=123,456`` or ``GOALBOT_SCHEDULE__SEND_TIME=08:30``); a variable
overrides only the key it names. ``GOALBOT_TOKEN`` and ``GOALBOT_DATABASE_URL`` are short names
for ``telegram.token`` and ``database.url``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from goalbot.domain.workdays import WorkingCalendar

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_BASE_FILE_URL = "https://api.telegram.org/file/bot"
DEFAULT_DATABASE_URL = "sqlite:///goalbot.sqlite3"
ENV_TOKEN = "GOALBOT_TOKEN"
ENV_DATABASE_URL = "GOALBOT_DATABASE_URL"
ENV_CONFIG = "GOALBOT_CONFIG"
ENV_PREFIX = "GOALBOT_"
ENV_SHORT_NAMES = {ENV_TOKEN: ("telegram", "token"), ENV_DATABASE_URL: ("database", "url")}
SHIPPED_TEXTS = Path(__file__).parent / "reporting" / "templates"
"""The shipped texts, a folder per language (the template loader reads them from here)."""
LANGUAGES = ("fi", "sv", "en")
"""The languages a person or a chat can choose (Finnish, Swedish, English)."""
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("text", "json")


class ConfigError(Exception):
    """The configuration cannot be used; each problem names the key and what is wrong."""

    def __init__(self, *problems: str) -> None:
        self.problems = problems or ("unknown problem",)
        first = self.problems[0]
        more = len(self.problems) - 1
        super().__init__(
            first if not more else f"{first} (and {more} more: see 'goalbot config check')"
        )


class StartupError(Exception):
    """The bot cannot start (e.g. the Bot API server cannot be reached); one line says why."""


OWNERS_STATUS = ("own", "department")
"""What an owner's /status may show: their own goals, or their department's too."""
MODES = ("polling", "webhook")
"""How updates arrive: the bot asks Telegram (getUpdates), or Telegram posts them (setWebhook)."""
DEFAULT_WEBHOOK_LISTEN = "127.0.0.1"
DEFAULT_WEBHOOK_PORT = 8443
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
"""What Telegram accepts as a webhook's secret_token."""


@dataclass(frozen=True)
class TelegramConfig:
    token: str = ""
    base_url: str = DEFAULT_BASE_URL
    base_file_url: str = DEFAULT_BASE_FILE_URL
    admins: tuple[int, ...] = ()
    managers: tuple[int, ...] = ()
    management_chat_id: int | None = None
    owners_status: str = "own"  # what /status shows an owner: "own" goals, or "department"
    poll_timeout: int = 30
    connect_timeout: float = 10.0
    read_timeout: float = 15.0
    mode: str = "polling"  # "polling" (getUpdates) or "webhook" (Telegram posts the updates)
    webhook_url: str = ""  # the public HTTPS address Telegram posts to (a reverse proxy's)
    listen: str = DEFAULT_WEBHOOK_LISTEN  # where this process accepts the proxy's requests
    port: int = DEFAULT_WEBHOOK_PORT
    secret_token: str = ""  # every webhook request must carry it (X-Telegram-Bot-Api-Secret-Token)

    @property
    def webhook_path(self) -> str:
        """The path this process serves: the webhook address's own (a proxy passes it on)."""
        return urlsplit(self.webhook_url).path or "/"


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = DEFAULT_DATABASE_URL
    echo: bool = False


@dataclass(frozen=True)
class CatalogueConfig:
    path: Path | None = None  # None: the shipped Kokemäki 2026–2029 catalogue


class ScheduleError(ConfigError, ValueError):
    """A [schedule] value that makes no calendar; ``field`` names it, ``problem`` says why."""

    def __init__(self, field: str, problem: str) -> None:
        key = "grace_period_hours" if field == "grace_period" else field
        super().__init__(f"schedule.{key}: {problem}")
        self.field = field
        self.problem = problem


def _check_count(name: str, value: object) -> int:
    # bool is an int subclass, but "True working days" is a configuration mistake.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ScheduleError(name, f"must be a whole number of working days, not {value!r}")
    if value < 0:
        raise ScheduleError(name, f"must not be negative, not {value}")
    return value


def _check_wall_time(name: str, value: object) -> None:
    if not isinstance(value, time):
        raise ScheduleError(name, f"must be a datetime.time, not {value!r}")
    if value.tzinfo is not None:
        raise ScheduleError(
            name, "must be a local wall time without tzinfo; the zone comes from 'timezone'"
        )


@dataclass(frozen=True)
class ScheduleConfig:
    """When rounds open, nudge, escalate and close ([schedule]); validated on creation.

    Every "working days" count is on the working calendar (weekends, Finnish public holidays
    and ``extra_non_working_days``). "n working days before/after a day" means the n-th
    working day counted from the neighbouring day, so it is always a working day; 0 means
    the day itself, moved forward to the next working day if needed.

    ``send_time`` and ``close_time`` are wall times in ``timezone`` and stay the same wall time
    across daylight-saving changes (09:00 is 07:00 UTC in winter, 06:00 UTC in summer). A wall
    time that does not exist on a given day (the spring gap) is moved forward by the length of
    the gap; one that occurs twice (the autumn overlap) means its first occurrence. Finland
    switches on Sundays, which are never working days, so this only matters for other zones.
    """

    timezone: str = "Europe/Helsinki"
    """IANA zone in which ``send_time`` and ``close_time`` are read."""

    open_working_days_before_quarter_end: int = 10
    """The round of quarter P opens this many working days before P's last day."""

    send_time: time = time(9, 0)
    """Local time of day for the opening, the nudges and the escalations."""

    nudge_every_working_days: int = 3
    """Owners with missing answers are nudged at this interval after opening; 0 disables nudges.

    Nudges stop once escalation begins: a nudge that would fall on or after the day of the
    first escalation is dropped, not moved, so the escalation steps carry the reminders from
    then on and nothing lands on the closing day.
    """

    escalate_to_head_working_days_before_close: int = 5
    """First escalation, to the department heads: this many working days before the close."""

    escalate_to_manager_working_days_before_close: int = 2
    """Second escalation, to the town manager: this many working days before the close."""

    close_working_days_after_quarter_end: int = 10
    """The deadline: this many working days after the quarter's last day, at ``close_time``."""

    close_time: time = time(16, 0)
    """Local time at which the round closes and the summary is posted."""

    grace_period: timedelta = timedelta(days=1)
    """After downtime, an event at most this late is still carried out; older ones are missed."""

    extra_non_working_days: tuple[str, ...] = ("christmas_eve", "midsummer_eve")
    """Days off besides weekends and public holidays: a named day or a yearly "MM-DD"."""

    def __post_init__(self) -> None:
        if not isinstance(self.timezone, str) or not self.timezone:
            raise ScheduleError("timezone", f"must be an IANA zone name, not {self.timezone!r}")
        try:
            ZoneInfo(self.timezone)
        # A directory name such as "Europe" or an overlong name surfaces as an OSError.
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ScheduleError(
                "timezone", f"unknown time zone {self.timezone!r} (e.g. Europe/Helsinki)"
            ) from None

        opening = _check_count(
            "open_working_days_before_quarter_end", self.open_working_days_before_quarter_end
        )
        _check_count("nudge_every_working_days", self.nudge_every_working_days)
        head = _check_count(
            "escalate_to_head_working_days_before_close",
            self.escalate_to_head_working_days_before_close,
        )
        manager = _check_count(
            "escalate_to_manager_working_days_before_close",
            self.escalate_to_manager_working_days_before_close,
        )
        closing = _check_count(
            "close_working_days_after_quarter_end", self.close_working_days_after_quarter_end
        )
        _check_wall_time("send_time", self.send_time)
        _check_wall_time("close_time", self.close_time)
        if not isinstance(self.grace_period, timedelta) or self.grace_period < timedelta(0):
            raise ScheduleError(
                "grace_period", f"must be a non-negative timedelta, not {self.grace_period!r}"
            )

        # Both escalations are sent at send_time, so they need separate days to stay ordered.
        if head <= manager:
            raise ScheduleError(
                "escalate_to_head_working_days_before_close",
                f"must be greater than escalate_to_manager_working_days_before_close ({manager}) "
                f"so that the department head is asked before the town manager, not {head}",
            )
        if manager == 0 and self.send_time >= self.close_time:
            raise ScheduleError(
                "escalate_to_manager_working_days_before_close",
                "is 0, i.e. on the closing day, so send_time must be earlier than close_time",
            )
        # The fewest working days from the opening day to the closing day over all calendars:
        # when the quarter's last day is itself not a working day, the two counts share a step.
        span = opening + max(closing - 1, 0)
        if head >= span:
            raise ScheduleError(
                "escalate_to_head_working_days_before_close",
                f"must be less than {span} so that the escalation falls after the round opens "
                f"(open_working_days_before_quarter_end={opening}, "
                f"close_working_days_after_quarter_end={closing}), not {head}",
            )
        try:
            WorkingCalendar(self.extra_non_working_days)
        except ValueError as exc:
            problem = str(exc).removeprefix("extra_non_working_days: ")
            raise ScheduleError("extra_non_working_days", problem) from None

    @property
    def zone(self) -> ZoneInfo:
        """The zone object for ``timezone``."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class InviteConfig:
    valid_days: int = 14


@dataclass(frozen=True)
class TextsConfig:
    language: str = "fi"
    templates: Path | None = None  # a folder of texts looked at before the shipped ones


# Telegram hands an update over again for up to a day until the bot confirms it, and may start
# its update ids afresh after a week without updates: an id is remembered at least a day (so a
# redelivery is not applied twice) and less than a week (so a new update never looks old).
KEEP_UPDATE_IDS_DAYS = (1, 6)


@dataclass(frozen=True)
class DataConfig:
    """How long personal data is kept ([data]); a daily job removes what is older."""

    keep_update_ids_days: int = 3  # the updates Telegram handed over (ids and contents)
    keep_free_texts_years: int = 10  # explanations, corrective actions, skip reasons, comments
    keep_sends_days: int = 400  # the record of what was sent to whom, and when


@dataclass(frozen=True)
class LoggingConfig:
    level: str = "info"
    format: str = "text"  # "text": one readable line per event; "json": one JSON object per line


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    catalogue: CatalogueConfig = field(default_factory=CatalogueConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    invites: InviteConfig = field(default_factory=InviteConfig)
    texts: TextsConfig = field(default_factory=TextsConfig)
    data: DataConfig = field(default_factory=DataConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    source: Path | None = None

    def require_token(self) -> str:
        """The bot token, or ConfigError saying where to put it."""
        if not self.telegram.token:
            raise ConfigError(
                f"telegram.token: missing (set it in the config file or in ${ENV_TOKEN})"
            )
        return self.telegram.token


class _Problems:
    """Every problem found in one reading of the configuration."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, problem: str) -> None:
        self.found.append(problem)

    def check(self) -> None:
        if self.found:
            raise ConfigError(*self.found)


class _Invalid(Exception):
    """One key's value is unusable (recorded, and the key's default used meanwhile)."""


class _Section:
    """Reads one table of the file, with the environment's overrides, naming keys in errors."""

    def __init__(
        self, name: str, data: Any, env: Mapping[str, str], problems: _Problems, known: set[str]
    ) -> None:
        self.name = name
        self.problems = problems
        if not isinstance(data, dict):
            problems.add(f"{name}: must be a table ([{name}])")
            data = {}
        self.data: dict[str, Any] = data
        self.env = _env_overrides(env, name)
        for key in sorted(set(self.data) - known):
            problems.add(f"{name}.{key}: unknown key (known: {', '.join(sorted(known))})")
        for key, (variable, _value) in sorted(self.env.items()):
            if key not in known:
                problems.add(
                    f"{variable}: unknown key {name}.{key} (known: {', '.join(sorted(known))})"
                )

    def where(self, key: str) -> str:
        if key in self.env:
            return f"{self.name}.{key} (from {self.env[key][0]})"
        return f"{self.name}.{key}"

    def _read(self, key: str, default: Any, convert: Any) -> Any:
        """The key's value: from the environment, else the file, else ``default``."""
        try:
            if key in self.env:
                return convert(self.env[key][1], True)
            if key in self.data:
                return convert(self.data[key], False)
        except _Invalid as exc:
            self.problems.add(f"{self.where(key)}: {exc}")
        return default

    def string(self, key: str, default: str) -> str:
        def convert(value: Any, from_env: bool) -> str:
            if isinstance(value, str):
                return value
            raise _Invalid(f"must be text, not {_shown(value)}")

        return str(self._read(key, default, convert))

    def boolean(self, key: str, default: bool) -> bool:
        def convert(value: Any, from_env: bool) -> bool:
            if from_env and isinstance(value, str):
                word = value.strip().casefold()
                if word in ("true", "1", "yes", "on"):
                    return True
                if word in ("false", "0", "no", "off"):
                    return False
            if isinstance(value, bool):
                return value
            raise _Invalid(f"must be true or false, not {_shown(value)}")

        return bool(self._read(key, default, convert))

    def integer(
        self, key: str, default: int, minimum: int | None = 0, maximum: int | None = None
    ) -> int:
        def convert(value: Any, from_env: bool) -> int:
            if from_env and isinstance(value, str):
                value = _env_number(value, int)
            if isinstance(value, bool) or not isinstance(value, int):
                raise _Invalid(f"must be a whole number, not {_shown(value)}")
            if minimum is not None and value < minimum:
                raise _Invalid(f"must be at least {minimum}, not {value}")
            if maximum is not None and value > maximum:
                raise _Invalid(f"must be at most {maximum}, not {value}")
            return value

        return int(self._read(key, default, convert))

    def number(self, key: str, default: float) -> float:
        def convert(value: Any, from_env: bool) -> float:
            if from_env and isinstance(value, str):
                value = _env_number(value, float)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _Invalid(f"must be a number, not {_shown(value)}")
            if value <= 0:
                raise _Invalid("must be greater than 0")
            return float(value)

        return float(self._read(key, default, convert))

    def optional_int(self, key: str) -> int | None:
        if key not in self.data and key not in self.env:
            return None
        return self.integer(key, 0, minimum=None)

    def int_list(self, key: str) -> tuple[int, ...]:
        def convert(value: Any, from_env: bool) -> tuple[int, ...]:
            if from_env and isinstance(value, str):
                value = [_env_number(item, int) for item in _env_items(value)]
            if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            ):
                raise _Invalid(
                    "must be a list of Telegram user ids (whole numbers), e.g. [123456789]"
                )
            return tuple(value)

        return tuple(self._read(key, (), convert))

    def str_list(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        def convert(value: Any, from_env: bool) -> tuple[str, ...]:
            if from_env and isinstance(value, str):
                value = _env_items(value)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise _Invalid("must be a list of texts")
            return tuple(value)

        return tuple(self._read(key, default, convert))

    def clock(self, key: str, default: time) -> time:
        def convert(value: Any, from_env: bool) -> time:
            if isinstance(value, time):
                return value
            if isinstance(value, str):
                try:
                    return time.fromisoformat(value.strip().replace(".", ":"))
                except ValueError:
                    pass
            raise _Invalid(f'must be a time such as "09:00", not {_shown(value)}')

        value = self._read(key, default, convert)
        assert isinstance(value, time)
        return value

    def hours(self, key: str, default: timedelta) -> timedelta:
        def convert(value: Any, from_env: bool) -> timedelta:
            if from_env and isinstance(value, str):
                value = _env_number(value, float)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _Invalid(f"must be a number of hours, not {_shown(value)}")
            if value < 0:
                raise _Invalid("must not be negative")
            return timedelta(hours=float(value))

        value = self._read(key, default, convert)
        assert isinstance(value, timedelta)
        return value

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.string(key, default).strip().casefold()
        if value not in choices:
            self.problems.add(
                f"{self.where(key)}: must be one of {', '.join(choices)}, not {value!r}"
            )
            return default
        return value


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    return repr(value)


def _env_items(text: str) -> list[str]:
    """A list from the environment: comma-separated, or a TOML array such as [1, 2]."""
    text = text.strip()
    if text.startswith("["):
        try:
            items = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError as exc:
            raise _Invalid(f"is not a list: {text!r}") from exc
        return [str(item) for item in items]
    return [item.strip() for item in text.split(",") if item.strip()]


def _env_number(text: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(text.strip())
    except ValueError as exc:
        what = "a whole number" if kind is int else "a number"
        raise _Invalid(f"must be {what}, not {text!r}") from exc


def _env_overrides(env: Mapping[str, str], section: str) -> dict[str, tuple[str, str]]:
    """{key: (variable, value)} of the variables that set keys of ``section``."""
    found: dict[str, tuple[str, str]] = {}
    prefix = f"{ENV_PREFIX}{section.upper()}__"
    for variable, value in env.items():
        if variable.startswith(prefix) and value != "":
            found[variable[len(prefix) :].lower()] = (variable, value)
    for variable, (short_section, key) in ENV_SHORT_NAMES.items():
        # the long name wins over the short one when both are set
        if short_section == section and env.get(variable) and key not in found:
            found[key] = (variable, env[variable])
    return found


def read_config_text(path: Path) -> str:
    """The config file's text: UTF-8 (with or without a byte-order mark) or UTF-16 with one."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file does not exist") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path}: is a folder, not a config file") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from exc
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: broken UTF-16 text; save the file as UTF-8") from exc
    if b"\x00" in raw:
        raise ConfigError(
            f"{path}: looks like UTF-16 without a byte-order mark; save the file as UTF-8"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8"
        ) from exc


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the config file (if any) and the environment into a Config; ConfigError if bad."""
    env = os.environ if env is None else env
    if path is None and env.get(ENV_CONFIG):
        path = Path(env[ENV_CONFIG])
    data: dict[str, Any] = {}
    if path is not None:
        text = read_config_text(path)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(data, env, source=path)


SECTIONS = (
    "telegram",
    "database",
    "catalogue",
    "schedule",
    "invites",
    "texts",
    "data",
    "logging",
)


def parse_config(
    data: dict[str, Any], env: Mapping[str, str], source: Path | None = None
) -> Config:
    """Validate the parsed TOML ``data`` with the environment's overrides; every problem at once."""
    problems = _Problems()
    for key in data:
        if key not in SECTIONS:
            problems.add(f"{key}: unknown section (known: {', '.join(sorted(SECTIONS))})")
    for variable in env:
        if variable.startswith(ENV_PREFIX) and "__" in variable:
            named = variable[len(ENV_PREFIX) :].split("__", 1)[0].lower()
            if named not in SECTIONS:
                problems.add(
                    f"{variable}: unknown section {named} (known: {', '.join(sorted(SECTIONS))})"
                )
    base = source.parent if source is not None else Path.cwd()

    def section(name: str, known: set[str]) -> _Section:
        return _Section(name, data.get(name, {}), env, problems, known)

    tg = section(
        "telegram",
        {
            "token",
            "base_url",
            "base_file_url",
            "admins",
            "managers",
            "management_chat_id",
            "owners_status",
            "poll_timeout",
            "connect_timeout",
            "read_timeout",
            "mode",
            "webhook_url",
            "listen",
            "port",
            "secret_token",
        },
    )
    token = tg.string("token", "")
    base_url = tg.string("base_url", DEFAULT_BASE_URL).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        problems.add(f"telegram.base_url: must start with http:// or https://, not {base_url!r}")
        base_url = DEFAULT_BASE_URL
    base_file_url = tg.string("base_file_url", "")
    if not base_file_url:
        base_file_url = (
            DEFAULT_BASE_FILE_URL
            if base_url == DEFAULT_BASE_URL
            else base_url.removesuffix("/bot") + "/file/bot"
        )
    owners_status = tg.string("owners_status", "own")
    if owners_status not in OWNERS_STATUS:
        problems.add(
            f"telegram.owners_status: must be one of {', '.join(OWNERS_STATUS)}, "
            f"not {owners_status!r}"
        )
        owners_status = "own"
    telegram = TelegramConfig(
        token=token.strip(),
        base_url=base_url,
        base_file_url=base_file_url,
        admins=tg.int_list("admins"),
        managers=tg.int_list("managers"),
        management_chat_id=tg.optional_int("management_chat_id"),
        owners_status=owners_status,
        poll_timeout=tg.integer("poll_timeout", 30),
        connect_timeout=tg.number("connect_timeout", 10.0),
        read_timeout=tg.number("read_timeout", 15.0),
        **_webhook(tg, problems, official=base_url == DEFAULT_BASE_URL),
    )

    db = section("database", {"url", "echo"})
    url = db.string("url", DEFAULT_DATABASE_URL)
    if "://" not in url:
        problems.add(
            f"database.url: {url!r} is not a database URL "
            "(e.g. sqlite:///goalbot.sqlite3 or postgresql+psycopg://…)"
        )
        url = DEFAULT_DATABASE_URL
    database = DatabaseConfig(url=_resolve_sqlite(url, base), echo=db.boolean("echo", False))

    cat = section("catalogue", {"path"})
    cat_path = cat.string("path", "")
    catalogue = CatalogueConfig(path=(base / cat_path) if cat_path else None)

    defaults = ScheduleConfig()
    sch = section(
        "schedule",
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
        },
    )
    schedule_problems = len(problems.found)
    timezone = sch.string("timezone", defaults.timezone)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        problems.add(f"schedule.timezone: unknown time zone {timezone!r} (e.g. Europe/Helsinki)")
        timezone = defaults.timezone
    values: dict[str, Any] = dict(
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
    # the calendar as a whole is judged once each value is right by itself
    schedule = _schedule(problems, len(problems.found) == schedule_problems, values)

    inv = section("invites", {"valid_days"})
    invites = InviteConfig(valid_days=inv.integer("valid_days", 14, minimum=1))

    txt = section("texts", {"language", "templates"})
    templates = txt.string("templates", "")
    template_folder = (base / templates) if templates else None
    if template_folder is not None and not template_folder.is_dir():
        problems.add(f"texts.templates: {template_folder} is not a folder")
        template_folder = None
    language = txt.string("language", "fi")
    _check_language(language, template_folder, txt.where("language"), problems)
    texts = TextsConfig(language=language, templates=template_folder)

    dat = section("data", {"keep_update_ids_days", "keep_free_texts_years", "keep_sends_days"})
    defaults_data = DataConfig()
    low, high = KEEP_UPDATE_IDS_DAYS
    data_config = DataConfig(
        keep_update_ids_days=dat.integer(
            "keep_update_ids_days", defaults_data.keep_update_ids_days, minimum=low, maximum=high
        ),
        keep_free_texts_years=dat.integer(
            "keep_free_texts_years", defaults_data.keep_free_texts_years, minimum=1
        ),
        keep_sends_days=dat.integer("keep_sends_days", defaults_data.keep_sends_days, minimum=90),
    )

    logs = section("logging", {"level", "format"})
    logging = LoggingConfig(
        level=logs.choice("level", "info", LOG_LEVELS),
        format=logs.choice("format", "text", LOG_FORMATS),
    )

    problems.check()
    return Config(
        telegram=telegram,
        database=database,
        catalogue=catalogue,
        schedule=schedule,
        invites=invites,
        texts=texts,
        data=data_config,
        logging=logging,
        source=source,
    )


def _webhook(tg: _Section, problems: _Problems, official: bool) -> dict[str, Any]:
    """``mode`` and the webhook's keys, checked together (a webhook needs its address and
    secret; Telegram's own servers post only to HTTPS)."""
    mode = tg.choice("mode", "polling", MODES)
    url = tg.string("webhook_url", "").strip()
    secret = tg.string("secret_token", "").strip()
    values: dict[str, Any] = {
        "mode": mode,
        "webhook_url": url,
        "listen": tg.string("listen", DEFAULT_WEBHOOK_LISTEN).strip(),
        "port": tg.integer("port", DEFAULT_WEBHOOK_PORT, minimum=1, maximum=65535),
        "secret_token": secret,
    }
    if not values["listen"]:
        problems.add(f"{tg.where('listen')}: must be an address such as 127.0.0.1 or 0.0.0.0")
    if mode != "webhook":
        return values
    parts = urlsplit(url)
    if not url:
        problems.add(
            f'{tg.where("webhook_url")}: missing; mode = "webhook" needs the public HTTPS '
            'address Telegram posts to, e.g. "https://bot.example.fi/goalbot"'
        )
    elif parts.scheme not in ("https", "http") or not parts.hostname:
        problems.add(
            f"{tg.where('webhook_url')}: must be an address such as "
            f'"https://bot.example.fi/goalbot", not {url!r}'
        )
    elif parts.scheme != "https" and official:
        problems.add(
            f"{tg.where('webhook_url')}: Telegram posts only to https:// addresses, not {url!r}"
        )
    elif parts.query or parts.fragment:
        problems.add(f"{tg.where('webhook_url')}: must have no ?query or #fragment, not {url!r}")
    if not secret:
        problems.add(
            f'{tg.where("secret_token")}: missing; mode = "webhook" needs a secret that '
            "every request from Telegram carries (1-256 characters: A-Z, a-z, 0-9, _ and -)"
        )
    elif not SECRET_TOKEN.fullmatch(secret):
        problems.add(
            f"{tg.where('secret_token')}: 1-256 characters, only A-Z, a-z, 0-9, _ and - "
            "(as Telegram requires)"
        )
    return values


def _check_language(language: str, folder: Path | None, where: str, problems: _Problems) -> None:
    """A language is a folder of texts, shipped or in ``[texts] templates``."""
    folders = [SHIPPED_TEXTS] + ([folder] if folder is not None else [])
    if not language or "/" in language or not any((f / language).is_dir() for f in folders):
        shipped = sorted(p.name for f in folders if f.is_dir() for p in f.iterdir() if p.is_dir())
        problems.add(
            f"{where}: no texts for language {language!r} "
            f"(there are: {', '.join(shipped)}; a new language is a folder in texts.templates)"
        )


def _schedule(problems: _Problems, fields_right: bool, values: dict[str, Any]) -> ScheduleConfig:
    """The [schedule] as a whole; its problem is told only once each value is right by itself."""
    if not fields_right:
        return ScheduleConfig()
    try:
        return ScheduleConfig(**values)
    except ScheduleError as exc:
        problems.add(str(exc))
        if exc.field != "extra_non_working_days":
            # the days off are judged by themselves too, so that both problems are named
            try:
                ScheduleConfig(extra_non_working_days=values["extra_non_working_days"])
            except ScheduleError as days:
                problems.add(str(days))
        return ScheduleConfig()


def _resolve_sqlite(url: str, base: Path) -> str:
    """Make a relative SQLite path relative to the config file, not the working directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////"):
        rest = url[len(prefix) :]
        if rest and rest != ":memory:" and not rest.startswith("/"):
            return prefix + str((base / rest).resolve())
    return url
