"""What is owed, as every part of the round reads it: reminders, nudges, escalations, /missing,
the close. An answer given but not confirmed is still owed, and is said to be unconfirmed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from goalbot.config import TelegramConfig
from goalbot.domain.answers import AnswerValue
from goalbot.domain.protocol import SendKind
from goalbot.reporting.rendering import render
from goalbot.reporting.report_texts import missing_report
from goalbot.scheduling.control import close_round_now, open_round_now
from goalbot.scheduling.runner import tick
from goalbot.services.context import AppContext
from goalbot.services.progress import missing_of
from goalbot.services.questionnaire import Action, OwnerInput, handle_input
from goalbot.services.rounds import queue_escalations, queue_nudges
from goalbot.storage.models import AnswerRow, SendRow
from tests.conftest import Clock, make_context
from tests.report_data import Q4, bind_person, set_answer

HEAD, OWNER = 7001, 7002  # the technical department's head, and the building inspector


@pytest.fixture
def round_ctx(ctx: AppContext, clock: Clock) -> AppContext:
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    bind_person(ctx, "tekninen-johtaja", "Teemu Tekninen", HEAD)
    bind_person(ctx, "rakennustarkastaja", "Raili Rakentaja", OWNER)
    open_round_now(ctx, Q4)
    return ctx


def sends(ctx: AppContext, kind: SendKind) -> list[SendRow]:
    with ctx.unit_of_work() as uow:
        rows = uow.session.scalars(select(SendRow).where(SendRow.kind == kind.value))
        return list(rows)


def confirm_all(ctx: AppContext) -> None:
    with ctx.unit_of_work() as uow:
        for row in uow.session.scalars(select(AnswerRow)):
            row.confirmed_at = row.confirmed_at or ctx.now()
        uow.commit()


def escalate(ctx: AppContext, key: str) -> int:
    with ctx.unit_of_work() as uow:
        queued = queue_escalations(uow, ctx, Q4, key, to_manager=False)
        uow.commit()
        return queued


def nudge(ctx: AppContext, key: str) -> int:
    with ctx.unit_of_work() as uow:
        queued = queue_nudges(uow, ctx, Q4, key, ctx.now().date())
        uow.commit()
        return queued


def test_the_escalation_says_what_missing_says(round_ctx: AppContext) -> None:
    """One answer given and not confirmed, one not given: 1/2 unanswered and 1 unconfirmed,
    in the department head's escalation as in /missing (it said 2/2 missing)."""
    ctx = round_ctx
    set_answer(ctx, "RV-1.1", Q4, AnswerValue.of_flag(True), telegram_user_id=OWNER)
    assert escalate(ctx, "2026Q4:escalate_head") == 1
    (escalation,) = sends(ctx, SendKind.ESCALATION)
    listed = [
        m
        for m in (escalation.payload or {})["missing"]
        if m["role"] == "Johtava rakennustarkastaja"
    ]
    assert listed == [
        {"role": "Johtava rakennustarkastaja", "person": "Raili Rakentaja", "missing": 1,
         "unconfirmed": 1, "due": 2}
    ]  # fmt: skip
    text = render("chat/escalation.html.j2", period=Q4, payload=escalation.payload)
    assert "Johtava rakennustarkastaja (Raili Rakentaja): vastaamatta 1/2, vahvistamatta 1" in text
    (role,) = [r for r in missing_of(ctx, Q4).roles if r.role.id == "rakennustarkastaja"]
    assert (role.missing, role.due, len(role.unconfirmed)) == (1, 2, 1)
    assert "Raili Rakentaja: 1 mittari, 1 vahvistamatta" in missing_report(ctx, Q4)


def test_answers_waiting_for_confirmation_are_nudged_and_escalated(round_ctx: AppContext) -> None:
    ctx = round_ctx
    set_answer(ctx, "RV-1.1", Q4, AnswerValue.of_flag(True), telegram_user_id=OWNER)
    set_answer(ctx, "RV-2.1", Q4, AnswerValue.no_data(), telegram_user_id=OWNER)
    nudge(ctx, "2026Q4:nudge:1")
    assert OWNER in {row.chat_id for row in sends(ctx, SendKind.NUDGE)}
    assert escalate(ctx, "2026Q4:escalate_head") == 1
    (escalation,) = sends(ctx, SendKind.ESCALATION)
    roles = {m["role"]: m for m in (escalation.payload or {})["missing"]}
    assert roles["Johtava rakennustarkastaja"]["missing"] == 0
    assert roles["Johtava rakennustarkastaja"]["unconfirmed"] == 2

    confirm_all(ctx)
    nudge(ctx, "2026Q4:nudge:2")
    second = [r.chat_id for r in sends(ctx, SendKind.NUDGE) if r.key.startswith("2026Q4:nudge:2")]
    assert OWNER not in second  # nothing owed once confirmed


def test_a_changed_answer_must_be_confirmed_again(round_ctx: AppContext) -> None:
    ctx = round_ctx
    reply = handle_input(ctx, OwnerInput(1, OWNER, action=Action.START))
    for update_id in range(2, 10):
        screen = reply.screens[0]
        if screen.kind == "recap":
            break
        reply = handle_input(
            ctx, OwnerInput(update_id, OWNER, action=Action.NO_DATA, version=screen.version)
        )
    recap = reply.screens[0]
    done = handle_input(ctx, OwnerInput(20, OWNER, action=Action.CONFIRM, version=recap.version))
    assert done.screens[0].kind == "done"
    assert not [r for r in missing_of(ctx, Q4).roles if r.role.id == "rakennustarkastaja"]

    # the same answer again changes nothing; another one must be confirmed once more
    change = handle_input(
        ctx, OwnerInput(21, OWNER, action=Action.CHANGE, version=done.screens[0].version,
                        argument="1")
    )  # fmt: skip
    skip = handle_input(
        ctx, OwnerInput(22, OWNER, action=Action.SKIP, version=change.screens[0].version)
    )
    handle_input(ctx, OwnerInput(23, OWNER, text="Tieto tulee vasta tammikuussa"))
    (role,) = [r for r in missing_of(ctx, Q4).roles if r.role.id == "rakennustarkastaja"]
    assert skip.screens[0].kind == "skip_reason"
    assert role.missing == 0 and len(role.unconfirmed) == 1


def test_the_close_counts_what_was_answered(round_ctx: AppContext) -> None:
    ctx = round_ctx
    set_answer(ctx, "RV-1.1", Q4, AnswerValue.of_flag(True), telegram_user_id=OWNER)
    owed = missing_of(ctx, Q4)
    closed = close_round_now(ctx, Q4)
    assert (closed.answered, closed.missing) == (1, owed.due - 1)


def test_a_round_opened_quietly_at_the_first_start_reminds_nobody(
    ctx: AppContext, clock: Clock
) -> None:
    """goalbot started in the middle of a round: it opens it without reminders (a /remind
    sends them), however many owners are waiting."""
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    bind_person(ctx, "rakennustarkastaja", "Raili Rakentaja", OWNER)
    bind_person(ctx, "tekninen-johtaja", "Teemu Tekninen", HEAD)
    clock.set(datetime(2026, 12, 22, 10, 0, tzinfo=UTC))
    config = replace(ctx.config, telegram=TelegramConfig(admins=(1,)))
    context = make_context(ctx.config.database.url, clock, config)
    report = tick(context)
    assert [o.key for o in report.outcomes] == ["2026Q4:open"]
    assert sends(context, SendKind.REMINDER) == []
    assert open_round_now(context, Q4).reminders_queued == 2
