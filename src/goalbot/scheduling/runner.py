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
    due_among,
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
    calendar_state,
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
    """The rounds around ``now`` that the catalogue covers: the last ones and the coming ones,
    and every round since the oldest event not yet dealt with (after a stop or a clock jump of
    any length); a round whose deadline an administrator set closes then."""
    catalogue = get_catalogue(ctx)
    settings = ctx.config.schedule
    calendar = working_calendar(ctx.config.schedule)
    local = now.astimezone(settings.zone).date()
    period = Period.containing(local - DEFAULT_LOOKBACK - timedelta(days=31))
    last = period
    for _ in range(PLAN_AHEAD_QUARTERS + 1):
        last = last.next()
    state = calendar_state(ctx)
    if state.unfinished_from is not None and state.unfinished_from < period:
        period = state.unfinished_from
    plans = []
    while period <= last:
        if catalogue.has_round(period):
            plan = plan_round(period, settings, calendar)
            deadline = state.deadlines.get(period)
            plans.append(plan if deadline is None else plan.closing_at(deadline))
        period = period.next()
    return plans


def tick(ctx: AppContext, now: datetime | None = None) -> TickReport:
    """Do every event that is due and not yet done, in order; too-late sends are skipped and
    reported."""
    now = now or ctx.now()
    settings = ctx.config.schedule
    plans = round_plans(ctx, now)
    events = [e for plan in plans for e in plan.events]
    first_run = record_plan(ctx, (_planned(e) for e in events))
    deadlines = {plan.period: plan.deadline for plan in plans}
    done = finished_keys(ctx)
    today = now.astimezone(settings.zone).date()
    outcomes = []
    opened: set[Period] = set()
    for due in due_among(events, now, done, settings.grace_period):
        event = due.event
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
        send = due.within_grace or _still_worth_doing(event, closes, now)
        # caught up late, the reminders went out in this very run: no nudge on top of them
        reminded_now = event.kind == EventKind.NUDGE and event.period in opened
        outcome = perform_event(
            ctx,
            _planned(event),
            send=send and not reminded_now,
            today=today,
            deadline=closes,
            late=late,
            # a nudge or an escalation of a round that is over by now: its close says so
            notify=not reminded_now and (send or not _round_over(event, closes, now)),
        )
        if event.kind == EventKind.OPEN and outcome.queued:
            opened.add(event.period)
        outcomes.append(outcome)
    done = finished_keys(ctx)
    upcoming = sorted(e.due_at for e in events if e.key not in done and e.due_at > now)
    return TickReport(tuple(outcomes), upcoming[0] if upcoming else None)


def _round_over(event: ScheduledEvent, deadline: datetime | None, now: datetime) -> bool:
    """A nudge or escalation whose round's deadline has passed too."""
    reminds = event.kind in (EventKind.NUDGE, EventKind.ESCALATE_HEAD, EventKind.ESCALATE_MANAGER)
    return reminds and deadline is not None and deadline <= now


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
