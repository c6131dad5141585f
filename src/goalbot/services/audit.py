"""Reading the audit log: who changed what, when, for which role, from what to what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, select

from goalbot.services.context import AppContext
from goalbot.services.owners import find_person
from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import AuditRow, PersonRow


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log, with the name of who made the change (if still known)."""

    id: int
    at: datetime
    actor: str
    person_id: int | None
    name: str
    telegram_user_id: int | None
    on_behalf_of: str
    action: str
    subject: str
    goal_id: str | None
    period: str | None
    old: dict[str, Any] | None
    new: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        """The entry as the exports and ``goalbot audit --format json`` give it."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "person_id": self.person_id,
            "person": self.name or None,
            "on_behalf_of": self.on_behalf_of or None,
            "action": self.action,
            "subject": self.subject,
            "goal": self.goal_id,
            "period": self.period,
            "old": self.old,
            "new": self.new,
        }


def _entry(row: AuditRow, names: dict[int, str]) -> AuditEntry:
    return AuditEntry(
        row.id,
        row.at,
        row.actor,
        row.person_id,
        names.get(row.person_id, "") if row.person_id is not None else "",
        row.telegram_user_id,
        row.on_behalf_of,
        row.action,
        row.subject,
        row.goal_id,
        row.period,
        row.old,
        row.new,
    )


def read_audit(
    uow: UnitOfWork,
    *,
    person_id: int | None = None,
    goal_id: str | None = None,
    period: str | None = None,
    since: datetime | None = None,
) -> list[AuditEntry]:
    """The audit log's rows (oldest first), optionally only those of a person, a goal, a
    period or since a moment; in the caller's unit of work."""
    query = select(AuditRow).order_by(AuditRow.at, AuditRow.id)
    if person_id is not None:
        query = query.where(AuditRow.person_id == person_id)
    if goal_id is not None:
        query = query.where(func.upper(AuditRow.goal_id) == goal_id.upper())
    if period is not None:
        query = query.where(AuditRow.period == period)
    if since is not None:
        query = query.where(AuditRow.at >= since)
    rows = list(uow.session.scalars(query))
    ids = {row.person_id for row in rows if row.person_id is not None}
    found = uow.session.execute(select(PersonRow.id, PersonRow.name).where(PersonRow.id.in_(ids)))
    names = {person_id: name for person_id, name in found}
    return [_entry(row, names) for row in rows]


def audit_log(
    ctx: AppContext,
    *,
    person: str | None = None,
    goal: str | None = None,
    since: date | None = None,
    period: str | None = None,
) -> list[AuditEntry]:
    """The audit log, filtered by a person (id, @username or name), a goal, a first day (in
    the schedule's time zone) or a period; oldest first."""
    start = None
    if since is not None:
        start = datetime.combine(since, time(0), tzinfo=ctx.config.schedule.zone)
    with ctx.unit_of_work() as uow:
        person_id = None if person is None else find_person(uow, person).id
        return read_audit(uow, person_id=person_id, goal_id=goal, period=period, since=start)
