"""Answering rounds: opening and closing a period, and who is asked what."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import select

from goalbot.domain.goals import Catalogue, Goal, Metric
from goalbot.domain.periods import Period
from goalbot.services.catalogue import active_catalogue
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.outbox import management_chat_id, queue_send
from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import AssignmentRow, PersonRow, RoundRow
from goalbot.storage.repositories import answers_for_period, yes_answers


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


def latest_round(uow: UnitOfWork) -> RoundInfo | None:
    rows = list(uow.session.scalars(select(RoundRow)))
    if not rows:
        return None
    return _info(max(rows, key=lambda r: Period.parse(r.period)))


def due_items(
    catalogue: Catalogue,
    role_ids: list[str],
    period: Period,
    done: Mapping[str, Collection[Period]] | None = None,
) -> list[tuple[str, Goal, Metric]]:
    """The (role, goal, metric) triples the holders of ``role_ids`` are asked in ``period``.

    ``done``: the earlier "yes" answers (see Goal.metrics_due); use asked_in().
    """
    items = []
    for role_id in role_ids:
        for goal in catalogue.goals_of_role(role_id):
            for metric in goal.metrics_due(period, done):
                items.append((role_id, goal, metric))
    return items


def asked_in(
    uow: UnitOfWork, catalogue: Catalogue, role_ids: list[str], period: Period
) -> list[tuple[str, Goal, Metric]]:
    """due_items with the deliverables already reported done left out."""
    return due_items(catalogue, role_ids, period, yes_answers(uow, period))


def active_holders(uow: UnitOfWork) -> dict[str, dict[str, PersonRow]]:
    """role id → {"owner": person, "deputy": person} for current assignments."""
    holders: dict[str, dict[str, PersonRow]] = {}
    for row in uow.session.scalars(select(AssignmentRow).where(AssignmentRow.revoked_at.is_(None))):
        holders.setdefault(row.role_id, {})[row.kind] = row.person
    return holders


def people_to_remind(
    uow: UnitOfWork, catalogue: Catalogue, period: Period
) -> tuple[dict[int, PersonRow], list[str]]:
    """Each role's owner (its deputy where nobody owns it) with something due; roles unheld."""
    holders = active_holders(uow)
    people: dict[int, PersonRow] = {}
    unheld = []
    done = yes_answers(uow, period)
    for role in catalogue.roles:
        if not due_items(catalogue, [role.id], period, done):
            continue
        held = holders.get(role.id, {})
        person = held.get("owner") or held.get("deputy")
        if person is None or person.telegram_user_id is None:
            unheld.append(role.name)
            continue
        people[person.id] = person
    return people, unheld


def open_round_in(
    uow: UnitOfWork, ctx: AppContext, period: Period, deadline: datetime | None, remind: bool = True
) -> RoundOpened:
    """Open a period's round inside ``uow`` (idempotent); queue one reminder per owner."""
    now = ctx.now()
    catalogue = active_catalogue(uow)
    if not catalogue.first_period <= period <= catalogue.last_period:
        raise ServiceError(
            "period_outside_catalogue",
            period=period.label,
            first=catalogue.first_period.label,
            last=catalogue.last_period.label,
        )
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
    people, unheld = people_to_remind(uow, catalogue, period)
    queued = 0
    for person in people.values() if remind else ():
        assert person.telegram_user_id is not None
        key = f"{period.key}:open:{person.id}"
        if queue_send(
            uow, key, "reminder", person.telegram_user_id, now, period=period, person_id=person.id
        ):
            queued += 1
    return RoundOpened(period, row.closes_at, queued, tuple(unheld), already_open)


def open_round(ctx: AppContext, period: Period, deadline: datetime | None) -> RoundOpened:
    """Open a period's round (idempotent) and queue one reminder per owner."""
    with ctx.unit_of_work() as uow:
        opened = open_round_in(uow, ctx, period, deadline)
        uow.commit()
        return opened


def close_round_in(
    uow: UnitOfWork, ctx: AppContext, period: Period | None, summary: bool = True
) -> RoundClosed:
    """Close the open round (or ``period``'s) inside ``uow``; queue the summary."""
    now = ctx.now()
    catalogue = active_catalogue(uow)
    if period is None:
        row = open_round_row(uow)
        if row is None:
            raise ServiceError("no_open_round")
    else:
        row = uow.session.get(RoundRow, period.key)
        if row is None:
            raise ServiceError("no_such_round", period=period.label)
    period = Period.parse(row.period)
    if row.closed_at is None:
        row.closed_at = now
    queued = queue_summary(ctx, uow, period, now, again=False) if summary else False
    done = yes_answers(uow, period)
    due = [m.id for g in catalogue.goals for m in g.metrics_due(period, done)]
    answers = answers_for_period(uow, period, due)
    return RoundClosed(period, len(answers), len(due) - len(answers), queued)


def close_round(ctx: AppContext, period: Period | None = None) -> RoundClosed:
    """Close the open round (or ``period``'s) and queue the summary for the management group."""
    with ctx.unit_of_work() as uow:
        closed = close_round_in(uow, ctx, period)
        uow.commit()
        return closed


@dataclass(frozen=True)
class Missing:
    """A role with answers still missing (unanswered or not confirmed) in a round."""

    role_id: str
    role_name: str
    person_id: int | None
    person_name: str
    department: str | None
    missing: int
    due: int


def missing_in(uow: UnitOfWork, catalogue: Catalogue, period: Period) -> list[Missing]:
    """Every role that still owes answers in ``period``: unanswered or unconfirmed metrics."""
    holders = active_holders(uow)
    triples = asked_in(uow, catalogue, [r.id for r in catalogue.roles], period)
    answers = answers_for_period(uow, period, [m.id for _, _, m in triples])
    result = []
    for role in catalogue.roles:
        items = [(g, m) for role_id, g, m in triples if role_id == role.id]
        if not items:
            continue
        missing = sum(
            1 for _, m in items if m.id not in answers or answers[m.id].confirmed_at is None
        )
        if not missing:
            continue
        held = holders.get(role.id, {})
        person = held.get("owner") or held.get("deputy")
        departments = [g.department for g, _ in items if g.department]
        result.append(
            Missing(
                role.id,
                role.name,
                person.id if person else None,
                person.name if person else "",
                departments[0] if departments else None,
                missing,
                len(items),
            )
        )
    return result


def queue_nudges_in(
    uow: UnitOfWork, ctx: AppContext, period: Period, event_key: str, today: date
) -> int:
    """Nudge each owner with missing answers (not those paused or who blocked the bot)."""
    row = uow.session.get(RoundRow, period.key)
    if row is None or row.closed_at is not None:
        return 0
    catalogue = active_catalogue(uow)
    queued = 0
    for person_id in {m.person_id for m in missing_in(uow, catalogue, period) if m.person_id}:
        person = uow.session.get(PersonRow, person_id)
        if person is None or person.telegram_user_id is None or person.blocked_bot_at:
            continue
        if person.nudges_paused_until is not None and person.nudges_paused_until >= today:
            continue
        if queue_send(
            uow,
            f"{event_key}:{person.id}",
            "nudge",
            person.telegram_user_id,
            ctx.now(),
            period=period,
            person_id=person.id,
        ):
            queued += 1
    return queued


def queue_escalations_in(
    uow: UnitOfWork, ctx: AppContext, period: Period, event_key: str, level: str
) -> int:
    """List the missing answers to the department heads (level "head") or the town manager."""
    row = uow.session.get(RoundRow, period.key)
    if row is None or row.closed_at is not None:
        return 0
    catalogue = active_catalogue(uow)
    missing = missing_in(uow, catalogue, period)
    if not missing:
        return 0
    holders = active_holders(uow)
    recipients: dict[str, list[Missing]] = {}  # role id → what its holder is told
    if level == "head":
        for department in catalogue.departments:
            listed = [m for m in missing if m.department == department.id]
            if listed:
                recipients.setdefault(department.head_role, []).extend(listed)
    elif catalogue.manager_role:
        recipients[catalogue.manager_role] = missing
    queued = 0
    for role_id, listed in recipients.items():
        held = holders.get(role_id, {})
        person = held.get("owner") or held.get("deputy")
        if person is None or person.telegram_user_id is None or person.blocked_bot_at:
            continue
        payload = {
            "level": level,
            "missing": [
                {"role": m.role_name, "person": m.person_name, "missing": m.missing, "due": m.due}
                for m in listed
            ],
        }
        if queue_send(
            uow,
            f"{event_key}:{person.id}",
            "escalation",
            person.telegram_user_id,
            ctx.now(),
            period=period,
            person_id=person.id,
            payload=payload,
        ):
            queued += 1
    return queued


def queue_summary(
    ctx: AppContext, uow: UnitOfWork, period: Period, now: datetime, again: bool
) -> bool:
    """Queue the round's summary for the management group (again: a fresh send on demand)."""
    chat_id = management_chat_id(uow, ctx)
    if chat_id is None:
        return False
    key = f"{period.key}:summary"
    if again:
        key = f"{key}:{now.isoformat()}"
    return queue_send(uow, key, "summary", chat_id, now, period=period)


def resend_summary(ctx: AppContext, period: Period) -> bool:
    """Send a round's summary to the management group again."""
    with ctx.unit_of_work() as uow:
        if uow.session.get(RoundRow, period.key) is None:
            raise ServiceError("no_such_round", period=period.label)
        queued = queue_summary(ctx, uow, period, ctx.now(), again=True)
        if not queued:
            raise ServiceError("no_management_chat")
        uow.commit()
        return queued
