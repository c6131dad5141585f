"""Answering rounds: opening and closing a period, nudging and escalating what is owed."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import select

from goalbot.domain.goals import Catalogue, Goal, Metric
from goalbot.domain.obligations import (
    Asked,
    Holder,
    Obligation,
    asked_items,
    asked_periods,
    asked_periods_of,
    obligations,
)
from goalbot.domain.periods import Period
from goalbot.domain.protocol import EventKind, SendKind
from goalbot.services.access import OPERATOR, Actor, Command, changer_of, require
from goalbot.services.catalogue import active_catalogue
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.outbox import management_chat_id, queue_send, remember_management_chat
from goalbot.storage.audit import BOT_CHANGE, AuditAction, Changer, record_change
from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import RoundRow, ScheduledEventRow
from goalbot.storage.repositories import (
    PriorAnswers,
    answer_marks,
    prior_answers,
    role_holders,
)


@dataclass(frozen=True)
class RoundInfo:
    """A round's state."""

    period: Period
    opened_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class RoundOpened:
    period: Period
    closes_at: datetime | None
    reminders_queued: int
    owners_without_telegram: tuple[str, ...]
    already_open: bool


@dataclass(frozen=True)
class RoundClosed:
    period: Period
    answered: int
    missing: int
    summary_queued: bool


def judgement_day(period: Period, row: RoundRow | None, zone: tzinfo) -> date:
    """The day a period's verdicts are given: the day its round closed or is to close.

    Without a round (or a planned close) it is the quarter's last day.
    """
    moment = None if row is None else row.closed_at or row.closes_at
    return moment.astimezone(zone).date() if moment is not None else period.last_day


def judgement_days(uow: UnitOfWork, zone: tzinfo) -> dict[Period, date]:
    """judgement_day of every period that has a round."""
    rows = uow.session.scalars(select(RoundRow))
    return {Period.parse(r.period): judgement_day(Period.parse(r.period), r, zone) for r in rows}


def _info(row: RoundRow) -> RoundInfo:
    return RoundInfo(Period.parse(row.period), row.opened_at, row.closes_at, row.closed_at)


def open_round_row(uow: UnitOfWork) -> RoundRow | None:
    """The open round (the newest, should there ever be two)."""
    rows = list(uow.session.scalars(select(RoundRow).where(RoundRow.closed_at.is_(None))))
    return max(rows, key=lambda r: Period.parse(r.period)) if rows else None


def _round_row(uow: UnitOfWork, period: Period | None) -> RoundRow:
    """The open round (``period`` None) or ``period``'s round; a clear error if there is none."""
    if period is None:
        row = open_round_row(uow)
        if row is None:
            raise ServiceError("no_open_round")
        return row
    found = uow.session.get(RoundRow, period.key)
    if found is None:
        raise ServiceError("no_such_round", period=period.label)
    return found


def latest_round(uow: UnitOfWork) -> RoundInfo | None:
    rows = list(uow.session.scalars(select(RoundRow)))
    if not rows:
        return None
    return _info(max(rows, key=lambda r: Period.parse(r.period)))


def read_obligations(
    uow: UnitOfWork,
    catalogue: Catalogue,
    period: Period,
    goals: Iterable[Goal] | None = None,
    prior: PriorAnswers | None = None,
    roles: Collection[str] | None = None,
) -> tuple[Obligation, ...]:
    """Each role's obligation in ``period``'s round as the database has it now (see
    domain.obligations); ``prior``: prior_answers, when the caller read them already;
    ``roles``: only these roles' (and only their metrics' answers are read)."""
    if roles is None:
        prior = prior or prior_answers(uow, period)
        asked = asked_periods(catalogue, period, prior.yes, prior.settled, prior.held)
        holders = role_holders(uow, catalogue)
    else:
        own = [m for role in roles for g in catalogue.goals_of_role(role) for m in g.metrics]
        prior = prior or prior_answers(uow, period, [m.id for m in own])
        asked = {}
        for metric in own:
            periods = asked_periods_of(
                catalogue, metric, period, prior.yes, prior.settled, prior.held
            )
            if periods:
                asked[metric.id] = periods
        holders = role_holders(uow, catalogue, roles=roles)
    answered, confirmed = answer_marks(uow, period, asked)
    return obligations(
        catalogue,
        period,
        holders,
        answered,
        confirmed,
        prior.yes,
        goals,
        prior.settled,
        prior.held,
        roles,
    )


def asked_in_round(
    uow: UnitOfWork, catalogue: Catalogue, period: Period, prior: PriorAnswers | None = None
) -> Asked:
    """Metric id → the periods ``period``'s round asks its answers for (see asked_periods_of)."""
    prior = prior or prior_answers(uow, period)
    return asked_periods(catalogue, period, prior.yes, prior.settled, prior.held)


def asked_of(
    uow: UnitOfWork,
    catalogue: Catalogue,
    role_ids: Iterable[str],
    period: Period,
    prior: PriorAnswers | None = None,
) -> list[tuple[str, Goal, Metric]]:
    """What the holders of ``role_ids`` are asked in ``period``'s round (done deliverables and
    figures given in an earlier round left out)."""
    roles = list(role_ids)
    if prior is None:
        own = [m.id for role in roles for g in catalogue.goals_of_role(role) for m in g.metrics]
        prior = prior_answers(uow, period, own)
    return asked_items(catalogue, roles, period, prior.yes, prior.settled, prior.held)


def check_period(catalogue: Catalogue, period: Period) -> None:
    """ServiceError unless the catalogue has a round for ``period`` (its term, and the rounds
    after it that collect the term's last figures)."""
    if not catalogue.has_round(period):
        raise ServiceError(
            "period_outside_catalogue",
            period=period.label,
            first=catalogue.first_period.label,
            last=catalogue.last_round.label,
        )


def open_round(
    uow: UnitOfWork,
    ctx: AppContext,
    period: Period,
    deadline: datetime | None,
    remind: bool = True,
    changer: Changer = BOT_CHANGE,
) -> RoundOpened:
    """Open a period's round (idempotent) and queue one reminder per person asked.

    A step of a use case: it works in the caller's unit of work, which commits.
    ``remind`` False opens the round quietly (the calendar's first start mid-round).
    """
    now = ctx.now()
    catalogue = active_catalogue(uow)
    check_period(catalogue, period)
    row = uow.session.get(RoundRow, period.key)
    already_open = row is not None
    if row is not None and row.closed_at is not None:
        raise ServiceError("round_closed", period=period.label)
    other = open_round_row(uow)
    if other is not None and other.period != period.key:
        raise ServiceError("other_round_open", period=Period.parse(other.period).label)
    if row is None:
        closes_at = deadline if deadline is not None and deadline > now else None
        row = RoundRow(period=period.key, opened_at=now, closes_at=closes_at)
        uow.session.add(row)
        uow.session.flush()
        record_change(
            uow,
            changer,
            AuditAction.ROUND_OPEN,
            now,
            subject=period.key,
            period=period.key,
            new={"closes_at": closes_at.isoformat() if closes_at else None, "remind": remind},
        )
    asked: dict[int, Holder] = {}
    unheld = []
    for obligation in read_obligations(uow, catalogue, period):
        person = obligation.asked
        if person is None or person.telegram_user_id is None:
            unheld.append(obligation.role.name)
        else:
            asked.setdefault(person.person_id, person)
    queued = 0
    for person in asked.values() if remind else ():
        assert person.telegram_user_id is not None
        key = f"{period.key}:open:{person.person_id}"
        if queue_send(
            uow,
            key,
            SendKind.REMINDER,
            person.telegram_user_id,
            now,
            period=period,
            person_id=person.person_id,
        ):
            queued += 1
    return RoundOpened(period, row.closes_at, queued, tuple(unheld), already_open)


def close_round(
    uow: UnitOfWork,
    ctx: AppContext,
    period: Period | None,
    summary: bool = True,
    changer: Changer = BOT_CHANGE,
) -> RoundClosed:
    """Close the open round (or ``period``'s) and queue the summary.

    A step of a use case: it works in the caller's unit of work, which commits.
    """
    now = ctx.now()
    catalogue = active_catalogue(uow)
    row = _round_row(uow, period)
    period = Period.parse(row.period)
    if row.closed_at is None:
        if row.closes_at is not None and now < _aware(row.closes_at):
            # they were told they could answer or change answers until then: say it is over
            _announce_round_change(
                uow, catalogue, row, "closed_early", row.closes_at, now, with_button=False
            )
        row.closed_at = now
        record_change(
            uow,
            changer,
            AuditAction.ROUND_CLOSE,
            now,
            subject=period.key,
            period=period.key,
            new={"summary": summary},
        )
    queued = queue_summary(uow, ctx, period, now, again=False) if summary else False
    owed = read_obligations(uow, catalogue, period)
    answered = sum(o.answered for o in owed)
    return RoundClosed(period, answered, sum(o.missing for o in owed), queued)


def _aware(moment: datetime) -> datetime:
    """A stored moment as UTC (SQLite hands naive ones back)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def round_key(row: RoundRow, what: str) -> str:
    """The key of a send that happens once per round, e.g. ``2026Q4:summary``; a reopened
    round is a new one in this (its close posts a summary of its own)."""
    key = f"{row.period}:{what}"
    if row.reopened_at is not None:
        key = f"{key}:{_aware(row.reopened_at).strftime('%Y%m%dT%H%M%S')}"
    return key


def _announce_round_change(
    uow: UnitOfWork,
    catalogue: Catalogue,
    row: RoundRow,
    change: str,
    deadline: datetime,
    now: datetime,
    with_button: bool,
) -> int:
    """Tell everyone asked who still has answers open or unconfirmed that the round closed
    early, was reopened or its deadline moved (``change``); how many were told."""
    period = Period.parse(row.period)
    owed: dict[int, tuple[Holder, int, int]] = {}
    for obligation in read_obligations(uow, catalogue, period):
        person = obligation.asked
        if not obligation.owes or person is None or not person.reachable:
            continue
        _, missing, unconfirmed = owed.get(person.person_id, (person, 0, 0))
        owed[person.person_id] = (
            person,
            missing + len(obligation.unanswered),
            unconfirmed + len(obligation.unconfirmed),
        )
    told = 0
    stamp = _aware(deadline).strftime("%Y%m%dT%H%M")
    for person, missing, unconfirmed in owed.values():
        assert person.telegram_user_id is not None
        what = change if change == "closed_early" else f"{change}:{stamp}"
        told += queue_send(
            uow,
            f"{round_key(row, what)}:{person.person_id}",
            SendKind.ROUND_CHANGED,
            person.telegram_user_id,
            now,
            period=period,
            person_id=person.person_id,
            payload={
                "change": change,
                "deadline": _aware(deadline).isoformat(),
                "missing": missing,
                "unconfirmed": unconfirmed,
                "button": with_button,
            },
        )
    return told


@dataclass(frozen=True)
class DeadlineChanged:
    """A round reopened or given a later deadline."""

    period: Period
    closes_at: datetime
    previous: datetime | None  # the deadline before (a reopened round: when it closed)
    reopened: bool
    announced: int  # owners told (those with answers open or unconfirmed)


def change_deadline(
    uow: UnitOfWork,
    ctx: AppContext,
    period: Period | None,
    until: datetime,
    *,
    reopen: bool,
    next_opens_at: datetime | None,
    changer: Changer = BOT_CHANGE,
) -> DeadlineChanged:
    """Reopen a closed round (``reopen``) or move an open round's deadline later, to ``until``;
    the calendar closes it then. The owners who still owe answers are told.

    A step of a use case: it works in the caller's unit of work, which commits.
    ``next_opens_at``: when the next round opens; the deadline must come before it.
    """
    now = ctx.now()
    catalogue = active_catalogue(uow)
    row = _round_row(uow, period)
    period = Period.parse(row.period)
    check_period(catalogue, period)
    if reopen:
        if row.closed_at is None:
            raise ServiceError("round_still_open", period=period.label)
        other = open_round_row(uow)
        if other is not None:
            raise ServiceError("other_round_open", period=Period.parse(other.period).label)
    elif row.closed_at is not None:
        raise ServiceError("round_closed", period=period.label)
    if until <= now:
        raise ServiceError("deadline_in_past", period=period.label, until=until)
    stored = row.closed_at if reopen else row.closes_at
    previous = _aware(stored) if stored is not None else None
    if not reopen and previous is not None and until <= previous:
        raise ServiceError(
            "deadline_not_later",
            period=period.label,
            until=until,
            current=previous.astimezone(until.tzinfo),
        )
    if next_opens_at is not None and until >= next_opens_at:
        raise ServiceError(
            "deadline_after_next_round",
            period=period.label,
            until=until,
            next_period=period.next().label,
            next_opens=next_opens_at,
        )
    old = {
        "closes_at": _aware(row.closes_at).isoformat() if row.closes_at else None,
        "closed_at": _aware(row.closed_at).isoformat() if row.closed_at else None,
    }
    row.closes_at, row.deadline_set_at = until, now
    if reopen:
        row.closed_at, row.reopened_at = None, now
    _move_close_event(uow, period, until)
    record_change(
        uow,
        changer,
        AuditAction.ROUND_REOPEN if reopen else AuditAction.ROUND_EXTEND,
        now,
        subject=period.key,
        period=period.key,
        old=old,
        new={"closes_at": until.isoformat()},
    )
    uow.session.flush()
    change = "reopened" if reopen else "extended"
    told = _announce_round_change(uow, catalogue, row, change, until, now, with_button=True)
    return DeadlineChanged(period, until, previous, reopen, told)


def _move_close_event(uow: UnitOfWork, period: Period, until: datetime) -> None:
    """The calendar's close of ``period`` is due at ``until`` (and, reopened, not done yet)."""
    key = f"{period.key}:{EventKind.CLOSE.value}"
    event = uow.session.get(ScheduledEventRow, key)
    if event is None:
        uow.session.add(
            ScheduledEventRow(key=key, kind=EventKind.CLOSE.value, period=period.key, due_at=until)
        )
        return
    event.due_at, event.done_at, event.skipped_at, event.note = until, None, None, ""


def set_deadlines(uow: UnitOfWork) -> dict[Period, datetime]:
    """The deadline of each open round whose deadline an administrator set (reopened or
    extended): the calendar closes those then."""
    rows = uow.session.scalars(
        select(RoundRow).where(
            RoundRow.closed_at.is_(None),
            RoundRow.deadline_set_at.is_not(None),
            RoundRow.closes_at.is_not(None),
        )
    )
    return {Period.parse(r.period): _aware(r.closes_at) for r in rows if r.closes_at is not None}


def _round_is_open(uow: UnitOfWork, period: Period) -> bool:
    row = uow.session.get(RoundRow, period.key)
    return row is not None and row.closed_at is None


def queue_nudges(
    uow: UnitOfWork, ctx: AppContext, period: Period, event_key: str, today: date
) -> int:
    """Nudge each person asked for answers still missing or unconfirmed (not those who paused
    their nudges or blocked the bot). A step of the calendar's event."""
    if not _round_is_open(uow, period):
        return 0
    catalogue = active_catalogue(uow)
    people: dict[int, Holder] = {}
    for obligation in read_obligations(uow, catalogue, period):
        person = obligation.asked
        if obligation.owes and person is not None and person.nudged_on(today):
            people.setdefault(person.person_id, person)
    queued = 0
    for person in people.values():
        assert person.telegram_user_id is not None
        if queue_send(
            uow,
            f"{event_key}:{person.person_id}",
            SendKind.NUDGE,
            person.telegram_user_id,
            ctx.now(),
            period=period,
            person_id=person.person_id,
        ):
            queued += 1
    return queued


def queue_escalations(
    uow: UnitOfWork, ctx: AppContext, period: Period, event_key: str, to_manager: bool
) -> int:
    """List what is still owed to the department heads, or (``to_manager``) to the town
    manager. A step of the calendar's event."""
    if not _round_is_open(uow, period):
        return 0
    catalogue = active_catalogue(uow)
    owing = [o for o in read_obligations(uow, catalogue, period) if o.owes]
    if not owing:
        return 0
    holders = role_holders(uow, catalogue)
    recipients: dict[str, list[Obligation]] = {}  # role id → what its holder is told
    if not to_manager:
        for department in catalogue.departments:
            listed = [o for o in owing if o.department == department.id]
            if listed:
                recipients.setdefault(department.head_role, []).extend(listed)
    elif catalogue.manager_role:
        recipients[catalogue.manager_role] = owing
    queued = 0
    for role_id, listed in recipients.items():
        person = holders[role_id].asked if role_id in holders else None
        if person is None or not person.reachable:
            continue
        assert person.telegram_user_id is not None
        payload = {
            "level": "manager" if to_manager else "head",
            "missing": [
                {
                    "role": o.role.name,
                    "person": o.asked.name if o.asked else "",
                    "missing": o.missing,
                    "unconfirmed": len(o.unconfirmed),
                    "due": o.due,
                }
                for o in listed
            ],
        }
        if queue_send(
            uow,
            f"{event_key}:{person.person_id}",
            SendKind.ESCALATION,
            person.telegram_user_id,
            ctx.now(),
            period=period,
            person_id=person.person_id,
            payload=payload,
        ):
            queued += 1
    return queued


def queue_summary(
    uow: UnitOfWork, ctx: AppContext, period: Period, now: datetime, again: bool
) -> bool:
    """Queue the round's summary for the management group (again: a fresh send on demand)."""
    chat_id = management_chat_id(uow, ctx)
    if chat_id is None:
        return False
    row = uow.session.get(RoundRow, period.key)
    key = round_key(row, "summary") if row is not None else f"{period.key}:summary"
    if again:
        key = f"{key}:{now.isoformat()}"
    return queue_send(uow, key, SendKind.SUMMARY, chat_id, now, period=period)


def resend_summary(ctx: AppContext, period: Period, *, by: Actor = OPERATOR) -> bool:
    """Send a round's summary to the management group again."""
    with ctx.unit_of_work() as uow:
        require(uow, ctx, by, Command.SUMMARY)
        if uow.session.get(RoundRow, period.key) is None:
            raise ServiceError("no_such_round", period=period.label)
        queued = queue_summary(uow, ctx, period, ctx.now(), again=True)
        if not queued:
            raise ServiceError("no_management_chat")
        record_change(
            uow,
            changer_of(uow, ctx, by),
            AuditAction.SUMMARY_RESEND,
            ctx.now(),
            subject=period.key,
            period=period.key,
        )
        uow.commit()
        return queued


def choose_management_group(ctx: AppContext, chat_id: int, *, by: Actor = OPERATOR) -> None:
    """Make the group ``chat_id`` the one that receives the rounds' summaries (/setgroup)."""
    with ctx.unit_of_work() as uow:
        require(uow, ctx, by, Command.SETGROUP)
        before = management_chat_id(uow, ctx)
        if before != chat_id:
            record_change(
                uow,
                changer_of(uow, ctx, by),
                AuditAction.MANAGEMENT_GROUP,
                ctx.now(),
                subject=str(chat_id),
                old=None if before is None else {"chat_id": before},
                new={"chat_id": chat_id},
            )
        remember_management_chat(uow, ctx, chat_id)
        uow.commit()
