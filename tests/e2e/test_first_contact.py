"""First contact through the real client and the fake Bot API: /start, /help, strangers, groups."""

from __future__ import annotations

from goalbot.domain.periods import Period
from goalbot.scheduling.control import open_round_now
from goalbot.services.context import AppContext
from goalbot.services.owners import invite_owner
from tests.e2e.harness import running_bot, with_telegram
from tests.e2e.owner_flow import conversation
from tests.fakes.botapi import FakeBotApi


async def test_start_and_help_for_admin_and_stranger(
    sqlite_ctx: AppContext, botapi: FakeBotApi
) -> None:
    driver = botapi.driver
    admin = driver.create_user("Anna", username="anna_admin")
    stranger = driver.create_user("Seppo")
    ctx = with_telegram(sqlite_ctx, botapi, admins=(admin.id,))
    async with running_bot(ctx):
        admin.start()
        welcome = await admin.wait_for_message()
        assert "Hei" in welcome.content
        admin.send("/help")
        help_text = await admin.wait_for_message()
        assert "/invite" in help_text.content and "/status" in help_text.content

        stranger.start()
        refusal = await stranger.wait_for_message()
        assert "vain kutsuttuja" in refusal.content
        assert str(stranger.id) in refusal.content
        stranger.send("/status tekninen")
        refusal2 = await stranger.wait_for_message()
        assert "vain kutsuttuja" in refusal2.content
        stranger.send("11,9")
        await stranger.wait_for_message()
        await driver.wait_until_idle()
        # a stranger sees nothing of the goals: no goal, name or figure
        for message in stranger.bot_messages():
            assert "Tekninen" not in message.content and "11,9" not in message.content
            assert message.content.count("\n") <= 2

    commands = driver.commands(scope={"type": "all_private_chats"})
    assert {c["command"] for c in commands} >= {"report", "raportoi", "help"}
    english = driver.commands(scope={"type": "all_private_chats"}, language_code="en")
    assert any("reporting" in c["description"] for c in english)


async def test_invite_link_binds_the_account(sqlite_ctx: AppContext, botapi: FakeBotApi) -> None:
    driver = botapi.driver
    owner = driver.create_user("Maija", last_name="Meikäläinen")
    ctx = with_telegram(sqlite_ctx, botapi)
    invite = invite_owner(ctx, "rakennustarkastaja", "Maija Meikäläinen")
    async with running_bot(ctx):
        owner.start(invite.token)
        welcome = await owner.wait_for_message()
        assert "Tervetuloa, Maija Meikäläinen" in welcome.content
        assert "Johtava rakennustarkastaja" in welcome.content
        await driver.wait_until_idle()
        owner.start(invite.token)
        again = await owner.wait_for_message()
        assert "jo ottanut" in again.content
        other = driver.create_user("Kalle")
        other.start(invite.token)
        used = await other.wait_for_message()
        assert "jo käytetty" in used.content
        other.start("not-a-token")
        bad = await other.wait_for_message()
        assert "ei kelpaa" in bad.content


async def test_commands_in_a_group(sqlite_ctx: AppContext, botapi: FakeBotApi) -> None:
    driver = botapi.driver
    admin = driver.create_user("Anna")
    stranger = driver.create_user("Seppo")
    group = driver.create_group("Johtoryhmä", members=[admin, stranger])
    ctx = with_telegram(sqlite_ctx, botapi, admins=(admin.id,))
    async with running_bot(ctx):
        await driver.wait_until_idle()
        driver.send_command_in_group(group, admin, "help")
        reply = await driver.wait_for_message(group)
        assert "/status" in reply.content
        driver.send_command_in_group(group, admin, "raportoi")
        hint = await driver.wait_for_message(group)
        assert f"@{botapi.bot_username}" in hint.content
        driver.send_command_in_group(group, stranger, "report")
        refusal = await driver.wait_for_message(group)
        assert "vain kutsuttuja" in refusal.content
        assert str(stranger.id) not in refusal.content


async def test_the_welcome_comes_once_start_is_applied(
    sqlite_ctx: AppContext, botapi: FakeBotApi
) -> None:
    """What the person sees is settled when the welcome arrives: a test (or a person) that
    acts on it never races the rest of the /start."""
    driver = botapi.driver
    owner = driver.create_user("Maija")
    ctx = with_telegram(sqlite_ctx, botapi)
    open_round_now(ctx, Period(2026, 4))
    invite = invite_owner(ctx, "rakennustarkastaja", "Maija Meikäläinen")
    async with running_bot(ctx):
        owner.start(invite.token)
        welcome = await owner.wait_for_message(predicate=lambda m: "Tervetuloa" in m.content)
        row = conversation(ctx, owner.id)
        assert row is not None and row.step == "answer"
        question = await owner.wait_for_message(after=welcome)
        assert "1/2 · " in question.content

        version = row.version
        owner.start()
        await owner.wait_for_message(predicate=lambda m: "Hei" in m.content)
        resumed = conversation(ctx, owner.id)
        assert resumed is not None and resumed.version == version
        again = await owner.wait_for_message(predicate=lambda m: "1/2 · " in m.content)
        assert again.message_id > question.message_id
