"""The fake Bot API answers as Telegram does: PTB's own client is the judge."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from tests.fakes.botapi import FakeBotApi, FakeClock, RateLimits

pytest_plugins = ["tests.fakes.fixtures"]

T = TypeVar("T")

PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def present(value: T | None) -> T:
    """An optional field of Telegram's that the test expects to be there."""
    assert value is not None
    return value


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=label.lower())] for label in labels]
    )


@pytest.fixture
async def bot(botapi: FakeBotApi) -> AsyncIterator[Bot]:
    async with make_bot(botapi) as client:
        yield client


def make_bot(api: FakeBotApi, read_timeout: float = 3.0) -> Bot:
    return Bot(
        api.token,
        base_url=api.base_url,
        base_file_url=api.base_file_url,
        request=HTTPXRequest(read_timeout=read_timeout),
        get_updates_request=HTTPXRequest(read_timeout=read_timeout),
    )


def raw(api: FakeBotApi, method: str, **params: Any) -> httpx.Response:
    return httpx.post(f"{api.base_url}{api.token}/{method}", json=params, timeout=5)


# ---- the bot, auth, routing -------------------------------------------------------------


async def test_get_me_describes_the_bot(bot: Bot, botapi: FakeBotApi) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == botapi.bot_username
    assert me.id == int(botapi.token.split(":")[0])
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False


def test_wrong_token_unknown_method_and_case_insensitive_names(botapi: FakeBotApi) -> None:
    botapi.expect_invalid_calls()
    wrong = httpx.post(f"{botapi.base_url}123:wrong/getMe")
    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    unknown = raw(botapi, "sendTelepathy", chat_id=1)
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert [e.method for e in botapi.driver.errors] == ["sendTelepathy"]
    lower = httpx.get(f"{botapi.base_url}{botapi.token}/getme")
    assert lower.json()["result"]["username"] == botapi.bot_username
    assert botapi.driver.requests[-1].method == "getMe"


def test_get_post_form_and_json_bodies_are_all_understood(botapi: FakeBotApi) -> None:
    user = botapi.driver.create_user("Maija")
    user.start()
    url = f"{botapi.base_url}{botapi.token}/sendMessage"
    assert httpx.get(url, params={"chat_id": user.id, "text": "query"}).json()["ok"]
    assert httpx.post(url, data={"chat_id": str(user.id), "text": "form"}).json()["ok"]
    assert httpx.post(url, json={"chat_id": user.id, "text": "json"}).json()["ok"]
    assert [m.text for m in user.bot_messages()] == ["query", "form", "json"]


# ---- updates ----------------------------------------------------------------------------


async def test_get_updates_long_polls_and_offset_acknowledges(bot: Bot, botapi: FakeBotApi) -> None:
    user = botapi.driver.create_user("Maija")
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=2))
    await asyncio.sleep(0.2)
    assert not poll.done()
    user.send("hei")
    updates = await poll
    assert time.monotonic() - started < 1.5
    assert [present(u.message).text for u in updates] == ["hei"]
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [updates[0].update_id]
    user.send("toinen")
    acked = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert [present(u.message).text for u in acked] == ["toinen"]
    assert botapi.driver.pending_updates == 1
    await bot.get_updates(offset=acked[-1].update_id + 1, timeout=0)
    await botapi.driver.wait_for_updates_consumed(timeout=1)
    started = time.monotonic()
    assert await bot.get_updates(offset=acked[-1].update_id + 1, timeout=1) == ()
    assert time.monotonic() - started >= 0.9


async def test_get_updates_limit_negative_offset_and_allowed_updates(
    bot: Bot, botapi: FakeBotApi
) -> None:
    user = botapi.driver.create_user("Maija")
    for text in ("1", "2", "3"):
        user.send(text)
    assert [present(u.message).text for u in await bot.get_updates(limit=2)] == ["1", "2"]
    assert [present(u.message).text for u in await bot.get_updates(offset=-1)] == ["3"]
    last = (await bot.get_updates())[-1].update_id
    await bot.get_updates(offset=last + 1, allowed_updates=["callback_query"])
    await bot.send_message(user.id, "valitse", reply_markup=keyboard("Kyllä"))
    user.send("filtered away")
    user.press("Kyllä")
    updates = await bot.get_updates(offset=last + 1)
    assert [present(u.callback_query).data for u in updates] == ["kyllä"]


async def test_a_second_get_updates_terminates_the_first(botapi: FakeBotApi) -> None:
    url = f"{botapi.base_url}{botapi.token}/getUpdates"
    async with httpx.AsyncClient(timeout=5) as client:
        first = asyncio.create_task(client.post(url, json={"timeout": 3}))
        await asyncio.sleep(0.2)
        second = asyncio.create_task(client.post(url, json={"timeout": 0}))
        answer = await first
        await second
    assert answer.status_code == 409
    assert answer.json()["description"].startswith(
        "Conflict: terminated by other getUpdates request"
    )


async def test_webhook_blocks_get_updates_until_deleted(bot: Bot, botapi: FakeBotApi) -> None:
    await bot.set_webhook("https://example.com/hook")
    with pytest.raises(Exception, match="webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == "https://example.com/hook"
    botapi.driver.create_user("Maija").send("/start")
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()
    assert (await bot.get_webhook_info()).url == ""


# ---- incoming messages ------------------------------------------------------------------


async def test_commands_get_bot_command_entities_in_utf16(bot: Bot, botapi: FakeBotApi) -> None:
    user = botapi.driver.create_user("Maija")
    user.send("/start")
    user.send("👍 /report Q2")
    updates = await bot.get_updates()
    first, second = (present(u.message) for u in updates)
    assert first.entities == (MessageEntity(MessageEntity.BOT_COMMAND, 0, 6),)
    assert second.entities == (MessageEntity(MessageEntity.BOT_COMMAND, 3, 7),)
    assert second.parse_entity(second.entities[0]) == "/report"
    assert second.date.tzinfo is not None
    assert updates[0].update_id + 1 == updates[1].update_id


async def test_group_commands_with_mention_and_privacy_mode(bot: Bot, botapi: FakeBotApi) -> None:
    driver = botapi.driver
    owner, member = driver.create_user("Olli"), driver.create_user("Maija")
    group = driver.create_group("Tekninen lautakunta", members=[owner, member])
    joined = await bot.get_updates()
    assert present(joined[0].my_chat_member).new_chat_member.status == "member"
    assert present(joined[1].message).new_chat_members[0].username == botapi.bot_username
    offset = joined[-1].update_id + 1
    group.send(member, "just chatting")
    group.command(member, "status", "Q2")
    group.command(member, "help", mention=False)
    group.send(member, "/status@someone_elses_bot")
    updates = await bot.get_updates(offset=offset)
    texts = [present(u.message).text for u in updates]
    assert texts == [f"/status@{botapi.bot_username} Q2", "/help"]
    message = present(updates[0].message)
    assert message.chat.type == "group"
    assert message.chat.title == "Tekninen lautakunta"
    assert message.entities[0].length == len(f"/status@{botapi.bot_username}")
    assert [m.content for m in group.transcript()][-4:] == [
        "just chatting",
        f"/status@{botapi.bot_username} Q2",
        "/help",
        "/status@someone_elses_bot",
    ]


# ---- callback queries -------------------------------------------------------------------


async def test_callback_query_flow(bot: Bot, botapi: FakeBotApi) -> None:
    botapi.expect_invalid_calls()
    user = botapi.driver.create_user("Maija", username="maija_k")
    user.start()
    sent = await bot.send_message(
        user.id, "Onko tavoite toteutunut?", reply_markup=keyboard("Kyllä", "Ei")
    )
    assert sent.reply_markup == keyboard("Kyllä", "Ei")
    query_id = user.press("Ei")
    user.press("Kyllä", message_id=sent.message_id)
    updates = [u for u in await bot.get_updates() if u.callback_query]
    first, second = (present(u.callback_query) for u in updates)
    assert first.id == query_id
    assert first.data == "ei"
    assert first.from_user.username == "maija_k"
    assert isinstance(first.message, Message)
    assert first.message.message_id == sent.message_id
    assert first.message.reply_markup == keyboard("Kyllä", "Ei")
    assert first.chat_instance == second.chat_instance
    assert await bot.answer_callback_query(query_id, text="Kirjattu")
    answer = botapi.driver.callback_answer(query_id)
    assert answer is not None and answer.text == "Kirjattu"
    with pytest.raises(BadRequest, match="Query is too old and response timeout expired"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(second.id, text="x" * 201)
    with pytest.raises(LookupError, match="Kyllä"):
        user.press("Ehkä")
    assert len(botapi.driver.errors) == 2


async def test_callback_queries_expire(botapi_factory: Callable[..., FakeBotApi]) -> None:
    clock = FakeClock()
    api = botapi_factory(clock=clock)
    user = api.driver.create_user("Maija")
    user.start()
    async with make_bot(api) as bot:
        await bot.send_message(user.id, "?", reply_markup=keyboard("Kyllä"))
        query_id = user.press("Kyllä")
        clock.advance(16 * 60)
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query(query_id)
    assert api.driver.errors == []
    assert api.driver.semantic_errors[-1].method == "answerCallbackQuery"


# ---- editing ----------------------------------------------------------------------------


async def test_edits_and_message_not_modified(bot: Bot, botapi: FakeBotApi) -> None:
    user = botapi.driver.create_user("Maija")
    user.start()
    sent = await bot.send_message(
        user.id, "<b>Q2</b> raportti", parse_mode="HTML", reply_markup=keyboard("OK")
    )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>Q2</b> raportti",
            user.id,
            sent.message_id,
            parse_mode="HTML",
            reply_markup=keyboard("OK"),
        )
    edited = await bot.edit_message_text(
        "<b>Q2</b> raportti", user.id, sent.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, Message)
    assert edited.reply_markup is None
    assert edited.edit_date is not None
    view = botapi.driver.message(user, sent.message_id)
    assert view.buttons == [] and view.text == "Q2 raportti" and view.version == 1
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(user.id, sent.message_id)
    await bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=keyboard("Uusi"))
    assert botapi.driver.message(user, sent.message_id).button_labels == ["Uusi"]
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", user.id, 999)
    assert [e.description.split(":")[1].strip() for e in botapi.driver.semantic_errors] == [
        "message is not modified",
        "message is not modified",
        "message to edit not found",
    ]
    assert botapi.driver.errors == []


async def test_editing_someone_elses_message_is_invalid(bot: Bot, botapi: FakeBotApi) -> None:
    botapi.expect_invalid_calls()
    user = botapi.driver.create_user("Maija")
    sent = user.send("minun viestini")
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("muutettu", user.id, sent.message_id)
    assert len(botapi.driver.errors) == 1


# ---- refusals: 403, 400 chat not found, migration ---------------------------------------


async def test_forbidden_and_chat_not_found(bot: Bot, botapi: FakeBotApi) -> None:
    driver = botapi.driver
    stranger = driver.create_user("Vieras")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(stranger.id, "hei")
    user = driver.create_user("Maija")
    user.start()
    offset = (await bot.get_updates())[-1].update_id + 1
    user.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(user.id, "hei")
    blocked = present((await bot.get_updates(offset=offset))[-1].my_chat_member)
    assert (blocked.old_chat_member.status, blocked.new_chat_member.status) == ("member", "kicked")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(-100123, "hei")
    gone = driver.create_user("Poistunut")
    gone.start()
    gone.deactivate()
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_chat_action(gone.id, "typing")
    user.send("/start")
    assert (await bot.send_message(user.id, "tervetuloa takaisin")).text == "tervetuloa takaisin"
    assert driver.errors == []
    assert [e.error_code for e in driver.semantic_errors] == [403, 403, 400, 403]


async def test_group_migration(bot: Bot, botapi: FakeBotApi) -> None:
    driver = botapi.driver
    owner = driver.create_user("Olli")
    group = driver.create_group("Hallitus", members=[owner])
    old_id = group.id
    offset = (await bot.get_updates())[-1].update_id + 1
    new_id = driver.migrate_group(group)
    assert group.id == new_id and str(new_id).startswith("-100")
    updates = await bot.get_updates(offset=offset)
    to_msg, from_msg = (present(u.message) for u in updates)
    assert (to_msg.chat.id, to_msg.migrate_to_chat_id) == (old_id, new_id)
    assert (from_msg.chat.id, from_msg.migrate_from_chat_id) == (new_id, old_id)
    assert from_msg.chat.type == "supergroup"
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(old_id, "hei")
    assert caught.value.new_chat_id == new_id
    response = raw(botapi, "sendMessage", chat_id=old_id, text="hei")
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": new_id},
    }
    assert (await bot.send_message(new_id, "hei")).chat.id == new_id
    assert driver.errors == []


# ---- faults -----------------------------------------------------------------------------


async def test_rate_limit_fault_sends_nothing(bot: Bot, botapi: FakeBotApi) -> None:
    user = botapi.driver.create_user("Maija")
    user.start()
    botapi.driver.rate_limit_next("sendMessage", retry_after=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(user.id, "ei mene perille")
        assert caught.value.retry_after == 7
    response = botapi.driver.requests_for("sendMessage")[-1].response
    assert response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    assert user.bot_messages() == []
    await bot.send_message(user.id, "nyt menee")
    assert [m.text for m in user.bot_messages()] == ["nyt menee"]


@pytest.mark.parametrize(
    ("status", "description"), [(500, "Internal Server Error"), (502, "Bad Gateway")]
)
async def test_server_errors(bot: Bot, botapi: FakeBotApi, status: int, description: str) -> None:
    user = botapi.driver.create_user("Maija")
    user.start()
    botapi.driver.server_error_next(status=status)
    with pytest.raises(NetworkError, match=description):
        await bot.send_message(user.id, "x")
    assert botapi.driver.requests[-1].response == {
        "ok": False,
        "error_code": status,
        "description": description,
    }
    assert user.bot_messages() == []


async def test_dropped_connection_and_slow_answers(botapi: FakeBotApi) -> None:
    driver = botapi.driver
    user = driver.create_user("Maija")
    user.start()
    async with make_bot(botapi, read_timeout=0.3) as bot:
        driver.drop_next("sendMessage")
        with pytest.raises(NetworkError, match="Server disconnected"):
            await bot.send_message(user.id, "dropped")
        driver.delay_next("sendMessage", seconds=0.6)
        with pytest.raises(TimedOut):
            await bot.send_message(user.id, "too slow")
        driver.delay_next("sendMessage", seconds=0.6, perform=True)
        with pytest.raises(TimedOut):
            await bot.send_message(user.id, "slow but sent")
        await asyncio.sleep(0.4)
        await bot.get_me()
    assert [m.text for m in user.bot_messages()] == ["slow but sent"]
    assert [f.kind for f in driver.faults_triggered] == ["drop", "delay", "delay"]


async def test_faults_without_method_spare_get_updates(bot: Bot, botapi: FakeBotApi) -> None:
    botapi.driver.server_error_next(times=None)
    assert await bot.get_updates() == ()
    with pytest.raises(NetworkError):
        await bot.get_me()
    botapi.driver.clear_faults()
    assert (await bot.get_me()).is_bot


# ---- rate accounting --------------------------------------------------------------------


def test_rate_violations_use_the_injected_clock(botapi_factory: Callable[..., FakeBotApi]) -> None:
    clock = FakeClock()
    api = botapi_factory(clock=clock)
    driver = api.driver
    user = driver.create_user("Maija")
    user.start()
    owner = driver.create_user("Olli")
    group = driver.create_group("Ryhmä", members=[owner])
    with httpx.Client(base_url=f"{api.base_url}{api.token}/", timeout=5) as client:

        def send(chat_id: int) -> None:
            assert client.post("sendMessage", json={"chat_id": chat_id, "text": "x"}).json()["ok"]

        for _ in range(3):
            send(user.id)
        assert driver.rate_violations == []
        send(user.id)
        assert [(v.scope, v.chat_id) for v in driver.rate_violations] == [("private", user.id)]
        clock.advance(1.0)
        send(user.id)
        assert len(driver.rate_violations) == 1

        clock.advance(5.0)
        for _ in range(20):
            send(group.id)
            clock.advance(1.0)
        assert len(driver.rate_violations) == 1
        send(group.id)
        assert driver.rate_violations[-1].scope == "group"
        clock.advance(60.0)
        send(group.id)
        assert len(driver.rate_violations) == 2

        clock.advance(60.0)
        people = [driver.create_user(f"P{i}") for i in range(31)]
        for person in people:
            person.start()
        for person in people[:30]:
            send(person.id)
        assert len(driver.rate_violations) == 2
        send(people[30].id)
        assert driver.rate_violations[-1].scope == "global"


def test_enforced_rate_limits_answer_429(botapi_factory: Callable[..., FakeBotApi]) -> None:
    api = botapi_factory(clock=FakeClock(), rate_limits=RateLimits(enforce=True))
    user = api.driver.create_user("Maija")
    user.start()
    answers = [raw(api, "sendMessage", chat_id=user.id, text=str(i)) for i in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["parameters"] == {"retry_after": 1}
    assert len(user.bot_messages()) == 3


# ---- files ------------------------------------------------------------------------------


async def test_multipart_document_upload_is_kept(bot: Bot, botapi: FakeBotApi) -> None:
    user = botapi.driver.create_user("Maija")
    user.start()
    message = await bot.send_document(
        user.id,
        document=b"goal;value\nA;1\n",
        filename="raportti.csv",
        caption="<b>Q2</b> raportti",
        parse_mode="HTML",
    )
    document_sent = present(message.document)
    assert document_sent.file_name == "raportti.csv"
    assert document_sent.mime_type == "text/csv"
    assert message.caption == "Q2 raportti"
    assert message.caption_entities[0].type == "bold"
    [document] = botapi.driver.documents
    assert (document.filename, document.data, document.caption) == (
        "raportti.csv",
        b"goal;value\nA;1\n",
        "Q2 raportti",
    )
    assert (
        botapi.driver.requests_for("sendDocument")[0].files["document"].filename == "raportti.csv"
    )
    file = await bot.get_file(document_sent.file_id)
    assert bytes(await file.download_as_bytearray()) == b"goal;value\nA;1\n"
    again = await bot.send_document(user.id, document=document_sent.file_id)
    assert present(again.document).file_unique_id == document_sent.file_unique_id


async def test_photos_must_be_images(bot: Bot, botapi: FakeBotApi) -> None:
    botapi.expect_invalid_calls()
    user = botapi.driver.create_user("Maija")
    user.start()
    photo = await bot.send_photo(user.id, photo=PNG_1x1, caption="kaavio")
    assert (photo.photo[-1].width, photo.photo[-1].height) == (1, 1)
    assert botapi.driver.photos[0].data == PNG_1x1
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(user.id, photo=b"not an image")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(user.id, document=b"x", filename="a.txt", caption="x" * 1025)


# ---- commands, chat info, actions -------------------------------------------------------


async def test_commands_by_scope_and_language(bot: Bot, botapi: FakeBotApi) -> None:
    user = botapi.driver.create_user("Maija")
    user.start()
    finnish = [BotCommand("raportti", "Raportoi tavoitteet"), BotCommand("tila", "Tilanne")]
    await bot.set_my_commands(finnish, scope=BotCommandScopeAllPrivateChats(), language_code="fi")
    await bot.set_my_commands([BotCommand("status", "Status")])
    assert await bot.get_my_commands(
        scope=BotCommandScopeAllPrivateChats(), language_code="fi"
    ) == tuple(finnish)
    assert await bot.get_my_commands() == (BotCommand("status", "Status"),)
    assert await bot.get_my_commands(language_code="fi") == ()
    assert (
        botapi.driver.commands(scope={"type": "all_private_chats"}, language_code="fi")[0][
            "command"
        ]
        == "raportti"
    )
    await bot.set_my_commands(finnish, scope=BotCommandScopeChat(user.id))
    assert await bot.delete_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="fi")
    assert (
        await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="fi") == ()
    )


async def test_get_chat_and_chat_actions(bot: Bot, botapi: FakeBotApi) -> None:
    driver = botapi.driver
    user = driver.create_user("Maija", last_name="Virtanen", username="maijav")
    user.start()
    group = driver.create_group("Valtuusto", members=[user], supergroup=True, username="valtuusto")
    private = await bot.get_chat(user.id)
    assert (private.type, private.first_name, private.username) == ("private", "Maija", "maijav")
    public = await bot.get_chat("@valtuusto")
    assert (public.id, public.type, public.title) == (group.id, "supergroup", "Valtuusto")
    assert await bot.send_chat_action(user.id, "typing")
    assert [(a.chat_id, a.action) for a in driver.chat_actions] == [(user.id, "typing")]
    member = await bot.get_chat_member(group.id, user.id)
    assert member.status == "creator"


# ---- waiting helpers --------------------------------------------------------------------


async def test_wait_helpers(bot: Bot, botapi: FakeBotApi) -> None:
    driver = botapi.driver
    user = driver.create_user("Maija")
    sent = user.send("/start")

    async def reply_later() -> None:
        await asyncio.sleep(0.1)
        await bot.send_message(user.id, "eka")
        await bot.send_message(user.id, "toka")

    task = asyncio.create_task(reply_later())
    first = await user.wait_for_message(timeout=2)
    second = await driver.wait_for_message(user, predicate=lambda m: m.text == "toka", after=sent)
    await task
    assert (first.text, second.text) == ("eka", "toka")
    with pytest.raises(TimeoutError, match="no bot message after"):
        await driver.wait_for_message(user, after=second, timeout=0.1)
    await asyncio.to_thread(driver.wait_for_message_sync, user, after=sent, timeout=1)
    await bot.get_updates(offset=(await bot.get_updates())[-1].update_id + 1)
    await driver.wait_for_updates_consumed(timeout=1)
    await driver.wait_until_idle(timeout=2, quiet=0.05)


# ---- the fixture's verdict --------------------------------------------------------------


def test_teardown_report_lists_invalid_and_unsupported_calls() -> None:
    from tests.fakes.fixtures import assert_no_invalid_calls, invalid_call_report

    with FakeBotApi() as api:
        user = api.driver.create_user("Maija")
        user.start()
        assert invalid_call_report(api) == ""
        assert_no_invalid_calls(api)
        raw(api, "sendMessage", chat_id=user.id, text="<b>", parse_mode="HTML")
        pinned = raw(api, "pinChatMessage", chat_id=user.id, message_id=1)
        assert pinned.status_code == 501
    report = invalid_call_report(api)
    assert "invalid Bot API calls" in report and "can't parse entities" in report
    assert "does not implement" in report and "pinChatMessage" in report
    with pytest.raises(AssertionError, match="can't parse entities"):
        assert_no_invalid_calls(api)
    api.expect_invalid_calls()
    assert "invalid Bot API calls" not in invalid_call_report(api)
    assert "pinChatMessage" in invalid_call_report(api)
