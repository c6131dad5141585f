"""The HTTP side: an aiohttp server in its own thread with its own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from . import methods
from .driver import Driver
from .spec import ApiSpec, load_spec
from .state import BotApiState, Clock, Fault, RateLimits, RequestRecord, WebhookDelivery
from .validation import INVALID, ApiError, UploadedFile
from .webchat import Director, WebChat

JsonDict = dict[str, Any]

DEFAULT_TOKEN = "123456789:AAFakeTokenForTests-0123456789abcdef"
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_MAX_BODY = 60 * 1024 * 1024
# a webhook that failed is posted to again after this long (Telegram waits longer, and more
# each time; tests want it soon)
WEBHOOK_RETRY_SECONDS = 0.5
WEBHOOK_TIMEOUT_SECONDS = 10.0


class _DropConnection(Exception):
    """Close the connection without an answer."""


class FakeBotApi:
    """A fake Telegram Bot API server for one bot.

    Start it (``start()`` or ``with FakeBotApi() as api:``), give ``base_url`` to the bot
    (``ApplicationBuilder().base_url(api.base_url)``) and act/observe with ``api.driver``.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "goalbot_test_bot",
        bot_first_name: str = "Goalbot",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        strict: bool = True,
        privacy_mode: bool = True,
        callback_query_ttl: float = 15 * 60,
        rate_limits: RateLimits | None = None,
        spec: ApiSpec | None = None,
        check_responses: bool = True,
        web_chat: bool = False,
        director: Director | None = None,
    ) -> None:
        self._world_options: dict[str, Any] = {
            "token": token,
            "bot_username": bot_username,
            "bot_first_name": bot_first_name,
            "clock": clock,
            "strict": strict,
            "privacy_mode": privacy_mode,
            "callback_query_ttl": callback_query_ttl,
            "rate_limits": rate_limits,
        }
        self.state = BotApiState(spec or load_spec(), **self._world_options)
        self.driver = Driver(self.state)
        # the web chat (``/``): a page for playing the people of this world in a browser
        self.web = WebChat(self, director) if web_chat or director is not None else None
        self.host = host
        self.port = port
        self.check_responses = check_responses
        self.invalid_calls_expected = False
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._wake: asyncio.Event | None = None
        self._push: asyncio.Event | None = None  # wakes the webhook's poster
        self._closing = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._posting: set[int] = set()  # update ids on their way to the webhook
        self._webhook_task: asyncio.Task[None] | None = None

    # ---- addresses ----------------------------------------------------------------------

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def bot_username(self) -> str:
        return self.state.bot_username

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` / ``Bot(base_url=...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def expect_invalid_calls(self) -> None:
        """This test makes invalid calls on purpose: don't fail it for them."""
        self.invalid_calls_expected = True

    def reset(self) -> None:
        """Forget the whole world (people, chats, messages, records); the server runs on.

        Only while no bot is polling: a long poll in progress would wait on the old world.
        """
        old = self.state
        options = {**self._world_options, "rate_limits": old.rates.limits}
        new = BotApiState(old.spec, **options)
        with old.lock:
            listeners = old.take_listeners()
            new.revision = old.revision + 1
        for listener in listeners:
            new.add_listener(listener)
        self.state = new
        self.driver = Driver(new)
        new.notify()

    # ---- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> FakeBotApi:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> FakeBotApi:
        if self._thread is not None:
            raise RuntimeError("already started")
        # started again after stop(): same port and state, as a Telegram that was unreachable
        self._ready.clear()
        self._closing = False
        self._startup_error = None
        self._thread = threading.Thread(target=self._thread_main, name="fake-botapi", daemon=True)
        self._thread.start()
        self._ready.wait(15)
        if self._startup_error is not None:
            raise RuntimeError("fake Bot API server failed to start") from self._startup_error
        if not self._ready.is_set():
            raise RuntimeError("fake Bot API server did not start in time")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            with contextlib.suppress(Exception):
                future.result(15)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(15)
        self._thread = None

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(self._startup())
            except BaseException as exc:
                self._startup_error = exc
                return
            finally:
                self._ready.set()
            loop.run_forever()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _startup(self) -> None:
        self._wake = asyncio.Event()
        self._push = asyncio.Event()
        loop = asyncio.get_running_loop()
        self.state.add_listener(self._wake_threadsafe)
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._file)
        _add_control_routes(app, self)
        if self.web is not None:
            self.web.attach(loop)
            self.state.add_listener(self.web.changed)
            self.web.add_routes(app)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        # (only once it listens: a port in use leaves no task behind)
        self._webhook_task = loop.create_task(self._post_updates())
        server = site._server
        if self.port == 0 and server is not None:
            sockets = getattr(server, "sockets", None) or []
            self.port = int(sockets[0].getsockname()[1])
        self._loop = loop

    def _wake_threadsafe(self) -> None:
        loop, wake, push = self._loop, self._wake, self._push
        if loop is None or wake is None or push is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(wake.set)
        loop.call_soon_threadsafe(push.set)

    async def _shutdown(self) -> None:
        self._closing = True
        self.state.remove_listener(self._wake_threadsafe)
        if self.web is not None:
            self.state.remove_listener(self.web.changed)
        if self._wake is not None:
            self._wake.set()
        if self._push is not None:
            self._push.set()
        for task in [*self._tasks, *([self._webhook_task] if self._webhook_task else [])]:
            task.cancel()
        await asyncio.sleep(0)
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- the webhook --------------------------------------------------------------------

    async def _post_updates(self) -> None:
        """While a webhook is set, post every pending update to it (as many at a time as
        ``max_connections`` allows); an update is confirmed by a 2xx answer, and posted again
        a little later after any other answer or none."""
        wake = self._push
        assert wake is not None
        timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self._closing:
                state = self.state
                with state.lock:
                    url, secret = state.webhook_url, state.webhook_secret
                    room = state.webhook_max_connections - len(self._posting)
                    due = [u for u in state.updates if u.update_id not in self._posting]
                if url and room > 0 and due:
                    for update in due[:room]:
                        self._posting.add(update.update_id)
                        task = asyncio.get_running_loop().create_task(
                            self._post_one(session, url, secret, update.update_id, update.to_json())
                        )
                        self._tasks.add(task)
                        task.add_done_callback(self._tasks.discard)
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), 1.0)

    async def _post_one(
        self,
        session: aiohttp.ClientSession,
        url: str,
        secret: str,
        update_id: int,
        body: JsonDict,
    ) -> None:
        state = self.state
        record = WebhookDelivery(update_id, state.now())
        with state.lock:
            state.webhook_deliveries.append(record)
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        try:
            async with session.post(url, json=body, headers=headers) as answer:
                record.status = answer.status
                await answer.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            record.error = str(exc) or type(exc).__name__
        ok = record.status is not None and 200 <= record.status < 300
        if ok:
            state.webhook_delivered(update_id)
        else:
            why = record.error or f"Wrong response from the webhook: {record.status}"
            with state.lock:
                state.webhook_last_error = (state.date(), why)
            await asyncio.sleep(WEBHOOK_RETRY_SECONDS)
        self._posting.discard(update_id)
        self._wake_threadsafe()

    # ---- the Bot API --------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            return await self._api_inner(request)
        except _DropConnection:
            transport = request.transport
            if transport is not None:
                transport.abort()
            raise asyncio.CancelledError() from None
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _api_inner(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        token = request.match_info["token"]
        name = request.match_info["method"]
        if token != state.token:
            if not _TOKEN_RE.match(token):
                return _json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        try:
            raw, files = await _read_params(request)
        except ApiError as exc:
            record = state.start_request(name, request.method, {}, {})
            return self._error(record, name, {}, exc)
        record = state.start_request(name, request.method, raw, files)
        spec = state.spec.method(name)
        if spec is None:
            return self._error(record, name, raw, ApiError(404, "Not Found", category=INVALID))
        record.method = spec.name
        try:
            params = state.validator.validate(spec, raw, files)
            poll: JsonDict = {}
            if spec.name == "getUpdates":
                poll = methods.check_get_updates(state, params)
        except ApiError as exc:
            return self._error(record, spec.name, raw, exc)

        fault = state.take_fault(spec.name, params)
        if fault is not None:
            record.fault = fault.kind
            return await self._apply_fault(record, fault, spec.name, params, poll)
        status, body = await self._execute(
            record, spec.name, params, poll, lambda: _client_gone(request)
        )
        state.finish_request(record, status, body)
        if spec.name != "getUpdates":
            state.notify()  # the web chat shows every call's outcome, refusals too
        return _json(status, body)

    async def _apply_fault(
        self, record: RequestRecord, fault: Fault, name: str, params: JsonDict, poll: JsonDict
    ) -> web.StreamResponse:
        if fault.kind in ("rate_limit", "server_error"):
            body = fault.error_json()
            self.state.finish_request(record, fault.http_status, body)
            return _json(fault.http_status, body)
        if fault.kind == "delay" and fault.perform:
            status, body = await self._execute(record, name, params, poll)
            self.state.finish_request(record, status, body)
            await asyncio.sleep(fault.seconds)
            return _json(status, body)
        if fault.kind == "drop" and fault.perform:
            # Telegram acted, and the answer never reached the bot
            status, body = await self._execute(record, name, params, poll)
            self.state.finish_request(record, status, body)
            self.state.notify()
            raise _DropConnection()
        if fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
        self.state.finish_request(record, None, None)
        raise _DropConnection()

    async def _execute(
        self,
        record: RequestRecord,
        name: str,
        params: JsonDict,
        poll: JsonDict,
        client_gone: Callable[[], bool] | None = None,
    ) -> tuple[int, JsonDict]:
        state = self.state
        if name == "getUpdates":
            try:
                result: Any = await self._long_poll(params, poll)
            except ApiError as exc:
                if not (exc.error_code == 409 and client_gone is not None and client_gone()):
                    state.record_error(name, record.params, exc)
                return exc.error_code, exc.to_json()
        else:
            with state.lock:
                state.calls_in_flight += 1
            try:
                result = methods.call(state, name, params)
            except ApiError as exc:
                state.record_error(name, record.params, exc)
                return exc.error_code, exc.to_json()
            finally:
                with state.lock:
                    state.calls_in_flight -= 1
        if self.check_responses:
            spec = state.spec.method(name)
            assert spec is not None
            problems = state.validator.check_result(result, spec.returns)
            if problems:
                with state.lock:
                    state.internal_errors.append(
                        f"{name} answer does not match the spec: {problems}"
                    )
        return 200, {"ok": True, "result": result}

    async def _long_poll(self, params: JsonDict, poll: JsonDict) -> list[JsonDict]:
        state = self.state
        wake = self._wake
        assert wake is not None
        loop = asyncio.get_running_loop()
        generation = state.begin_get_updates(params)
        deadline = loop.time() + float(poll["timeout"])
        try:
            while True:
                wake.clear()
                if state.poll_generation != generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                        category="semantic",
                    )
                updates = state.peek_updates(poll["limit"])
                remaining = deadline - loop.time()
                if updates or remaining <= 0 or self._closing:
                    return updates
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), remaining)
        finally:
            state.end_get_updates()

    def _error(
        self, record: RequestRecord, name: str, raw: JsonDict, error: ApiError
    ) -> web.StreamResponse:
        self.state.record_error(name, raw, error)
        body = error.to_json()
        self.state.finish_request(record, error.error_code, body)
        self.state.notify()
        return _json(error.error_code, body)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.state.token:
            return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        path = request.match_info["path"]
        with self.state.lock:
            for sent in self.state.files.values():
                if f"file_{sent.file_unique_id}" in path:
                    return web.Response(
                        body=sent.data, content_type=sent.mime_type or "application/octet-stream"
                    )
        return _json(404, {"ok": False, "error_code": 404, "description": "Not Found"})


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _json(status: int, body: JsonDict | list[Any]) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json"
    )


async def _read_params(request: web.Request) -> tuple[JsonDict, dict[str, UploadedFile]]:
    raw: JsonDict = dict(request.query.items())
    files: dict[str, UploadedFile] = {}
    if request.method not in ("POST", "PUT") or not request.body_exists:
        return raw, files
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.read()
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON encoded request") from None
            if not isinstance(data, dict):
                raise ApiError(400, "Bad Request: JSON object expected in the request body")
            raw.update(data)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                try:
                    data_bytes = value.file.read()
                finally:
                    value.file.close()
                files[key] = UploadedFile(
                    field_name=key,
                    filename=value.filename,
                    content_type=value.content_type,
                    data=data_bytes,
                )
            else:
                raw[key] = value
    return raw, files


# ---- control API, for the phone and for driving a bot by hand ---------------------------


def _add_control_routes(app: web.Application, api: FakeBotApi) -> None:
    async def info(request: web.Request) -> web.Response:
        return _json(200, {"bot_username": api.bot_username, "base_url": api.base_url})

    async def user(request: web.Request) -> web.Response:
        data = await request.json()
        handle = api.driver.ensure_user(
            int(data["user_id"]),
            first_name=data.get("first_name") or "Test",
            last_name=data.get("last_name"),
            username=data.get("username"),
            language_code=data.get("language_code", "fi"),
        )
        return _json(200, handle.user_json())

    async def send(request: web.Request) -> web.Response:
        data = await request.json()
        user_id = int(data["user_id"])
        chat_id = int(data.get("chat_id") or user_id)
        try:
            text = str(data["text"])
            view = await asyncio.to_thread(api.driver.send_text, chat_id, user_id, text)
        except (LookupError, ValueError) as exc:
            return _json(400, {"ok": False, "description": str(exc)})
        return _json(200, {"ok": True, "message": view.json})

    async def press(request: web.Request) -> web.Response:
        data = await request.json()
        user_id = int(data["user_id"])
        chat_id = int(data.get("chat_id") or user_id)
        message_id = data.get("message_id")
        label = data.get("label")
        try:
            if label is None:
                view = (
                    api.driver.message(chat_id, int(message_id))
                    if message_id is not None
                    else api.driver.last_bot_message(chat_id, with_buttons=True)
                )
                if view is None:
                    raise LookupError("no message with buttons")
                labels = view.button_labels
                index = int(data["index"])
                if not 1 <= index <= len(labels):
                    raise LookupError(f"no button number {index}; there are {len(labels)}")
                label = labels[index - 1]
                message_id = view.message_id
            query_id = api.driver.press_button(
                chat_id,
                str(label),
                message_id=None if message_id is None else int(message_id),
                user=user_id,
            )
        except (LookupError, ValueError) as exc:
            return _json(400, {"ok": False, "description": str(exc)})
        return _json(200, {"ok": True, "callback_query_id": query_id})

    async def transcript(request: web.Request) -> web.Response:
        chat_id = int(request.query["chat_id"])
        messages = [
            {
                "message_id": v.message_id,
                "from_bot": v.from_bot,
                "version": v.version,
                "kind": v.kind,
                "text": v.content,
                "buttons": [[b["text"] for b in row] for row in v.buttons],
                "filename": v.file.filename if v.file else None,
                "json": v.json,
            }
            for v in api.driver.transcript(chat_id)
        ]
        answers = [
            {"text": a.text, "show_alert": a.show_alert}
            for a in api.driver.callback_answers
            if api.driver.callback_query_chat(a.callback_query_id) == chat_id
        ]
        return _json(200, {"messages": messages, "callback_answers": answers})

    async def errors(request: web.Request) -> web.Response:
        return _json(
            200,
            {
                "invalid": [str(e) for e in api.driver.errors],
                "semantic": [str(e) for e in api.driver.semantic_errors],
                "unsupported": [str(e) for e in api.driver.unsupported_calls],
                "internal": list(api.driver.internal_errors),
            },
        )

    app.router.add_get("/_control/info", info)
    app.router.add_post("/_control/user", user)
    app.router.add_post("/_control/send", send)
    app.router.add_post("/_control/press", press)
    app.router.add_get("/_control/transcript", transcript)
    app.router.add_get("/_control/errors", errors)
