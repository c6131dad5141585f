"""An owner's open question that a deputy answered meanwhile is not overwritten unseen."""

from __future__ import annotations

from datetime import UTC, datetime

from goalbot.domain.periods import Period
from goalbot.scheduling.control import open_round_now
from goalbot.services.context import AppContext
from goalbot.services.owners import accept_invite, invite_owner
from goalbot.services.questionnaire import Action, OwnerInput, handle_input, stored_answer
from tests.conftest import Clock

Q4 = Period(2026, 4)
OWNER, DEPUTY = 7001, 7002


def test_a_deputys_answer_given_meanwhile_stands(ctx: AppContext, clock: Clock) -> None:
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    for user, kind in ((OWNER, "owner"), (DEPUTY, "deputy")):
        invite = invite_owner(ctx, "ymparistopaallikko", f"Henkilö {user}", kind)
        accept_invite(ctx, invite.token, user)
    open_round_now(ctx, Q4)
    shown = handle_input(ctx, OwnerInput(1, OWNER, action=Action.START)).screens[0]
    assert shown.kind == "question" and shown.item is not None
    metric_id = shown.item.metric.id

    clock.advance(minutes=5)
    deputy = handle_input(ctx, OwnerInput(2, DEPUTY, action=Action.START)).screens[0]
    assert deputy.item is not None and deputy.item.metric.id == metric_id
    handle_input(ctx, OwnerInput(3, DEPUTY, action=Action.NO, version=deputy.version))

    clock.advance(minutes=5)
    reply = handle_input(ctx, OwnerInput(4, OWNER, action=Action.YES, version=shown.version))
    assert not reply.accepted and reply.toast == "answered_meanwhile"
    assert reply.screens[0].note == "answered_meanwhile"
    answer = stored_answer(ctx, metric_id, Q4)
    assert answer is not None and answer.value.flag is False
    assert answer.answered_by == f"Henkilö {DEPUTY}"

    # the owner can still change it deliberately, from the recap
    typed = handle_input(ctx, OwnerInput(5, OWNER, text="kyllä"))
    assert typed.screens[0].kind in ("question", "recap")


def test_a_role_given_during_a_round_brings_a_reminder(ctx: AppContext, clock: Clock) -> None:
    from sqlalchemy import select

    from goalbot.services.owners import assign_role
    from goalbot.storage.models import SendRow

    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    invite = invite_owner(ctx, "rakennustarkastaja", "Maija")
    accept_invite(ctx, invite.token, OWNER)
    open_round_now(ctx, Q4)
    assign_role(ctx, "ymparistopaallikko", "Maija")
    assign_role(ctx, "ymparistopaallikko", "Maija")  # again: nothing more
    with ctx.unit_of_work() as uow:
        keys = sorted(s.key for s in uow.session.scalars(select(SendRow)))
    menus = [key for key in keys if key.startswith(f"menu:{OWNER}:")]
    assert len(menus) == 1  # the role may bring commands: her menu is set again, once
    keys = [key for key in keys if key not in menus]
    assert len(keys) == 2
    assert keys[0].startswith("2026Q4:assign:") and keys[0].endswith(":ymparistopaallikko")
    assert keys[1].startswith("2026Q4:open:")


def test_a_figure_typed_before_the_first_question_is_not_dropped_silently(
    ctx: AppContext, clock: Clock
) -> None:
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    invite = invite_owner(ctx, "rakennustarkastaja", "Maija")
    accept_invite(ctx, invite.token, OWNER)
    open_round_now(ctx, Q4)
    reply = handle_input(ctx, OwnerInput(1, OWNER, text="11,9"))
    assert not reply.accepted
    assert reply.screens[0].kind == "question" and reply.screens[0].note == "text_before_start"
    from goalbot.reporting.rendering import render

    text = render(
        "chat/question.html.j2", "fi", screen=reply.screens[0], timezone=ctx.config.schedule.zone
    )
    assert text.startswith("Viestiäsi ei tallennettu")


def test_old_update_ids_are_forgotten(ctx: AppContext, clock: Clock) -> None:
    """Telegram reuses update ids after a quiet week: an old one must not look like a repeat."""
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    invite = invite_owner(ctx, "ymparistopaallikko", "Maija")
    accept_invite(ctx, invite.token, OWNER)
    open_round_now(ctx, Q4)
    first = handle_input(ctx, OwnerInput(500, OWNER, action=Action.START)).screens[0]
    assert handle_input(ctx, OwnerInput(501, OWNER, text="kyllä")).accepted
    clock.advance(days=8)
    handle_input(ctx, OwnerInput(900, OWNER, action=Action.START))  # another update meanwhile
    again = handle_input(ctx, OwnerInput(501, OWNER, text="ei"))
    assert again.accepted, "an update id seen eight days ago was taken for a repeat"
    assert first.item is not None
