"""What every service needs: the database, the configuration and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from goalbot.config import Config
from goalbot.storage.database import Database, UnitOfWork
from goalbot.storage.models import utcnow


@dataclass(frozen=True)
class AppContext:
    """Passed to every service call; the clock is replaceable for tests."""

    config: Config
    db: Database
    clock: Callable[[], datetime] = field(default=utcnow)

    def now(self) -> datetime:
        return self.clock()

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        return self.db.unit_of_work(read_only)


class ServiceError(Exception):
    """A use case refused; ``code`` selects the message, ``params`` fill it in."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(code if not params else f"{code}: {params}")
