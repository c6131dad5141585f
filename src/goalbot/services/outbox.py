"""The record of every message the bot sends on its own, and what became of it.

A send is queued with an idempotency key inside the unit of work that decides it (opening a
round, a nudge, closing a round), so deciding and recording happen together. The chat layer
delivers queued sends part by part and tells what each part's request came to (an
``Outcome``); this module alone moves a send from one ``SendStatus`` to the next and decides
what is tried again:

    pending/retry ──claim──▶ (claimed: still pending; nothing has left)
      ──the part's request is about to leave──▶ sending
        ──DELIVERED──▶ the next part, or sent when every part went out
        ──TIMED_OUT / CRASHED (it may have arrived)──▶ that part is uncertain, never repeated;
                 the next part; at the end uncertain (reported) unless nothing was uncertain
        ──UNREACHABLE / FLOOD (it certainly did not leave)──▶ retry after a pause, from that
                 part on (failed once out of attempts)
        ──REFUSED / NOTHING_TO_SEND──▶ failed
        ──BLOCKED──▶ blocked (the person is marked, the admins told)
    sending (the bot stopped) ──at start──▶ the part in flight is uncertain; the rest is tried

A send is marked as being sent only just before its request leaves (not when it is claimed),
so a stop leaves uncertain only the few requests that were really on their way. A claim is
this bot's for CLAIM_LEASE: a bot that died gives its claims up by running out of time, and
claims are taken with row locks that other bots skip (``FOR UPDATE SKIP LOCKED``). Every
send that ends uncertain or failed is reported to the administrators (who did not get what),
and ``resend`` sends one again, deliberately: only the parts that did not surely go out.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, assert_never

from sqlalchemy import or_, select

from goalbot.domain.periods import Period
from goalbot.domain.protocol import SendKind, SendStatus
from goalbot.services.context import AppContext, ServiceError
from goalbot.storage.audit import OPERATOR_CHANGE, AuditAction, record_change
from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import PersonRow, SendRow
from goalbot.storage.repositories import get_setting, set_setting

MANAGEMENT_CHAT_SETTING = "management_chat_id"
CHAT_LANGUAGE_SETTING = "chat_language:{chat_id}"
"""The setting that holds a group's language (chosen with /kieli in the group)."""
MAX_ATTEMPTS = 6
"""Attempts of a send that keeps meeting temporary failures before it is given up."""
CLAIM_LEASE = timedelta(minutes=2)
"""How long a claim holds: a bot delivers a claimed send well within it."""
NOTHING_TO_SEND = "nothing to send any more"


class Outcome(StrEnum):
    """What one part's request came to, as the chat layer saw it."""

    DELIVERED = "delivered"  # it went out
    REFUSED = "refused"  # refused for good (a 400: chat not found, bad request)
    BLOCKED = "blocked"  # the person blocked the bot (403)
    TIMED_OUT = "timed_out"  # it left and no answer came (a timeout, a dropped connection)
    FLOOD = "flood"  # flood control (429) the rate limiter could not wait out
    UNREACHABLE = "unreachable"  # a refused connection or a 5xx: it took no effect
    NOTHING_TO_SEND = "nothing_to_send"  # the content is gone (e.g. no goals any more)
    CRASHED = "crashed"  # an error of the bot's own while sending: the outcome is unknown


@dataclass(frozen=True)
class Progress:
    """Which parts of a send went out (``done``), which may have (``uncertain``), and the one
    whose request is on its way (``in_flight``)."""

    total: int = 0
    done: tuple[int, ...] = ()
    uncertain: tuple[int, ...] = ()
    in_flight: int | None = None
    skip: tuple[int, ...] = ()  # a resend: the parts that went out the first time

    @classmethod
    def of(cls, row: SendRow) -> Progress:
        data = row.progress or {}
        flight = data.get("in_flight")
        return cls(
            int(data.get("total", 0)),
            tuple(data.get("done", ())),
            tuple(data.get("uncertain", ())),
            None if flight is None else int(flight),
            tuple(data.get("skip", ())),
        )

    def stored(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "done": list(self.done),
            "uncertain": list(self.uncertain),
            "in_flight": self.in_flight,
            "skip": list(self.skip),
        }

    def settled(self, part: int) -> bool:
        """The part is not to be sent (again): it went out, may have, or went out before."""
        return part in self.done or part in self.uncertain or part in self.skip

    @property
    def complete(self) -> bool:
        return self.total > 0 and all(self.settled(i) for i in range(self.total))

    @property
    def missing(self) -> tuple[int, ...]:
        """The parts that did not surely reach the chat (1-based, as people count them)."""
        return tuple(i + 1 for i in range(self.total) if i not in self.done and i not in self.skip)

    @property
    def unsure(self) -> tuple[int, ...]:
        """Of ``missing``, those that may have arrived all the same (1-based)."""
        return tuple(i + 1 for i in self.uncertain if i not in self.skip)


@dataclass(frozen=True)
class QueuedSend:
    """A send claimed for delivery."""

    id: int
    key: str
    kind: SendKind
    chat_id: int
    period: Period | None
    person_id: int | None
    attempts: int
    payload: dict[str, Any] = field(default_factory=dict)
    progress: Progress = field(default_factory=Progress)
    language: str | None = None  # None: the town's default (``[texts] language``)


def stored_language(uow: UnitOfWork, chat_id: int, person_id: int | None = None) -> str | None:
    """The language a recipient chose or was given: a person's (by id, or as the private
    chat ``chat_id``), else the group's; None where none is kept (the town's default)."""
    person = uow.session.get(PersonRow, person_id) if person_id is not None else None
    if person is None and chat_id > 0:
        person = uow.session.scalars(
            select(PersonRow).where(PersonRow.telegram_user_id == chat_id)
        ).first()
    if person is not None:
        return person.language or None
    return get_setting(uow, CHAT_LANGUAGE_SETTING.format(chat_id=chat_id))


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
    """Queue a send unless one with ``key`` exists; True if queued now.

    The send is in its recipient's language as it is now: a language changed later does not
    turn a send half delivered, or tried again, into another language.
    """
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
            language=stored_language(uow, chat_id, person_id),
        )
    )
    uow.session.flush()
    return True


def queue_menu(uow: UnitOfWork, telegram_user_id: int | None, now: datetime) -> bool:
    """Set a person's command menu again (their roles changed); True if queued now."""
    if telegram_user_id is None:
        return False
    # each change is its own send: nothing else is queued in its unit of work for the chat
    key = f"menu:{telegram_user_id}:{uuid.uuid4().hex}"
    return queue_send(uow, key, SendKind.MENU, telegram_user_id, now)


def _queued(row: SendRow) -> QueuedSend:
    return QueuedSend(
        row.id,
        row.key,
        SendKind(row.kind),
        row.chat_id,
        Period.parse(row.period) if row.period else None,
        row.person_id,
        row.attempts,
        dict(row.payload or {}),
        Progress.of(row),
        row.language,
    )


CLAIM_LIMIT = 100  # sends claimed at a time


def claim_due(
    ctx: AppContext, instance: str, limit: int = CLAIM_LIMIT, busy: Collection[int] = ()
) -> list[QueuedSend]:
    """Take queued sends that are due for delivery by ``instance``: nothing is sent yet.

    A send claimed by another bot is left to it until its claim runs out; one claimed by this
    bot before (its last run stopped short, e.g. the database went away) is taken again,
    unless it is among ``busy``: this bot's claims still being delivered.
    """
    now = ctx.now()
    claimable = (
        SendRow.status.in_([SendStatus.PENDING.value, SendStatus.RETRY.value]),
        or_(
            SendRow.claimed_until.is_(None),
            SendRow.claimed_until < now,
            SendRow.claimed_by == instance,
        ),
        *((SendRow.id.not_in(sorted(busy)),) if busy else ()),
    )
    # the delivery job asks every few seconds: most often there is nothing, and finding that
    # out needs no write lock
    with ctx.unit_of_work(read_only=True) as reader:
        if reader.session.scalars(select(SendRow.id).where(*claimable).limit(1)).first() is None:
            return []
    with ctx.unit_of_work() as uow:
        rows = list(
            uow.session.scalars(
                select(SendRow)
                .where(*claimable)
                .order_by(SendRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
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
            row.claimed_by, row.claimed_until = instance, now + CLAIM_LEASE
            _fix_language(uow, row)
            claimed.append(_queued(row))
        uow.commit()
        return claimed


def _fix_language(uow: UnitOfWork, row: SendRow) -> None:
    """A send queued without a language (before sends kept one, or for a recipient who had
    none then) gets its recipient's stored language, if one is known now, before any part of
    it goes out; from then on it keeps it, as every send does."""
    if row.language is not None:
        return
    progress = Progress.of(row)
    if progress.done or progress.uncertain or progress.in_flight is not None or progress.skip:
        return  # parts went out in the town's language: the rest follows them
    if (row.payload or {}).get("parts"):
        return  # a summary's texts are kept as first made
    row.language = stored_language(uow, row.chat_id, row.person_id)


def start_part(ctx: AppContext, send_id: int, instance: str, part: int, total: int) -> bool:
    """A part's request is about to leave: the send is being sent. False if it is no longer
    this bot's to send (its claim ran out and another bot took it, or it was settled)."""
    now = ctx.now()
    with ctx.unit_of_work() as uow:
        row = uow.session.get(SendRow, send_id, with_for_update=True)
        if row is None or row.claimed_by != instance:
            return False
        progress = Progress.of(row)
        if row.status in (SendStatus.PENDING, SendStatus.RETRY):
            row.status = SendStatus.SENDING.value
            row.attempts += 1
        elif row.status != SendStatus.SENDING:
            return False
        row.sent_at = now
        row.claimed_until = now + CLAIM_LEASE
        row.progress = Progress(
            total, progress.done, progress.uncertain, part, progress.skip
        ).stored()
        uow.commit()
        return True


def end_part(
    ctx: AppContext,
    send_id: int,
    part: int,
    outcome: Outcome,
    *,
    message_id: int | None = None,
    detail: str = "",
    chat_id: int | None = None,
) -> SendStatus | None:
    """Record what a part's request came to; the send's status now (SENDING: go on with the
    next part). None: the send was not being sent. A person who blocked the bot is marked so,
    and the administrators told (unless the send was a notice to them), in one transaction."""
    now = ctx.now()
    with ctx.unit_of_work() as uow:
        row = uow.session.get(SendRow, send_id, with_for_update=True)
        if row is None or row.status != SendStatus.SENDING:
            return None
        status = _after_part(row, part, outcome, now)
        if detail or outcome != Outcome.DELIVERED:
            word = _REASONS.get(outcome, "")
            row.error = (f"{word}: {detail}" if word and detail else word or detail)[:2000]
        if message_id is not None and row.telegram_message_id is None:
            row.telegram_message_id = message_id
        if chat_id is not None:
            row.chat_id = chat_id
        if status == SendStatus.BLOCKED:
            _mark_blocked(uow, ctx, row, now)
        uow.commit()
        return status


_REASONS = {
    Outcome.TIMED_OUT: "no answer after the request left; not repeated",
    Outcome.CRASHED: "internal error while sending; not repeated",
    Outcome.FLOOD: "flood control",
    Outcome.NOTHING_TO_SEND: NOTHING_TO_SEND,
}


def _after_part(row: SendRow, part: int, outcome: Outcome, now: datetime) -> SendStatus:
    """Move ``row`` on after a part (see the module's diagram)."""
    progress = Progress.of(row)
    done, uncertain = list(progress.done), list(progress.uncertain)
    status: SendStatus
    match outcome:
        case Outcome.DELIVERED:
            done.append(part)
            status = SendStatus.SENDING
        case Outcome.TIMED_OUT | Outcome.CRASHED:
            uncertain.append(part)
            status = SendStatus.SENDING
        case Outcome.UNREACHABLE | Outcome.FLOOD:
            out_of_attempts = outcome == Outcome.UNREACHABLE and row.attempts >= MAX_ATTEMPTS
            status = SendStatus.FAILED if out_of_attempts else SendStatus.RETRY
        case Outcome.REFUSED | Outcome.NOTHING_TO_SEND:
            status = SendStatus.FAILED
        case Outcome.BLOCKED:
            # a menu refused for a chat not yet opened says nothing of a blocked bot
            status = SendStatus.FAILED if row.kind == SendKind.MENU else SendStatus.BLOCKED
        case _:
            assert_never(outcome)
    progress = Progress(progress.total, tuple(done), tuple(uncertain), None, progress.skip)
    if status == SendStatus.SENDING and progress.complete:
        status = SendStatus.UNCERTAIN if progress.uncertain else SendStatus.SENT
    row.status = status.value
    row.progress = progress.stored()
    row.sent_at = now
    if status != SendStatus.SENDING:
        row.claimed_by, row.claimed_until = "", None
    if outcome == Outcome.NOTHING_TO_SEND or row.kind == SendKind.MENU:
        row.reported_at = now  # nobody missed a message (a menu is set again at the next start)
    return status


def nothing_to_send(ctx: AppContext, send_id: int, instance: str) -> None:
    """A claimed send has no content any more (its person has no goals, the round closed)."""
    if start_part(ctx, send_id, instance, 0, 1):
        end_part(ctx, send_id, 0, Outcome.NOTHING_TO_SEND)


def crashed(ctx: AppContext, send_id: int, instance: str) -> SendStatus | None:
    """An error of the bot's own while delivering: the part on its way (if any) may have
    arrived and is uncertain; a send not yet on its way fails (and is reported), rather than
    meet the same error every few seconds."""
    with ctx.unit_of_work() as uow:
        row = uow.session.get(SendRow, send_id)
        part = Progress.of(row).in_flight if row is not None else None
        sending = row is not None and row.status == SendStatus.SENDING
    if sending and part is not None:
        return end_part(ctx, send_id, part, Outcome.CRASHED)
    if start_part(ctx, send_id, instance, 0, 1):
        return end_part(ctx, send_id, 0, Outcome.REFUSED, detail="internal error")
    return None


def _mark_blocked(uow: UnitOfWork, ctx: AppContext, row: SendRow, now: datetime) -> None:
    name = ""
    if row.person_id is not None:
        person = uow.session.get(PersonRow, row.person_id)
        if person is not None:
            name = person.name
            if person.blocked_bot_at is None:
                person.blocked_bot_at = now
    row.reported_at = now  # the notice below is the report
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
    """At start: a part whose request was on its way when the bot stopped may have arrived and
    is never repeated; the rest of such a send is tried again. Every claim is let go (the bot
    that held them is gone). How many parts were left uncertain."""
    with ctx.unit_of_work() as uow:
        interrupted = 0
        for row in uow.session.scalars(
            select(SendRow).where(
                or_(SendRow.status == SendStatus.SENDING, SendRow.claimed_by != "")
            )
        ):
            row.claimed_by, row.claimed_until = "", None
            if row.status != SendStatus.SENDING:
                continue
            progress = Progress.of(row)
            uncertain = list(progress.uncertain)
            if progress.in_flight is not None or not progress.total:
                uncertain.append(progress.in_flight or 0)
                interrupted += 1
            progress = Progress(
                max(progress.total, 1), progress.done, tuple(uncertain), None, progress.skip
            )
            row.progress = progress.stored()
            row.error = "the bot stopped while sending; what was on its way is not repeated"
            if progress.complete:
                row.status = (
                    SendStatus.UNCERTAIN.value if progress.uncertain else SendStatus.SENT.value
                )
            else:
                row.status = SendStatus.PENDING.value  # the parts not yet sent go out now
        uow.commit()
        return interrupted


@dataclass(frozen=True)
class Undelivered:
    """A send that did not surely reach its chat, for the administrators."""

    id: int
    kind: SendKind
    period: Period | None
    status: SendStatus
    chat_id: int
    person: str  # whom it was for ("" for a group)
    missing: tuple[int, ...]  # the parts that did not surely arrive (1-based)
    total: int
    detail: str
    when: datetime | None
    resent_as: int | None = None
    unsure: tuple[int, ...] = ()  # of ``missing``, those that may have arrived all the same

    def as_payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "period": self.period.key if self.period else "",
            "period_label": self.period.label if self.period else "",
            "status": self.status.value,
            "person": self.person,
            "chat_id": self.chat_id,
            "missing": list(self.missing),
            "unsure": list(self.unsure),
            "total": self.total,
        }


_UNDELIVERED = (SendStatus.UNCERTAIN.value, SendStatus.FAILED.value, SendStatus.BLOCKED.value)


def _undelivered(uow: UnitOfWork, row: SendRow, resent: dict[int, int]) -> Undelivered:
    person = uow.session.get(PersonRow, row.person_id) if row.person_id is not None else None
    progress = Progress.of(row)
    return Undelivered(
        row.id,
        SendKind(row.kind),
        Period.parse(row.period) if row.period else None,
        SendStatus(row.status),
        row.chat_id,
        person.name if person is not None else "",
        progress.missing or (1,),
        max(progress.total, 1),
        row.error,
        row.sent_at,
        resent.get(row.id),
        progress.unsure if progress.missing else (),
    )


def report_undelivered(ctx: AppContext) -> int:
    """Tell the administrators, in one notice, of every send that ended uncertain or failed
    since the last notice (a blocked one was told of at once); how many were reported."""
    now = ctx.now()
    with ctx.unit_of_work() as uow:
        rows = list(
            uow.session.scalars(
                select(SendRow)
                .where(
                    SendRow.status.in_([SendStatus.UNCERTAIN.value, SendStatus.FAILED.value]),
                    SendRow.reported_at.is_(None),
                )
                .order_by(SendRow.id)
                .with_for_update(skip_locked=True)
            )
        )
        if not rows:
            return 0
        listed = [
            _undelivered(uow, row, {}).as_payload()
            for row in rows
            if row.kind != SendKind.ADMIN_NOTICE
        ]
        for row in rows:
            row.reported_at = now
        if listed:
            payload = {"code": "undelivered", "sends": listed}
            queue_admin_notices(uow, ctx, f"undelivered:{rows[0].id}-{rows[-1].id}", payload, now)
        uow.commit()
        return len(listed)


def undelivered_sends(ctx: AppContext, everything: bool = False) -> list[Undelivered]:
    """Sends that did not surely arrive, newest first: those not resent (``everything``: all)."""
    with ctx.unit_of_work() as uow:
        rows = list(
            uow.session.scalars(
                select(SendRow)
                .where(SendRow.status.in_(_UNDELIVERED), SendRow.kind != SendKind.MENU.value)
                .order_by(SendRow.id.desc())
            )
        )
        resent = {
            original: copy
            for copy, original in uow.session.execute(
                select(SendRow.id, SendRow.resend_of).where(SendRow.resend_of.is_not(None))
            )
            if original is not None
        }
        return [
            _undelivered(uow, row, resent) for row in rows if everything or row.id not in resent
        ]


def resend(ctx: AppContext, send_id: int, parts: Collection[int] = ()) -> QueuedSend:
    """Queue a send again, on an administrator's word: the parts that did not surely arrive,
    or of those only ``parts`` (1-based, as ``sends list`` numbers them), when the
    administrator sees that the others did arrive (a part whose answer was lost on its way).
    """
    now = ctx.now()
    with ctx.unit_of_work() as uow:
        row = uow.session.get(SendRow, send_id, with_for_update=True)
        if row is None:
            raise ServiceError("unknown_send", id=send_id)
        # sent again already: what that copy did not deliver is what is still missing, and
        # a second copy of the original would repeat what the first one delivered
        while (copy_row := _latest_copy(uow, row.id)) is not None:
            if copy_row.status not in _UNDELIVERED:
                raise ServiceError(
                    "send_already_resent", id=send_id, copy=copy_row.id, status=copy_row.status
                )
            row = copy_row
        if row.status not in _UNDELIVERED:
            raise ServiceError("send_not_undelivered", id=send_id, status=row.status)
        copies = uow.session.scalars(select(SendRow.id).where(SendRow.resend_of == row.id)).all()
        progress = Progress.of(row)
        chosen = set(parts) or set(progress.missing) or {1}
        if wrong := sorted(chosen - set(progress.missing or (1,))):
            raise ServiceError(
                "send_part_not_missing",
                id=send_id,
                part=wrong[0],
                missing=", ".join(map(str, progress.missing)),
                total=max(progress.total, 1),
            )
        copy = SendRow(
            key=f"{row.key}:resend:{len(copies) + 1}",
            kind=row.kind,
            chat_id=row.chat_id,
            created_at=now,
            period=row.period,
            person_id=row.person_id,
            status=SendStatus.PENDING.value,
            payload=row.payload,
            progress=Progress(
                progress.total,
                skip=tuple(i for i in range(progress.total) if i + 1 not in chosen),
            ).stored(),
            resend_of=row.id,
            language=row.language,  # the parts that went out are not sent in another
        )
        uow.session.add(copy)
        record_change(
            uow,
            OPERATOR_CHANGE,
            AuditAction.SEND_RESEND,
            now,
            subject=str(row.id),
            period=row.period,
            old={"status": row.status},
            new={"kind": row.kind, "person": row.person_id, "parts": sorted(chosen)},
        )
        if row.status == SendStatus.BLOCKED and row.person_id is not None:
            person = uow.session.get(PersonRow, row.person_id)
            if person is not None:
                person.blocked_bot_at = None  # the administrator says they unblocked it
        uow.flush()
        queued = _queued(copy)
        uow.commit()
        return queued


def _latest_copy(uow: UnitOfWork, send_id: int) -> SendRow | None:
    """The newest send queued again from ``send_id`` (``resend``), if any."""
    return uow.session.scalars(
        select(SendRow)
        .where(SendRow.resend_of == send_id)
        .order_by(SendRow.id.desc())
        .limit(1)
        .with_for_update()
    ).first()


def keep_parts(ctx: AppContext, send_id: int, texts: list[str]) -> None:
    """Keep the texts of a send's parts as first made, so that what is resumed or sent again
    is exactly what was not delivered (a summary made again later may split differently)."""
    with ctx.unit_of_work() as uow:
        row = uow.session.get(SendRow, send_id, with_for_update=True)
        if row is not None and "parts" not in (row.payload or {}):
            row.payload = {**(row.payload or {}), "parts": list(texts)}
            uow.commit()


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
        language = get_setting(uow, CHAT_LANGUAGE_SETTING.format(chat_id=old_chat_id))
        if language is not None:
            set_setting(uow, CHAT_LANGUAGE_SETTING.format(chat_id=new_chat_id), language, ctx.now())
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
