"""A web chat on the emulator: a Telegram-like page for playing the people of its world.

The page (``web/``: plain HTML, JavaScript and CSS, nothing to build) lists the people and
groups, shows a chat as a Telegram app does (formatting, inline keyboards, edits, toasts from
button answers, documents and pictures, the bot's command menu) and lets its user write and
press buttons as any of them. Several tabs can play several people at once. Every change of
the world is pushed to the open pages over a WebSocket; the page then reads what it shows.
Calls the bot made that Telegram would reject are shown on the page.

What runs a bot in the emulator (goalbot's sandbox) may add a :class:`Director`: it names the
people, and adds sections with texts and actions (a clock, a reset) to the page.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from aiohttp import WSMsgType, web

from .entities import to_html
from .state import BotApiState, Chat, MessageView, User

if TYPE_CHECKING:
    from .server import FakeBotApi

JsonDict = dict[str, Any]
WEB = Path(__file__).resolve().parent / "web"
STATIC = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "style.css": "text/css",
}
PUSH_INTERVAL = 0.05
ERRORS_SHOWN = 50


class Director(Protocol):
    """What runs a bot in the emulator and tells the page about it.

    Both methods are called in worker threads, possibly at the same time.
    """

    def panel(self, language: str = "") -> JsonDict:
        """What the page shows besides the chats, in ``language`` (the page's ``?lang=``;
        empty: the director's own).

        ``title``; ``intro`` (paragraphs for a first-time user); ``people`` (user id as text
        -> ``label`` and ``detail``); ``order`` (user ids, the list's order); ``timezone``
        (for the times of messages); ``sections``: each a ``title``, ``lines`` (``text`` and a
        ``state`` for its look) and ``actions`` (``id``, ``label``, optional ``hint``,
        ``input`` "date" with a ``value``, ``confirm`` text, ``primary``); ``notice``
        (``text``, ``level`` "info" or "error"); ``texts``: the page's own words in that
        language (key -> text, with ``{n}``, ``{by}``, ``{names}`` to fill in), ``language``.
        """
        ...

    def act(self, action: str, value: str, language: str = "") -> JsonDict:
        """Do one of the panel's actions; the answer may hold a ``notice`` (in ``language``)."""
        ...


class WebChat:
    """The page's routes on the emulator's aiohttp application."""

    def __init__(self, api: FakeBotApi, director: Director | None = None) -> None:
        self.api = api
        self.director = director
        self.busy: str | None = None
        self._busy_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed = asyncio.Event()

    @property
    def state(self) -> BotApiState:
        return self.api.state

    # ---- wiring -------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._index)
        app.router.add_get("/chat/ws", self._socket)
        app.router.add_get("/chat/api/world", self._world)
        app.router.add_get("/chat/api/chat", self._chat)
        app.router.add_post("/chat/api/send", self._send)
        app.router.add_post("/chat/api/press", self._press)
        app.router.add_post("/chat/api/director", self._act)
        app.router.add_get("/chat/file/{chat_id}/{message_id}/{name}", self._file)
        app.router.add_get("/chat/{name}", self._static)

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start pushing changes of the world (called on the server's loop)."""
        self._loop = loop
        self._changed = asyncio.Event()

    def changed(self) -> None:
        """A listener of the world: wake every open page (any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._changed.set)

    # ---- the page -----------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/chat/index.html")

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        return web.Response(
            body=(WEB / name).read_bytes(),
            content_type=STATIC[name],
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse(heartbeat=20)
        await socket.prepare(request)
        pusher = asyncio.create_task(self._push(socket))
        try:
            async for message in socket:
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pusher
        return socket

    async def _push(self, socket: web.WebSocketResponse) -> None:
        sent = -1
        while not socket.closed:
            revision = self.state.revision
            if revision != sent:
                with contextlib.suppress(ConnectionResetError):
                    await socket.send_json({"revision": revision})
                sent = revision
                await asyncio.sleep(PUSH_INTERVAL)
                continue
            self._changed.clear()
            if self.state.revision == sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 15)

    # ---- reading ------------------------------------------------------------------------

    async def _world(self, request: web.Request) -> web.StreamResponse:
        language = request.query.get("lang", "")
        director = self.director
        panel = await asyncio.to_thread(director.panel, language) if director else {}
        return _json(world_json(self.state, panel, self.busy))

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            chat_id = int(request.query["chat_id"])
            as_user = int(request.query["as"])
        except (KeyError, ValueError):
            return _problem(400, "chat_id and as must be numbers")
        snapshot = chat_json(self.state, chat_id, as_user)
        if snapshot is None:
            return _problem(404, "no such chat")
        return _json(snapshot)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        try:
            chat_id = int(request.match_info["chat_id"])
            message_id = int(request.match_info["message_id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        view = self.state.message_view(chat_id, message_id)
        if view is None or view.file is None:
            raise web.HTTPNotFound()
        sent = view.file
        name = sent.filename or ("kuva.png" if sent.kind == "photo" else "tiedosto")
        disposition = "attachment" if "download" in request.query else "inline"
        return web.Response(
            body=sent.data,
            content_type=sent.mime_type or _guess_mime(sent.kind),
            headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}"},
        )

    # ---- acting -------------------------------------------------------------------------

    async def _send(self, request: web.Request) -> web.StreamResponse:
        data = await _body(request)
        if isinstance(data, web.Response):
            return data
        text = str(data.get("text") or "").strip()
        if not text:
            return _problem(400, "empty message")
        try:
            chat_id, user_id = int(data["chat_id"]), int(data["as"])
            view = await asyncio.to_thread(self.api.driver.send_text, chat_id, user_id, text)
        except (KeyError, ValueError, LookupError) as exc:
            return _problem(400, str(exc))
        return _json({"ok": True, "message_id": view.message_id})

    async def _press(self, request: web.Request) -> web.StreamResponse:
        data = await _body(request)
        if isinstance(data, web.Response):
            return data
        try:
            chat_id, user_id = int(data["chat_id"]), int(data["as"])
            query_id = await asyncio.to_thread(
                self.api.driver.press_button,
                chat_id,
                str(data["label"]),
                message_id=int(data["message_id"]),
                user=user_id,
            )
        except (KeyError, ValueError, LookupError) as exc:
            return _problem(400, str(exc))
        return _json({"ok": True, "query_id": query_id})

    async def _act(self, request: web.Request) -> web.StreamResponse:
        data = await _body(request)
        if isinstance(data, web.Response):
            return data
        director = self.director
        if director is None:
            return _problem(404, "nothing to act on")
        action, value = str(data.get("action") or ""), str(data.get("value") or "")
        with self._busy_lock:
            if self.busy is not None:
                return _problem(409, "busy")
            self.busy = str(data.get("label") or action)
        self.state.notify()
        try:
            language = str(data.get("language") or "")
            answer = await asyncio.to_thread(director.act, action, value, language)
        finally:
            with self._busy_lock:
                self.busy = None
            self.state.notify()
        return _json({"ok": True, **answer})


# ---- snapshots ------------------------------------------------------------------------


def world_json(state: BotApiState, panel: JsonDict, busy: str | None = None) -> JsonDict:
    """People, groups, the bot's errors and the director's panel, for the page."""
    labels: dict[str, JsonDict] = panel.get("people") or {}
    order: list[int] = [int(i) for i in panel.get("order") or []]
    with state.lock:
        users = [u for u in state.users.values() if not u.is_bot]
        rank = {user_id: n for n, user_id in enumerate(order)}
        users.sort(key=lambda u: (rank.get(u.id, len(rank)), u.id))
        people = []
        for user in users:
            chat = state.chats.get(user.id)
            label = labels.get(str(user.id)) or {}
            people.append(
                {
                    "id": user.id,
                    "name": full_name(user),
                    "label": str(label.get("label") or ""),
                    "detail": str(label.get("detail") or ""),
                    "language": user.language_code or "",
                    "bot_messages": _bot_count(chat),
                }
            )
        groups = [
            {
                "id": chat.id,
                "title": chat.title or "",
                "type": chat.type,
                "members": [
                    {"id": uid, "name": full_name(state.users[uid])}
                    for uid, status in chat.members.items()
                    if status not in ("left", "kicked") and uid in state.users
                ],
                "bot_messages": _bot_count(chat),
            }
            for chat in state.chats.values()
            if chat.type != "private" and chat.migrated_to is None
        ]
        errors = error_list(state)
        return {
            "revision": state.revision,
            "bot": {"username": state.bot_username, "name": state.bot_first_name},
            "people": people,
            "groups": groups,
            "errors": errors[-ERRORS_SHOWN:],
            "error_count": len(errors),
            "busy": busy,
            "panel": {k: v for k, v in panel.items() if k not in ("people", "order")},
        }


def chat_json(state: BotApiState, chat_id: int, as_user: int) -> JsonDict | None:
    """One chat as ``as_user`` sees it: messages, buttons, the command menu, toasts."""
    with state.lock:
        chat = state.chats.get(chat_id)
        if chat is None and chat_id == as_user and as_user in state.users:
            # a person who has not written to the bot yet: an empty chat
            chat = Chat(id=as_user, type="private", user=state.users[as_user])
        if chat is None:
            return None
        user = state.users.get(as_user)
        messages = [message_json(v) for v in state.transcript(chat.id)]
        queries = {q.id for q in state.callback_queries.values() if q.user_id == as_user}
        answers = [
            {"id": a.callback_query_id, "text": a.text or "", "show_alert": a.show_alert}
            for a in state.callback_answers
            if a.callback_query_id in queries
        ]
        member = chat.type == "private" or chat.members.get(as_user) in (
            "creator",
            "administrator",
            "member",
        )
        return {
            "revision": state.revision,
            "chat": {
                "id": chat.id,
                "type": chat.type,
                "title": chat.title if chat.type != "private" else full_name(chat.user),
            },
            "as": as_user,
            "as_name": full_name(user) if user else "",
            "can_write": bool(user) and member and chat.migrated_to is None,
            "messages": messages,
            "commands": menu_commands(state, chat, user),
            "answers": answers[-50:],
            "errors": [e for e in error_list(state) if e["chat_id"] == chat.id][-ERRORS_SHOWN:],
        }


def message_json(view: MessageView) -> JsonDict:
    """One message for the page: its text as safe HTML, its buttons, its file."""
    data: JsonDict = {
        "id": view.message_id,
        "from_bot": view.from_bot,
        "sender": {"id": view.sender_id, "name": _sender_name(view.json)},
        "date": view.date,
        "edited": view.edit_date is not None,
        "kind": view.kind,
        "html": "",
        "buttons": [
            [
                {
                    "text": str(b.get("text", "")),
                    "type": "callback"
                    if "callback_data" in b
                    else "url"
                    if "url" in b
                    else "other",
                    "url": str(b.get("url", "")),
                }
                for b in row
            ]
            for row in view.buttons
            if view.reply_markup and "inline_keyboard" in view.reply_markup
        ],
        "file": None,
        "service": None,
    }
    raw = view.json
    if view.text is not None:
        data["html"] = to_html(view.text, raw.get("entities", []))
    elif view.caption is not None:
        data["html"] = to_html(view.caption, raw.get("caption_entities", []))
    if view.file is not None or view.kind in ("document", "photo"):
        sent = view.file
        name = (sent.filename if sent else None) or raw.get("document", {}).get("file_name", "")
        base = f"/chat/file/{view.chat_id}/{view.message_id}/{quote(name or 'tiedosto')}"
        data["file"] = {
            "name": name,
            "size": sent.size if sent else 0,
            "url": base,
            "download": base + "?download=1",
            "mime": (sent.mime_type if sent else None) or "",
        }
    if view.kind == "service":
        data["service"] = _service_json(raw)
    return data


def _service_json(raw: JsonDict) -> JsonDict:
    by = _sender_name(raw)
    if "new_chat_members" in raw:
        names = [m.get("first_name", "") for m in raw["new_chat_members"]]
        return {"kind": "new_chat_members", "by": by, "names": names}
    if "left_chat_member" in raw:
        return {"kind": "left_chat_member", "by": by, "names": [raw["left_chat_member"]]}
    for kind in ("migrate_to_chat_id", "migrate_from_chat_id", "group_chat_created"):
        if kind in raw:
            return {"kind": kind, "by": by, "names": []}
    return {"kind": "other", "by": by, "names": []}


def menu_commands(state: BotApiState, chat: Chat, user: User | None) -> list[JsonDict]:
    """The command menu a person sees in a chat, by Telegram's order of scopes."""
    language = (user.language_code or "") if user else ""
    if chat.type == "private":
        scopes = [f"chat:{chat.id}", "all_private_chats", "default"]
    else:
        admin = user is not None and chat.members.get(user.id) in ("creator", "administrator")
        scopes = [f"chat_member:{chat.id}:{user.id}"] if user else []
        if admin:
            scopes.append(f"chat_administrators:{chat.id}")
        scopes.append(f"chat:{chat.id}")
        if admin:
            scopes.append("all_chat_administrators")
        scopes += ["all_group_chats", "default"]
    for scope in scopes:
        for lang in ([language] if language else []) + [""]:
            commands = state.commands.get((scope, lang))
            if commands:
                return [dict(c) for c in commands]
    return []


def error_list(state: BotApiState) -> list[JsonDict]:
    """The calls the bot made that Telegram would reject, oldest first."""
    records = sorted([*state.errors, *state.unsupported_calls], key=lambda e: e.time)
    errors: list[JsonDict] = [
        {
            "method": e.method,
            "error_code": e.error_code,
            "description": e.description,
            "time": e.time,
            "chat_id": _chat_of(e.params),
            "category": e.category,
            "call": str(e),
        }
        for e in records
    ]
    errors += [
        {
            "method": "",
            "error_code": 0,
            "description": text,
            "time": 0,
            "chat_id": None,
            "category": "internal",
            "call": text,
        }
        for text in state.internal_errors
    ]
    return errors


def full_name(user: User | None) -> str:
    if user is None:
        return ""
    return " ".join(p for p in (user.first_name, user.last_name) if p)


def _sender_name(raw: JsonDict) -> str:
    sender = raw.get("sender_chat") or raw.get("from") or {}
    if "title" in sender:
        return str(sender["title"])
    return " ".join(str(p) for p in (sender.get("first_name"), sender.get("last_name")) if p)


def _chat_of(params: JsonDict) -> int | None:
    value = params.get("chat_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _bot_count(chat: Chat | None) -> int:
    if chat is None:
        return 0
    return sum(1 for m in chat.messages if m.from_bot and not m.deleted)


def _guess_mime(kind: str) -> str:
    return "image/png" if kind == "photo" else "application/octet-stream"


async def _body(request: web.Request) -> JsonDict | web.Response:
    # Only JSON bodies: a form on some other web page cannot post to the page's actions.
    if request.content_type != "application/json":
        return _problem(415, "send JSON")
    try:
        data = await request.json()
    except ValueError:
        return _problem(400, "bad JSON")
    if not isinstance(data, dict):
        return _problem(400, "a JSON object is expected")
    return data


def _json(body: JsonDict) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _problem(status: int, description: str) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps({"ok": False, "description": description}, ensure_ascii=False),
        content_type="application/json",
    )
