"""The bot's time in the sandbox: the wall clock moved ahead for rehearsals."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from goalbot.storage.models import utcnow


class RehearsalClock:
    """Now, as the sandbox's bot and its Bot API emulator see it.

    It runs with the wall clock, shifted by an offset that a rehearsal moves forward (to the
    next calendar event, to a date). Called, it gives an aware UTC datetime (the services'
    clock); ``now()`` gives Unix seconds (the emulator's clock). Thread-safe.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        if start is not None:
            self.set(start)

    def __call__(self) -> datetime:
        with self._lock:
            return utcnow() + self._offset

    def now(self) -> float:
        return self().timestamp()

    def set(self, moment: datetime) -> None:
        """Make it ``moment`` now (at a start: a fresh sandbox, or where the last one stopped)."""
        with self._lock:
            self._offset = moment - utcnow()

    def move_to(self, moment: datetime) -> None:
        """Move forward to ``moment``; time never runs backwards under a running bot."""
        with self._lock:
            if moment < utcnow() + self._offset:
                raise ValueError(f"{moment.isoformat()} is in the bot's past")
            self._offset = moment - utcnow()
