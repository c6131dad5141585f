"""The record of every message the bot sends on its own, and what became of it.

A send is queued with an idempotency key inside the unit of work that decides it (opening a
round, a nudge, closing a round), so deciding and recording happen together. The chat layer
delivers queued sends and records the outcome. A send whose outcome is unknown (the bot stopped
or the connection broke after the request left) is never repeated: nothing is sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from goalbot.domain.periods import Period
from goalbot.services.context import AppContext
from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import PersonRow, SendRow
from goalbot.storage.repositories import get_setting, set_setting

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"  # Telegram refused it for good (e.g. chat not found)
BLOCKED = "blocked"  # the person blocked the bot
UNCERTAIN = "uncertain"  # the request may have reached Telegram; not repeated
RETRY = "retry"  # a temporary failure; tried again later

MANAGEMENT_CHAT_SETTING = "management_chat_id"


@dataclass(frozen=True)
class QueuedSend:
    """A send waiting for delivery."""

    id: int
    key: str
    kind: str
    chat_id: int
    period: Period | None
    person_id: int | None
    attempts: int
    payload: dict[str, Any] = field(default_factory=dict)


def queue_send(
    uow: UnitOfWork,
    key: str,
    kind: str,
    chat_id: int,
    now: datetime,
    period: Period | None = None,
    person_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Queue a send unless one with ``key`` exists; True if queued now."""
    existing = uow.session.scalars(select(SendRow).where(SendRow.key == key)).first()
    if existing is not None:
        return False
    uow.session.add(
        SendRow(
            key=key,
            kind=kind,
            chat_id=chat_id,
            created_at=now,
            period=period.key if period else None,
            person_id=person_id,
            status=PENDING,
            payload=payload,
        )
    )
    uow.session.flush()
    return True


def claim_pending(ctx: AppContext, limit: int = 100) -> list[QueuedSend]:
    """Take queued sends for delivery: they are marked 'sending' before any request is made."""
    now = ctx.now()
    with ctx.unit_of_work() as uow:
        rows = list(
            uow.session.scalars(
                select(SendRow)
                .where(SendRow.status.in_([PENDING, RETRY]))
                .order_by(SendRow.id)
                .limit(limit)
            )
        )
        claimed = []
        for row in rows:
            if (
                row.status == RETRY
                and row.sent_at is not None
                and row.sent_at + retry_delay(row.attempts) > now
            ):
                continue
            row.status = SENDING
            row.attempts += 1
            row.sent_at = now
            claimed.append(
                QueuedSend(
                    row.id,
                    row.key,
                    row.kind,
                    row.chat_id,
                    Period.parse(row.period) if row.period else None,
                    row.person_id,
                    row.attempts,
                    dict(row.payload or {}),
                )
            )
        uow.commit()
        return claimed


def record_outcome(
    ctx: AppContext,
    send_id: int,
    status: str,
    message_id: int | None = None,
    error: str = "",
    chat_id: int | None = None,
) -> str:
    """Record what became of a send (and a person who blocked the bot); their name, if any."""
    now = ctx.now()
    with ctx.unit_of_work() as uow:
        row = uow.session.get(SendRow, send_id)
        if row is None:
            return ""
        name = ""
        row.status = status
        row.telegram_message_id = message_id
        row.error = error[:2000]
        row.sent_at = now
        if chat_id is not None:
            row.chat_id = chat_id
        if status == BLOCKED and row.person_id is not None:
            person = uow.session.get(PersonRow, row.person_id)
            if person is not None:
                name = person.name
                if person.blocked_bot_at is None:
                    person.blocked_bot_at = now
        uow.commit()
        return name


def recover_interrupted(ctx: AppContext) -> int:
    """At start: sends left 'sending' by a stopped bot may have gone out; never repeat them."""
    with ctx.unit_of_work() as uow:
        rows = list(uow.session.scalars(select(SendRow).where(SendRow.status == SENDING)))
        for row in rows:
            row.status = UNCERTAIN
            row.error = "the bot stopped while sending; not repeated"
        uow.commit()
        return len(rows)


def retry_delay(attempts: int) -> timedelta:
    """Backoff between attempts of a temporarily failed send: 5 s, 10 s, 20 s … at most 5 min."""
    return timedelta(seconds=min(300, 5 * 2 ** max(0, attempts - 1)))


def management_chat_id(uow: UnitOfWork, ctx: AppContext) -> int | None:
    """The management group: as learned at run time (migrations, /setgroup), else as configured."""
    learned = get_setting(uow, MANAGEMENT_CHAT_SETTING)
    if learned is not None:
        return int(learned)
    return ctx.config.telegram.management_chat_id


def set_management_chat(ctx: AppContext, chat_id: int) -> None:
    """Remember the management group's id (after /setgroup or a supergroup migration)."""
    with ctx.unit_of_work() as uow:
        set_setting(uow, MANAGEMENT_CHAT_SETTING, str(chat_id), ctx.now())
        uow.commit()


def get_management_chat(ctx: AppContext) -> int | None:
    with ctx.unit_of_work() as uow:
        return management_chat_id(uow, ctx)


def follow_migration(ctx: AppContext, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup: keep the new id if it was the management group."""
    with ctx.unit_of_work() as uow:
        current = management_chat_id(uow, ctx)
    if current != old_chat_id:
        return False
    set_management_chat(ctx, new_chat_id)
    return True


def set_blocked(ctx: AppContext, telegram_user_id: int, blocked: bool) -> None:
    """A person blocked the bot, or unblocked it (Telegram's my_chat_member update)."""
    with ctx.unit_of_work() as uow:
        person = uow.session.scalars(
            select(PersonRow).where(PersonRow.telegram_user_id == telegram_user_id)
        ).first()
        if person is None:
            return
        if blocked and person.blocked_bot_at is None:
            person.blocked_bot_at = ctx.now()
        elif not blocked:
            person.blocked_bot_at = None
        uow.commit()
