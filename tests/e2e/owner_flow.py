"""Helpers for tests that act as a goal owner answering in the chat."""

from __future__ import annotations

from decimal import Decimal

from goalbot.domain.goals import Metric, MetricKind, Rule
from goalbot.services.catalogue import get_catalogue
from goalbot.services.context import AppContext
from goalbot.storage.models import ConversationRow, PersonRow
from tests.fakes.botapi import UserHandle


def conversation(ctx: AppContext, telegram_user_id: int) -> ConversationRow | None:
    """The owner's questionnaire position as stored."""
    from sqlalchemy import select

    with ctx.unit_of_work() as uow:
        person = uow.session.scalars(
            select(PersonRow).where(PersonRow.telegram_user_id == telegram_user_id)
        ).one()
        return uow.session.get(ConversationRow, person.id)


def current_metric(ctx: AppContext, telegram_user_id: int) -> tuple[str, Metric | None]:
    row = conversation(ctx, telegram_user_id)
    assert row is not None
    if row.metric_id is None:
        return row.step, None
    goal_id, key = row.metric_id.rsplit(".", 1)
    return row.step, get_catalogue(ctx).goal(goal_id).metric(key)


def good_typed_answer(metric: Metric) -> str:
    """A valid answer an owner would type, in Finnish form, that meets the target."""
    if metric.kind == MetricKind.SURVEY:
        if metric.scale:
            return f"{metric.scale[1]}".replace(".", ",")
        return "95 %"
    if metric.kind == MetricKind.COMPLETION:
        return "40 %"
    if metric.kind == MetricKind.COUNT:
        return "60"
    rule = metric.target.rule
    if rule == Rule.BELOW:
        return "7,5 %" if metric.unit == "%" else "1"
    if rule == Rule.ANNUAL_RATE:
        return "−3,0 %"
    if rule == Rule.RELATIVE:
        return "5,0"
    if rule in (Rule.POSITIVE, Rule.AT_LEAST):
        return "+12"
    if rule == Rule.INCREASE and metric.unit == "€":
        return "1 100 000 €"
    if rule == Rule.INCREASE:
        value = (
            metric.baseline.value if isinstance(metric.baseline.value, Decimal) else Decimal(0)
        ) + 10
        return f"{value}".replace(".", ",")
    if rule == Rule.REACH and isinstance(metric.target.value, Decimal):
        return f"{metric.target.value}".replace(".", ",")
    return "1"


def transcript_text(owner: UserHandle) -> str:
    """A chat as a person reads it, buttons in brackets (for failure messages)."""
    lines = []
    for m in owner.transcript():
        markup = m.reply_markup or {}
        buttons = [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
        who = "BOT" if m.from_bot else "ME "
        lines.append(f"{who}: {m.content}" + (f"  {buttons}" if buttons else ""))
    return "\n-----\n".join(lines)
