"""What goalbot holds about one person, as one JSON document, and erasing it.

Erasing keeps the town's reported figures: an answer stays, attributed to the role it was
given for, but nothing of who gave it, no text they wrote (skip reasons, explanations,
corrective actions, goal comments), no message sent to them and no update they sent remains.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, or_, select

from goalbot.services.context import AppContext
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


def _redact(value: dict[str, Any] | None, texts: set[str], name: str) -> dict[str, Any] | None:
    """``value`` (an audit or history value) without the person's texts and name."""
    if value is None:
        return None
    changed = {
        key: ERASED
        if isinstance(item, str) and item and (item in texts or (key == "name" and item == name))
        else item
        for key, item in value.items()
    }
    return changed if changed != value else value


def _their_texts(uow: UnitOfWork, person: PersonRow) -> set[str]:
    """Every text the person wrote: skip reasons, explanations, corrective actions, comments."""
    texts: set[str] = set()
    history = uow.session.scalars(
        select(AnswerHistoryRow).where(AnswerHistoryRow.changed_by_id == person.id)
    )
    for row in history:
        new = row.new or {}
        for key in ("text", "reason"):
            if new.get(key):
                texts.add(str(new[key]))
    comments = uow.session.scalars(
        select(GoalCommentRow.text).where(GoalCommentRow.written_by_id == person.id)
    )
    texts.update(text for text in comments if text)
    for audit_row in _their_audit(uow, person):
        new = audit_row.new or {}
        for key in ("text", "reason"):
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
