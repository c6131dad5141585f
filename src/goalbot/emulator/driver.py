"""The test's side of the fake Bot API: act as people in chats, observe the bot, inject faults."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from .state import (
    BotApiState,
    CallbackAnswer,
    ChatActionRecord,
    Clock,
    ErrorRecord,
    FakeClock,
    Fault,
    FaultRecord,
    MessageView,
    RateViolation,
    RequestRecord,
    SentFile,
    User,
)

T = TypeVar("T")
JsonDict = dict[str, Any]


class _HasChatId(Protocol):
    @property
    def chat_id(self) -> int: ...


ChatRef = int | _HasChatId
UserRef = int | _HasChatId


# How long a wait for something the bot does lasts unless told: generous, since a wait ends
# as soon as what it waits for happens, and a busy machine (a test run beside others) makes
# a bot take many times its usual time; only a failing wait takes this long.
WAIT_SECONDS = 30.0


def _chat_id(chat: ChatRef) -> int:
    return chat if isinstance(chat, int) else chat.chat_id


class Driver:
    """Thread-safe handle on the fake server's world, for tests and the phone."""

    def __init__(self, state: BotApiState) -> None:
        self.state = state
        self._markers: dict[int, int] = {}
        self._work_checks: list[Callable[[], str]] = []

    def wait_also_for(self, unfinished: Callable[[], str]) -> Callable[[], None]:
        """Make ``wait_until_idle`` wait also while ``unfinished()`` names work left.

        The server sees only the calls: a bot busy with an update it has fetched (reading and
        writing its database) looks idle from here, the longer the busier the machine. The
        bot under test can say what it has taken on and not finished. Returns the undoing.
        """
        self._work_checks.append(unfinished)
        return lambda: self._work_checks.remove(unfinished)

    # ---- people and chats ---------------------------------------------------------------

    def create_user(
        self,
        first_name: str = "Testi",
        *,
        user_id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "fi",
    ) -> UserHandle:
        """A Telegram user who has not talked to the bot yet."""
        user = self.state.create_user(
            first_name,
            user_id=user_id,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        return UserHandle(self, user.id)

    def ensure_user(self, user_id: int, **kwargs: Any) -> UserHandle:
        with self.state.lock:
            if user_id in self.state.users:
                return UserHandle(self, user_id)
            return self.create_user(user_id=user_id, **kwargs)

    def user(self, user_id: int) -> UserHandle:
        self.state.get_user(user_id)
        return UserHandle(self, user_id)

    def create_group(
        self,
        title: str,
        *,
        members: list[UserHandle] | tuple[UserHandle, ...] = (),
        supergroup: bool = False,
        username: str | None = None,
        bot_member: bool = True,
        bot_admin: bool = False,
    ) -> GroupHandle:
        """A group (or supergroup); the first member created it and adds the bot to it.

        Adding the bot makes the updates Telegram sends then: my_chat_member and a
        service message with new_chat_members.
        """
        users = [self.state.get_user(m.id) for m in members]
        with self.state.lock:
            chat = self.state.create_group(
                title, supergroup=supergroup, username=username, members=users, bot_status="left"
            )
            if bot_member:
                if not users:
                    raise ValueError("a group the bot is in needs at least one member to add it")
                self.state.set_bot_status(
                    chat, "administrator" if bot_admin else "member", users[0]
                )
            self._markers[chat.id] = chat.next_message_id - 1
        return GroupHandle(self, chat.id)

    def add_member(self, chat: ChatRef, user: UserRef, *, status: str = "member") -> None:
        with self.state.lock:
            group = self.state.get_chat(_chat_id(chat))
            group.members[_chat_id(user)] = status

    def add_bot_to_group(self, chat: ChatRef, *, by: UserRef, admin: bool = False) -> None:
        with self.state.lock:
            group = self.state.get_chat(_chat_id(chat))
            self.state.set_bot_status(
                group, "administrator" if admin else "member", self.state.get_user(_chat_id(by))
            )
            self._markers[group.id] = group.next_message_id - 1

    def remove_bot_from_group(self, chat: ChatRef, *, by: UserRef, kicked: bool = False) -> None:
        with self.state.lock:
            group = self.state.get_chat(_chat_id(chat))
            self.state.set_bot_status(
                group, "kicked" if kicked else "left", self.state.get_user(_chat_id(by))
            )

    # ---- what people do -----------------------------------------------------------------

    def send_text(
        self, chat: ChatRef, user: UserRef, text: str, *, reply_to: int | None = None
    ) -> MessageView:
        """``user`` writes ``text`` in ``chat`` (a private chat's id is the user's id)."""
        if not text:
            raise ValueError("Telegram apps don't send empty messages")
        with self.state.lock:
            person = self.state.get_user(_chat_id(user))
            chat_id = _chat_id(chat)
            if chat_id == person.id:
                target = self.state.private_chat(person)
            else:
                target = self.state.get_chat(chat_id)
            msg = self.state.user_message(target, person, text=text, reply_to=reply_to)
            self._markers[target.id] = msg.message_id
            view = self.state.message_view(target.id, msg.message_id)
        assert view is not None
        return view

    def send_command_in_group(
        self, chat: ChatRef, user: UserRef, command: str, args: str = "", *, mention: bool = True
    ) -> MessageView:
        """``/command@bot_username args`` (or without ``@bot_username``) in a group."""
        name = command.lstrip("/")
        text = f"/{name}@{self.state.bot_username}" if mention else f"/{name}"
        if args:
            text += f" {args}"
        return self.send_text(chat, user, text)

    def send_document(
        self,
        chat: ChatRef,
        user: UserRef,
        filename: str,
        data: bytes,
        *,
        caption: str | None = None,
        mime_type: str = "application/octet-stream",
    ) -> MessageView:
        with self.state.lock:
            person = self.state.get_user(_chat_id(user))
            chat_id = _chat_id(chat)
            target = (
                self.state.private_chat(person)
                if chat_id == person.id
                else self.state.get_chat(chat_id)
            )
            msg = self.state.user_message(
                target, person, document=(filename, data, mime_type), caption=caption
            )
            self._markers[target.id] = msg.message_id
            view = self.state.message_view(target.id, msg.message_id)
        assert view is not None
        return view

    def press_button(
        self,
        chat: ChatRef,
        label: str,
        *,
        message_id: int | None = None,
        user: UserRef | None = None,
    ) -> str:
        """Press the inline button labelled ``label``; returns the callback query id.

        ``message_id`` None = the latest bot message with an inline keyboard; ``user``
        None = the private chat's user (required in groups).
        """
        chat_id = _chat_id(chat)
        with self.state.lock:
            target = self.state.get_chat(chat_id)
            if user is None:
                if target.type != "private" or target.user is None:
                    raise ValueError("say which user presses the button in a group")
                person = target.user
            else:
                person = self.state.get_user(_chat_id(user))
            record = self.state.press_button(target, person, label, message_id)
            self._markers[chat_id] = target.next_message_id - 1
            return record.id

    def block(self, user: UserRef) -> None:
        """The user blocks the bot (the bot gets a my_chat_member update)."""
        self.state.set_blocked(self.state.get_user(_chat_id(user)), True)

    def unblock(self, user: UserRef) -> None:
        self.state.set_blocked(self.state.get_user(_chat_id(user)), False)

    def deactivate(self, user: UserRef) -> None:
        """The user deletes their account."""
        with self.state.lock:
            self.state.get_user(_chat_id(user)).deactivated = True

    def migrate_group(self, chat: ChatRef, *, by: UserRef | None = None) -> int:
        """Upgrade a basic group to a supergroup; returns the new chat id."""
        with self.state.lock:
            group = self.state.get_chat(_chat_id(chat))
            if by is None:
                creators = [uid for uid, s in group.members.items() if s == "creator"]
                if not creators:
                    raise ValueError("say who upgrades the group")
                person = self.state.get_user(creators[0])
            else:
                person = self.state.get_user(_chat_id(by))
            new = self.state.migrate(group, person)
            self._markers[group.id] = group.next_message_id - 1
            self._markers[new.id] = new.next_message_id - 1
            return new.id

    # ---- observing ----------------------------------------------------------------------

    def transcript(self, chat: ChatRef, *, include_deleted: bool = False) -> list[MessageView]:
        """Every message of the chat in order, both sides, as they are now (after edits)."""
        return self.state.transcript(_chat_id(chat), include_deleted=include_deleted)

    def bot_messages(self, chat: ChatRef) -> list[MessageView]:
        return [m for m in self.transcript(chat) if m.from_bot]

    def last_bot_message(self, chat: ChatRef, *, with_buttons: bool = False) -> MessageView | None:
        for message in reversed(self.bot_messages(chat)):
            if not with_buttons or message.buttons:
                return message
        return None

    def message(self, chat: ChatRef, message_id: int) -> MessageView:
        view = self.state.message_view(_chat_id(chat), message_id)
        if view is None:
            raise LookupError(f"no message {message_id} in chat {_chat_id(chat)}")
        return view

    def chat_json(self, chat: ChatRef) -> JsonDict:
        with self.state.lock:
            return self.state.get_chat(_chat_id(chat)).to_json()

    @property
    def requests(self) -> list[RequestRecord]:
        with self.state.lock:
            return list(self.state.requests)

    def requests_for(self, method: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.method.lower() == method.lower()]

    @property
    def errors(self) -> list[ErrorRecord]:
        """Invalid calls: requests Telegram rejects whatever the state (bad params, bad HTML...)."""
        with self.state.lock:
            return list(self.state.errors)

    @property
    def semantic_errors(self) -> list[ErrorRecord]:
        """Correct calls the world refused: blocked user, not modified, migrated chat..."""
        with self.state.lock:
            return list(self.state.semantic_errors)

    @property
    def unsupported_calls(self) -> list[ErrorRecord]:
        """Calls of real methods this fake does not implement."""
        with self.state.lock:
            return list(self.state.unsupported_calls)

    @property
    def internal_errors(self) -> list[str]:
        """Answers of ours that don't match the description (bugs of the fake)."""
        with self.state.lock:
            return list(self.state.internal_errors)

    @property
    def documents(self) -> list[SentFile]:
        with self.state.lock:
            return [
                m.file
                for c in self.state.chats.values()
                for m in c.messages
                if m.file and m.file.kind == "document"
            ]

    @property
    def photos(self) -> list[SentFile]:
        with self.state.lock:
            return [
                m.file
                for c in self.state.chats.values()
                for m in c.messages
                if m.file and m.file.kind == "photo"
            ]

    @property
    def chat_actions(self) -> list[ChatActionRecord]:
        with self.state.lock:
            return list(self.state.chat_actions)

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        with self.state.lock:
            return list(self.state.callback_answers)

    def callback_answer(self, callback_query_id: str) -> CallbackAnswer | None:
        for answer in self.callback_answers:
            if answer.callback_query_id == callback_query_id:
                return answer
        return None

    def callback_query_chat(self, callback_query_id: str) -> int | None:
        with self.state.lock:
            query = self.state.callback_queries.get(callback_query_id)
            return query.chat_id if query else None

    @property
    def rate_violations(self) -> list[RateViolation]:
        with self.state.lock:
            return list(self.state.rate_violations)

    @property
    def faults_triggered(self) -> list[FaultRecord]:
        with self.state.lock:
            return list(self.state.faults_triggered)

    def commands(self, *, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        """The commands the bot set for a scope (default scope) and language."""
        from .methods import get_my_commands

        params: JsonDict = {"language_code": language_code}
        if scope is not None:
            params["scope"] = scope
        with self.state.lock:
            return get_my_commands(self.state, params)

    @property
    def pending_updates(self) -> int:
        return self.state.pending_update_count

    @property
    def clock(self) -> Clock:
        return self.state.clock

    def advance_clock(self, seconds: float) -> None:
        clock = self.state.clock
        if not isinstance(clock, FakeClock):
            raise TypeError("the server was not started with a FakeClock")
        clock.advance(seconds)

    # ---- faults -------------------------------------------------------------------------

    def inject(self, fault: Fault) -> Fault:
        with self.state.lock:
            self.state.faults.append(fault)
        return fault

    def rate_limit_next(
        self, method: str | None = None, *, retry_after: int = 3, times: int | None = 1
    ) -> Fault:
        """The next ``times`` matching calls get 429 Too Many Requests (and do nothing)."""
        return self.inject(Fault.rate_limit(method, retry_after=retry_after, times=times))

    def server_error_next(
        self, method: str | None = None, *, status: int = 502, times: int | None = 1
    ) -> Fault:
        return self.inject(Fault.server_error(method, status=status, times=times))

    def delay_next(
        self,
        method: str | None = None,
        *,
        seconds: float,
        perform: bool = False,
        times: int | None = 1,
    ) -> Fault:
        """Slow answers: with ``perform`` the action happens and the answer is late."""
        return self.inject(Fault.delay(method, seconds=seconds, perform=perform, times=times))

    def drop_next(
        self, method: str | None = None, *, perform: bool = False, times: int | None = 1
    ) -> Fault:
        """The connection closes without an answer; with ``perform`` after the action happened."""
        return self.inject(Fault.drop(method, perform=perform, times=times))

    def random_faults(
        self,
        rate: float,
        kinds: Sequence[Fault],
        *,
        method: str | None = None,
        seed: int = 0,
    ) -> Fault:
        """A fault in ``rate`` of the matching calls, each one of ``kinds`` (as templates) at
        random; repeatable with ``seed``."""
        rng = random.Random(seed)

        def pick(_method: str, _params: dict[str, Any]) -> Fault | None:
            if rng.random() >= rate:
                return None
            return dataclasses.replace(rng.choice(list(kinds)), times=None)

        return self.inject(Fault.mix(pick, method))

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults.clear()

    # ---- waiting ------------------------------------------------------------------------

    def _find_message(
        self, chat_id: int, after: int, predicate: Callable[[MessageView], bool] | None
    ) -> MessageView | None:
        for message in self.transcript(chat_id):
            if (
                message.from_bot
                and message.message_id > after
                and (predicate is None or predicate(message))
            ):
                return message
        return None

    def _after(self, chat_id: int, after: int | MessageView | None) -> int:
        if after is None:
            return self._markers.get(chat_id, 0)
        return after.message_id if isinstance(after, MessageView) else after

    async def wait_for_message(
        self,
        chat: ChatRef,
        *,
        timeout: float = WAIT_SECONDS,  # noqa: ASYNC109
        predicate: Callable[[MessageView], bool] | None = None,
        after: int | MessageView | None = None,
    ) -> MessageView:
        """The first bot message in ``chat`` after ``after`` (default: after the last thing
        a person did there through this driver) that satisfies ``predicate``."""
        chat_id = _chat_id(chat)
        start = self._after(chat_id, after)
        return await self.wait_until(
            lambda: self._find_message(chat_id, start, predicate),
            timeout=timeout,
            message=lambda: self._describe_wait(chat_id, start),
        )

    def wait_for_message_sync(
        self,
        chat: ChatRef,
        *,
        timeout: float = WAIT_SECONDS,
        predicate: Callable[[MessageView], bool] | None = None,
        after: int | MessageView | None = None,
    ) -> MessageView:
        """Blocking twin of wait_for_message, for a bot running in another process/thread."""
        chat_id = _chat_id(chat)
        start = self._after(chat_id, after)
        return self.wait_until_sync(
            lambda: self._find_message(chat_id, start, predicate),
            timeout=timeout,
            message=lambda: self._describe_wait(chat_id, start),
        )

    async def wait_for_edit(
        self,
        chat: ChatRef,
        message_id: int,
        *,
        version: int | None = None,
        timeout: float = WAIT_SECONDS,  # noqa: ASYNC109
    ) -> MessageView:
        """Wait until the message changes (edited or deleted) past ``version``."""
        current = self.message(chat, message_id).version if version is None else version
        return await self.wait_until(
            lambda: m if (m := self.message(chat, message_id)).version > current else None,
            timeout=timeout,
        )

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float = WAIT_SECONDS,  # noqa: ASYNC109
        interval: float = 0.01,
        message: str | Callable[[], str] | None = None,
    ) -> T:
        """Poll ``predicate`` (without blocking the event loop) until it returns a truthy value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(timeout, message))
            await asyncio.sleep(interval)

    def wait_until_sync(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float = WAIT_SECONDS,
        interval: float = 0.01,
        message: str | Callable[[], str] | None = None,
    ) -> T:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(timeout, message))
            time.sleep(interval)

    def _updates_consumed(self) -> bool:
        with self.state.lock:
            return not self.state.updates

    async def wait_for_updates_consumed(self, *, timeout: float = WAIT_SECONDS) -> None:  # noqa: ASYNC109
        """Wait until the bot has fetched and acknowledged every update made so far."""
        await self.wait_until(
            self._updates_consumed, timeout=timeout, message=self._describe_updates
        )

    def wait_for_updates_consumed_sync(self, *, timeout: float = WAIT_SECONDS) -> None:
        self.wait_until_sync(
            self._updates_consumed, timeout=timeout, message=self._describe_updates
        )

    def _idle(self, quiet: float) -> bool:
        with self.state.lock:
            calm = (
                not self.state.updates
                and self.state.calls_in_flight == 0
                and time.monotonic() - self.state.last_activity >= quiet
            )
        return calm and not self._work_left()

    def _work_left(self) -> str:
        return "; ".join(left for check in list(self._work_checks) if (left := check()))

    async def wait_until_idle(self, *, timeout: float = WAIT_SECONDS, quiet: float = 0.1) -> None:  # noqa: ASYNC109
        """Updates consumed, no call in progress and none for ``quiet`` seconds."""
        await self.wait_until(
            lambda: self._idle(quiet), timeout=timeout, message=self._describe_idle
        )

    def wait_until_idle_sync(self, *, timeout: float = WAIT_SECONDS, quiet: float = 0.1) -> None:
        self.wait_until_sync(
            lambda: self._idle(quiet), timeout=timeout, message=self._describe_idle
        )

    def _describe_idle(self) -> str:
        """What kept the bot from being idle: its calls, and the work it says it has left."""
        left = self._work_left()
        return self._describe_updates() + (f"; the bot's work left: {left}" if left else "")

    def _timeout_message(self, timeout: float, message: str | Callable[[], str] | None) -> str:
        text = message() if callable(message) else (message or "condition not met")
        extra = ""
        if self.errors:
            extra += "\ninvalid calls:\n  " + "\n  ".join(str(e) for e in self.errors)
        if self.semantic_errors:
            extra += "\nrefused calls:\n  " + "\n  ".join(str(e) for e in self.semantic_errors[-5:])
        return f"timed out after {timeout:g}s: {text}{extra}"

    def _describe_wait(self, chat_id: int, after: int) -> str:
        lines = [f"no bot message after #{after} in chat {chat_id}; transcript:"]
        for m in self.transcript(chat_id)[-10:]:
            who = "bot" if m.from_bot else str(m.sender_id)
            lines.append(f"  #{m.message_id} {who}: {m.content[:120]!r} {m.button_labels or ''}")
        return "\n".join(lines)

    def _describe_updates(self) -> str:
        with self.state.lock:
            text = (
                f"{len(self.state.updates)} updates not yet acknowledged, "
                f"{self.state.calls_in_flight} calls in progress, "
                f"{self.state.polls_in_flight} getUpdates waiting"
            )
        left = self._work_left()
        return f"{text}; the bot: {left}" if left else text


class UserHandle:
    """A person; their private chat with the bot has their id."""

    def __init__(self, driver: Driver, user_id: int) -> None:
        self.driver = driver
        self.id = user_id

    def __repr__(self) -> str:
        return f"UserHandle({self.id})"

    @property
    def chat_id(self) -> int:
        return self.id

    @property
    def info(self) -> User:
        return self.driver.state.get_user(self.id)

    def user_json(self) -> JsonDict:
        with self.driver.state.lock:
            return self.info.to_json()

    def send(self, text: str, *, reply_to: int | None = None) -> MessageView:
        return self.driver.send_text(self.id, self.id, text, reply_to=reply_to)

    def start(self, payload: str | None = None) -> MessageView:
        return self.send(f"/start {payload}" if payload else "/start")

    def send_document(
        self, filename: str, data: bytes, *, caption: str | None = None
    ) -> MessageView:
        return self.driver.send_document(self.id, self.id, filename, data, caption=caption)

    def press(self, label: str, *, message_id: int | None = None) -> str:
        return self.driver.press_button(self.id, label, message_id=message_id, user=self.id)

    def block(self) -> None:
        self.driver.block(self.id)

    def unblock(self) -> None:
        self.driver.unblock(self.id)

    def deactivate(self) -> None:
        self.driver.deactivate(self.id)

    def transcript(self) -> list[MessageView]:
        return self.driver.transcript(self.id)

    def bot_messages(self) -> list[MessageView]:
        return self.driver.bot_messages(self.id)

    def last_bot_message(self, *, with_buttons: bool = False) -> MessageView | None:
        return self.driver.last_bot_message(self.id, with_buttons=with_buttons)

    def wait_for_message(self, **kwargs: Any) -> Awaitable[MessageView]:
        return self.driver.wait_for_message(self.id, **kwargs)

    def wait_for_message_sync(self, **kwargs: Any) -> MessageView:
        return self.driver.wait_for_message_sync(self.id, **kwargs)


class GroupHandle:
    """A group or supergroup; ``id`` follows a migration to the new supergroup."""

    def __init__(self, driver: Driver, chat_id: int) -> None:
        self.driver = driver
        self.original_id = chat_id

    def __repr__(self) -> str:
        return f"GroupHandle({self.id})"

    @property
    def id(self) -> int:
        with self.driver.state.lock:
            chat = self.driver.state.get_chat(self.original_id)
            while chat.migrated_to is not None:
                chat = self.driver.state.get_chat(chat.migrated_to)
            return chat.id

    @property
    def chat_id(self) -> int:
        return self.id

    @property
    def type(self) -> str:
        with self.driver.state.lock:
            return self.driver.state.get_chat(self.id).type

    def send(self, user: UserRef, text: str, *, reply_to: int | None = None) -> MessageView:
        return self.driver.send_text(self.id, user, text, reply_to=reply_to)

    def command(
        self, user: UserRef, command: str, args: str = "", *, mention: bool = True
    ) -> MessageView:
        return self.driver.send_command_in_group(self.id, user, command, args, mention=mention)

    def press(self, user: UserRef, label: str, *, message_id: int | None = None) -> str:
        return self.driver.press_button(self.id, label, message_id=message_id, user=user)

    def add_member(self, user: UserRef, *, status: str = "member") -> None:
        self.driver.add_member(self.id, user, status=status)

    def migrate(self, *, by: UserRef | None = None) -> int:
        return self.driver.migrate_group(self.id, by=by)

    def transcript(self) -> list[MessageView]:
        return self.driver.transcript(self.id)

    def bot_messages(self) -> list[MessageView]:
        return self.driver.bot_messages(self.id)

    def last_bot_message(self, *, with_buttons: bool = False) -> MessageView | None:
        return self.driver.last_bot_message(self.id, with_buttons=with_buttons)

    def wait_for_message(self, **kwargs: Any) -> Awaitable[MessageView]:
        return self.driver.wait_for_message(self.id, **kwargs)

    def wait_for_message_sync(self, **kwargs: Any) -> MessageView:
        return self.driver.wait_for_message_sync(self.id, **kwargs)
