"""The emulator's web chat over HTTP: what the page reads and does, for any bot."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiohttp import ClientSession, WSMsgType

from goalbot.emulator.entities import to_html
from goalbot.emulator.state import FIRST_UPDATE_ID
from tests.fakes.botapi import FakeBotApi


@pytest.fixture
def web(botapi_factory: Any) -> FakeBotApi:
    api: FakeBotApi = botapi_factory(web_chat=True)
    return api


@pytest.fixture
def client(web: FakeBotApi) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url, timeout=10) as http:
        yield http


def bot_call(web: FakeBotApi, method: str, **params: Any) -> dict[str, Any]:
    """The bot calls the Bot API (as python-telegram-bot would, JSON body)."""
    response = httpx.post(f"{web.base_url}{web.token}/{method}", json=params, timeout=10)
    data: dict[str, Any] = response.json()
    return data


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def send_photo(web: FakeBotApi, chat_id: int, caption: str) -> None:
    """The bot sends a picture (a chart), uploaded as multipart form data."""
    photo = httpx.post(
        f"{web.base_url}{web.token}/sendPhoto",
        data={"chat_id": str(chat_id), "caption": caption},
        files={"photo": ("chart.png", png(), "image/png")},
    ).json()
    assert photo["ok"], photo


def test_a_chat_as_its_person_sees_it(web: FakeBotApi, client: httpx.Client) -> None:
    maija = web.driver.create_user("Maija", last_name="M", user_id=1002)
    maija.start()
    sent = bot_call(
        web,
        "sendMessage",
        chat_id=1002,
        text="<b>Hei</b> &amp; tervetuloa: /report <i>tai</i> https://t.me/x?start=abc",
        parse_mode="HTML",
        reply_markup={"inline_keyboard": [[{"text": "Kyllä", "callback_data": "y"}]]},
    )
    assert sent["ok"], sent
    bot_call(
        web,
        "setMyCommands",
        commands=[{"command": "report", "description": "Raportoi"}],
        scope={"type": "all_private_chats"},
    )
    world = client.get("/chat/api/world").json()
    assert [p["name"] for p in world["people"]] == ["Maija M"]
    assert world["people"][0]["bot_messages"] == 1 and world["error_count"] == 0
    chat = client.get("/chat/api/chat", params={"chat_id": 1002, "as": 1002}).json()
    bot = chat["messages"][-1]
    assert bot["from_bot"] and not bot["edited"]
    assert bot["html"].startswith("<b>Hei</b> &amp; tervetuloa: ")
    assert (
        'data-command="/report"' in bot["html"]
        and '<a href="https://t.me/x?start=abc"' in bot["html"]
    )
    assert bot["buttons"] == [[{"text": "Kyllä", "type": "callback", "url": ""}]]
    assert chat["commands"] == [{"command": "report", "description": "Raportoi"}]
    assert chat["can_write"]

    # the person presses the button: the bot gets the query, its answer is the tab's toast
    pressed = client.post(
        "/chat/api/press",
        json={"chat_id": 1002, "as": 1002, "message_id": bot["id"], "label": "Kyllä"},
    ).json()
    updates = bot_call(web, "getUpdates", timeout=0)["result"]
    query = updates[-1]["callback_query"]
    assert query["id"] == pressed["query_id"] and query["data"] == "y"
    bot_call(web, "answerCallbackQuery", callback_query_id=query["id"], text="Kiitos!")
    bot_call(web, "editMessageText", chat_id=1002, message_id=bot["id"], text="Vastattu")
    chat = client.get("/chat/api/chat", params={"chat_id": 1002, "as": 1002}).json()
    assert chat["answers"] == [{"id": query["id"], "text": "Kiitos!", "show_alert": False}]
    assert chat["messages"][-1]["html"] == "Vastattu" and chat["messages"][-1]["edited"]
    assert chat["messages"][-1]["buttons"] == []

    # the person writes: the bot gets the message
    client.post("/chat/api/send", json={"chat_id": 1002, "as": 1002, "text": "11,9"})
    updates = bot_call(web, "getUpdates", offset=query and updates[-1]["update_id"] + 1)
    assert updates["result"][-1]["message"]["text"] == "11,9"


def test_files_can_be_downloaded_and_pictures_shown(web: FakeBotApi, client: httpx.Client) -> None:
    web.driver.create_user("Maija", user_id=1002).start()
    files = {"document": ("taulukko 2026Q4.xlsx", b"PK\x03\x04table", "application/vnd.ms-excel")}
    document = httpx.post(
        f"{web.base_url}{web.token}/sendDocument", data={"chat_id": "1002"}, files=files
    ).json()
    assert document["ok"], document
    send_photo(web, 1002, "Kuva")
    chat = client.get("/chat/api/chat", params={"chat_id": 1002, "as": 1002}).json()
    doc, picture = chat["messages"][-2:]
    assert doc["kind"] == "document" and doc["file"]["name"] == "taulukko 2026Q4.xlsx"
    download = client.get(doc["file"]["download"])
    assert download.content == b"PK\x03\x04table"
    assert download.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''taulukko%202026Q4.xlsx"
    )
    assert picture["kind"] == "photo" and picture["html"] == "Kuva"
    shown = client.get(picture["file"]["url"])
    assert shown.headers["content-type"] == "image/png" and shown.content == png()
    assert client.get("/chat/file/1002/999/x").status_code == 404


def test_calls_telegram_would_reject_are_shown(web: FakeBotApi, client: httpx.Client) -> None:
    web.expect_invalid_calls()
    web.driver.create_user("Maija", user_id=1002).start()
    refused = bot_call(web, "sendMessage", chat_id=1002, text="<b>rikki", parse_mode="HTML")
    assert not refused["ok"]
    world = client.get("/chat/api/world").json()
    assert world["error_count"] == 1
    assert "can't parse entities" in world["errors"][0]["description"]
    chat = client.get("/chat/api/chat", params={"chat_id": 1002, "as": 1002}).json()
    assert [e["method"] for e in chat["errors"]] == ["sendMessage"]


def test_the_page_and_its_guards(web: FakeBotApi, client: httpx.Client) -> None:
    page = client.get("/", follow_redirects=True)
    assert page.status_code == 200 and '<script src="/chat/app.js">' in page.text
    for name, kind in (("app.js", "javascript"), ("style.css", "css")):
        assert kind in client.get(f"/chat/{name}").headers["content-type"]
    assert client.get("/chat/secret.txt").status_code == 404
    # a form on another web site cannot act: only JSON bodies are taken
    form = client.post("/chat/api/send", data={"chat_id": "1", "as": "1", "text": "x"})
    assert form.status_code == 415
    unknown = client.post("/chat/api/send", json={"chat_id": 5, "as": 5, "text": "x"})
    assert unknown.status_code == 400 and "no user 5" in unknown.json()["description"]
    assert client.post("/chat/api/director", json={"action": "next"}).status_code == 404


async def test_every_change_is_pushed_to_the_open_pages(web: FakeBotApi) -> None:
    maija = web.driver.create_user("Maija", user_id=1002)
    async with ClientSession() as session, session.ws_connect(f"{web.url}/chat/ws") as socket:
        first = await socket.receive(timeout=5)
        assert first.type == WSMsgType.TEXT
        seen = json.loads(first.data)["revision"]
        await asyncio.to_thread(maija.start)
        pushed = await socket.receive(timeout=5)
        assert json.loads(pushed.data)["revision"] > seen


@pytest.mark.parametrize(
    ("text", "entities", "shown"),
    [
        ("<script>", [], "&lt;script&gt;"),
        ("a😀b", [{"type": "bold", "offset": 1, "length": 2}], "a<b>😀</b>b"),
        (
            "abcdef",
            [
                {"type": "bold", "offset": 0, "length": 4},
                {"type": "italic", "offset": 2, "length": 4},
            ],
            "<b>ab<i>cd</i></b><i>ef</i>",
        ),
        (
            "klikkaa",
            [{"type": "text_link", "offset": 0, "length": 7, "url": "javascript:alert(1)"}],
            '<span class="tg-link">klikkaa</span>',
        ),
        ("x", [{"type": "bold", "offset": 5, "length": 1}], "x"),
        ("koodi /x", [{"type": "code", "offset": 0, "length": 8}], "<code>koodi /x</code>"),
    ],
)
def test_messages_are_shown_escaped_with_their_entities(
    text: str, entities: list[dict[str, Any]], shown: str
) -> None:
    assert to_html(text, entities) == shown


def test_a_world_saved_as_json_comes_back_whole(botapi_factory: Any) -> None:
    first: FakeBotApi = botapi_factory(web_chat=True)
    maija = first.driver.create_user("Maija", user_id=1002)
    maija.start()
    group = first.driver.create_group("Johtoryhmä", members=[maija])
    bot_call(
        first,
        "sendMessage",
        chat_id=1002,
        text="<b>Kysymys</b>",
        parse_mode="HTML",
        reply_markup={"inline_keyboard": [[{"text": "Kyllä", "callback_data": "y"}]]},
    )
    send_photo(first, group.id, "Kuva")
    bot_call(first, "setMyCommands", commands=[{"command": "help", "description": "Ohje"}])
    maija.send("/help")
    last_update = max(u.update_id for u in first.state.updates)
    saved = json.loads(json.dumps(first.state.world_json()))

    second: FakeBotApi = botapi_factory(web_chat=True)
    second.state.load_world(saved)
    for chat_id in (1002, group.id):
        before = [v.json for v in first.driver.transcript(chat_id)]
        assert [v.json for v in second.driver.transcript(chat_id)] == before
    assert second.driver.photos[0].data == png()
    assert second.driver.commands() == [{"command": "help", "description": "Ohje"}]
    # the restored world goes on: its buttons can be pressed, new ids do not collide
    second.driver.press_button(1002, "Kyllä", user=1002)
    assert [u.update_id for u in second.state.updates] == [last_update + 1]
    # a world kept before the update ids were: they go on past any it can have used
    del saved["counters"]["_update_ids"]
    third: FakeBotApi = botapi_factory(web_chat=True)
    third.state.load_world(saved)
    third.driver.press_button(1002, "Kyllä", user=1002)
    assert [u.update_id for u in third.state.updates] == [FIRST_UPDATE_ID + 1_000_000]
    newcomer = second.driver.create_user("Uusi")
    assert (
        newcomer.id not in (1002,)
        and second.driver.create_group("Toinen", members=[newcomer]).id != group.id
    )
