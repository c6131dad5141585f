"""Deputies answering for an owner, roles reassigned and revoked in the middle of a round."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from goalbot.scheduling.control import open_round_now
from goalbot.services.context import AppContext
from goalbot.services.owners import assign_role, revoke_role
from goalbot.services.questionnaire import Action, OwnerInput, handle_input
from goalbot.storage.models import SendRow
from tests.conftest import Clock
from tests.e2e.chat_steps import (
    NO_DATA,
    Q1_2027,
    Q4,
    REFUSAL,
    REMINDER,
    START,
    bind,
    enrol,
    footprint,
    header,
    open_round,
    plain,
    press,
    stored_answers,
    type_text,
)
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi, UserHandle

ON_BEHALF = "Vastaat sijaisena: Tilahallintopalveluiden päällikkö (Olli Omistaja)"
MISSING_NOTE = "Kaikkiin kysymyksiin ei ole vielä vastattu. Jatketaan tästä:"


@pytest.fixture
def q4_ctx(sqlite_ctx: AppContext, clock: Clock, botapi: FakeBotApi) -> AppContext:
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    return with_telegram(sqlite_ctx, botapi)


async def test_a_deputy_answers_on_the_owners_behalf(
    q4_ctx: AppContext, botapi: FakeBotApi, clock: Clock
) -> None:
    ctx = q4_ctx
    # the catering figures of 2026 are asked in the first round of 2027
    clock.set(datetime(2027, 3, 17, 8, 0, tzinfo=UTC))
    driver = botapi.driver
    owner = driver.create_user("Olli")
    deputy = driver.create_user("Dora")
    async with running_bot(ctx):
        await bind(owner, ctx, "tilapalvelupaallikko", "Olli Omistaja")
        enrol(ctx, deputy, "tilapalvelupaallikko", "Dora Sijainen", kind="deputy")
        (reminder,) = await open_round(ctx, owner, period=Q1_2027)
        first = await press(owner, START, reminder)
        assert header(1, 2) in first.content and "Vastaat sijaisena" not in first.content
        assert "Vuoden 2026 luku:" in first.content

        # the deputy, not reminded, takes it up while the owner has question 1 open
        question = await type_text(deputy, "/raportoi")
        assert header(1, 2) in question.content
        assert ON_BEHALF in question.content
        second = await type_text(deputy, "32 %")
        assert header(2, 2) in second.content and ON_BEHALF in second.content

        # the owner carries on: question 1 is not asked again
        resumed = await type_text(owner, "/raportoi")
        assert header(2, 2) in resumed.content and "Vastaat sijaisena" not in resumed.content
        recap = await type_text(owner, "10 715 kg")
        assert "Yhteenveto, Q1/2027" in recap.content
        assert "Luomutuotteiden osuus kaikista raaka-ainehankinnoista: 32 % (2026)" in plain(
            recap.content
        )

        # and the deputy's open question 2, answered by the owner meanwhile, is not either
        deputys_recap = await type_text(deputy, "/raportoi")
        assert "Yhteenveto, Q1/2027" in deputys_recap.content
        await driver.wait_until_idle()

    answers = stored_answers(ctx)
    assert set(answers) == {"TILA-1.1", "TILA-2.1"}
    by_deputy, by_owner = answers["TILA-1.1"], answers["TILA-2.1"]
    assert (by_deputy.number, by_deputy.answered_by, by_deputy.on_behalf_of_role) == (
        Decimal(32),
        "Dora Sijainen",
        "tilapalvelupaallikko",
    )
    assert by_deputy.history == (("value", "Dora Sijainen"),)
    assert (by_owner.number, by_owner.answered_by, by_owner.on_behalf_of_role) == (
        Decimal(10715),
        "Olli Omistaja",
        None,
    )
    assert by_owner.history == (("value", "Olli Omistaja"),)
    with ctx.unit_of_work() as uow:
        sends = list(uow.session.scalars(select(SendRow)))
        assert [(s.kind, s.chat_id, s.status) for s in sends] == [("reminder", owner.id, "sent")]


def confirm_everything(ctx: AppContext, person: UserHandle) -> None:
    """Answer yes to each question and confirm, through the services."""
    reply = handle_input(ctx, OwnerInput(0, person.id, action=Action.START))
    for _ in range(10):
        screen = reply.screens[0]
        if screen.kind == "done":
            return
        action = Action.CONFIRM if screen.kind == "recap" else Action.YES
        reply = handle_input(ctx, OwnerInput(0, person.id, action=action, version=screen.version))
    raise AssertionError(reply)


async def test_a_role_given_to_someone_else_moves_its_questions(
    q4_ctx: AppContext, botapi: FakeBotApi
) -> None:
    ctx = q4_ctx
    driver = botapi.driver
    reino = driver.create_user("Reino")
    ylva = driver.create_user("Ylva")
    open_round_now(ctx, Q4)
    enrol(ctx, reino, "rakennustarkastaja", "Reino Rakennustarkastaja")
    enrol(ctx, ylva, "ymparistopaallikko", "Ylva Ympäristö")
    confirm_everything(ctx, ylva)
    async with running_bot(ctx):
        await type_text(reino, "/raportoi")
        question = await type_text(reino, "24")
        assert header(2, 2) in question.content
        done = await type_text(ylva, "/raportoi")
        assert "on vahvistettu" in done.content

        assign_role(ctx, "rakennustarkastaja", "Ylva Ympäristö")
        # the role's new holder is reminded of it (the round is open)
        await ylva.wait_for_message(predicate=lambda m: REMINDER in m.content)
        before = footprint(ctx)
        # Reino no longer holds the role: his open question is a stranger's button now
        refusal = await press(reino, NO_DATA, question)
        assert REFUSAL in refusal.content and not refusal.button_labels
        again = await type_text(reino, "kyllä")
        assert REFUSAL in again.content
        assert footprint(ctx) == before

        # Ylva, done with her own questions, is taken to the one the role still owes
        resumed = await type_text(ylva, "/raportoi")
        assert resumed.content.startswith(MISSING_NOTE)
        assert header(4, 4) in resumed.content and "Rakentamislupien" not in resumed.content
        recap = await type_text(ylva, "kyllä")
        assert "Yhteenveto, Q4/2026" in recap.content
        thanks = await press(ylva, "✅ Vahvista")
        assert "on vahvistettu" in thanks.content

    answers = stored_answers(ctx)
    assert {m: a.answered_by for m, a in answers.items()} == {
        "YMP-1.1": "Ylva Ympäristö",
        "YMP-2.1": "Ylva Ympäristö",
        "RV-1.1": "Reino Rakennustarkastaja",
        "RV-2.1": "Ylva Ympäristö",
    }
    assert all(len(a.history) == 1 for a in answers.values())


async def test_a_revoked_owner_is_a_stranger(q4_ctx: AppContext, botapi: FakeBotApi) -> None:
    ctx = q4_ctx
    driver = botapi.driver
    reino = driver.create_user("Reino")
    open_round_now(ctx, Q4)
    enrol(ctx, reino, "ymparistopaallikko", "Reino Rakennustarkastaja")
    async with running_bot(ctx):
        question = await type_text(reino, "/raportoi")
        assert header(1, 2) in question.content
        assert revoke_role(ctx, "ymparistopaallikko") == "Reino Rakennustarkastaja"
        before = footprint(ctx, reino.id)
        refusal = await press(reino, "Kyllä", question)
        assert REFUSAL in refusal.content
        assert str(reino.id) in refusal.content
        again = await type_text(reino, "/raportoi")
        assert REFUSAL in again.content
        assert footprint(ctx, reino.id) == before
        # the refusals show nothing of the goals
        for message in (refusal, again):
            assert "yhteydenotto" not in message.content and "Q4/2026" not in message.content
    assert stored_answers(ctx) == {}


async def test_a_question_of_a_role_taken_away_is_not_asked(
    q4_ctx: AppContext, botapi: FakeBotApi
) -> None:
    ctx = q4_ctx
    driver = botapi.driver
    ylva = driver.create_user("Ylva")
    kimmo = driver.create_user("Kimmo")
    open_round_now(ctx, Q4)
    enrol(ctx, ylva, "kiinteistopaallikko", "Ylva Ympäristö")
    enrol(ctx, ylva, "ymparistopaallikko", "Ylva Ympäristö")
    enrol(ctx, kimmo, "tilapalvelupaallikko", "Kimmo Kiinteistö")
    async with running_bot(ctx):
        question = await type_text(ylva, "/raportoi")
        assert header(1, 4) in question.content and "Ikkunat vaihdettu" in question.content
        assign_role(ctx, "kiinteistopaallikko", "Kimmo Kiinteistö")
        resumed = await type_text(ylva, "/raportoi")
        assert header(1, 2) in resumed.content
        assert "Pääosaan yhteydenottoista vastataan" in resumed.content  # YMP-1.1
    assert stored_answers(ctx) == {}
