"""Receiving updates by webhook: Telegram posts each update to ``[telegram] webhook_url``.

A small aiohttp server in the bot's own event loop, behind a reverse proxy that terminates
HTTPS. An update is stored in the inbox before the answer goes back (the application's
InboxQueue keeps it as it is queued): 200 means kept, and anything else makes Telegram post
it again later, so an update this process could not keep (the database is unreachable) is
answered 503, not lost. A request without the right secret token is refused with 403, and
logged the first time only (a scanner knocking all day would fill the log).
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from goalbot.chat.inbox import InboxUnavailable
from goalbot.chat.supervision import supervision
from goalbot.config import TelegramConfig

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few kilobytes; a megabyte is no update


class WebhookReceiver:
    """The HTTP server that takes Telegram's posts and queues (keeps) each update."""

    def __init__(
        self, application: Application[Any, Any, Any, Any, Any, Any], settings: TelegramConfig
    ) -> None:
        self.application = application
        self.settings = settings
        self.refused = 0  # requests without the right secret
        self.received = 0  # updates kept (or found kept before) and answered 200
        self._runner: web.AppRunner | None = None
        self.port = settings.port

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        """Listen on ``[telegram] listen``:``port`` for posts to the webhook address's path."""
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_post(self.settings.webhook_path, self._post)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.listen, self.settings.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise OSError(
                f"cannot listen for the webhook on {self.settings.listen}:{self.settings.port}: "
                f"{exc.strerror or exc}"
            ) from exc
        self._runner = runner
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        log.info(
            "receiving updates on http://%s:%d%s (webhook %s)",
            self.settings.listen,
            self.port,
            self.settings.webhook_path,
            self.settings.webhook_url,
            extra={"event": "webhook_listening", "port": self.port},
        )

    async def stop(self) -> None:
        """Stop taking posts (Telegram keeps what it could not deliver meanwhile)."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    def _authorised(self, request: web.Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "")
        if hmac.compare_digest(given.encode(), self.settings.secret_token.encode()):
            return True
        self.refused += 1
        if self.refused == 1:
            log.warning(
                "refused a webhook request from %s %s the secret token (403); later ones are "
                "refused without a word",
                request.headers.get("X-Forwarded-For", request.remote or "?"),
                "with a wrong" if given else "without",
                extra={"event": "webhook_refused"},
            )
        return False

    async def _post(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.application.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("a webhook post is no update: %s", exc)
            return web.Response(status=400, text="not an update")
        if update is None:
            return web.Response(status=400, text="not an update")
        try:
            # kept in the database before it is queued: the 200 below confirms a kept update
            await self.application.update_queue.put(update)
        except InboxUnavailable as exc:
            # logged once as an outage by the supervision; Telegram posts it again later
            cause = exc.__cause__
            supervision(self.application).database.failed(str(cause or exc))
            return web.Response(status=503, text="try again")
        self.received += 1
        return web.Response(status=200)
