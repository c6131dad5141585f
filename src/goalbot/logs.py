"""The running bot's log: ``[logging] level`` and ``format``, one line per event, no secrets.

``format = "text"`` writes one readable line per event; ``"json"`` one JSON object per line
(for a log collector), with the event's fields (``event``, ``period``, counts) as keys. The bot
token never appears: it is replaced wherever a library puts it (PTB's "The token … was
rejected", URLs). Libraries log at most their warnings (their debug lines carry message texts,
which may be someone's answer); ``level = "debug"`` is for goalbot's own lines.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from goalbot.config import LoggingConfig

REDACTED = "[token]"
# anything shaped like a bot token (digits, a colon, 30+ URL-safe characters)
TOKEN_SHAPE = re.compile(r"\b\d{3,}:[A-Za-z0-9_-]{30,}\b")
LIBRARIES_AT_MOST = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    # its warnings are "a run was skipped, the previous one still runs": normal for goalbot's jobs
    "apscheduler": logging.ERROR,
    "alembic": logging.WARNING,
    "sqlalchemy": logging.WARNING,
    "aiohttp": logging.WARNING,
}
# attributes every LogRecord has: the rest are the event's own fields (``extra=``)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class _Redacting(logging.Formatter):
    """Formats a record and removes the secrets from everything it wrote."""

    def __init__(self, secrets: Iterable[str], fmt: str | None = None) -> None:
        super().__init__(fmt)
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return TOKEN_SHAPE.sub(REDACTED, text)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class TextFormatter(_Redacting):
    """``2026-12-01 09:00:00,123 INFO goalbot.chat.jobs: round Q4/2026 opened: …``"""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__(secrets, "%(asctime)s %(levelname)s %(name)s: %(message)s")


class JsonFormatter(_Redacting):
    """One JSON object per line: time, level, logger, message, the event's fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(entry, ensure_ascii=False))


def _not_a_job_cancelled_at_stop(record: logging.LogRecord) -> bool:
    """APScheduler logs a job that the bot's stop cancelled as an error with its traceback
    ("Error running job …: CancelledError"); the job ends with the bot, as it should."""
    error = record.exc_info[1] if record.exc_info else None
    return not (record.name.startswith("apscheduler") and isinstance(error, asyncio.CancelledError))


def setup_logging(
    settings: LoggingConfig, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Send every log line to ``stream`` (stderr: the journal, the container's log)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    secrets = list(secrets)
    handler.setFormatter(
        JsonFormatter(secrets) if settings.format == "json" else TextFormatter(secrets)
    )
    level = logging.getLevelName(settings.level.upper())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler.addFilter(_not_a_job_cancelled_at_stop)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("goalbot").setLevel(level)
    for name, most in LIBRARIES_AT_MOST.items():
        logging.getLogger(name).setLevel(max(most, level))
    return handler
