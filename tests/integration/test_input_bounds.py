"""Whatever length or characters a person types, the bot's answer fits one message and the
database keeps clean text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from goalbot.chat.handlers import render_screen
from goalbot.domain.periods import Period
from goalbot.reporting import report_texts as status_reports
from goalbot.reporting.messages import TEXT_LIMIT, visible_length
from goalbot.reporting.rendering import render
from goalbot.scheduling.control import open_round_now
from goalbot.services import owners as owner_service
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.questionnaire import Action, OwnerInput, handle_input
from tests.conftest import Clock

Q4 = Period(2026, 4)
OWNER = 801


@pytest.mark.parametrize("scope", ["ä" * 4000, "tekninen " * 440, "<b>" * 1300])
def test_a_4000_character_status_argument_gets_a_short_answer(
    sqlite_ctx: AppContext, scope: str
) -> None:
    with pytest.raises(ServiceError) as refused:
        status_reports.status_parts(sqlite_ctx, scope)
    text = render(
        "chat/report_error.html.j2", "fi", code=refused.value.code, **refused.value.params
    )
    assert visible_length(text) < TEXT_LIMIT / 2


def test_a_long_unit_is_not_echoed_whole(sqlite_ctx: AppContext, clock: Clock) -> None:
    ctx = sqlite_ctx
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    invite = owner_service.invite_owner(ctx, "elinvoima-hyvinvointipaallikko", "Eeva")
    owner_service.accept_invite(ctx, invite.token, OWNER)
    open_round_now(ctx, Q4)
    reply = handle_input(ctx, OwnerInput(1, OWNER, action=Action.START))
    for update_id in (2, 3):  # two yes/no questions before the count
        version = reply.screens[-1].version
        reply = handle_input(ctx, OwnerInput(update_id, OWNER, action=Action.YES, version=version))
    reply = handle_input(ctx, OwnerInput(4, OWNER, text="60 " + "kappaletta" * 400))
    (screen,) = reply.screens
    assert screen.error == "wrong_unit"
    assert visible_length(render_screen(screen, "fi", ctx)) < TEXT_LIMIT


def test_a_name_keeps_no_control_characters(sqlite_ctx: AppContext) -> None:
    invite = owner_service.invite_owner(
        sqlite_ctx, "rakennustarkastaja", "Maija\x1b[2J\u202e Meikäläinen\x00"
    )
    assert invite.name == "Maija[2J Meikäläinen"
