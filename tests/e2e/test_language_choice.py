"""Each person's language, from their Telegram app at the first contact or /kieli (/språk,
/language), kept in the database; the management group's language is its own."""

from __future__ import annotations

from sqlalchemy import select

from goalbot.services.context import AppContext
from goalbot.services.owners import invite_owner
from goalbot.storage.models import PersonRow
from goalbot.storage.repositories import get_setting
from tests.e2e.harness import running_bot, with_telegram
from tests.fakes.botapi import FakeBotApi


def language_of(ctx: AppContext, telegram_user_id: int) -> str:
    with ctx.unit_of_work() as uow:
        return uow.session.scalars(
            select(PersonRow.language).where(PersonRow.telegram_user_id == telegram_user_id)
        ).one()


async def test_a_person_keeps_the_language_of_their_app_or_the_one_they_choose(
    sqlite_ctx: AppContext, botapi: FakeBotApi
) -> None:
    driver = botapi.driver
    sofia = driver.create_user("Sofia", language_code="sv")
    hans = driver.create_user("Hans", language_code="de")
    stranger = driver.create_user("Seppo", language_code="sv")
    ctx = with_telegram(sqlite_ctx, botapi)
    async with running_bot(ctx):
        for person, role in ((sofia, "rakennustarkastaja"), (hans, "ymparistopaallikko")):
            person.start(invite_owner(ctx, role, str(person.id)).token)
            await person.wait_for_message()
        await driver.wait_until_idle()
    assert language_of(ctx, sofia.id) == "sv"
    assert language_of(ctx, hans.id) == "fi"  # no German texts: the town's default

    async with running_bot(ctx):
        sofia.send("/kieli")
        shown = await sofia.wait_for_message(predicate=lambda m: "Byt språk" in m.content)
        assert "Jag skriver till dig på: svenska." in shown.content
        sofia.send("/language en")
        await sofia.wait_for_message(
            predicate=lambda m: "I now write to you in English." in m.content
        )
        assert language_of(ctx, sofia.id) == "en"
        sofia.send("/kieli klingon")
        await sofia.wait_for_message(predicate=lambda m: "I do not know the language" in m.content)
        sofia.send("/språk svenska")
        await sofia.wait_for_message(
            predicate=lambda m: "Jag skriver nu till dig på svenska." in m.content
        )
        hans.send("/kieli englanti")
        await hans.wait_for_message(
            predicate=lambda m: "I now write to you in English." in m.content
        )
        stranger.send("/språk sv")
        refusal = await stranger.wait_for_message()
        # a stranger is refused in the language of their app too
        assert "bara inbjudna" in refusal.content
        await driver.wait_until_idle()
    assert (language_of(ctx, sofia.id), language_of(ctx, hans.id)) == ("sv", "en")
    # the command menu in each language, for the apps set to it
    for code, help_word in (("sv", "Hjälp"), ("en", "Help"), ("fi", "Ohje"), ("", "Ohje")):
        menu = driver.commands(scope={"type": "all_private_chats"}, language_code=code)
        descriptions = {c["command"]: c["description"] for c in menu}
        assert descriptions["help"] == help_word
        assert "kieli" in descriptions


async def test_the_management_group_has_a_language_of_its_own(
    sqlite_ctx: AppContext, botapi: FakeBotApi
) -> None:
    driver = botapi.driver
    admin = driver.create_user("Anna", language_code="fi")
    group = driver.create_group("Ledningsgruppen", members=[admin])
    ctx = with_telegram(sqlite_ctx, botapi, admins=(admin.id,), management_chat_id=group.id)
    async with running_bot(ctx):
        await driver.wait_until_idle()
        driver.send_command_in_group(group, admin, "kieli", "sv")
        reply = await driver.wait_for_message(group)
        assert "Jag skriver nu till den här gruppen på svenska." in reply.content
        admin.send("/kieli")
        mine = await admin.wait_for_message(predicate=lambda m: "Vaihda kieli" in m.content)
        assert "Kirjoitan sinulle kielellä: suomi." in mine.content
        await driver.wait_until_idle()
    with ctx.unit_of_work() as uow:
        assert get_setting(uow, f"chat_language:{group.id}") == "sv"
