"""The reporting calendar's events in the database: what is due, what was done, what skipped.

Each event is performed in one unit of work that also marks it done, so a restart at any
moment neither misses it nor does it twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import assert_never

from sqlalchemy import func, or_, select

from goalbot.domain.periods import Period
from goalbot.domain.protocol import EventKind
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.outbox import management_chat_id, queue_admin_notices
from goalbot.services.rounds import (
    RoundInfo,
    close_round,
    open_round,
    queue_escalations,
    queue_nudges,
    set_deadlines,
)
from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import RoundRow, ScheduledEventRow

# why an event comes past its grace period: no bot ran, or the running bot's machine was
# suspended or its clock jumped forward (a virtual machine resumed weeks later)
LATE_DOWN = "down"
LATE_FROZEN = "frozen"


@dataclass(frozen=True)
class PlannedEvent:
    """An event of the calendar, as the scheduling layer computed it."""

    key: str
    kind: EventKind
    period: Period
    due_at: datetime


@dataclass(frozen=True)
class EventOutcome:
    """What performing an event did."""

    key: str
    performed: bool  # False: it had been done (or skipped) already
    skipped: bool  # True: too late to send; state changes only, the admins were told
    queued: int  # messages queued
    note: str = ""


@dataclass(frozen=True)
class CalendarState:
    """What the calendar must take from the database before it plans."""

    unfinished_from: Period | None  # the oldest period with an event neither done nor skipped
    deadlines: dict[Period, datetime]  # open rounds whose deadline an administrator set


def calendar_state(ctx: AppContext) -> CalendarState:
    """Where the calendar must resume, and the deadlines set by hand (one short read)."""
    with ctx.unit_of_work() as uow:
        periods = uow.session.scalars(
            select(func.distinct(ScheduledEventRow.period)).where(
                ScheduledEventRow.done_at.is_(None), ScheduledEventRow.skipped_at.is_(None)
            )
        ).all()
        oldest = min((Period.parse(p) for p in periods), default=None)
        return CalendarState(oldest, set_deadlines(uow))


def record_plan(ctx: AppContext, events: Iterable[PlannedEvent]) -> bool:
    """Keep the planned events in the database; a not-yet-done event follows config changes.

    True if the database had no events before: the calendar starts now.
    """
    planned = list(events)
    with ctx.unit_of_work() as uow:
        first = uow.session.scalars(select(ScheduledEventRow.key).limit(1)).first() is None
        stored = {
            row.key: row
            for row in uow.session.scalars(
                select(ScheduledEventRow).where(
                    ScheduledEventRow.key.in_([event.key for event in planned])
                )
            )
        }
        for event in planned:
            row = stored.get(event.key)
            if row is None:
                uow.session.add(
                    ScheduledEventRow(
                        key=event.key,
                        kind=event.kind.value,
                        period=event.period.key,
                        due_at=event.due_at,
                    )
                )
            elif row.done_at is None and row.skipped_at is None and row.due_at != event.due_at:
                row.due_at = event.due_at
        uow.commit()
        return first


def mark_skipped(ctx: AppContext, keys: Iterable[str], note: str) -> None:
    """Mark events as skipped without doing them (e.g. before goalbot was installed)."""
    now = ctx.now()
    with ctx.unit_of_work() as uow:
        for key in keys:
            row = uow.session.get(ScheduledEventRow, key)
            if row is not None and row.done_at is None and row.skipped_at is None:
                row.skipped_at, row.note = now, note
        uow.commit()


def finished_keys(ctx: AppContext) -> set[str]:
    """Keys of events done or skipped."""
    with ctx.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(ScheduledEventRow.key).where(
                or_(
                    ScheduledEventRow.done_at.is_not(None),
                    ScheduledEventRow.skipped_at.is_not(None),
                )
            )
        )
        return set(rows)


def perform_event(
    ctx: AppContext,
    event: PlannedEvent,
    send: bool,
    today: date,
    deadline: datetime | None = None,
    notify: bool = True,
    late: str = "",
) -> EventOutcome:
    """Do an event now (once): open, nudge, escalate or close.

    ``send`` False: too late to send (state changes only; the admins are told unless
    ``notify`` is False). ``late``: why the event comes past its grace period (``LATE_DOWN``,
    ``LATE_FROZEN``); the admins are told that it was done late, or not sent.
    """
    now = ctx.now()
    with ctx.unit_of_work() as uow:
        row = uow.session.get(ScheduledEventRow, event.key)
        if row is None:
            row = ScheduledEventRow(
                key=event.key, kind=event.kind.value, period=event.period.key, due_at=event.due_at
            )
            uow.session.add(row)
        elif row.done_at is not None or row.skipped_at is not None:
            return EventOutcome(event.key, performed=False, skipped=False, queued=0)
        note = ""
        try:
            queued = _perform(uow, ctx, event, send, today, deadline)
        except ServiceError as exc:
            # e.g. another round is still open: nothing happened, and the admins must know
            queued, note = 0, exc.code
        if send:
            row.done_at = now
            if note:
                _tell_admins(uow, ctx, event, now, "event_failed", note)
            elif late:
                _tell_admins(uow, ctx, event, now, "late_event", late)
            elif (
                event.kind == EventKind.CLOSE
                and not queued
                and management_chat_id(uow, ctx) is None
            ):
                _tell_admins(uow, ctx, event, now, "event_failed", "no_management_chat")
        else:
            row.skipped_at = now
            if notify:
                _tell_admins(uow, ctx, event, now, reason=late)
        row.note = note
        uow.commit()
        return EventOutcome(event.key, True, not send, queued, note)


def _perform(
    uow: UnitOfWork,
    ctx: AppContext,
    event: PlannedEvent,
    send: bool,
    today: date,
    deadline: datetime | None,
) -> int:
    match event.kind:
        case EventKind.OPEN:
            return open_round(uow, ctx, event.period, deadline, remind=send).reminders_queued
        case EventKind.CLOSE:
            return int(close_round(uow, ctx, event.period, summary=send).summary_queued)
        case EventKind.NUDGE:
            return queue_nudges(uow, ctx, event.period, event.key, today) if send else 0
        case EventKind.ESCALATE_HEAD | EventKind.ESCALATE_MANAGER:
            if not send:
                return 0
            to_manager = event.kind == EventKind.ESCALATE_MANAGER
            return queue_escalations(uow, ctx, event.period, event.key, to_manager)
    assert_never(event.kind)


def _tell_admins(
    uow: UnitOfWork,
    ctx: AppContext,
    event: PlannedEvent,
    now: datetime,
    code: str = "skipped_event",
    reason: str = "",
) -> None:
    """A missed or failed event is reported to every administrator (once per event)."""
    payload = {
        "code": code,
        "reason": reason,
        "event": event.kind.value,
        "period": event.period.key,
        "due_at": event.due_at.isoformat(),
    }
    queue_admin_notices(uow, ctx, event.key, payload, now, period=event.period)


@dataclass(frozen=True)
class EventState:
    """A planned event with what became of it (for /schedule)."""

    key: str
    kind: EventKind
    period: Period
    due_at: datetime
    done_at: datetime | None
    skipped_at: datetime | None
    note: str


def event_states(ctx: AppContext, keys: Iterable[str]) -> dict[str, EventState]:
    """The stored state of the given events."""
    wanted = list(keys)
    with ctx.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(ScheduledEventRow).where(ScheduledEventRow.key.in_(wanted))
        )
        return {
            r.key: EventState(
                r.key,
                EventKind(r.kind),
                Period.parse(r.period),
                r.due_at,
                r.done_at,
                r.skipped_at,
                r.note,
            )
            for r in rows
        }


def round_states(ctx: AppContext) -> dict[Period, RoundInfo]:
    """Every round opened so far, by hand or by the calendar (for /schedule)."""
    with ctx.unit_of_work() as uow:
        return {
            Period.parse(r.period): RoundInfo(
                Period.parse(r.period), r.opened_at, r.closes_at, r.closed_at
            )
            for r in uow.session.scalars(select(RoundRow))
        }
