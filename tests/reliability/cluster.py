"""Several ``goalbot run`` on one PostgreSQL database, and a reverse proxy in front of them.

A Cluster plays the part of one BotProcess for a quarter (tests/reliability/campaign.py): its
``kill`` SIGKILLs whichever process leads just then and waits until a standby has taken over
(the time it took is kept), its ``start`` brings the killed one back, as a standby. The proxy
spreads Telegram's webhook posts over the processes round-robin, and passes a post to the next
one when a process does not accept the connection, as nginx does with an upstream that is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
from aiohttp import web

from goalbot.services.context import AppContext
from goalbot.services.health import running_instances
from tests.e2e.bot_process import START_TIMEOUT, BotProcess
from tests.fakes.botapi import Driver

TAKEOVER_LIMIT = 30.0  # a standby leads this soon after the leader died
# several processes start side by side on a busy machine: each may take a while
CLUSTER_START_TIMEOUT = 3 * START_TIMEOUT


def free_ports(count: int) -> list[int]:
    """``count`` TCP ports on 127.0.0.1 that nothing listens on just now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class WebhookProxy:
    """A round-robin reverse proxy on 127.0.0.1 in a thread of its own."""

    def __init__(self, upstreams: list[int], path: str) -> None:
        self.upstreams = upstreams
        self.path = path
        self.port = 0
        self.posts = {port: 0 for port in upstreams}  # answered by each upstream
        self._next = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="webhook-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10), "the proxy did not start"

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and loop.is_running():
            if self._runner is not None:
                with contextlib.suppress(Exception):
                    asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)

    def _main(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        loop.run_until_complete(self._startup())
        self._ready.set()
        loop.run_forever()
        loop.close()

    async def _startup(self) -> None:
        app = web.Application()
        app.router.add_post(self.path, self._forward)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1])

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")
        }
        timeout = aiohttp.ClientTimeout(total=30)
        for _ in range(len(self.upstreams)):
            port = self.upstreams[self._next % len(self.upstreams)]
            self._next += 1
            try:
                async with (
                    aiohttp.ClientSession(timeout=timeout) as session,
                    session.post(
                        f"http://127.0.0.1:{port}{self.path}", data=body, headers=headers
                    ) as answer,
                ):
                    text = await answer.read()
                    self.posts[port] += 1
                    return web.Response(status=answer.status, body=text)
            except aiohttp.ClientConnectorError:
                continue  # not listening (killed): the next one
            except (aiohttp.ClientError, TimeoutError):
                return web.Response(status=502, text="bad gateway")
        return web.Response(status=502, text="no upstream")


class Cluster(BotProcess):
    """``count`` bot processes on one database; looks like one BotProcess to a Quarter."""

    def __init__(
        self,
        config: Path,
        logs: Path,
        driver: Driver,
        ctx: AppContext,
        ports: list[int],
        webhook: WebhookProxy | None = None,
        secret: str = "",
    ) -> None:
        super().__init__(config, logs, driver)
        self.ctx = ctx
        self.webhook = webhook
        env = (
            {
                "GOALBOT_TELEGRAM__MODE": "webhook",
                "GOALBOT_TELEGRAM__WEBHOOK_URL": webhook.url,
                "GOALBOT_TELEGRAM__SECRET_TOKEN": secret,
            }
            if webhook is not None
            else {}
        )
        self.members = [
            BotProcess(
                config,
                logs,
                driver,
                env={**env, "GOALBOT_TELEGRAM__PORT": str(port)},
                name=f"bot{n}",
            )
            for n, port in enumerate(ports, start=1)
        ]
        self.killed: list[BotProcess] = []
        self.takeovers: list[float] = []  # seconds from a leader's kill to the next leader

    # -- as one BotProcess ----------------------------------------------------------------

    def start(
        self, ready: Callable[[], bool] | None = None, timeout: float = CLUSTER_START_TIMEOUT
    ) -> None:
        """The first time: every member, the first one leading; then: the killed ones again."""
        if self.killed:
            for member in self.killed:
                member.start(ready=self._ready(member, leads=False), timeout=timeout)
            self.killed = []
            return
        for number, member in enumerate(self.members):
            member.start(ready=self._ready(member, leads=number == 0), timeout=timeout)

    def kill(self) -> None:
        """SIGKILL the leader, and wait until a standby leads (the takeover's time is kept)."""
        leader = self.leader(timeout=START_TIMEOUT)
        leader.kill()
        self.killed.append(leader)
        killed_at = time.monotonic()
        self.leader(timeout=TAKEOVER_LIMIT + 5)
        self.takeovers.append(time.monotonic() - killed_at)

    def exited(self) -> bool:
        return any(member.exited() for member in self.members)

    def stop(self) -> None:
        for member in self.members:
            member.stop()

    def output(self, limit: int | None = 4000) -> str:
        return "\n".join(member.output(limit) for member in self.members)

    # -- the members ----------------------------------------------------------------------

    def logged(self, member: BotProcess, text: str) -> bool:
        path = self.logs / f"{member.name}-{member.starts}.log"
        return path.exists() and text in path.read_text(errors="replace")

    def _ready(self, member: BotProcess, leads: bool) -> Callable[[], bool]:
        receiving = "receiving updates on" if self.webhook is not None else "goalbot is running as"

        def ready() -> bool:
            return self.logged(member, receiving) and (
                not leads or self.logged(member, "this bot leads now")
            )

        return ready

    def leader(self, timeout: float) -> BotProcess:
        """The member that leads (waiting for one to lead, at most ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            alive = {m.process.pid: m for m in self.members if m.process is not None}
            for running in running_instances(self.ctx):
                if running.leader and running.instance.pid in alive:
                    return alive[running.instance.pid]
            assert time.monotonic() < deadline, f"no bot leads after {timeout} s\n{self.output()}"
            time.sleep(0.2)


class Clusters:
    """Makes a quarter's Cluster (``campaign.quarter``'s ``bots``) of ``count`` processes; with a
    ``webhook_path``, in webhook mode behind a WebhookProxy (started here, stopped on exit)."""

    def __init__(self, count: int, webhook_path: str | None = None, secret: str = "") -> None:
        self.ports = free_ports(count)
        self.secret = secret
        self.proxy = WebhookProxy(self.ports, webhook_path) if webhook_path else None
        self.made: list[Cluster] = []

    def __call__(self, config: Path, logs: Path, driver: Driver, ctx: AppContext) -> Cluster:
        self.made.append(Cluster(config, logs, driver, ctx, self.ports, self.proxy, self.secret))
        return self.made[-1]

    @property
    def cluster(self) -> Cluster:
        return self.made[-1]

    def __enter__(self) -> Clusters:
        if self.proxy is not None:
            self.proxy.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proxy is not None:
            self.proxy.stop()
