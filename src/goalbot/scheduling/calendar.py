"""The reporting calendar: the events of each quarter's round and which of them are due now.

A round for quarter P opens shortly before P ends, nudges owners whose answers are missing,
escalates first to the department heads and then to the town manager, and closes a few
working days after P has ended, when the summary is posted.  Every event falls on a working
day (see :class:`~goalbot.domain.workdays.WorkingCalendar`) at a fixed local wall time; the
settings are the configuration's :class:`~goalbot.config.ScheduleConfig`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from goalbot.config import ScheduleConfig
from goalbot.domain.periods import Period
from goalbot.domain.protocol import EventKind
from goalbot.domain.workdays import (
    DEFAULT_EXTRA_NON_WORKING_DAYS,
    SUPPORTED_EXTRA_DAY_NAMES,
    ExtraNonWorkingDay,
    WorkingCalendar,
)

__all__ = [
    "DEFAULT_EXTRA_NON_WORKING_DAYS",
    "DEFAULT_LOOKBACK",
    "SUPPORTED_EXTRA_DAY_NAMES",
    "DueEvent",
    "EventKind",
    "ExtraNonWorkingDay",
    "RoundPlan",
    "ScheduledEvent",
    "WorkingCalendar",
    "current_round",
    "due_among",
    "due_events",
    "local_datetime",
    "next_event",
    "parse_event_key",
    "plan_round",
    "plan_year",
]

DEFAULT_LOOKBACK = timedelta(days=92)
"""How far back :func:`due_events` looks by default: one quarter, i.e. at least a whole round."""


# Round order of the kinds, used to order events that happen to share an instant.
_KIND_RANK = {kind: rank for rank, kind in enumerate(EventKind)}

_KEY_RE = re.compile(r"^(\d{4}Q[1-4]):([a-z_]+)(?::([1-9]\d*))?$")


@dataclass(frozen=True)
class ScheduledEvent:
    """One thing the bot must do at ``due_at`` for ``period``'s round."""

    kind: EventKind
    period: Period
    due_at: datetime
    """Aware local time in the settings' zone."""
    sequence: int = 0
    """The nudge number, 1..n, for NUDGE; 0 for every other kind."""

    def __post_init__(self) -> None:
        if self.due_at.tzinfo is None or self.due_at.utcoffset() is None:
            raise ValueError(f"due_at must be timezone-aware, not {self.due_at!r}")
        if self.kind is EventKind.NUDGE and self.sequence < 1:
            raise ValueError(f"a nudge is numbered from 1, not {self.sequence}")
        if self.kind is not EventKind.NUDGE and self.sequence != 0:
            raise ValueError(f"only nudges carry a sequence number, not {self.kind.value}")

    @property
    def key(self) -> str:
        """Stable unique key for idempotent sends, e.g. ``2026Q2:nudge:2`` or ``2026Q2:open``."""
        # Deliberately free of dates and times, so a record of a send stays valid when the
        # schedule is recomputed (a new library release, changed settings) on another day.
        if self.kind is EventKind.NUDGE:
            return f"{self.period.key}:{self.kind.value}:{self.sequence}"
        return f"{self.period.key}:{self.kind.value}"

    @property
    def due_at_utc(self) -> datetime:
        """``due_at`` in UTC."""
        return self.due_at.astimezone(UTC)

    @property
    def local_date(self) -> date:
        """The local calendar day of the event."""
        return self.due_at.date()

    def sort_key(self) -> tuple[datetime, int, Period, int]:
        """Chronological order; ties go by round order, then period and nudge number."""
        return (self.due_at_utc, _KIND_RANK[self.kind], self.period, self.sequence)


def parse_event_key(key: str) -> tuple[Period, EventKind, int]:
    """Split an event key into period, kind and sequence; raise ``ValueError`` if malformed."""
    match = _KEY_RE.match(key)
    if match is None:
        raise ValueError(f"not an event key: {key!r}")
    period = Period.parse(match.group(1))
    try:
        kind = EventKind(match.group(2))
    except ValueError:
        raise ValueError(f"not an event key: {key!r} (unknown kind)") from None
    sequence = int(match.group(3)) if match.group(3) else 0
    if (kind is EventKind.NUDGE) != (sequence > 0):
        raise ValueError(f"not an event key: {key!r} (only nudges are numbered)")
    return period, kind, sequence


@dataclass(frozen=True)
class RoundPlan:
    """The concrete events of one period's round, in order."""

    period: Period
    open: ScheduledEvent
    nudges: tuple[ScheduledEvent, ...]
    escalate_head: ScheduledEvent
    escalate_manager: ScheduledEvent
    close: ScheduledEvent

    @property
    def events(self) -> tuple[ScheduledEvent, ...]:
        """All events of the round in chronological order."""
        return (self.open, *self.nudges, self.escalate_head, self.escalate_manager, self.close)

    @property
    def opens_at(self) -> datetime:
        """When the round opens (local)."""
        return self.open.due_at

    @property
    def deadline(self) -> datetime:
        """When the round closes (local); answers are accepted until this instant."""
        return self.close.due_at

    def closing_at(self, deadline: datetime) -> RoundPlan:
        """The same round with its close moved to ``deadline`` (one an administrator set)."""
        close = ScheduledEvent(
            EventKind.CLOSE, self.period, deadline.astimezone(self.close.due_at.tzinfo)
        )
        return replace(self, close=close)

    def is_open_at(self, now: datetime) -> bool:
        """Whether the round is open at ``now``: from the opening instant until before the close."""
        now_utc = _to_utc(now)
        return self.open.due_at_utc <= now_utc < self.close.due_at_utc


@dataclass(frozen=True)
class DueEvent:
    """An event that is due and not done, with how late it is."""

    event: ScheduledEvent
    lateness: timedelta
    """How long ago the event was due (zero or more)."""
    within_grace: bool
    """True if ``lateness`` is at most the grace period, so the event should still be done."""

    @property
    def missed(self) -> bool:
        """True if the event is too late to be done and should be reported as skipped."""
        return not self.within_grace


def local_datetime(day: date, at: time, tz: ZoneInfo) -> datetime:
    """``day`` at wall time ``at`` in ``tz``; gaps move forward, overlaps take the first time."""
    # With fold=0 zoneinfo reads a wall time in the spring gap with the offset from before the
    # change, which lands after the gap, and an autumn-overlap time as its first occurrence.
    # The UTC round trip turns the former into a wall time that actually exists.
    candidate = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=tz)
    return candidate.astimezone(UTC).astimezone(tz)


def _to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, not {moment!r}")
    # Compare and subtract in UTC only: Python ignores the UTC offset when both operands
    # share a tzinfo, which would put instants across a DST change an hour off.
    return moment.astimezone(UTC)


def plan_round(period: Period, settings: ScheduleConfig, calendar: WorkingCalendar) -> RoundPlan:
    """The open, nudge, escalation and close events of ``period``'s round."""
    tz = settings.zone
    last_day = period.last_day
    open_day = calendar.add_working_days(last_day, -settings.open_working_days_before_quarter_end)
    close_day = calendar.add_working_days(last_day, settings.close_working_days_after_quarter_end)
    head_day = calendar.add_working_days(
        close_day, -settings.escalate_to_head_working_days_before_close
    )
    manager_day = calendar.add_working_days(
        close_day, -settings.escalate_to_manager_working_days_before_close
    )
    # ScheduleConfig validation guarantees this order on any calendar; checked again because
    # a broken order would silently reorder the messages people receive.
    if not open_day < head_day < manager_day <= close_day:
        raise ValueError(
            f"{period.label}: schedule out of order (open {open_day}, head {head_day}, "
            f"manager {manager_day}, close {close_day})"
        )

    def event(kind: EventKind, day: date, at: time, sequence: int = 0) -> ScheduledEvent:
        return ScheduledEvent(kind, period, local_datetime(day, at, tz), sequence)

    nudges: list[ScheduledEvent] = []
    interval = settings.nudge_every_working_days
    if interval > 0:
        number = 1
        while True:
            day = calendar.add_working_days(open_day, number * interval)
            if day >= head_day:
                break
            nudges.append(event(EventKind.NUDGE, day, settings.send_time, number))
            number += 1

    return RoundPlan(
        period=period,
        open=event(EventKind.OPEN, open_day, settings.send_time),
        nudges=tuple(nudges),
        escalate_head=event(EventKind.ESCALATE_HEAD, head_day, settings.send_time),
        escalate_manager=event(EventKind.ESCALATE_MANAGER, manager_day, settings.send_time),
        close=event(EventKind.CLOSE, close_day, settings.close_time),
    )


def _rounds_from(
    start_utc: datetime, settings: ScheduleConfig, calendar: WorkingCalendar
) -> Iterator[RoundPlan]:
    """Rounds that close at or after ``start_utc``, in period order, without end."""
    period = Period.containing(start_utc.astimezone(settings.zone).date())
    # Opening and closing days never decrease from one period to the next, so walking back
    # can stop at the first earlier round that has closed before the start.
    while plan_round(period.previous(), settings, calendar).close.due_at_utc >= start_utc:
        period = period.previous()
    while True:
        plan = plan_round(period, settings, calendar)
        if plan.close.due_at_utc >= start_utc:
            yield plan
        period = period.next()


def _events_between(
    start_utc: datetime,
    end_utc: datetime,
    settings: ScheduleConfig,
    calendar: WorkingCalendar,
) -> list[ScheduledEvent]:
    """Events due in [``start_utc``, ``end_utc``), in order."""
    found: list[ScheduledEvent] = []
    for plan in _rounds_from(start_utc, settings, calendar):
        if plan.open.due_at_utc >= end_utc:
            break
        found.extend(e for e in plan.events if start_utc <= e.due_at_utc < end_utc)
    return sorted(found, key=ScheduledEvent.sort_key)


def _one_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        # 29 February: a year later there is none, and twelve months end on 1 March.
        return date(day.year + 1, 3, 1)


def plan_year(
    start: int | date, settings: ScheduleConfig, calendar: WorkingCalendar
) -> list[ScheduledEvent]:
    """Events of a year's four rounds (``int``), or of the 12 months from a date or datetime.

    A year's rounds include the Q4 close in the following January.  A ``date`` starts at local
    midnight of that day; an aware ``datetime`` at that instant.  The result is in order.
    """
    if isinstance(start, int):
        events = [
            event
            for quarter in range(1, 5)
            for event in plan_round(Period(start, quarter), settings, calendar).events
        ]
        return sorted(events, key=ScheduledEvent.sort_key)
    tz = settings.zone
    if isinstance(start, datetime):
        begin = _to_utc(start)
        local = start.astimezone(tz)
        end = local_datetime(_one_year_later(local.date()), local.timetz(), tz)
    else:
        begin = local_datetime(start, time(0), tz).astimezone(UTC)
        end = local_datetime(_one_year_later(start), time(0), tz)
    return _events_between(begin, end.astimezone(UTC), settings, calendar)


def current_round(
    now: datetime, settings: ScheduleConfig, calendar: WorkingCalendar
) -> Period | None:
    """The period whose round is open at ``now`` (opening instant included, close excluded)."""
    now_utc = _to_utc(now)
    for plan in _rounds_from(now_utc, settings, calendar):
        if plan.open.due_at_utc > now_utc:
            return None
        # Rounds do not overlap with sensible settings; if they do, the older one, which
        # closes first, is the one people are working on.
        if plan.is_open_at(now_utc):
            return plan.period
    raise AssertionError("unreachable: the rounds never end")


def due_events(
    now: datetime,
    done_keys: Collection[str],
    settings: ScheduleConfig,
    calendar: WorkingCalendar,
    lookback: timedelta = DEFAULT_LOOKBACK,
) -> list[DueEvent]:
    """Events due by ``now`` and not in ``done_keys``, oldest first, each within grace or missed.

    Events due more than ``lookback`` ago are left out entirely (they belong to rounds already
    dealt with); the window is never shorter than the grace period, so nothing that should
    still be done is hidden.
    """
    if lookback < timedelta(0):
        raise ValueError(f"lookback must not be negative, not {lookback}")
    now_utc = _to_utc(now)
    window_start = now_utc - max(lookback, settings.grace_period)
    # The end bound is exclusive, so a microsecond past now includes events due exactly now.
    window_end = now_utc + timedelta(microseconds=1)
    events = _events_between(window_start, window_end, settings, calendar)
    return due_among(events, now_utc, done_keys, settings.grace_period)


def due_among(
    events: Iterable[ScheduledEvent], now: datetime, done_keys: Collection[str], grace: timedelta
) -> list[DueEvent]:
    """Those of ``events`` due by ``now`` and not in ``done_keys``, oldest first, each within
    ``grace`` or missed."""
    now_utc = _to_utc(now)
    due: list[DueEvent] = []
    for event in sorted(events, key=ScheduledEvent.sort_key):
        if event.key in done_keys or event.due_at_utc > now_utc:
            continue
        lateness = now_utc - event.due_at_utc
        due.append(DueEvent(event, lateness, lateness <= grace))
    return due


def next_event(
    now: datetime,
    settings: ScheduleConfig,
    calendar: WorkingCalendar,
) -> ScheduledEvent:
    """The first event due strictly after ``now``."""
    now_utc = _to_utc(now)
    best: ScheduledEvent | None = None
    for plan in _rounds_from(now_utc, settings, calendar):
        if best is not None and plan.open.due_at_utc > best.due_at_utc:
            return best
        for event in plan.events:
            if event.due_at_utc > now_utc and (best is None or event.sort_key() < best.sort_key()):
                best = event
    raise AssertionError("unreachable: the rounds never end")
