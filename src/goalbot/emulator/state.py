"""The world behind the fake Bot API: people, chats, messages, updates and records.

Everything here is guarded by one re-entrant lock, so the server thread and the test
(or a phone) can act on it concurrently.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import dataclasses
import itertools
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from .entities import find_bot_commands, utf16_len
from .spec import ApiSpec
from .validation import SEMANTIC, ApiError, RequestValidator, UploadedFile, bad_request, forbidden

JsonDict = dict[str, Any]

GROUP_ANONYMOUS_BOT: JsonDict = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}

DEFAULT_UPDATE_TYPES_EXCLUDED = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)


FIRST_UPDATE_ID = 512_300_001  # where a new world's update ids begin, as Telegram's are large

# ---- clocks -----------------------------------------------------------------------------


class Clock(Protocol):
    def now(self) -> float: ...


class SystemClock:
    """Wall-clock time (Unix seconds)."""

    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock that moves only when told to; thread-safe."""

    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, value: float) -> None:
        with self._lock:
            self._now = float(value)


# ---- records ----------------------------------------------------------------------------


@dataclass
class RequestRecord:
    """One HTTP call the bot made, with what it was answered."""

    seq: int
    method: str
    http_method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    time: float
    status: int | None = None
    response: JsonDict | None = None
    fault: str | None = None
    finished: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))


@dataclass(frozen=True)
class ErrorRecord:
    """An error answer (invalid call, semantic refusal, or unsupported method)."""

    method: str
    params: dict[str, Any]
    error_code: int
    description: str
    time: float
    category: str
    parameters: JsonDict | None = None

    def __str__(self) -> str:
        shown = {
            k: (v if len(repr(v)) < 200 else repr(v)[:200] + "…") for k, v in self.params.items()
        }
        return f"{self.method}({shown}) -> {self.error_code} {self.description}"


@dataclass(frozen=True)
class RateViolation:
    """A send that broke one of Telegram's broadcast limits."""

    scope: str  # "global" | "private" | "group"
    chat_id: int | None
    method: str
    time: float
    detail: str


@dataclass(frozen=True)
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int
    time: float


@dataclass(frozen=True)
class ChatActionRecord:
    chat_id: int
    action: str
    time: float


@dataclass(frozen=True)
class SentFile:
    """A document or photo the bot sent (uploaded bytes kept for assertions)."""

    chat_id: int
    message_id: int
    kind: str  # "document" | "photo"
    file_id: str
    file_unique_id: str
    filename: str | None
    mime_type: str | None
    data: bytes
    caption: str | None
    url: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class FaultRecord:
    method: str
    kind: str
    time: float


# ---- faults -----------------------------------------------------------------------------


@dataclass
class Fault:
    """A fault to inject into the answers of matching calls.

    kinds: "rate_limit" (429 + retry_after), "server_error" (status 500/502/...),
    "delay" (hold the call ``seconds``; with ``perform`` the action happens and the
    answer comes late, without it nothing happens and the connection is dropped),
    "drop" (close the connection without an answer; nothing happens, or with ``perform`` the
    action happens first: Telegram acted and the answer was lost, "Server disconnected without
    sending a response"), "mix" (``pick`` chooses, call by call, one of the others or none:
    faults at random).
    ``method`` None matches every method except getUpdates. ``times`` None = forever.
    """

    kind: str
    method: str | None = None
    times: int | None = 1
    retry_after: int = 3
    status: int = 502
    seconds: float = 0.0
    perform: bool = False
    when: Callable[[dict[str, Any]], bool] | None = None
    pick: Callable[[str, dict[str, Any]], Fault | None] | None = None

    @classmethod
    def rate_limit(
        cls, method: str | None = None, *, retry_after: int = 3, times: int | None = 1
    ) -> Fault:
        return cls("rate_limit", method, times, retry_after=retry_after)

    @classmethod
    def server_error(
        cls, method: str | None = None, *, status: int = 502, times: int | None = 1
    ) -> Fault:
        return cls("server_error", method, times, status=status)

    @classmethod
    def delay(
        cls,
        method: str | None = None,
        *,
        seconds: float,
        perform: bool = False,
        times: int | None = 1,
    ) -> Fault:
        return cls("delay", method, times, seconds=seconds, perform=perform)

    @classmethod
    def drop(
        cls, method: str | None = None, *, perform: bool = False, times: int | None = 1
    ) -> Fault:
        return cls("drop", method, times, perform=perform)

    @classmethod
    def mix(
        cls,
        pick: Callable[[str, dict[str, Any]], Fault | None],
        method: str | None = None,
        *,
        times: int | None = None,
    ) -> Fault:
        return cls("mix", method, times, pick=pick)

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is None:
            if method.lower() == "getupdates":
                return False
        elif self.method.lower() != method.lower():
            return False
        return self.when is None or bool(self.when(params))

    def error_json(self) -> JsonDict:
        if self.kind == "rate_limit":
            return {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {self.retry_after}",
                "parameters": {"retry_after": self.retry_after},
            }
        phrases = {
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }
        return {
            "ok": False,
            "error_code": self.status,
            "description": phrases.get(self.status, "Internal Server Error"),
        }

    @property
    def http_status(self) -> int:
        return 429 if self.kind == "rate_limit" else self.status


# ---- people, chats, messages ------------------------------------------------------------


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    started: bool = False
    blocked: bool = False
    deactivated: bool = False

    def to_json(self) -> JsonDict:
        data: JsonDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    username: str | None = None
    user: User | None = None  # the other person of a private chat
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    bot_status: str = "member"  # creator | administrator | member | left | kicked
    migrated_to: int | None = None
    migrated_from: int | None = None
    next_message_id: int = 1
    messages: list[StoredMessage] = field(default_factory=list)
    by_id: dict[int, StoredMessage] = field(default_factory=dict)

    def to_json(self) -> JsonDict:
        if self.type == "private":
            assert self.user is not None
            data: JsonDict = {"id": self.id, "first_name": self.user.first_name}
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
            data["type"] = "private"
            return data
        data = {"id": self.id, "title": self.title or "", "type": self.type}
        if self.username:
            data["username"] = self.username
        return data

    @property
    def chat_instance(self) -> str:
        mixed = (self.id * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        return str(mixed - 2**63)

    @property
    def bot_is_member(self) -> bool:
        return self.bot_status in ("creator", "administrator", "member")


@dataclass
class StoredMessage:
    chat: Chat
    message_id: int
    date: int
    from_bot: bool
    sender: JsonDict
    text: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JsonDict] = field(default_factory=list)
    reply_markup: JsonDict | None = None
    edit_date: int | None = None
    document: JsonDict | None = None
    photo: list[JsonDict] | None = None
    file: SentFile | None = None
    service: JsonDict = field(default_factory=dict)
    sender_chat: JsonDict | None = None
    reply_to: StoredMessage | None = None
    source_text: str | None = None  # text/caption exactly as the bot sent it (e.g. HTML)
    parse_mode: str | None = None
    deleted: bool = False
    version: int = 0

    def to_json(self, *, with_reply: bool = True) -> JsonDict:
        data: JsonDict = {"message_id": self.message_id, "from": dict(self.sender)}
        if self.sender_chat is not None:
            data["sender_chat"] = dict(self.sender_chat)
        data["chat"] = self.chat.to_json()
        data["date"] = self.date
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_json(with_reply=False)
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = copy.deepcopy(self.entities)
        if self.document is not None:
            data["document"] = dict(self.document)
        if self.photo is not None:
            data["photo"] = [dict(p) for p in self.photo]
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = copy.deepcopy(self.caption_entities)
        data.update(copy.deepcopy(self.service))
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = copy.deepcopy(self.reply_markup)
        return data


@dataclass(frozen=True)
class MessageView:
    """A snapshot of one message in a chat, as the person in the chat sees it."""

    chat_id: int
    message_id: int
    date: int
    from_bot: bool
    sender_id: int
    text: str | None
    entities: tuple[JsonDict, ...]
    caption: str | None
    reply_markup: JsonDict | None
    edit_date: int | None
    kind: str  # text | document | photo | service
    file: SentFile | None
    source_text: str | None
    parse_mode: str | None
    version: int
    deleted: bool
    json: JsonDict

    @property
    def content(self) -> str:
        """The text, or the caption of a media message ("" if none)."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def buttons(self) -> list[list[JsonDict]]:
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or self.reply_markup.get("keyboard") or []
        return [[b if isinstance(b, dict) else {"text": b} for b in row] for row in rows]

    @property
    def button_labels(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    def button(self, label: str) -> JsonDict:
        for row in self.buttons:
            for b in row:
                if b["text"] == label:
                    return b
        raise LookupError(
            f"no button {label!r} in message {self.message_id}; buttons: {self.button_labels}"
        )


def _view(msg: StoredMessage) -> MessageView:
    if msg.service:
        kind = "service"
    elif msg.document is not None:
        kind = "document"
    elif msg.photo is not None:
        kind = "photo"
    else:
        kind = "text"
    return MessageView(
        chat_id=msg.chat.id,
        message_id=msg.message_id,
        date=msg.date,
        from_bot=msg.from_bot,
        sender_id=int(msg.sender["id"]),
        text=msg.text,
        entities=tuple(copy.deepcopy(msg.entities)),
        caption=msg.caption,
        reply_markup=copy.deepcopy(msg.reply_markup),
        edit_date=msg.edit_date,
        kind=kind,
        file=msg.file,
        source_text=msg.source_text,
        parse_mode=msg.parse_mode,
        version=msg.version,
        deleted=msg.deleted,
        json=msg.to_json(),
    )


@dataclass
class UpdateRecord:
    update_id: int
    kind: str
    payload: JsonDict
    time: float

    def to_json(self) -> JsonDict:
        return {"update_id": self.update_id, self.kind: copy.deepcopy(self.payload)}


@dataclass
class WebhookDelivery:
    """One post of an update to the bot's webhook, and what came of it."""

    update_id: int
    time: float
    status: int | None = None  # the HTTP answer (None: no answer, e.g. connection refused)
    error: str = ""


@dataclass
class CallbackQueryRecord:
    id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str
    created: float
    answered: bool = False


# ---- rate accounting --------------------------------------------------------------------


@dataclass
class RateLimits:
    """Telegram's broadcast limits, as a sliding window / token bucket.

    * overall: at most ``global_per_second`` messages in any 1-second window;
    * private chat: a token bucket of ``private_burst`` tokens refilled at
      ``private_per_second`` (a short burst of up to 3 is tolerated, sustained more than
      1 message a second is not);
    * group or supergroup: at most ``group_per_minute`` messages in any 60-second window.
    """

    global_per_second: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20
    enforce: bool = False  # answer 429 (and send nothing) instead of only recording


class RateAccountant:
    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._global: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}
        self._buckets: dict[int, tuple[float, float]] = {}

    def check(self, chat: Chat, now: float) -> tuple[str, str, float] | None:
        """(scope, detail, retry_after) if a send now breaks a limit, else None."""
        lim = self.limits
        window = self._global
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= lim.global_per_second:
            wait = window[0] + 1.0 - now
            return "global", f"more than {lim.global_per_second} messages in 1 s overall", wait
        if chat.type == "private":
            tokens, last = self._buckets.get(chat.id, (float(lim.private_burst), now))
            tokens = min(float(lim.private_burst), tokens + (now - last) * lim.private_per_second)
            if tokens < 1.0:
                wait = (1.0 - tokens) / lim.private_per_second
                return (
                    "private",
                    f"more than {lim.private_per_second:g}/s to private chat {chat.id} "
                    f"(burst {lim.private_burst} used up)",
                    wait,
                )
        else:
            gwin = self._groups.get(chat.id, deque())
            while gwin and gwin[0] <= now - 60.0:
                gwin.popleft()
            if len(gwin) >= lim.group_per_minute:
                wait = gwin[0] + 60.0 - now
                return (
                    "group",
                    f"more than {lim.group_per_minute} messages a minute to group {chat.id}",
                    wait,
                )
        return None

    def record(self, chat: Chat, now: float) -> None:
        lim = self.limits
        self._global.append(now)
        if chat.type == "private":
            tokens, last = self._buckets.get(chat.id, (float(lim.private_burst), now))
            tokens = min(float(lim.private_burst), tokens + (now - last) * lim.private_per_second)
            self._buckets[chat.id] = (max(tokens - 1.0, 0.0), now)
        else:
            self._groups.setdefault(chat.id, deque()).append(now)


# ---- the state --------------------------------------------------------------------------


class BotApiState:
    """All state of one fake Bot API server (one bot)."""

    def __init__(
        self,
        spec: ApiSpec,
        *,
        token: str,
        bot_username: str,
        bot_first_name: str = "Goalbot",
        clock: Clock | None = None,
        strict: bool = True,
        privacy_mode: bool = True,
        callback_query_ttl: float = 15 * 60,
        rate_limits: RateLimits | None = None,
    ) -> None:
        self.spec = spec
        self.token = token
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.clock: Clock = clock or SystemClock()
        self.strict = strict
        self.privacy_mode = privacy_mode
        self.callback_query_ttl = callback_query_ttl
        self.validator = RequestValidator(spec, strict=strict)
        self.lock = threading.RLock()
        self.rates = RateAccountant(rate_limits or RateLimits())

        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.updates: list[UpdateRecord] = []
        self.allowed_updates: list[str] = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_max_connections = 40
        self.webhook_deliveries: list[WebhookDelivery] = []  # every post to the webhook
        self.webhook_last_error: tuple[int, str] | None = None  # (date, message)
        self.poll_generation = 0
        self.polls_in_flight = 0
        self.calls_in_flight = 0
        self.last_activity = time.monotonic()
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.menu_buttons: dict[int, JsonDict] = {}
        self.files: dict[str, SentFile] = {}

        self.requests: list[RequestRecord] = []
        self.errors: list[ErrorRecord] = []
        self.semantic_errors: list[ErrorRecord] = []
        self.unsupported_calls: list[ErrorRecord] = []
        self.internal_errors: list[str] = []
        self.rate_violations: list[RateViolation] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[ChatActionRecord] = []
        self.faults: list[Fault] = []
        self.faults_triggered: list[FaultRecord] = []

        self._listeners: list[Callable[[], None]] = []
        self.revision = 0  # counts the changes of this world (the web chat's pages follow it)
        self._ids = itertools.count(1)
        self._user_ids = itertools.count(700_000_001)
        self._group_ids = itertools.count(1)
        self._update_ids = itertools.count(FIRST_UPDATE_ID)
        self._query_ids = itertools.count(1)
        self._request_seq = itertools.count(1)

    # ---- plumbing -----------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self.lock:
            yield

    def add_listener(self, callback: Callable[[], None]) -> None:
        with self.lock:
            self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[], None]) -> None:
        with self.lock:
            if callback in self._listeners:
                self._listeners.remove(callback)

    def take_listeners(self) -> list[Callable[[], None]]:
        """Remove and return every listener (they move to a new world)."""
        with self.lock:
            listeners, self._listeners = self._listeners, []
            return listeners

    def notify(self) -> None:
        with self.lock:
            self.revision += 1
        for callback in list(self._listeners):
            with contextlib.suppress(RuntimeError):  # the server's loop is already closed
                callback()

    def now(self) -> float:
        return self.clock.now()

    def date(self) -> int:
        return int(self.clock.now())

    def next_id(self) -> int:
        return next(self._ids)

    def bot_user_json(self) -> JsonDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ---- records ------------------------------------------------------------------------

    def start_request(
        self, method: str, http_method: str, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> RequestRecord:
        with self.lock:
            record = RequestRecord(
                seq=next(self._request_seq),
                method=method,
                http_method=http_method,
                params=dict(params),
                files=dict(files),
                time=self.now(),
            )
            self.requests.append(record)
            self.last_activity = time.monotonic()
            return record

    def finish_request(
        self, record: RequestRecord, status: int | None, body: JsonDict | None
    ) -> None:
        with self.lock:
            record.status = status
            record.response = body
            record.finished = True
            self.last_activity = time.monotonic()

    def record_error(self, method: str, params: dict[str, Any], error: ApiError) -> None:
        entry = ErrorRecord(
            method=method,
            params=dict(params),
            error_code=error.error_code,
            description=error.description,
            time=self.now(),
            category=error.category,
            parameters=error.parameters,
        )
        with self.lock:
            if error.category == SEMANTIC:
                self.semantic_errors.append(entry)
            elif error.category == "unsupported":
                self.unsupported_calls.append(entry)
            else:
                self.errors.append(entry)

    def take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, params):
                    chosen: Fault | None = fault
                    if fault.pick is not None:
                        chosen = fault.pick(method, params)
                        if chosen is None:
                            continue
                    if fault.times is not None:
                        fault.times -= 1
                    assert chosen is not None
                    self.faults_triggered.append(FaultRecord(method, chosen.kind, self.now()))
                    return chosen
            self.faults = [f for f in self.faults if f.times is None or f.times > 0]
            return None

    # ---- updates ------------------------------------------------------------------------

    def update_allowed(self, kind: str) -> bool:
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in DEFAULT_UPDATE_TYPES_EXCLUDED

    def push_update(self, kind: str, payload: JsonDict) -> UpdateRecord | None:
        with self.lock:
            if not self.update_allowed(kind):
                return None
            update = UpdateRecord(next(self._update_ids), kind, copy.deepcopy(payload), self.now())
            self.updates.append(update)
        self.notify()
        return update

    def begin_get_updates(self, params: dict[str, Any]) -> int:
        """Apply offset/allowed_updates of a getUpdates call; returns its poll generation."""
        with self.lock:
            if self.webhook_url:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                    category=SEMANTIC,
                )
            if "allowed_updates" in params:
                self.allowed_updates = list(params["allowed_updates"])
            offset = params.get("offset")
            if isinstance(offset, int) and offset != 0:
                if offset < 0:
                    keep = -offset
                    self.updates = self.updates[-keep:] if keep else []
                else:
                    self.updates = [u for u in self.updates if u.update_id >= offset]
            self.poll_generation += 1
            self.polls_in_flight += 1
            generation = self.poll_generation
        self.notify()
        return generation

    def webhook_delivered(self, update_id: int) -> None:
        """The webhook answered 2xx: the update is confirmed, as a poll's offset would."""
        with self.lock:
            self.updates = [u for u in self.updates if u.update_id != update_id]
        self.notify()

    def end_get_updates(self) -> None:
        with self.lock:
            self.polls_in_flight -= 1

    def peek_updates(self, limit: int) -> list[JsonDict]:
        with self.lock:
            return [u.to_json() for u in self.updates[:limit]]

    @property
    def pending_update_count(self) -> int:
        with self.lock:
            return len(self.updates)

    # ---- people and chats ---------------------------------------------------------------

    def create_user(
        self,
        first_name: str,
        *,
        user_id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "fi",
    ) -> User:
        with self.lock:
            uid = user_id if user_id is not None else next(self._user_ids)
            if uid in self.users:
                raise ValueError(f"user {uid} already exists")
            user = User(uid, first_name, last_name, username, language_code)
            self.users[uid] = user
            return user

    def get_user(self, user_id: int) -> User:
        with self.lock:
            if user_id not in self.users:
                raise LookupError(f"no user {user_id}")
            return self.users[user_id]

    def private_chat(self, user: User) -> Chat:
        with self.lock:
            chat = self.chats.get(user.id)
            if chat is None:
                chat = Chat(id=user.id, type="private", user=user)
                self.chats[user.id] = chat
            return chat

    def create_group(
        self,
        title: str,
        *,
        supergroup: bool = False,
        username: str | None = None,
        members: list[User] | None = None,
        bot_status: str = "member",
    ) -> Chat:
        with self.lock:
            n = next(self._group_ids)
            chat_id = -(1_002_100_000_000 + n) if supergroup else -(4_100_000_000 + n)
            chat = Chat(
                id=chat_id,
                type="supergroup" if supergroup else "group",
                title=title,
                username=username,
            )
            for i, member in enumerate(members or []):
                chat.members[member.id] = "creator" if i == 0 else "member"
            chat.bot_status = bot_status
            self.chats[chat_id] = chat
            return chat

    def get_chat(self, chat_id: int) -> Chat:
        with self.lock:
            if chat_id not in self.chats:
                raise LookupError(f"no chat {chat_id}")
            return self.chats[chat_id]

    def add_message(self, chat: Chat, msg_kwargs: dict[str, Any]) -> StoredMessage:
        with self.lock:
            msg = StoredMessage(
                chat=chat, message_id=chat.next_message_id, date=self.date(), **msg_kwargs
            )
            chat.next_message_id += 1
            chat.messages.append(msg)
            chat.by_id[msg.message_id] = msg
            self.last_activity = time.monotonic()
        self.notify()
        return msg

    # ---- the world as data (the sandbox keeps it between its runs) ----------------------

    # the update ids too: a bot keeps the ids it has handled and takes one seen before for
    # Telegram's redelivery, so ids begun afresh after a restart would go unanswered
    _COUNTERS = ("_ids", "_user_ids", "_group_ids", "_query_ids", "_update_ids")

    def world_json(self) -> JsonDict:
        """The people and the chats with their messages and files, and the bot's commands."""
        with self.lock:
            counters = {}
            for name in self._COUNTERS:
                value = next(getattr(self, name))  # read the counter and put it back
                setattr(self, name, itertools.count(value))
                counters[name] = value
            return {
                "users": [dataclasses.asdict(u) for u in self.users.values()],
                "chats": [_chat_data(c) for c in self.chats.values()],
                "commands": [[s, lang, list(c)] for (s, lang), c in self.commands.items()],
                "counters": counters,
            }

    def load_world(self, data: JsonDict) -> None:
        """Put back a world that ``world_json`` gave (into a state that has none yet)."""
        with self.lock:
            self.users = {int(u["id"]): User(**u) for u in data["users"]}
            self.chats = {}
            for raw in data["chats"]:
                chat = _chat_of(raw, self.users)
                self.chats[chat.id] = chat
                for message in chat.messages:
                    if message.file is not None:
                        self.files[message.file.file_id] = message.file
            self.commands = {(s, lang): list(c) for s, lang, c in data["commands"]}
            counters = dict(data["counters"])
            # a world saved before its update ids were kept: go on well past any id it used
            counters.setdefault("_update_ids", FIRST_UPDATE_ID + 1_000_000)
            for name, value in counters.items():
                if name in self._COUNTERS:
                    setattr(self, name, itertools.count(int(value)))
        self.notify()

    # ---- views --------------------------------------------------------------------------

    def transcript(self, chat_id: int, *, include_deleted: bool = False) -> list[MessageView]:
        with self.lock:
            chat = self.chats.get(chat_id)
            if chat is None:
                return []
            return [_view(m) for m in chat.messages if include_deleted or not m.deleted]

    def message_view(self, chat_id: int, message_id: int) -> MessageView | None:
        with self.lock:
            chat = self.chats.get(chat_id)
            if chat is None or message_id not in chat.by_id:
                return None
            return _view(chat.by_id[message_id])

    # ---- incoming (what people do) ------------------------------------------------------

    def user_message(
        self,
        chat: Chat,
        user: User,
        *,
        text: str | None = None,
        reply_to: int | None = None,
        service: JsonDict | None = None,
        document: tuple[str, bytes, str] | None = None,
        caption: str | None = None,
    ) -> StoredMessage:
        with self.lock:
            if chat.type == "private":
                if user.deactivated:
                    raise ValueError(f"user {user.id} is deactivated")
                if user.blocked:
                    self.set_blocked(user, False)
                user.started = True
            elif user.id not in chat.members or chat.members[user.id] in ("left", "kicked"):
                raise ValueError(f"user {user.id} is not a member of chat {chat.id}")
            if chat.migrated_to is not None:
                raise ValueError(f"chat {chat.id} was migrated to {chat.migrated_to}")
            replied = chat.by_id.get(reply_to) if reply_to is not None else None
            if reply_to is not None and replied is None:
                raise LookupError(f"no message {reply_to} in chat {chat.id}")
            kwargs: dict[str, Any] = {
                "from_bot": False,
                "sender": user.to_json(),
                "reply_to": replied,
                "service": dict(service or {}),
            }
            if text is not None:
                kwargs["text"] = text
                kwargs["entities"] = find_bot_commands(text)
            if document is not None:
                filename, data, mime = document
                n = self.next_id()
                kwargs["document"] = {
                    "file_name": filename,
                    "mime_type": mime,
                    "file_id": f"BQACAgQAAxkBAAI{n:06d}user",
                    "file_unique_id": f"AgAD{n:06d}u",
                    "file_size": len(data),
                }
                kwargs["caption"] = caption
                if caption:
                    kwargs["caption_entities"] = find_bot_commands(caption)
            msg = self.add_message(chat, kwargs)
            if self._bot_sees(chat, msg):
                self.push_update("message", msg.to_json())
            return msg

    def _bot_sees(self, chat: Chat, msg: StoredMessage) -> bool:
        if chat.type == "private":
            return True
        if not chat.bot_is_member:
            return False
        if msg.service or not self.privacy_mode or chat.bot_status in ("administrator", "creator"):
            return True
        if msg.reply_to is not None and msg.reply_to.from_bot:
            return True
        text = msg.text if msg.text is not None else (msg.caption or "")
        for entity in find_bot_commands(text):
            if entity["offset"] != 0:
                continue
            command = text[: entity["length"]]
            if "@" not in command or command.split("@", 1)[1].lower() == self.bot_username.lower():
                return True
        return False

    def set_blocked(self, user: User, blocked: bool) -> None:
        with self.lock:
            if user.blocked == blocked:
                return
            user.blocked = blocked
            chat = self.private_chat(user)
            old, new = ("member", "kicked") if blocked else ("kicked", "member")
            self.push_update(
                "my_chat_member",
                {
                    "chat": chat.to_json(),
                    "from": user.to_json(),
                    "date": self.date(),
                    "old_chat_member": self._member_json(old),
                    "new_chat_member": self._member_json(new),
                },
            )

    def _member_json(self, status: str, user: JsonDict | None = None) -> JsonDict:
        data: JsonDict = {"status": status, "user": user or self.bot_user_json()}
        if status == "kicked":
            data["until_date"] = 0
        if status == "administrator":
            data.update(
                {
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                }
            )
        if status == "creator":
            data["is_anonymous"] = False
        return data

    def set_bot_status(self, chat: Chat, status: str, by: User) -> None:
        with self.lock:
            old = chat.bot_status
            if old == status:
                return
            chat.bot_status = status
            self.push_update(
                "my_chat_member",
                {
                    "chat": chat.to_json(),
                    "from": by.to_json(),
                    "date": self.date(),
                    "old_chat_member": self._member_json(old),
                    "new_chat_member": self._member_json(status),
                },
            )
            if status in ("member", "administrator") and old in ("left", "kicked"):
                if by.id not in chat.members:
                    chat.members[by.id] = "member"
                self.user_message(chat, by, service={"new_chat_members": [self.bot_user_json()]})

    def migrate(self, chat: Chat, by: User) -> Chat:
        with self.lock:
            if chat.type != "group":
                raise ValueError(f"chat {chat.id} is a {chat.type}, only basic groups migrate")
            if chat.migrated_to is not None:
                raise ValueError(f"chat {chat.id} was already migrated")
            new = self.create_group(chat.title or "", supergroup=True, bot_status=chat.bot_status)
            new.members = dict(chat.members)
            new.migrated_from = chat.id
            self.user_message(chat, by, service={"migrate_to_chat_id": new.id})
            chat.migrated_to = new.id
            msg = self.add_message(
                new,
                {
                    "from_bot": False,
                    "sender": dict(GROUP_ANONYMOUS_BOT),
                    "sender_chat": new.to_json(),
                    "service": {"migrate_from_chat_id": chat.id},
                },
            )
            if new.bot_is_member:
                self.push_update("message", msg.to_json())
            return new

    def press_button(
        self, chat: Chat, user: User, label: str, message_id: int | None
    ) -> CallbackQueryRecord:
        with self.lock:
            if message_id is None:
                candidates = [
                    m
                    for m in chat.messages
                    if m.from_bot
                    and not m.deleted
                    and m.reply_markup
                    and "inline_keyboard" in m.reply_markup
                ]
                if not candidates:
                    raise LookupError(f"no bot message with an inline keyboard in chat {chat.id}")
                msg = candidates[-1]
            else:
                found = chat.by_id.get(message_id)
                if found is None or found.deleted:
                    raise LookupError(f"no message {message_id} in chat {chat.id}")
                msg = found
            view = _view(msg)
            if not msg.reply_markup or "inline_keyboard" not in msg.reply_markup:
                raise LookupError(
                    f"message {msg.message_id} in chat {chat.id} has no inline keyboard"
                )
            button = view.button(label)
            if "callback_data" not in button:
                raise ValueError(f"button {label!r} is not a callback button: {button}")
            if chat.type != "private" and user.id not in chat.members:
                raise ValueError(f"user {user.id} is not a member of chat {chat.id}")
            query_id = str(4_382_600_000_000_000_000 + next(self._query_ids) * 7919)
            record = CallbackQueryRecord(
                id=query_id,
                chat_id=chat.id,
                message_id=msg.message_id,
                user_id=user.id,
                data=button["callback_data"],
                created=self.now(),
            )
            self.callback_queries[query_id] = record
            self.push_update(
                "callback_query",
                {
                    "id": query_id,
                    "from": user.to_json(),
                    "message": msg.to_json(),
                    "chat_instance": chat.chat_instance,
                    "data": button["callback_data"],
                },
            )
            return record

    # ---- outgoing checks used by the methods --------------------------------------------

    def chat_for_send(self, chat_id: int | str) -> Chat:
        chat = self.chat_for_read(chat_id)
        if chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                category=SEMANTIC,
                migrate_to_chat_id=chat.migrated_to,
            )
        if chat.type == "private":
            assert chat.user is not None
            if chat.user.deactivated:
                raise forbidden("user is deactivated")
            if chat.user.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.user.started:
                raise forbidden("bot can't initiate conversation with a user")
        else:
            kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
            if chat.bot_status == "kicked":
                raise forbidden(f"bot was kicked from the {kind}")
            if chat.bot_status == "left":
                raise forbidden(f"bot is not a member of the {kind}")
        return chat

    def chat_for_read(self, chat_id: int | str) -> Chat:
        with self.lock:
            if isinstance(chat_id, str):
                name = chat_id.lstrip("@").lower()
                if chat_id.startswith("@"):
                    for candidate in self.chats.values():
                        if (
                            candidate.type != "private"
                            and candidate.username
                            and candidate.username.lower() == name
                        ):
                            return candidate
                raise bad_request("chat not found", category=SEMANTIC)
            chat = self.chats.get(chat_id)
            if chat is None:
                user = self.users.get(chat_id)
                if user is not None:
                    if user.deactivated:
                        raise forbidden("user is deactivated")
                    raise forbidden("bot can't initiate conversation with a user")
                raise bad_request("chat not found", category=SEMANTIC)
            return chat

    def account_send(self, chat: Chat, method: str) -> None:
        """Rate accounting for one message about to be sent (may raise 429 if enforced)."""
        with self.lock:
            now = self.now()
            problem = self.rates.check(chat, now)
            if problem is not None:
                scope, detail, wait = problem
                self.rate_violations.append(RateViolation(scope, chat.id, method, now, detail))
                if self.rates.limits.enforce:
                    retry_after = max(1, math.ceil(wait))
                    raise ApiError(
                        429,
                        f"Too Many Requests: retry after {retry_after}",
                        parameters={"retry_after": retry_after},
                        category=SEMANTIC,
                    )
            self.rates.record(chat, now)


def text_length(text: str) -> int:
    return utf16_len(text)


def _chat_data(chat: Chat) -> JsonDict:
    data = {
        f.name: getattr(chat, f.name)
        for f in dataclasses.fields(chat)
        if f.name not in ("user", "messages", "by_id", "members")
    }
    data["user"] = chat.user.id if chat.user is not None else None
    data["members"] = [[uid, status] for uid, status in chat.members.items()]
    data["messages"] = [_message_data(m) for m in chat.messages]
    return data


def _message_data(msg: StoredMessage) -> JsonDict:
    data = {
        f.name: copy.deepcopy(getattr(msg, f.name))
        for f in dataclasses.fields(msg)
        if f.name not in ("chat", "reply_to", "file")
    }
    data["reply_to"] = msg.reply_to.message_id if msg.reply_to is not None else None
    if msg.file is not None:
        sent = dataclasses.asdict(msg.file)
        sent["data"] = base64.b64encode(msg.file.data).decode("ascii")
        data["file"] = sent
    return data


def _chat_of(raw: JsonDict, users: dict[int, User]) -> Chat:
    fields = {k: v for k, v in raw.items() if k not in ("user", "members", "messages")}
    chat = Chat(**fields)
    chat.user = users.get(int(raw["user"])) if raw["user"] is not None else None
    chat.members = {int(uid): str(status) for uid, status in raw["members"]}
    for item in raw["messages"]:
        values = {k: v for k, v in item.items() if k not in ("reply_to", "file")}
        msg = StoredMessage(chat=chat, **values)
        if item.get("file"):
            sent = dict(item["file"])
            sent["data"] = base64.b64decode(sent["data"])
            msg.file = SentFile(**sent)
        replied = item.get("reply_to")
        msg.reply_to = chat.by_id.get(int(replied)) if replied is not None else None
        chat.messages.append(msg)
        chat.by_id[msg.message_id] = msg
    return chat
