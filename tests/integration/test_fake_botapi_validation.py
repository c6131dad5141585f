"""The fake Bot API rejects what Telegram rejects (raw calls PTB would never make)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from goalbot.emulator.entities import EntityParseError, find_bot_commands, parse_html
from goalbot.emulator.spec import load_spec
from goalbot.emulator.validation import RequestValidator
from tests.fakes.botapi import FakeBotApi

pytest_plugins = ["tests.fakes.fixtures"]


@pytest.fixture
def api(botapi: FakeBotApi) -> FakeBotApi:
    botapi.expect_invalid_calls()
    return botapi


@pytest.fixture
def chat_id(api: FakeBotApi) -> int:
    user = api.driver.create_user("Maija")
    user.start()
    return user.id


def call(api: FakeBotApi, method: str, *, form: bool = False, **params: Any) -> httpx.Response:
    url = f"{api.base_url}{api.token}/{method}"
    if form:
        data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        return httpx.post(url, data=data, timeout=5)
    return httpx.post(url, json=params, timeout=5)


def description(response: httpx.Response) -> str:
    body = response.json()
    assert body["ok"] is False
    assert body["error_code"] == response.status_code
    return str(body["description"])


# ---- HTML -------------------------------------------------------------------------------


GOOD_HTML = [
    ("<b>bold <i>italic <u>under</u></i></b>", "bold italic under"),
    ('<a href="https://kokemaki.fi/?a=1&amp;b=2">linkki</a>', "linkki"),
    ('<pre><code class="language-python">x = 1 &lt; 2</code></pre>', "x = 1 < 2"),
    ('<span class="tg-spoiler">salainen</span> <tg-spoiler>s</tg-spoiler>', "salainen s"),
    ("<blockquote expandable>lainaus</blockquote>", "lainaus"),
    ("<s>a</s><strike>b</strike><del>c</del><ins>d</ins><em>e</em><strong>f</strong>", "abcdef"),
    ("&lt;tag&gt; &amp; &quot;lainaus&quot; &#228;&#x00e4;", '<tag> & "lainaus" ää'),
    ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
    ('<tg-time unix="1780000000" format="wDT">huomenna</tg-time>', "huomenna"),
    ("<B>ISOT</B>", "ISOT"),
]


@pytest.mark.parametrize(("html", "text"), GOOD_HTML)
def test_html_telegram_accepts(api: FakeBotApi, chat_id: int, html: str, text: str) -> None:
    response = call(api, "sendMessage", chat_id=chat_id, text=html, parse_mode="HTML")
    assert response.status_code == 200, response.text
    assert response.json()["result"]["text"] == text


BAD_HTML = [
    ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
    ("ok <b>kesken", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("ääkkö <br> rivi", 'Unsupported start tag "br" at byte offset 9'),
    ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
    ("x <5", "Unclosed start tag at byte offset 2"),
    ("R&D", 'Character "&" at byte offset 1 must be escaped'),
    ("&nbsp;", 'Character "&" at byte offset 0 must be escaped'),
    ("1 > 0", 'Character ">" at byte offset 2 must be escaped'),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ("<a href=https://x.y/>x</a>", "Unexpected end of name token at byte offset 8"),
]


@pytest.mark.parametrize(("html", "error"), BAD_HTML)
def test_html_telegram_rejects(api: FakeBotApi, chat_id: int, html: str, error: str) -> None:
    response = call(api, "sendMessage", chat_id=chat_id, text=html, parse_mode="HTML")
    assert response.status_code == 400
    assert description(response).startswith(f"Bad Request: can't parse entities: {error}")
    assert api.driver.errors[-1].description == description(response)
    assert api.driver.transcript(chat_id)[-1].from_bot is False


def test_lenient_server_lets_through_what_telegram_lets_through(
    botapi_factory: Callable[..., FakeBotApi],
) -> None:
    api = botapi_factory(strict=False)
    user = api.driver.create_user("Maija")
    user.start()
    response = call(api, "sendMessage", chat_id=user.id, text="R&D &nbsp; 1 > 0", parse_mode="HTML")
    assert response.json()["result"]["text"] == "R&D &nbsp; 1 > 0"


def test_text_length_counts_utf16_after_entity_parsing(api: FakeBotApi, chat_id: int) -> None:
    assert call(api, "sendMessage", chat_id=chat_id, text="x" * 4096).status_code == 200
    too_long = call(api, "sendMessage", chat_id=chat_id, text="x" * 4097)
    assert description(too_long) == "Bad Request: message is too long"
    tags = "<b>" + "x" * 4096 + "</b>"
    assert (
        call(api, "sendMessage", chat_id=chat_id, text=tags, parse_mode="HTML").status_code == 200
    )
    escaped = "&lt;" * 4096
    assert (
        call(api, "sendMessage", chat_id=chat_id, text=escaped, parse_mode="HTML").status_code
        == 200
    )
    assert call(api, "sendMessage", chat_id=chat_id, text="😀" * 2048).status_code == 200
    emoji = call(api, "sendMessage", chat_id=chat_id, text="😀" * 2049)
    assert description(emoji) == "Bad Request: message is too long"
    assert len(api.driver.errors) == 2


def test_empty_texts(api: FakeBotApi, chat_id: int) -> None:
    assert description(call(api, "sendMessage", chat_id=chat_id, text="")) == (
        "Bad Request: message text is empty"
    )
    assert description(call(api, "sendMessage", chat_id=chat_id)) == (
        "Bad Request: message text is empty"
    )
    assert description(call(api, "sendMessage", chat_id=chat_id, text=" \n ")) == (
        "Bad Request: message must be non-empty"
    )
    empty_html = call(api, "sendMessage", chat_id=chat_id, text="<b> </b>", parse_mode="HTML")
    assert description(empty_html) == "Bad Request: message must be non-empty"


def test_unsupported_parse_mode(api: FakeBotApi, chat_id: int) -> None:
    response = call(api, "sendMessage", chat_id=chat_id, text="x", parse_mode="Textile")
    assert description(response) == "Bad Request: unsupported parse_mode"


# ---- parameters -------------------------------------------------------------------------


def test_unknown_missing_and_mistyped_parameters(api: FakeBotApi, chat_id: int) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        (
            "sendMessage",
            {"chat_id": chat_id, "text": "x", "parse_mod": "HTML"},
            "unknown parameter",
        ),
        ("sendMessage", {"text": "x"}, "Bad Request: chat_id is empty"),
        (
            "sendMessage",
            {"chat_id": chat_id, "text": "x", "disable_notification": "maybe"},
            "Boolean",
        ),
        ("sendMessage", {"chat_id": [chat_id], "text": "x"}, "Integer"),
        ("editMessageText", {"chat_id": chat_id, "message_id": "abc", "text": "x"}, "Integer"),
        ("getUpdates", {"timeout": 1.5}, "Integer"),
        ("getUpdates", {"allowed_updates": ["messages"]}, 'unknown update type "messages"'),
        ("sendChatAction", {"chat_id": chat_id, "action": "dancing"}, "wrong parameter action"),
        ("answerCallbackQuery", {}, "query is too old"),
        (
            "setMyCommands",
            {"commands": [{"command": "Raportti", "description": "x"}]},
            "BOT_COMMAND_INVALID",
        ),
        (
            "setMyCommands",
            {"commands": [{"command": "raportti"}]},
            'Can\'t find field "description"',
        ),
    ]
    for method, params, expected in cases:
        response = call(api, method, **params)
        assert response.status_code == 400, (method, params)
        assert expected in description(response), (method, params, description(response))
    assert len(api.driver.errors) == len(cases)
    assert api.driver.transcript(chat_id)[-1].from_bot is False


def test_form_encoded_values_are_converted_like_telegram_does(
    api: FakeBotApi, chat_id: int
) -> None:
    response = call(
        api,
        "sendMessage",
        form=True,
        chat_id=str(chat_id),
        text="x",
        disable_notification="true",
        reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    )
    assert response.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
    assert api.driver.errors == []


MARKUP_CASES: list[tuple[Any, str]] = [
    ("{not json", "Bad Request: can't parse reply keyboard markup JSON object"),
    ({"inline_keyboard": "x"}, 'Field "inline_keyboard" must be of type Array'),
    (
        {"inline_keyboard": [[{"callback_data": "a"}]]},
        "can't parse inline keyboard button: Can't find field \"text\"",
    ),
    ({"inline_keyboard": [[{"text": "A"}]]}, "Text buttons are unallowed in the inline keyboard"),
    ({"inline_keyboard": [[{"text": "A", "callback_data": ""}]]}, "Text buttons are unallowed"),
    (
        {"inline_keyboard": [[{"text": "A", "callback_data": 5}]]},
        'Field "callback_data" must be of type String',
    ),
    (
        {"inline_keyboard": [[{"text": "A", "callback_data": "a", "colour": "red"}]]},
        'Unknown field "colour"',
    ),
    (
        {"inline_keyboard": [[{"text": "A", "callback_data": "a", "style": "red"}]]},
        "invalid button style",
    ),
    (
        {"inline_keyboard": [[{"text": "A", "callback_data": "a", "url": "https://x.fi"}]]},
        "exactly one",
    ),
    ({"inline_keyboard": [[{"text": "A", "url": "javascript:alert(1)"}]]}, "BUTTON_URL_INVALID"),
    (
        {"inline_keyboard": [[{"text": "A", "callback_data": "ä" * 33}]]},
        "Bad Request: BUTTON_DATA_INVALID",
    ),
    (
        {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]},
        "Bad Request: BUTTON_DATA_INVALID",
    ),
]


@pytest.mark.parametrize(("markup", "error"), MARKUP_CASES)
def test_reply_markup_is_checked_recursively(
    api: FakeBotApi, chat_id: int, markup: Any, error: str
) -> None:
    payload = markup if isinstance(markup, str) else json.dumps(markup)
    response = call(api, "sendMessage", chat_id=chat_id, text="x", reply_markup=payload)
    assert response.status_code == 400
    assert error in description(response)
    assert len(api.driver.errors) == 1


def test_callback_data_of_exactly_64_bytes_is_fine(api: FakeBotApi, chat_id: int) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "ä" * 32}]]}
    assert (
        call(api, "sendMessage", chat_id=chat_id, text="x", reply_markup=markup).status_code == 200
    )
    reply = {"keyboard": [[{"text": "Kyllä"}, {"text": "Ei"}]], "resize_keyboard": True}
    sent = call(api, "sendMessage", chat_id=chat_id, text="x", reply_markup=reply).json()["result"]
    assert "reply_markup" not in sent
    assert api.driver.errors == []


def test_entities_instead_of_parse_mode(api: FakeBotApi, chat_id: int) -> None:
    good = [{"type": "bold", "offset": 0, "length": 2}]
    sent = call(api, "sendMessage", chat_id=chat_id, text="Q2 ok", entities=good).json()["result"]
    assert sent["entities"] == good
    outside = [{"type": "bold", "offset": 3, "length": 9}]
    response = call(api, "sendMessage", chat_id=chat_id, text="Q2 ok", entities=outside)
    assert "outside of the text" in description(response)
    untyped = [{"type": "bold", "offset": "zero", "length": 2}]
    response = call(api, "sendMessage", chat_id=chat_id, text="Q2 ok", entities=untyped)
    assert description(response).startswith("Bad Request: can't parse MessageEntity")


def test_multipart_parts_must_be_used(api: FakeBotApi, chat_id: int) -> None:
    url = f"{api.base_url}{api.token}/sendDocument"
    files = {"document": ("a.txt", b"abc", "text/plain"), "stray": ("b.txt", b"x", "text/plain")}
    response = httpx.post(url, data={"chat_id": str(chat_id)}, files=files)
    assert "unknown parameter" in description(response)
    attach = httpx.post(
        url,
        data={"chat_id": str(chat_id), "document": "attach://part1"},
        files={"part1": ("a.txt", b"abc", "text/plain")},
    )
    assert attach.json()["result"]["document"]["file_name"] == "a.txt"
    assert description(httpx.post(url, data={"chat_id": str(chat_id)})) == (
        "Bad Request: there is no document in the request"
    )


# ---- the parsers on their own -----------------------------------------------------------


def test_html_parser_entities_and_offsets() -> None:
    text, entities = parse_html("😀 <b>Hei <i>sinä</i></b>")
    assert text == "😀 Hei sinä"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 8},
        {"type": "italic", "offset": 7, "length": 4},
    ]
    with pytest.raises(EntityParseError, match="byte offset 5"):
        parse_html("😀 <x>")


def test_bot_command_detection_matches_telegram() -> None:
    def commands(text: str) -> list[str]:
        return [text[e["offset"] : e["offset"] + e["length"]] for e in find_bot_commands(text)]

    assert commands("/start") == ["/start"]
    assert commands("/start@goalbot_test_bot x") == ["/start@goalbot_test_bot"]
    assert commands("a/b and /x/y and /ok.") == ["/ok"]
    assert commands("/a@bo") == []
    assert commands("path /usr/bin") == []


def test_answers_are_checked_against_the_spec() -> None:
    validator = RequestValidator(load_spec())
    good = {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}}
    assert validator.check_result(good, ("Message",)) == []
    assert validator.check_result({"message_id": 1, "chat": good["chat"]}, ("Message",))
    assert validator.check_result({**good, "text": 5}, ("Message",))
    assert validator.check_result({**good, "surprise": True}, ("Message",))
    assert validator.check_result(True, ("Message", "Boolean")) == []
