"""What goalbot holds about one person, as one JSON document, and erasing it.

Erasing keeps the town's reported figures: an answer stays, attributed to the role it was
given for, but nothing of who gave it, no text they wrote (skip reasons, explanations,
corrective actions, goal comments), no message sent to them and no update they sent remains.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, or_, select

from goalbot.domain.periods import Period
from goalbot.domain.protocol import SendStatus
from goalbot.services.context import AppContext
from goalbot.services.inbox import forget_old_updates, kept_for
from goalbot.services.owners import find_person
from goalbot.storage.audit import OPERATOR_CHANGE, AuditAction, record_change
from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import (
    AnswerHistoryRow,
    AnswerRow,
    AssignmentRow,
    AuditRow,
    Base,
    ConversationRow,
    GoalCommentRow,
    GoalRow,
    InboxRow,
    InviteRow,
    MetricRow,
    PersonRow,
    SendRow,
)

TEXT_FIELDS = ("explanation", "corrective_action")
FREE_TEXT_KEYS = ("text", "reason")  # where a stored value holds what someone wrote
ERASED = ""  # what a text or a name that was erased becomes


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _row(row: Base, leave: tuple[str, ...] = ()) -> dict[str, Any]:
    """A stored row as JSON values (every column)."""
    return {
        column.key: _plain(getattr(row, column.key))
        for column in row.__table__.columns
        if column.key not in leave
    }


def _is_from(payload: str, telegram_user_id: int) -> bool:
    """Whether a stored update names the person (as sender, chat or member)."""
    try:
        data = json.loads(payload) if payload else None
    except ValueError:
        return False
    found = False

    def walk(value: Any) -> None:
        nonlocal found
        if isinstance(value, dict):
            if value.get("id") == telegram_user_id:
                found = True
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return found


def _their_updates(uow: UnitOfWork, telegram_user_id: int | None) -> list[InboxRow]:
    if telegram_user_id is None:
        return []
    rows = uow.session.scalars(select(InboxRow).order_by(InboxRow.update_id))
    return [row for row in rows if _is_from(row.payload, telegram_user_id)]


def _their_sends(uow: UnitOfWork, person: PersonRow) -> list[SendRow]:
    clauses = [SendRow.person_id == person.id]
    if person.telegram_user_id is not None:
        clauses.append(SendRow.chat_id == person.telegram_user_id)
    return list(uow.session.scalars(select(SendRow).where(or_(*clauses)).order_by(SendRow.id)))


def _their_invites(uow: UnitOfWork, person: PersonRow) -> list[InviteRow]:
    return list(
        uow.session.scalars(
            select(InviteRow)
            .where(
                or_(
                    InviteRow.used_by_person_id == person.id,
                    (InviteRow.used_at.is_(None)) & (InviteRow.name == person.name),
                )
            )
            .order_by(InviteRow.created_at)
        )
    )


def _their_audit(uow: UnitOfWork, person: PersonRow) -> list[AuditRow]:
    clauses = [AuditRow.person_id == person.id]
    if person.telegram_user_id is not None:
        clauses.append(AuditRow.telegram_user_id == person.telegram_user_id)
    return list(uow.session.scalars(select(AuditRow).where(or_(*clauses)).order_by(AuditRow.id)))


def person_export(ctx: AppContext, who: str) -> dict[str, Any]:
    """Everything goalbot holds about one person (id, @username or name), as JSON values."""
    with ctx.unit_of_work() as uow:
        session = uow.session
        person = find_person(uow, who)
        by_them = AnswerHistoryRow.changed_by_id == person.id
        return {
            "person": _row(person),
            "assignments": [
                _row(r)
                for r in session.scalars(
                    select(AssignmentRow)
                    .where(AssignmentRow.person_id == person.id)
                    .order_by(AssignmentRow.id)
                )
            ],
            "invites": [_row(r, leave=("token",)) for r in _their_invites(uow, person)],
            "answers": [
                _row(r)
                for r in session.scalars(
                    select(AnswerRow)
                    .where(AnswerRow.answered_by_id == person.id)
                    .order_by(AnswerRow.period, AnswerRow.metric_id)
                )
            ],
            "answer_history": [
                _row(r)
                for r in session.scalars(
                    select(AnswerHistoryRow).where(by_them).order_by(AnswerHistoryRow.id)
                )
            ],
            "goal_comments": [
                _row(r)
                for r in session.scalars(
                    select(GoalCommentRow)
                    .where(GoalCommentRow.written_by_id == person.id)
                    .order_by(GoalCommentRow.id)
                )
            ],
            "conversation": [
                _row(r)
                for r in session.scalars(
                    select(ConversationRow).where(ConversationRow.person_id == person.id)
                )
            ],
            "sends": [_row(r) for r in _their_sends(uow, person)],
            "updates_received": [
                {**_row(r, leave=("payload",)), "update": json.loads(r.payload)}
                for r in _their_updates(uow, person.telegram_user_id)
                if r.payload
            ],
            "audit": [_row(r) for r in _their_audit(uow, person)],
        }


@dataclass(frozen=True)
class Erasure:
    """What erasing a person removed, and the figures kept."""

    person_id: int
    name: str
    answers_kept: int
    texts_erased: int
    comments: int
    assignments: int
    invites: int
    sends: int
    updates: int
    audit_rows: int


def _scrubbed(item: Any, texts: set[str], name: str) -> Any:
    if isinstance(item, str):
        return ERASED if item and (item in texts or item == name) else item
    if isinstance(item, dict):
        return {key: _scrubbed(inner, texts, name) for key, inner in item.items()}
    if isinstance(item, list):
        return [_scrubbed(inner, texts, name) for inner in item]
    return item


def _redact(value: dict[str, Any] | None, texts: set[str], name: str) -> dict[str, Any] | None:
    """``value`` (an audit or history value, a send's payload) without the person's texts and
    name, wherever in it they are; the same object when it held neither."""
    if value is None:
        return None
    changed = _scrubbed(value, texts, name)
    return changed if changed != value else value


def _their_texts(uow: UnitOfWork, person: PersonRow) -> set[str]:
    """Every text the person wrote: skip reasons, explanations, corrective actions, comments."""
    texts: set[str] = set()
    history = uow.session.scalars(
        select(AnswerHistoryRow).where(AnswerHistoryRow.changed_by_id == person.id)
    )
    for row in history:
        new = row.new or {}
        for key in FREE_TEXT_KEYS:
            if new.get(key):
                texts.add(str(new[key]))
    comments = uow.session.scalars(
        select(GoalCommentRow.text).where(GoalCommentRow.written_by_id == person.id)
    )
    texts.update(text for text in comments if text)
    for audit_row in _their_audit(uow, person):
        new = audit_row.new or {}
        for key in FREE_TEXT_KEYS:
            if new.get(key):
                texts.add(str(new[key]))
    return texts


def erase_person(ctx: AppContext, who: str) -> Erasure:
    """Remove one person's data; their answers stay, attributed to the role they were for."""
    with ctx.unit_of_work() as uow:
        session = uow.session
        person = find_person(uow, who)
        texts = _their_texts(uow, person)
        roles = select(MetricRow.id, GoalRow.owner_role).join(GoalRow)
        owner_roles = {metric_id: role for metric_id, role in session.execute(roles)}
        kept = 0
        erased = 0
        for answer in session.scalars(select(AnswerRow)):
            if answer.answered_by_id == person.id:
                kept += 1
                answer.answered_by_id = None
                answer.on_behalf_of_role = answer.on_behalf_of_role or owner_roles.get(
                    answer.metric_id
                )
                if answer.reason and answer.reason in texts:
                    answer.reason, erased = ERASED, erased + 1
            for field in TEXT_FIELDS:
                text = getattr(answer, field)
                if text and text in texts:
                    setattr(answer, field, ERASED)
                    erased += 1
        for row in session.scalars(select(AnswerHistoryRow)):
            if row.changed_by_id == person.id:
                row.changed_by_id, row.changed_by_name = None, ERASED
            row.old = _redact(row.old, texts, person.name)
            new = _redact(row.new, texts, person.name)
            if new is not None:
                row.new = new
        audit = 0
        for audit_row in session.scalars(select(AuditRow)):
            ours = audit_row.person_id == person.id or (
                person.telegram_user_id is not None
                and audit_row.telegram_user_id == person.telegram_user_id
            )
            old = _redact(audit_row.old, texts, person.name)
            new = _redact(audit_row.new, texts, person.name)
            if ours or old is not audit_row.old or new is not audit_row.new:
                audit += 1
                if ours:
                    audit_row.person_id, audit_row.telegram_user_id = None, None
                audit_row.old, audit_row.new = old, new
        for other in session.scalars(select(SendRow).where(SendRow.payload.is_not(None))):
            # an escalation lists the people who owe answers by name
            other.payload = _redact(other.payload, texts, person.name)
        comments = len(
            session.scalars(
                select(GoalCommentRow).where(GoalCommentRow.written_by_id == person.id)
            ).all()
        )
        session.execute(delete(GoalCommentRow).where(GoalCommentRow.written_by_id == person.id))
        session.execute(delete(ConversationRow).where(ConversationRow.person_id == person.id))
        held = session.scalars(
            select(AssignmentRow).where(AssignmentRow.person_id == person.id)
        ).all()
        invites = _their_invites(uow, person)
        sends = _their_sends(uow, person)
        updates = _their_updates(uow, person.telegram_user_id)
        for found in (*held, *invites, *sends, *updates):
            session.delete(found)
        session.flush()
        erasure = Erasure(
            person.id,
            person.name,
            kept,
            erased + comments,
            comments,
            len(held),
            len(invites),
            len(sends),
            len(updates),
            audit,
        )
        session.delete(person)
        record_change(
            uow,
            OPERATOR_CHANGE,
            AuditAction.PERSON_ERASE,
            ctx.now(),
            subject=str(person.id),
            new={
                "answers_kept": kept,
                "texts_erased": erasure.texts_erased,
                "assignments": len(held),
                "invites": len(invites),
                "sends": len(sends),
                "updates": len(updates),
            },
        )
        uow.commit()
        return erasure


@dataclass(frozen=True)
class Retention:
    """What one run of the retention rules removed."""

    updates: int
    texts: int
    comments: int
    sends: int

    @property
    def removed(self) -> int:
        return self.updates + self.texts + self.comments + self.sends


def _without_texts(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """An answer's or audit row's value without its free text (the figure stays)."""
    if value is None or not any(value.get(key) for key in FREE_TEXT_KEYS):
        return value
    return {key: ERASED if key in FREE_TEXT_KEYS and item else item for key, item in value.items()}


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _expired_periods(uow: UnitOfWork, cutoff: date) -> set[str]:
    """The periods (keys) that ended before ``cutoff`` and have anything written for them."""
    keys = set(uow.session.scalars(select(AnswerRow.period).distinct()))
    keys.update(uow.session.scalars(select(GoalCommentRow.period).distinct()))
    return {key for key in keys if Period.parse(key).last_day < cutoff}


def _forget_texts(uow: UnitOfWork, periods: set[str]) -> tuple[int, int]:
    """Remove the free texts written for ``periods``: (answer texts, comments) removed."""
    if not periods:
        return 0, 0
    session = uow.session
    texts = 0
    for answer in session.scalars(select(AnswerRow).where(AnswerRow.period.in_(periods))):
        for field in ("reason", *TEXT_FIELDS):
            if getattr(answer, field):
                setattr(answer, field, ERASED)
                texts += 1
        for change in answer.history:
            change.old = _without_texts(change.old)
            new = _without_texts(change.new)
            if new is not None:
                change.new = new
    for audit_row in session.scalars(select(AuditRow).where(AuditRow.period.in_(periods))):
        audit_row.old, audit_row.new = _without_texts(audit_row.old), _without_texts(audit_row.new)
    comments = session.scalars(select(GoalCommentRow).where(GoalCommentRow.period.in_(periods)))
    removed = 0
    for comment in comments:
        session.delete(comment)
        removed += 1
    return texts, removed


def apply_retention(ctx: AppContext) -> Retention:
    """Remove what ``[data]`` keeps no longer: old updates, free texts and send records."""
    data = ctx.config.data
    now = ctx.now()
    today = now.astimezone(ctx.config.schedule.zone).date()
    with ctx.unit_of_work() as uow:
        updates = forget_old_updates(uow, now, kept_for(ctx.config))
        periods = _expired_periods(uow, _years_before(today, data.keep_free_texts_years))
        texts, comments = _forget_texts(uow, periods)
        final = [s.value for s in SendStatus if s.is_final]
        old_sends = list(
            uow.session.scalars(
                select(SendRow).where(
                    SendRow.created_at < now - timedelta(days=data.keep_sends_days),
                    SendRow.status.in_(final),
                )
            )
        )
        for send in old_sends:
            uow.session.delete(send)
        uow.commit()
    return Retention(updates, texts, comments, len(old_sends))
