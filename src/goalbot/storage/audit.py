"""The audit log: every change to answers, roles, invites, the catalogue, the rounds and the
administrators' sends, written in the transaction of the change itself.

``record_change`` is the only writer; the rows are never changed afterwards, except by the
erasure of a person (services.privacy), which removes who they were and what they wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import AuditRow, PersonRow


class ActorKind(StrEnum):
    """Who made a change."""

    PERSON = "person"  # a goal owner or deputy, in the chat
    ADMIN = "admin"  # an administrator, with an admin command in Telegram
    OPERATOR = "operator"  # the machine's operator, on the command line
    BOT = "bot"  # goalbot on its own (the calendar, a catalogue loaded at start)


class AuditAction(StrEnum):
    """What was changed."""

    ANSWER = "answer"
    EXPLANATION = "explanation"
    CORRECTIVE_ACTION = "corrective_action"
    COMMENT = "comment"
    CONFIRM = "confirm"
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    INVITE = "invite"
    INVITE_USED = "invite_used"
    INVITE_REVOKED = "invite_revoked"
    CATALOGUE_LOAD = "catalogue_load"
    ROUND_OPEN = "round_open"
    ROUND_CLOSE = "round_close"
    ROUND_REOPEN = "round_reopen"
    ROUND_EXTEND = "round_extend"
    PAUSE_NUDGES = "pause_nudges"
    MANAGEMENT_GROUP = "management_group"
    SUMMARY_RESEND = "summary_resend"
    SEND_RESEND = "send_resend"
    PERSON_ERASE = "person_erase"
    LANGUAGE = "language"


@dataclass(frozen=True)
class Changer:
    """Who makes a change, and for which role (a deputy answers for the owner's role)."""

    kind: ActorKind
    person_id: int | None = None
    telegram_user_id: int | None = None
    on_behalf_of: str = ""

    @classmethod
    def person(cls, person: PersonRow | None, on_behalf_of: str | None = None) -> Changer:
        """A person in the chat; without one, the operator (a change made on the command line)."""
        if person is None:
            return cls(ActorKind.OPERATOR, on_behalf_of=on_behalf_of or "")
        return cls(ActorKind.PERSON, person.id, person.telegram_user_id, on_behalf_of or "")


OPERATOR_CHANGE = Changer(ActorKind.OPERATOR)
BOT_CHANGE = Changer(ActorKind.BOT)


def record_change(
    uow: UnitOfWork,
    changer: Changer,
    action: AuditAction,
    now: datetime,
    *,
    subject: str = "",
    goal_id: str | None = None,
    period: str | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> None:
    """Append one row to the audit log, in the caller's unit of work (committed with it)."""
    uow.session.add(
        AuditRow(
            at=now,
            actor=changer.kind.value,
            person_id=changer.person_id,
            telegram_user_id=changer.telegram_user_id,
            on_behalf_of=changer.on_behalf_of,
            action=action.value,
            subject=subject,
            goal_id=goal_id,
            period=period,
            old=old,
            new=new,
        )
    )
