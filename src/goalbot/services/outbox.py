"""The record of every message the bot sends on its own, and what became of it.

A send is queued with an idempotency key inside the unit of work that decides it (opening a
round, a nudge, closing a round), so deciding and recording happen together. The chat layer
delivers queued sends and tells what each attempt came to (an ``Outcome``); this module alone
moves a send from one ``SendStatus`` to the next and decides what is tried again:

    pending ──claim──▶ sending ──DELIVERED──────────────────────▶ sent
    retry ──claim──▶   sending ──UNREACHABLE / FLOOD (nothing sent)──▶ retry (after a pause;
                                 failed once out of attempts)
                       sending ──TIMED_OUT / CRASHED (nothing known)──▶ uncertain
                       sending ──REFUSED / NOTHING_TO_SEND──▶ failed
                       sending ──BLOCKED──▶ blocked (the person is marked, the admins told)
    sending (the bot stopped) ──at start──▶ uncertain

A failure after a part of a long send went out ends as ``sent`` with the gap noted: a send
whose outcome is unknown, or partly known, is never repeated, so nothing is sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, assert_never

from sqlalchemy import select

from goalbot.domain.periods import Period
from goalbot.domain.protocol import SendKind, SendStatus
from goalbot.services.context import AppContext
from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import PersonRow, SendRow
from goalbot.storage.repositories import get_setting, set_setting

MANAGEMENT_CHAT_SETTING = "management_chat_id"
MAX_ATTEMPTS = 6
"""Attempts of a send that keeps meeting temporary failures before it is given up."""


class Outcome(StrEnum):
    """What one attempt to deliver a send came to, as the chat layer saw it."""

    DELIVERED = "delivered"  # every part went out
    REFUSED = "refused"  # refused for good (a 400: chat not found, bad request)
    BLOCKED = "blocked"  # the person blocked the bot (403)
    TIMED_OUT = "timed_out"  # no answer after the request left: it may have arrived
    FLOOD = "flood"  # flood control (429) the rate limiter could not wait out
    UNREACHABLE = "unreachable"  # a network error or 5xx: the request took no effect
    NOTHING_TO_SEND = "nothing_to_send"  # the content is gone (e.g. no goals any more)
    CRASHED = "crashed"  # an error of the bot's own while sending: the outcome is unknown


@dataclass(frozen=True)
class QueuedSend:
    """A send waiting for delivery."""

    id: int
    key: str
    kind: SendKind
    chat_id: int
    period: Period | None
    person_id: int | None
    attempts: int
    payload: dict[str, Any] = field(default_factory=dict)


def queue_send(
    uow: UnitOfWork,
    key: str,
    kind: SendKind,
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
            kind=kind.value,
            chat_id=chat_id,
            created_at=now,
            period=period.key if period else None,
            person_id=person_id,
            status=SendStatus.PENDING.value,
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
                .where(SendRow.status.in_([SendStatus.PENDING.value, SendStatus.RETRY.value]))
                .order_by(SendRow.id)
                .limit(limit)
            )
        )
        claimed = []
        for row in rows:
            if (
                row.status == SendStatus.RETRY
                and row.sent_at is not None
                and row.sent_at + retry_delay(row.attempts) > now
            ):
                continue
            row.status = SendStatus.SENDING.value
            row.attempts += 1
            row.sent_at = now
            claimed.append(
                QueuedSend(
                    row.id,
                    row.key,
                    SendKind(row.kind),
                    row.chat_id,
                    Period.parse(row.period) if row.period else None,
                    row.person_id,
                    row.attempts,
                    dict(row.payload or {}),
                )
            )
        uow.commit()
        return claimed


def _next_status(outcome: Outcome, parts_sent: int, attempts: int) -> tuple[SendStatus, str]:
    """Where a send goes after an attempt (see the module's diagram), and why, in a word."""
    if parts_sent and outcome not in (Outcome.DELIVERED, Outcome.BLOCKED, Outcome.REFUSED):
        # part of a long send went out: never repeat it; note the gap
        return SendStatus.SENT, "later part failed"
    match outcome:
        case Outcome.DELIVERED:
            return SendStatus.SENT, ""
        case Outcome.REFUSED:
            return SendStatus.FAILED, ""
        case Outcome.BLOCKED:
            return SendStatus.BLOCKED, ""
        case Outcome.TIMED_OUT:
            return SendStatus.UNCERTAIN, "timed out"
        case Outcome.FLOOD:
            return SendStatus.RETRY, "flood control"
        case Outcome.UNREACHABLE:
            if attempts < MAX_ATTEMPTS:
                return SendStatus.RETRY, ""
            return SendStatus.FAILED, ""
        case Outcome.NOTHING_TO_SEND:
            return SendStatus.FAILED, "nothing to send any more"
        case Outcome.CRASHED:
            return SendStatus.UNCERTAIN, "internal error while sending; not repeated"
    assert_never(outcome)


def record_outcome(
    ctx: AppContext,
    send_id: int,
    outcome: Outcome,
    *,
    parts_sent: int = 0,
    message_id: int | None = None,
    detail: str = "",
    chat_id: int | None = None,
) -> SendStatus | None:
    """Move a send on after a delivery attempt; its new status (None: not being sent).

    ``parts_sent``: how many parts of the send went out before the outcome (the first one's
    Telegram id is ``message_id``). ``detail``: what Telegram or the network said. A person
    who blocked the bot is marked so, and the administrators are told (unless the send was
    itself a notice to them), in the same transaction.
    """
    now = ctx.now()
    with ctx.unit_of_work() as uow:
        row = uow.session.get(SendRow, send_id)
        if row is None or row.status != SendStatus.SENDING:
            return None  # only a send on its way has an outcome
        status, reason = _next_status(outcome, parts_sent, row.attempts)
        row.status = status.value
        row.telegram_message_id = message_id
        row.error = (f"{reason}: {detail}" if reason and detail else reason or detail)[:2000]
        row.sent_at = now
        if chat_id is not None:
            row.chat_id = chat_id
        if status == SendStatus.BLOCKED:
            _mark_blocked(uow, ctx, row, now)
        uow.commit()
        return status


def _mark_blocked(uow: UnitOfWork, ctx: AppContext, row: SendRow, now: datetime) -> None:
    name = ""
    if row.person_id is not None:
        person = uow.session.get(PersonRow, row.person_id)
        if person is not None:
            name = person.name
            if person.blocked_bot_at is None:
                person.blocked_bot_at = now
    if row.kind != SendKind.ADMIN_NOTICE:
        payload = {"code": "blocked", "person": name, "chat_id": row.chat_id, "kind": row.kind}
        queue_admin_notices(uow, ctx, f"blocked:{row.id}", payload, now)


def queue_admin_notices(
    uow: UnitOfWork,
    ctx: AppContext,
    key: str,
    payload: dict[str, Any],
    now: datetime,
    period: Period | None = None,
) -> int:
    """Queue a notice to every administrator (once per ``key``); how many were queued."""
    queued = 0
    for admin in ctx.config.telegram.admins:
        queued += queue_send(
            uow,
            f"notice:{key}:{admin}",
            SendKind.ADMIN_NOTICE,
            admin,
            now,
            period=period,
            payload=dict(payload),
        )
    return queued


def recover_interrupted(ctx: AppContext) -> int:
    """At start: sends left 'sending' by a stopped bot may have gone out; never repeat them."""
    with ctx.unit_of_work() as uow:
        rows = list(
            uow.session.scalars(select(SendRow).where(SendRow.status == SendStatus.SENDING))
        )
        for row in rows:
            row.status = SendStatus.UNCERTAIN.value
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


def remember_management_chat(uow: UnitOfWork, ctx: AppContext, chat_id: int) -> None:
    """Keep the management group's id (after /setgroup or a supergroup migration)."""
    set_setting(uow, MANAGEMENT_CHAT_SETTING, str(chat_id), ctx.now())


def get_management_chat(ctx: AppContext) -> int | None:
    with ctx.unit_of_work() as uow:
        return management_chat_id(uow, ctx)


def follow_migration(ctx: AppContext, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup: keep the new id if it was the management group."""
    with ctx.unit_of_work() as uow:
        if management_chat_id(uow, ctx) != old_chat_id:
            return False
        remember_management_chat(uow, ctx, new_chat_id)
        uow.commit()
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
