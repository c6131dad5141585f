"""Running the reporting calendar: plan the events, do what is due, report what was missed.

Plain code: the chat layer's jobs call :func:`tick` when an event falls due (and now and then
besides); the CLI and tests call it with any clock. Everything it needs to know lives in the
database, so calling it again, or after a restart, does nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from goalbot.domain.periods import Period
from goalbot.scheduling.calendar import (
    DEFAULT_LOOKBACK,
    EventKind,
    RoundPlan,
    ScheduledEvent,
    due_events,
    plan_round,
)
from goalbot.scheduling.settings import working_calendar
from goalbot.services.catalogue import get_catalogue
from goalbot.services.context import AppContext
from goalbot.services.events import (
    LATE_DOWN,
    LATE_FROZEN,
    EventOutcome,
    PlannedEvent,
    finished_keys,
    mark_skipped,
    perform_event,
    record_plan,
)
from goalbot.services.health import latest_instance

PLAN_AHEAD_QUARTERS = 5


@dataclass(frozen=True)
class TickReport:
    """What one run of the calendar did."""

    outcomes: tuple[EventOutcome, ...]
    next_due: datetime | None


def _planned(event: ScheduledEvent) -> PlannedEvent:
    return PlannedEvent(event.key, event.kind, event.period, event.due_at)


def round_plans(ctx: AppContext, now: datetime) -> list[RoundPlan]:
    """The rounds around ``now`` that the catalogue covers: the last ones and the coming ones."""
    catalogue = get_catalogue(ctx)
    settings = ctx.config.schedule
    calendar = working_calendar(ctx.config.schedule)
    local = now.astimezone(settings.zone).date()
    period = Period.containing(local - DEFAULT_LOOKBACK - timedelta(days=31))
    plans = []
    for _ in range(PLAN_AHEAD_QUARTERS + 2):
        if catalogue.has_round(period):
            plans.append(plan_round(period, settings, calendar))
        period = period.next()
    return plans


def tick(ctx: AppContext, now: datetime | None = None) -> TickReport:
    """Do every event that is due and not yet done; too-late sends are skipped and reported."""
    now = now or ctx.now()
    settings = ctx.config.schedule
    calendar = working_calendar(ctx.config.schedule)
    plans = round_plans(ctx, now)
    events = [e for plan in plans for e in plan.events]
    first_run = record_plan(ctx, (_planned(e) for e in events))
    deadlines = {plan.period: plan.deadline for plan in plans}
    planned = {e.key for e in events}
    done = finished_keys(ctx)
    today = now.astimezone(settings.zone).date()
    outcomes = []
    for due in due_events(now, done, settings, calendar):
        event = due.event
        if event.key not in planned:
            continue  # a period outside the catalogue
        if first_run and not due.within_grace:
            # The calendar starts now: what fell due before goalbot ran is not reported as
            # missed; a round still in progress is opened (quietly: /remind sends reminders).
            deadline = deadlines[event.period]
            if event.kind == EventKind.OPEN and deadline > now:
                outcomes.append(
                    perform_event(
                        ctx,
                        _planned(event),
                        send=False,
                        today=today,
                        deadline=deadline,
                        notify=False,
                    )
                )
            else:
                mark_skipped(ctx, [event.key], "before goalbot was started")
            continue
        closes = deadlines.get(event.period)
        late = "" if due.within_grace else _why_late(ctx, event)
        outcomes.append(
            perform_event(
                ctx,
                _planned(event),
                send=due.within_grace or _still_worth_doing(event, closes, now),
                today=today,
                deadline=closes,
                late=late,
            )
        )
    done = finished_keys(ctx)
    upcoming = sorted(e.due_at for e in events if e.key not in done and e.due_at > now)
    return TickReport(tuple(outcomes), upcoming[0] if upcoming else None)


def _still_worth_doing(event: ScheduledEvent, deadline: datetime | None, now: datetime) -> bool:
    """Whether an event past its grace period is still done in full, late.

    A close always posts its summary, however late; an opening still sends the reminders while
    the round is open. A nudge or an escalation that late would only confuse: not sent.
    """
    if event.kind == EventKind.CLOSE:
        return True
    return event.kind == EventKind.OPEN and deadline is not None and deadline > now


def _why_late(ctx: AppContext, event: ScheduledEvent) -> str:
    """No bot ran when the event fell due, or the one running now did, frozen meanwhile."""
    running = latest_instance(ctx)
    if running is not None and running.stopped_at is None:
        started = running.started_at.replace(tzinfo=running.started_at.tzinfo or UTC)
        if started <= event.due_at_utc:
            return LATE_FROZEN
    return LATE_DOWN


def coming_events(ctx: AppContext, now: datetime, days: int = 366) -> list[ScheduledEvent]:
    """The calendar's events from ``now`` for the coming year (for /schedule)."""
    until = now + timedelta(days=days)
    return sorted(
        (e for plan in round_plans(ctx, now) for e in plan.events if now <= e.due_at <= until),
        key=lambda e: e.due_at,
    )
