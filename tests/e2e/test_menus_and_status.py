"""Each person's commands: an owner's /status of their own goals, the menus, hints."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError

from goalbot.services.context import AppContext
from tests.conftest import Clock
from tests.e2e.chat_steps import enrol, type_text
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi

ADMIN_ID = 424242


@pytest.fixture
def staffed(sqlite_ctx: AppContext, clock: Clock, botapi: FakeBotApi) -> AppContext:
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    return with_telegram(sqlite_ctx, botapi, admins=(ADMIN_ID,))


def menu(botapi: FakeBotApi, chat_id: int | None = None, language: str = "") -> list[str]:
    scope = {"type": "chat", "chat_id": chat_id} if chat_id else {"type": "all_private_chats"}
    return [c["command"] for c in botapi.driver.commands(scope=scope, language_code=language)]


async def test_an_owner_asks_status_of_their_own_goals(
    staffed: AppContext, botapi: FakeBotApi
) -> None:
    ctx = staffed
    owner = botapi.driver.create_user("Reino")
    enrol(ctx, owner, "rakennustarkastaja", "Reino Rakennustarkastaja")
    async with running_bot(ctx):
        own = await type_text(owner, "/status")
        assert own.content.startswith("Omat tavoitteesi · ")
        assert "RV-1" in own.content and "RV-2" in own.content
        assert "YMP-1" not in own.content and "STR-" not in own.content
        goal = await type_text(owner, "/status RV-1")
        assert "RV-1" in goal.content and "RV-2" not in goal.content
        refused = await type_text(owner, "/status tekninen")
        assert refused.content.startswith("Voit katsoa omien tavoitteidesi tilannetta.")
        other = await type_text(owner, "/status YMP-1")
        assert other.content == refused.content


async def test_where_configured_an_owner_sees_their_department(
    staffed: AppContext, botapi: FakeBotApi
) -> None:
    telegram = replace(staffed.config.telegram, owners_status="department")
    ctx = replace(staffed, config=replace(staffed.config, telegram=telegram))
    owner = botapi.driver.create_user("Reino")
    enrol(ctx, owner, "rakennustarkastaja", "Reino Rakennustarkastaja")
    async with running_bot(ctx):
        department = await type_text(owner, "/status tekninen")
        assert "YMP-1" in department.content and "RV-1" in department.content
        refused = await type_text(owner, "/status hallinto")
        assert "omien tavoitteidesi ja osastosi" in refused.content


async def test_an_administrator_typing_gets_a_hint_not_the_refusal(
    staffed: AppContext, botapi: FakeBotApi
) -> None:
    admin = botapi.driver.ensure_user(ADMIN_ID, first_name="Aino")
    async with running_bot(staffed):
        hint = await type_text(admin, "miten kutsun uuden vastuuhenkilön?")
        assert hint.content.startswith("Ylläpitäjänä käytät komentoja")
        assert "/invite" in hint.content and "palvelee vain kutsuttuja" not in hint.content


async def test_each_person_is_shown_the_commands_they_may_use(
    staffed: AppContext, botapi: FakeBotApi
) -> None:
    ctx = staffed
    driver = botapi.driver
    admin = driver.ensure_user(ADMIN_ID, first_name="Aino")
    manager = driver.create_user("Kalle")
    owner = driver.create_user("Reino")
    for person in (admin, manager, owner):
        person.start()
    enrol(ctx, manager, "kaupunginjohtaja", "Kalle Kaupunginjohtaja")
    enrol(ctx, owner, "rakennustarkastaja", "Reino Rakennustarkastaja")
    async with running_bot(ctx):
        await driver.wait_until_idle()
        everyone = menu(botapi)
        assert everyone == ["report", "raportoi", "vastaa", "status", "schedule", "kieli", "help"]
        assert menu(botapi, owner.id) == []  # an owner has the menu of every private chat
        managers = menu(botapi, manager.id)
        assert {"status", "missing", "export", "chart", "report"} <= set(managers)
        assert "remind" not in managers
        admins = menu(botapi, admin.id)
        assert {"invite", "owners", "remind", "close", "summary", "status"} <= set(admins)
        assert "report" not in admins  # the administrator owns no goals
        assert menu(botapi, admin.id, "en") and menu(botapi, manager.id, "en")


async def test_a_role_given_or_taken_on_the_command_line_changes_the_persons_menu(
    staffed: AppContext, botapi: FakeBotApi
) -> None:
    """The menus are set again through the outbox, for the new holder and the one replaced."""
    from goalbot.services import outbox
    from goalbot.services.owners import assign_role, revoke_role

    ctx = staffed
    driver = botapi.driver
    kalle = driver.create_user("Kalle")
    reino = driver.create_user("Reino")
    for person in (kalle, reino):
        person.start()
    enrol(ctx, kalle, "kaupunginjohtaja", "Kalle Kaupunginjohtaja")
    enrol(ctx, reino, "rakennustarkastaja", "Reino Rakennustarkastaja")
    async with running_bot(ctx):
        await driver.wait_until_idle()
        assert "missing" in menu(botapi, kalle.id) and menu(botapi, reino.id) == []

        # the town manager's role goes to Reino: his menu gains it, Kalle's loses it
        assign_role(ctx, "kaupunginjohtaja", "Reino Rakennustarkastaja")
        languages = ("", "fi", "sv", "en")

        def changed() -> bool:
            return all(
                "missing" in menu(botapi, reino.id, code) and menu(botapi, kalle.id, code) == []
                for code in languages
            )

        await driver.wait_until(changed, timeout=15)

        revoke_role(ctx, "kaupunginjohtaja")
        await driver.wait_until(lambda: menu(botapi, reino.id) == [], timeout=15)
        await driver.wait_until_idle()
    with ctx.unit_of_work() as uow:
        from sqlalchemy import select

        from goalbot.storage.models import SendRow

        menus = list(uow.session.scalars(select(SendRow).where(SendRow.kind == "menu")))
    assert sorted(s.chat_id for s in menus) == sorted([kalle.id, reino.id, reino.id])
    assert {s.status for s in menus} == {"sent"}
    assert outbox.undelivered_sends(ctx) == []


async def test_a_database_lost_while_the_menus_are_made_does_not_stop_the_bot(
    staffed: AppContext,
    botapi: FakeBotApi,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The personal menus are read from the database just after the bot takes the lead: an
    outage then leaves them for the next start, and the bot answers on."""
    import goalbot.chat.menus as menus

    def lost(ctx: AppContext) -> dict[int, object]:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(menus, "personal_menus", lost)
    owner = botapi.driver.create_user("Reino")
    enrol(staffed, owner, "rakennustarkastaja", "Reino Rakennustarkastaja")
    async with running_bot(staffed):
        assert "status" in menu(botapi)  # the menus of all private chats are there
        own = await type_text(owner, "/status")
        assert own.content.startswith("Omat tavoitteesi · ")
    assert "the personal command menus were not registered: cannot use the database" in (
        caplog.text
    )
