"""What the fake Bot API does for each method it implements."""

from __future__ import annotations

import copy
import mimetypes
import re
import struct
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any, TypeVar
from urllib.parse import urlparse

from .entities import EntityParseError, find_bot_commands, parse_html, strip_text, utf16_len
from .state import BotApiState, CallbackAnswer, ChatActionRecord, SentFile, StoredMessage
from .validation import (
    SEMANTIC,
    UNSUPPORTED,
    ApiError,
    UploadedFile,
    bad_request,
)

JsonDict = dict[str, Any]
Params = dict[str, Any]
Handler = Callable[[BotApiState, Params], Any]
F = TypeVar("F", bound=Handler)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
MAX_CALLBACK_DATA = 64
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
_INLINE_BUTTON_KINDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_BUTTON_STYLES = frozenset({"danger", "success", "primary"})

HANDLERS: dict[str, Handler] = {}


def method(name: str) -> Callable[[F], F]:
    def register(fn: F) -> F:
        HANDLERS[name.lower()] = fn
        return fn

    return register


def call(state: BotApiState, name: str, params: Params) -> Any:
    handler = HANDLERS.get(name.lower())
    if handler is None:
        raise ApiError(
            501,
            f"Not Implemented: {name} is not implemented by the fake Bot API server",
            category=UNSUPPORTED,
        )
    with state.lock:
        return handler(state, params)


# ---- text, entities, markup -------------------------------------------------------------


def format_text(
    state: BotApiState,
    text: str,
    parse_mode: str | None,
    entities: list[JsonDict] | None,
    *,
    limit: int,
    caption: bool,
) -> tuple[str, list[JsonDict]]:
    """Parse text as Telegram does and apply the length limit; (plain text, entities)."""
    mode = (parse_mode or "").lower()
    if text and mode and mode != "none":
        if mode == "html":
            try:
                plain, found = parse_html(text, strict=state.strict)
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        elif mode in ("markdown", "markdownv2"):
            plain, found = text, []
        else:
            raise bad_request("unsupported parse_mode")
    else:
        plain, found = text, [copy.deepcopy(e) for e in entities or []]
        total = utf16_len(plain)
        for entity in found:
            if (
                entity["offset"] < 0
                or entity["length"] <= 0
                or entity["offset"] + entity["length"] > total
            ):
                raise bad_request(
                    f"can't parse entities: entity {entity} is outside of the text "
                    f"of length {total}"
                )
    plain, found = strip_text(plain, found)
    if not plain:
        if caption:
            return "", []
        raise bad_request("message must be non-empty")
    if utf16_len(plain) > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")
    taken = [(e["offset"], e["offset"] + e["length"]) for e in found]
    for command in find_bot_commands(plain):
        start, end = command["offset"], command["offset"] + command["length"]
        if all(end <= a or start >= b for a, b in taken):
            found.append(command)
    found.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, found


def check_markup(markup: JsonDict | None, *, inline_only: bool = False) -> JsonDict | None:
    """Telegram's own checks of a reply markup beyond its JSON shape."""
    if markup is None:
        return None
    if "inline_keyboard" in markup:
        for row in markup["inline_keyboard"]:
            for button in row:
                _check_inline_button(button)
        return markup
    if inline_only:
        raise bad_request("can't parse reply keyboard markup: an InlineKeyboardMarkup is expected")
    if "keyboard" in markup:
        for row in markup["keyboard"]:
            for button in row:
                label = button if isinstance(button, str) else button.get("text", "")
                if not label:
                    raise bad_request("can't parse keyboard button: Text must be non-empty")
    return markup


def _check_inline_button(button: JsonDict) -> None:
    prefix = "can't parse inline keyboard button"
    if not button.get("text"):
        raise bad_request(f"{prefix}: Text must be non-empty")
    if "style" in button and button["style"] not in _BUTTON_STYLES:
        raise bad_request(f"{prefix}: invalid button style specified")
    kinds = [k for k in _INLINE_BUTTON_KINDS if k in button and button[k] != ""]
    if "callback_data" in button:
        size = len(button["callback_data"].encode("utf-8"))
        if size > MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    if not kinds:
        raise bad_request(f"{prefix}: Text buttons are unallowed in the inline keyboard")
    if len(kinds) > 1:
        raise bad_request(
            f"{prefix}: exactly one of the fields {', '.join(kinds)} must be used in a button"
        )
    if "url" in button:
        parsed = urlparse(button["url"])
        if parsed.scheme not in ("http", "https", "tg") or (
            parsed.scheme != "tg" and not parsed.netloc
        ):
            raise bad_request("BUTTON_URL_INVALID")


def _chat_id_param(params: Params) -> int | str:
    value = params["chat_id"]
    assert isinstance(value, int | str)
    return value


def _reply_target(state: BotApiState, chat_id: int, params: Params) -> StoredMessage | None:
    reply = params.get("reply_parameters")
    if not reply:
        return None
    chat = state.chats[chat_id]
    target_chat_id = reply.get("chat_id", chat_id)
    if target_chat_id not in (chat_id, str(chat_id)):
        return None
    message = chat.by_id.get(int(reply["message_id"]))
    if message is None or message.deleted:
        if reply.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found", category=SEMANTIC)
    return message


# ---- bot and updates --------------------------------------------------------------------


@method("getMe")
def get_me(state: BotApiState, params: Params) -> JsonDict:
    user = state.bot_user_json()
    user.update(
        {
            "can_join_groups": True,
            "can_read_all_group_messages": not state.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
    )
    return user


@method("logOut")
def log_out(state: BotApiState, params: Params) -> bool:
    return True


@method("close")
def close(state: BotApiState, params: Params) -> bool:
    return True


WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


@method("setWebhook")
def set_webhook(state: BotApiState, params: Params) -> bool:
    url = str(params["url"])
    if url:
        parts = urlparse(url)
        # Telegram posts to HTTPS only; this server also to plain HTTP on this machine (tests)
        local = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not local:
            raise ApiError(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
    secret = params.get("secret_token")
    if secret is not None and not WEBHOOK_SECRET.fullmatch(str(secret)):
        raise ApiError(400, "Bad Request: secret token contains unallowed characters")
    connections = params.get("max_connections")
    if connections is not None and not 1 <= int(connections) <= 100:
        raise ApiError(400, "Bad Request: max_connections must be between 1 and 100")
    with state.lock:
        state.webhook_url = url
        state.webhook_secret = "" if secret is None else str(secret)
        if connections is not None:
            state.webhook_max_connections = int(connections)
        if "allowed_updates" in params:
            state.allowed_updates = list(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            state.updates.clear()
    state.notify()  # the server starts posting what is pending
    return True


@method("deleteWebhook")
def delete_webhook(state: BotApiState, params: Params) -> bool:
    state.webhook_url = state.webhook_secret = ""
    if params.get("drop_pending_updates"):
        state.updates.clear()
    return True


@method("getWebhookInfo")
def get_webhook_info(state: BotApiState, params: Params) -> JsonDict:
    info: JsonDict = {
        "url": state.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }
    if state.webhook_url:
        info["max_connections"] = state.webhook_max_connections
    if state.webhook_last_error is not None:
        info["last_error_date"], info["last_error_message"] = state.webhook_last_error
    if state.allowed_updates:
        info["allowed_updates"] = list(state.allowed_updates)
    return info


def check_get_updates(state: BotApiState, params: Params) -> Params:
    """Validate getUpdates values; returns the effective limit/timeout."""
    update_fields = state.spec.type("Update")
    known = set(update_fields.fields) - {"update_id"} if update_fields else set()
    for kind in params.get("allowed_updates", []):
        if kind not in known:
            raise bad_request(f'unknown update type "{kind}" in allowed_updates')
    limit = params.get("limit", 100)
    timeout = params.get("timeout", 0)
    if timeout < 0:
        raise bad_request("timeout must be non-negative")
    return {"limit": min(max(limit, 1), 100), "timeout": min(timeout, 50)}


# ---- commands and bot texts -------------------------------------------------------------


def _scope_key(state: BotApiState, params: Params) -> str:
    scope = params.get("scope") or {"type": "default"}
    kind = scope["type"]
    parts = [kind]
    if "chat_id" in scope:
        chat = state.chat_for_read(scope["chat_id"])
        if kind in ("chat_administrators", "chat_member") and chat.type == "private":
            raise bad_request("can't use this scope in private chats")
        parts.append(str(chat.id))
    if "user_id" in scope:
        if scope["user_id"] not in state.users:
            raise bad_request("user not found", category=SEMANTIC)
        parts.append(str(scope["user_id"]))
    return ":".join(parts)


def _language(params: Params) -> str:
    language = params.get("language_code", "")
    if language and not _LANGUAGE_RE.match(language):
        raise bad_request("invalid language_code specified")
    return str(language)


@method("setMyCommands")
def set_my_commands(state: BotApiState, params: Params) -> bool:
    commands = params["commands"]
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    for command in commands:
        if not _COMMAND_RE.match(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"]) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = (_scope_key(state, params), _language(params))
    if commands:
        state.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
    else:
        state.commands.pop(key, None)
    return True


@method("getMyCommands")
def get_my_commands(state: BotApiState, params: Params) -> list[JsonDict]:
    key = (_scope_key(state, params), _language(params))
    return copy.deepcopy(state.commands.get(key, []))


@method("deleteMyCommands")
def delete_my_commands(state: BotApiState, params: Params) -> bool:
    state.commands.pop((_scope_key(state, params), _language(params)), None)
    return True


def _bot_text(kind: str, field: str, limit: int) -> tuple[Handler, Handler]:
    def setter(state: BotApiState, params: Params) -> bool:
        value = params.get(field, "")
        if len(value) > limit:
            raise bad_request(f"{field} is too long")
        key = (kind, _language(params))
        if value:
            state.bot_texts[key] = value
        else:
            state.bot_texts.pop(key, None)
        return True

    def getter(state: BotApiState, params: Params) -> JsonDict:
        language = _language(params)
        value = state.bot_texts.get((kind, language), state.bot_texts.get((kind, ""), ""))
        if kind == "name" and not value:
            value = state.bot_first_name
        return {field: value}

    return setter, getter


for _kind, _field, _limit, _set, _get in (
    ("name", "name", 64, "setMyName", "getMyName"),
    ("description", "description", 512, "setMyDescription", "getMyDescription"),
    (
        "short_description",
        "short_description",
        120,
        "setMyShortDescription",
        "getMyShortDescription",
    ),
):
    _setter, _getter = _bot_text(_kind, _field, _limit)
    method(_set)(_setter)
    method(_get)(_getter)


@method("setChatMenuButton")
def set_chat_menu_button(state: BotApiState, params: Params) -> bool:
    chat_id = params.get("chat_id", 0)
    if chat_id:
        state.chat_for_read(chat_id)
    state.menu_buttons[int(chat_id)] = params.get("menu_button") or {"type": "default"}
    return True


@method("getChatMenuButton")
def get_chat_menu_button(state: BotApiState, params: Params) -> JsonDict:
    chat_id = int(params.get("chat_id", 0))
    return copy.deepcopy(
        state.menu_buttons.get(chat_id, state.menu_buttons.get(0, {"type": "commands"}))
    )


# ---- sending ----------------------------------------------------------------------------


def _bot_message(state: BotApiState, chat_id: int, fields: dict[str, Any]) -> StoredMessage:
    chat = state.chats[chat_id]
    fields.setdefault("sender", state.bot_user_json())
    return state.add_message(chat, {"from_bot": True, **fields})


@method("sendMessage")
def send_message(state: BotApiState, params: Params) -> JsonDict:
    text, entities = format_text(
        state,
        params["text"],
        params.get("parse_mode"),
        params.get("entities"),
        limit=MAX_TEXT,
        caption=False,
    )
    markup = check_markup(params.get("reply_markup"))
    chat = state.chat_for_send(_chat_id_param(params))
    reply_to = _reply_target(state, chat.id, params)
    state.account_send(chat, "sendMessage")
    msg = _bot_message(
        state,
        chat.id,
        {
            "text": text,
            "entities": entities,
            "reply_markup": markup,
            "reply_to": reply_to,
            "source_text": params["text"],
            "parse_mode": params.get("parse_mode"),
        },
    )
    return msg.to_json()


def _file_ids(state: BotApiState, prefix: str) -> tuple[str, str]:
    n = state.next_id()
    return f"{prefix}AAxkBAAI{n:06d}fake", f"AgAD{n:06d}"


def _input_file(
    state: BotApiState, value: UploadedFile | str, kind: str, max_bytes: int
) -> tuple[str | None, str | None, bytes, str | None, SentFile | None]:
    """(filename, mime, data, url, earlier SentFile) for an InputFile-or-String parameter."""
    if isinstance(value, UploadedFile):
        if not value.data:
            raise bad_request("file must be non-empty")
        if len(value.data) > max_bytes:
            raise ApiError(413, "Request Entity Too Large")
        mime = value.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(value.filename or "")[0] or "application/octet-stream"
        return value.filename or None, mime, value.data, None, None
    if value in state.files:
        earlier = state.files[value]
        return earlier.filename, earlier.mime_type, earlier.data, earlier.url, earlier
    parsed = urlparse(value)
    if parsed.scheme in ("http", "https") and parsed.netloc:
        name = PurePosixPath(parsed.path).name or None
        return name, mimetypes.guess_type(name or "")[0], b"", value, None
    raise bad_request("wrong file identifier/HTTP URL specified")


def _image_size(data: bytes) -> tuple[int, int] | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
        return 800, 600
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return 512, 512
    if data[:2] == b"BM" and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return int(width), abs(int(height))
    return None


def _caption(state: BotApiState, params: Params) -> tuple[str | None, list[JsonDict]]:
    raw = params.get("caption")
    if raw is None or raw == "":
        return None, []
    text, entities = format_text(
        state,
        raw,
        params.get("parse_mode"),
        params.get("caption_entities"),
        limit=MAX_CAPTION,
        caption=True,
    )
    return (text or None), entities


def _send_file(state: BotApiState, params: Params, kind: str) -> JsonDict:
    method_name = "sendDocument" if kind == "document" else "sendPhoto"
    max_bytes = MAX_DOCUMENT_BYTES if kind == "document" else MAX_PHOTO_BYTES
    caption, caption_entities = _caption(state, params)
    markup = check_markup(params.get("reply_markup"))
    filename, mime, data, url, earlier = _input_file(state, params[kind], kind, max_bytes)
    size = _image_size(data) if kind == "photo" and data else (800, 600)
    if kind == "photo" and size is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    chat = state.chat_for_send(_chat_id_param(params))
    reply_to = _reply_target(state, chat.id, params)
    state.account_send(chat, method_name)
    if earlier is not None:
        file_id, unique_id = earlier.file_id, earlier.file_unique_id
    else:
        file_id, unique_id = _file_ids(state, "BQACAgQA" if kind == "document" else "AgACAgQA")
    fields: dict[str, Any] = {
        "caption": caption,
        "caption_entities": caption_entities,
        "reply_markup": markup,
        "reply_to": reply_to,
        "source_text": params.get("caption"),
        "parse_mode": params.get("parse_mode"),
    }
    if kind == "document":
        document: JsonDict = {"file_id": file_id, "file_unique_id": unique_id}
        if filename:
            document["file_name"] = filename
        if mime:
            document["mime_type"] = mime
        if data:
            document["file_size"] = len(data)
        fields["document"] = document
    else:
        assert size is not None
        width, height = size
        scale = min(1.0, 90 / max(width, height, 1))
        fields["photo"] = [
            {
                "file_id": file_id + "_s",
                "file_unique_id": unique_id + "s",
                "file_size": max(len(data) // 20, 1),
                "width": max(int(width * scale), 1),
                "height": max(int(height * scale), 1),
            },
            {
                "file_id": file_id,
                "file_unique_id": unique_id,
                "file_size": len(data),
                "width": width,
                "height": height,
            },
        ]
    msg = _bot_message(state, chat.id, fields)
    sent = SentFile(
        chat_id=chat.id,
        message_id=msg.message_id,
        kind=kind,
        file_id=file_id,
        file_unique_id=unique_id,
        filename=filename,
        mime_type=mime,
        data=data,
        caption=caption,
        url=url,
    )
    msg.file = sent
    state.files[file_id] = sent
    return msg.to_json()


@method("sendDocument")
def send_document(state: BotApiState, params: Params) -> JsonDict:
    return _send_file(state, params, "document")


@method("sendPhoto")
def send_photo(state: BotApiState, params: Params) -> JsonDict:
    return _send_file(state, params, "photo")


@method("getFile")
def get_file(state: BotApiState, params: Params) -> JsonDict:
    sent = state.files.get(params["file_id"])
    if sent is None:
        raise bad_request("invalid file_id")
    suffix = PurePosixPath(sent.filename or "").suffix or (".jpg" if sent.kind == "photo" else "")
    folder = "documents" if sent.kind == "document" else "photos"
    return {
        "file_id": sent.file_id,
        "file_unique_id": sent.file_unique_id,
        "file_size": sent.size,
        "file_path": f"{folder}/file_{sent.file_unique_id}{suffix}",
    }


@method("sendChatAction")
def send_chat_action(state: BotApiState, params: Params) -> bool:
    action = params["action"]
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat = state.chat_for_send(_chat_id_param(params))
    state.chat_actions.append(ChatActionRecord(chat.id, action, state.now()))
    return True


# ---- editing ----------------------------------------------------------------------------


def _message_to_edit(state: BotApiState, params: Params) -> StoredMessage:
    if "inline_message_id" in params:
        raise ApiError(
            501,
            "Not Implemented: inline messages are not implemented by the fake Bot API server",
            category=UNSUPPORTED,
        )
    if "chat_id" not in params:
        raise bad_request("chat_id is empty")
    if "message_id" not in params:
        raise bad_request("message identifier is not specified")
    chat = state.chat_for_send(params["chat_id"])
    msg = chat.by_id.get(params["message_id"])
    if msg is None or msg.deleted:
        raise bad_request("message to edit not found", category=SEMANTIC)
    if not msg.from_bot:
        raise bad_request("message can't be edited")
    return msg


def _not_modified() -> ApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message",
        category=SEMANTIC,
    )


def _finish_edit(state: BotApiState, msg: StoredMessage) -> JsonDict:
    msg.edit_date = state.date()
    msg.version += 1
    state.notify()
    return msg.to_json()


@method("editMessageText")
def edit_message_text(state: BotApiState, params: Params) -> JsonDict | bool:
    text, entities = format_text(
        state,
        params["text"],
        params.get("parse_mode"),
        params.get("entities"),
        limit=MAX_TEXT,
        caption=False,
    )
    markup = check_markup(params.get("reply_markup"), inline_only=True)
    msg = _message_to_edit(state, params)
    if msg.text is None:
        raise bad_request("there is no text in the message to edit")
    if msg.text == text and msg.entities == entities and msg.reply_markup == markup:
        raise _not_modified()
    msg.text, msg.entities, msg.reply_markup = text, entities, markup
    msg.source_text, msg.parse_mode = params["text"], params.get("parse_mode")
    return _finish_edit(state, msg)


@method("editMessageCaption")
def edit_message_caption(state: BotApiState, params: Params) -> JsonDict | bool:
    caption, entities = _caption(state, params)
    markup = check_markup(params.get("reply_markup"), inline_only=True)
    msg = _message_to_edit(state, params)
    if msg.text is not None or msg.service:
        raise bad_request("there is no caption in the message to edit")
    if msg.caption == caption and msg.caption_entities == entities and msg.reply_markup == markup:
        raise _not_modified()
    msg.caption, msg.caption_entities, msg.reply_markup = caption, entities, markup
    msg.source_text, msg.parse_mode = params.get("caption"), params.get("parse_mode")
    return _finish_edit(state, msg)


@method("editMessageReplyMarkup")
def edit_message_reply_markup(state: BotApiState, params: Params) -> JsonDict | bool:
    markup = check_markup(params.get("reply_markup"), inline_only=True)
    msg = _message_to_edit(state, params)
    if msg.reply_markup == markup:
        raise _not_modified()
    msg.reply_markup = markup
    return _finish_edit(state, msg)


@method("deleteMessage")
def delete_message(state: BotApiState, params: Params) -> bool:
    chat = state.chat_for_read(params["chat_id"])
    msg = chat.by_id.get(params["message_id"])
    if msg is None or msg.deleted:
        raise bad_request("message to delete not found", category=SEMANTIC)
    if (
        not msg.from_bot
        and chat.type != "private"
        and chat.bot_status not in ("administrator", "creator")
    ):
        raise bad_request("message can't be deleted")
    if msg.service and chat.type == "private":
        raise bad_request("message can't be deleted")
    msg.deleted = True
    msg.version += 1
    state.notify()
    return True


# ---- callback queries -------------------------------------------------------------------


@method("answerCallbackQuery")
def answer_callback_query(state: BotApiState, params: Params) -> bool:
    text = params.get("text")
    if text is not None and utf16_len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    too_old = "query is too old and response timeout expired or query ID is invalid"
    query = state.callback_queries.get(params["callback_query_id"])
    if query is None or query.answered:
        raise bad_request(too_old)
    if state.now() - query.created > state.callback_query_ttl:
        raise bad_request(too_old, category=SEMANTIC)
    query.answered = True
    state.callback_answers.append(
        CallbackAnswer(
            callback_query_id=query.id,
            text=text,
            show_alert=bool(params.get("show_alert", False)),
            url=params.get("url"),
            cache_time=int(params.get("cache_time", 0)),
            time=state.now(),
        )
    )
    state.notify()
    return True


# ---- chats ------------------------------------------------------------------------------


@method("getChat")
def get_chat(state: BotApiState, params: Params) -> JsonDict:
    chat = state.chat_for_read(params["chat_id"])
    info = chat.to_json()
    info.update(
        {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }
    )
    return info


def _member(state: BotApiState, chat_id: int, user_id: int) -> JsonDict:
    chat = state.chat_for_read(chat_id)
    if user_id == state.bot_id:
        return state._member_json(chat.bot_status if chat.type != "private" else "member")
    user = state.users.get(user_id)
    if user is None:
        raise bad_request("user not found", category=SEMANTIC)
    if chat.type == "private":
        status = "member" if chat.id == user_id else "left"
    else:
        status = chat.members.get(user_id, "left")
    return state._member_json(status, user.to_json())


@method("getChatMember")
def get_chat_member(state: BotApiState, params: Params) -> JsonDict:
    return _member(state, params["chat_id"], params["user_id"])


@method("getChatAdministrators")
def get_chat_administrators(state: BotApiState, params: Params) -> list[JsonDict]:
    chat = state.chat_for_read(params["chat_id"])
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    result = [
        _member(state, chat.id, uid)
        for uid, status in chat.members.items()
        if status in ("creator", "administrator")
    ]
    if chat.bot_status == "administrator":
        result.append(_member(state, chat.id, state.bot_id))
    return result


@method("getChatMemberCount")
def get_chat_member_count(state: BotApiState, params: Params) -> int:
    chat = state.chat_for_read(params["chat_id"])
    if chat.type == "private":
        return 2
    humans = sum(1 for s in chat.members.values() if s not in ("left", "kicked"))
    return humans + (1 if chat.bot_is_member else 0)


@method("leaveChat")
def leave_chat(state: BotApiState, params: Params) -> bool:
    chat = state.chat_for_read(params["chat_id"])
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    if not chat.bot_is_member:
        kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
        raise ApiError(403, f"Forbidden: bot is not a member of the {kind}", category=SEMANTIC)
    old = chat.bot_status
    chat.bot_status = "left"
    state.push_update(
        "my_chat_member",
        {
            "chat": chat.to_json(),
            "from": state.bot_user_json(),
            "date": state.date(),
            "old_chat_member": state._member_json(old),
            "new_chat_member": state._member_json("left"),
        },
    )
    return True
