"""The words goalbot's parts exchange and store: what is sent, what became of it, what the
calendar does, who holds a role, what the owner is shown.

Each is an enum whose value is what the database and the templates hold, so adding a kind
is a change the type checker follows through every place that must handle it.
"""

from __future__ import annotations

from enum import StrEnum

DEFAULT_ENTERED_BY = "ylläpitäjä"
"""Whom a figure an administrator enters is recorded as entered by, unless a name is given."""


class HolderKind(StrEnum):
    """How a person holds a role."""

    OWNER = "owner"
    DEPUTY = "deputy"  # answers on the owner's behalf; asked when nobody owns the role


class EventKind(StrEnum):
    """What a scheduled event of a round does; the value is used in event keys."""

    OPEN = "open"
    NUDGE = "nudge"
    ESCALATE_HEAD = "escalate_head"
    ESCALATE_MANAGER = "escalate_manager"
    CLOSE = "close"


class SendKind(StrEnum):
    """What a message the bot sends on its own is; the value names its template."""

    REMINDER = "reminder"  # a round opened (or a role was given during one)
    NUDGE = "nudge"  # answers still missing or unconfirmed
    ESCALATION = "escalation"  # the missing answers, listed to a department head or the manager
    SUMMARY = "summary"  # the round's summary for the management group
    ADMIN_NOTICE = "admin_notice"  # something the administrators must know
    ROUND_CHANGED = "round_changed"  # a round closed early, reopened or extended: owners told
    MENU = "menu"  # a person's command menu, set again after their roles changed


class SendStatus(StrEnum):
    """Where a send is: queued, on its way, or what became of it."""

    PENDING = "pending"  # queued, not tried yet
    SENDING = "sending"  # claimed for delivery: a request may be on its way
    RETRY = "retry"  # a temporary failure; tried again after a pause
    SENT = "sent"
    FAILED = "failed"  # refused for good (e.g. chat not found), or out of attempts
    BLOCKED = "blocked"  # the person blocked the bot
    UNCERTAIN = "uncertain"  # the request may have reached Telegram: never repeated

    @property
    def is_final(self) -> bool:
        """Nothing more happens to a send in this state."""
        return self not in (SendStatus.PENDING, SendStatus.SENDING, SendStatus.RETRY)


class Step(StrEnum):
    """Where an owner is in the questionnaire (stored with their conversation)."""

    ANSWER = "answer"
    SKIP_REASON = "skip_reason"
    EXPLANATION = "explanation"
    CORRECTIVE = "corrective"
    COMMENT_PICK = "comment_pick"
    COMMENT = "comment"
    RECAP = "recap"
    DONE = "done"

    @property
    def is_about_an_item(self) -> bool:
        """The step concerns one metric (its answer, skip reason, explanation)."""
        return self in (Step.ANSWER, Step.SKIP_REASON, Step.EXPLANATION, Step.CORRECTIVE)


class Mode(StrEnum):
    """How the questionnaire moves on after an answer."""

    WALK = "walk"  # to the next unanswered question
    CHANGE = "change"  # back to the recap: one answer was changed from it


class ScreenKind(StrEnum):
    """What the owner is shown; the value names its template (``chat/<kind>.html.j2``)."""

    QUESTION = "question"
    SKIP_REASON = "skip_reason"
    EXPLANATION = "explanation"
    CORRECTIVE = "corrective"
    COMMENT_PICK = "comment_pick"
    COMMENT = "comment"
    RECAP = "recap"
    DONE = "done"
    NOTE = "note"  # a remark without a step (nothing open, nothing due)
    MISTAKE = "mistake"  # a typed text that is no valid input: a short reply to it
