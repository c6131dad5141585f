"""Steps a goal owner takes in the chat, and what the database holds afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from goalbot.domain.periods import Period
from goalbot.scheduling.control import open_round_now
from goalbot.services.context import AppContext
from goalbot.services.owners import accept_invite, invite_owner
from goalbot.services.questionnaire import Action, OwnerInput, handle_input
from goalbot.storage.models import (
    AnswerHistoryRow,
    AnswerRow,
    ConversationRow,
    GoalCommentRow,
    PersonRow,
)
from tests.fakes.botapi import MessageView, UserHandle

Q4 = Period(2026, 4)
Q1_2027 = Period(2027, 1)  # the round that asks for 2026's statistics
REMINDER = "tavoiteraportointi on alkanut"
START = "Aloita vastaaminen"
NO_DATA = "Ei tietoa vielä"
STALE_TOAST = "Tämä painike on vanhentunut; jatka alimmasta viestistä."
HANDLED_TOAST = "Tämä on jo tallennettu."
STALE_NOTE = "Tuo painike kuului aiempaan viestiin, eikä se muuttanut mitään."
REFUSAL = "palvelee vain kutsuttuja käyttäjiä"


async def bind(
    owner: UserHandle, ctx: AppContext, role: str, name: str, kind: str = "owner"
) -> None:
    """The administrator invites ``name`` to ``role``; the person opens the link."""
    invite = invite_owner(ctx, role, name, kind)
    owner.start(invite.token)
    await owner.wait_for_message(predicate=lambda m: "Tervetuloa" in m.content)
    # the welcome may be followed by the first question: let the bot finish answering first
    await owner.driver.wait_until_idle()


def enrol(ctx: AppContext, person: UserHandle, role: str, name: str, kind: str = "owner") -> None:
    """Like ``bind``, through the services: the chat gets no welcome message.

    The bot keeps to Telegram's limit of about one message a second in a private chat, so a
    test spends its few quick messages on what it is about.
    """
    invite = invite_owner(ctx, role, name, kind)
    accept_invite(ctx, invite.token, person.id)


def walk_to(ctx: AppContext, person: UserHandle, metric_id: str) -> None:
    """Answer "no data yet" to every question before ``metric_id``, through the services."""
    reply = handle_input(ctx, OwnerInput(0, person.id, action=Action.START))
    for _ in range(40):
        screen = reply.screens[0]
        assert screen.kind == "question" and screen.item is not None, screen
        if screen.item.metric.id == metric_id:
            return
        reply = handle_input(
            ctx, OwnerInput(0, person.id, action=Action.NO_DATA, version=screen.version)
        )
    raise AssertionError(f"{metric_id} never came")


async def open_round(
    ctx: AppContext, *owners: UserHandle, period: Period = Q4
) -> list[MessageView]:
    """Open ``period``'s round (Q4/2026); returns each owner's reminder once it has arrived."""
    open_round_now(ctx, period)
    return [await o.wait_for_message(predicate=lambda m: REMINDER in m.content) for o in owners]


async def start_answering(ctx: AppContext, owner: UserHandle) -> MessageView:
    """Open the round and press the reminder's button; returns the first question."""
    (reminder,) = await open_round(ctx, owner)
    owner.press(START, message_id=reminder.message_id)
    return await owner.wait_for_message()


async def press(owner: UserHandle, label: str, message: MessageView | None = None) -> MessageView:
    """Press a button (of ``message``, default the latest with buttons); the next screen."""
    owner.press(label, message_id=message.message_id if message else None)
    return await owner.wait_for_message()


async def type_text(owner: UserHandle, text: str) -> MessageView:
    """Type a message; the bot's answer to it."""
    owner.send(text)
    return await owner.wait_for_message()


def plain(text: str) -> str:
    """Text with its no-break spaces (between a figure and its unit) as ordinary ones."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def header(item: int, total: int) -> str:
    """The first line of a question: its number among the owner's questions."""
    return f"{item}/{total} · "


@dataclass(frozen=True)
class Footprint:
    """Everything an owner's input may change in the database."""

    answers: tuple[tuple[Any, ...], ...]
    history: int
    comments: int
    conversation: tuple[Any, ...] | None


def footprint(ctx: AppContext, telegram_user_id: int | None = None) -> Footprint:
    """The answers, their history, comments and (for a person) the questionnaire position."""
    with ctx.unit_of_work() as uow:
        session = uow.session
        answers = tuple(
            (
                a.metric_id,
                a.period,
                a.state,
                a.number,
                a.flag,
                a.reason,
                a.explanation,
                a.corrective_action,
                a.answered_by_id,
                a.on_behalf_of_role,
                a.confirmed_at,
            )
            for a in session.scalars(select(AnswerRow).order_by(AnswerRow.id))
        )
        history = session.scalar(select(func.count()).select_from(AnswerHistoryRow)) or 0
        comments = session.scalar(select(func.count()).select_from(GoalCommentRow)) or 0
        conversation = None
        if telegram_user_id is not None:
            person = session.scalars(
                select(PersonRow).where(PersonRow.telegram_user_id == telegram_user_id)
            ).first()
            row = session.get(ConversationRow, person.id) if person else None
            if row is not None:
                conversation = (
                    row.period,
                    row.step,
                    row.metric_id,
                    row.goal_id,
                    row.version,
                    # which messages show the step is the chat's bookkeeping, not an effect
                    {k: v for k, v in (row.data or {}).items() if k not in ("shown", "recap")},
                )
        return Footprint(answers, history, comments, conversation)


@dataclass(frozen=True)
class StoredAnswer:
    """One answer row with its history, as plain values."""

    state: str
    number: Decimal | None
    flag: bool | None
    answered_by: str
    on_behalf_of_role: str | None
    answered_at: datetime
    history: tuple[tuple[str, str], ...]  # (field, changed by)


def stored_answers(ctx: AppContext, period: Period = Q4) -> dict[str, StoredAnswer]:
    """Every answer of ``period`` by metric id."""
    with ctx.unit_of_work() as uow:
        result = {}
        for row in uow.session.scalars(select(AnswerRow).where(AnswerRow.period == period.key)):
            result[row.metric_id] = StoredAnswer(
                row.state,
                row.number,
                row.flag,
                row.answered_by.name if row.answered_by else "",
                row.on_behalf_of_role,
                row.answered_at,
                tuple((h.field, h.changed_by_name) for h in row.history),
            )
        return result
