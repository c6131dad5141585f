"""Building and running the Telegram application."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from goalbot.bootstrap import bootstrap
from goalbot.chat import handlers
from goalbot.chat.admin import add_admin_handlers
from goalbot.chat.inbox import (
    INBOX_INTERVAL_SECONDS,
    InboxProcessor,
    InboxQueue,
    InboxUnavailable,
    attach_inbox,
    inbox_of,
    instance_name,
)
from goalbot.chat.languages import add_language_handlers
from goalbot.chat.leadership import (
    ALLOWED_UPDATES,
    become_leader,
    install_leader_jobs,
    install_leadership,
    poll_errors,
    start_receiving,
)
from goalbot.chat.menus import set_commands
from goalbot.chat.ratelimit import TelegramLimits
from goalbot.chat.reports import add_report_handlers
from goalbot.chat.supervision import (
    HEARTBEAT_JOB,
    Supervision,
    TrackingRequest,
    heartbeat,
    heartbeat_interval,
    supervision,
    this_instance,
)
from goalbot.chat.systemd import notify
from goalbot.config import Config, ConfigError, StartupError
from goalbot.logs import setup_logging
from goalbot.services import owners as owner_service
from goalbot.services.context import AppContext
from goalbot.services.health import latest_instance, start_instance, stop_instance
from goalbot.storage.database import (
    Database,
    StorageError,
    database_read_only,
    file_identity,
    sqlite_file,
)
from goalbot.storage.instance import AlreadyRunning, InstanceLock

log = logging.getLogger(__name__)
DELIVERY_INTERVAL_SECONDS = 3.0
CONCURRENT_UPDATES = 8
__all__ = ["ALLOWED_UPDATES", "build_application", "run_bot", "running", "set_commands"]


def build_application(
    ctx: AppContext,
    delivery_interval: float = DELIVERY_INTERVAL_SECONDS,
    calendar: bool = True,
    limits: TelegramLimits | None = None,
    instance: str | None = None,
    leader: bool = True,
    inbox_interval: float = INBOX_INTERVAL_SECONDS,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB application, talking to ``[telegram] base_url``.

    ``limits``: how sends are paced (default: Telegram's own limits). ``instance``: this
    process as its claims name it. ``leader``: it leads from the start (the only bot, as in
    tests); otherwise it leads once it holds the leader lock (chat/leadership.py).
    ``inbox_interval``: how often what waited for the database is tried again.
    """
    tg = ctx.config.telegram
    watch = Supervision()
    timeouts = {
        "connect_timeout": tg.connect_timeout,
        "write_timeout": tg.read_timeout,
        "pool_timeout": 1.0,
    }
    builder = (
        ApplicationBuilder()
        .token(ctx.config.require_token())
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .request(
            TrackingRequest(
                watch.telegram,
                connection_pool_size=256,
                read_timeout=tg.read_timeout,
                **timeouts,
            )
        )
        .get_updates_request(
            TrackingRequest(
                watch.telegram,
                connection_pool_size=1,
                read_timeout=tg.poll_timeout + tg.read_timeout,
                **timeouts,
            )
        )
        .rate_limiter(limits or TelegramLimits())
        .update_queue(InboxQueue())
        .concurrent_updates(InboxProcessor(CONCURRENT_UPDATES))
        .post_init(_post_init)
    )
    application = builder.build()
    application.bot_data["ctx"] = ctx
    application.bot_data["supervision"] = watch
    # this process, as its claims of updates and sends name it
    application.bot_data["instance"] = instance = instance or instance_name()
    application.bot_data["leader_jobs"] = (delivery_interval, calendar)
    attach_inbox(application, ctx, instance, inbox_interval)
    add_handlers(application)
    job_queue = application.job_queue
    assert job_queue is not None, "python-telegram-bot[job-queue] is required"
    job_queue.run_repeating(heartbeat, interval=heartbeat_interval(), first=0.0, name=HEARTBEAT_JOB)
    if leader:
        watch.leading = True
        install_leader_jobs(application)
    return application


def add_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every handler."""
    application.add_handler(CommandHandler("start", handlers.start))
    application.add_handler(CommandHandler("help", handlers.help_command))
    application.add_handler(CommandHandler(["report", "raportoi"], handlers.report))
    application.add_handler(CommandHandler("vastaa", handlers.answer_command))
    add_language_handlers(application)
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    add_admin_handlers(application)
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, handlers.on_migrate))
    application.add_handler(
        ChatMemberHandler(handlers.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    add_report_handlers(application)
    application.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.on_text))
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.non_text
        )
    )
    application.add_error_handler(handlers.on_error)


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await _initialised(application, menus=True)


async def _initialised(
    application: Application[Any, Any, Any, Any, Any, Any], *, menus: bool
) -> None:
    """What a bot does before it receives anything; ``menus``: registers the command menus
    if it leads (serve leaves them to become_leader, which registers them once it polls)."""
    ctx = application.bot_data["ctx"]
    assert isinstance(ctx, AppContext)
    username = application.bot.username
    await handlers.call(owner_service.remember_bot_username, ctx, application.bot.id, username)
    if menus and supervision(application).leading:
        await set_commands(application)  # (a standby's are registered when it takes the lead)
    keeper = inbox_of(application)
    if keeper is not None:
        # what was received before a stop and not applied is handled before anything new
        await keeper.refeed(application, alone=not _shared(application))
    log.info("goalbot is running as @%s", username)


@asynccontextmanager
async def running(
    application: Application[Any, Any, Any, Any, Any, Any], poll_timeout: int | None = None
) -> AsyncIterator[None]:
    """Run the application inside an event loop that someone else owns (tests, embedding):
    polling, or in webhook mode its webhook's server (``bot_data["webhook"]``)."""
    ctx = application.bot_data["ctx"]
    assert isinstance(ctx, AppContext)
    tg = ctx.config.telegram
    timeout = tg.poll_timeout if poll_timeout is None else poll_timeout
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        assert application.updater is not None
        receiver = None
        if tg.mode == "webhook":
            from goalbot.chat.webhook import WebhookReceiver  # aiohttp: only for a webhook

            receiver = application.bot_data["webhook"] = WebhookReceiver(application, tg)
            await receiver.start()
            await start_receiving(application)
        else:
            await application.updater.start_polling(
                poll_interval=0.0,
                timeout=timeout,
                allowed_updates=ALLOWED_UPDATES,
                error_callback=poll_errors(application),
            )
        try:
            yield
        finally:
            if receiver is not None:
                await receiver.stop()
            if application.updater.running:
                await application.updater.stop()
            await application.stop()


def _one_line_network_errors(record: logging.LogRecord) -> bool:
    """A lost connection to Telegram is logged as one line, not as a traceback."""
    if record.name.startswith("telegram.ext") and record.exc_info:
        message = record.getMessage()
        if message.startswith("Network Retry"):
            error = record.exc_info[1]
            record.msg, record.args = f"{message} ({error})", ()
            record.exc_info = None
    return True


def _shared(application: Application[Any, Any, Any, Any, Any, Any]) -> bool:
    """Whether other bots may run on this database (PostgreSQL)."""
    lock = supervision(application).lock
    return lock is not None and lock.shared


def run_bot(config: Config) -> None:
    """Run the bot until stopped (Ctrl-C or SIGTERM).

    SQLite: one bot per database. PostgreSQL: any number, one of which leads (see
    chat/leadership.py); in webhook mode each receives the updates Telegram posts to it.
    """
    tg = config.telegram
    handler = setup_logging(config.logging, secrets=[tg.token, tg.secret_token])
    handler.addFilter(_one_line_network_errors)
    database = Database.connect(config.database.url, config.database.echo, create=False)
    if sqlite_file(config.database.url) is not None and (
        refused := database_read_only(database.engine)
    ):
        # nothing could be stored, and the lock beside the file could not be taken: say why
        database.dispose()
        raise StorageError(
            f"{refused}: the bot stores every answer, so it must be able to write the "
            "database file and its folder (check their owner and permissions)"
        )
    instance = this_instance(tg.token)
    lock = _lock(database, instance.name)
    try:
        # the lock is held before anything changes, migrations included; the database must
        # exist ('goalbot db upgrade' makes it): one that vanished is not replaced by an empty one
        ctx = bootstrap(config)
        application = build_application(ctx, instance=instance.name, leader=False)
        start_instance(ctx, instance)
        watch = supervision(application)
        watch.instance, watch.lock = instance, lock
        watch.database_file = file_identity(config.database.url)
        try:
            serve(application)
            if watch.fatal:
                raise StorageError(watch.fatal)
            if watch.conflict:
                raise AlreadyRunning(
                    "another program polls Telegram with this bot's token "
                    f"({watch.conflict}); one bot per token, or several on one PostgreSQL "
                    "database (docs/scaling.md)"
                )
        except InvalidToken as exc:
            raise ConfigError("telegram.token: the Bot API server refused the token") from exc
        except NetworkError as exc:
            raise StartupError(
                f"cannot reach the Bot API server at {config.telegram.base_url}: {exc}"
            ) from exc
        finally:
            notify("STOPPING=1")
            try:
                if not watch.fatal:  # (a vanished file would be made again, empty)
                    stop_instance(ctx, instance.id)
            except Exception as exc:  # the database may be the reason for the stop
                log.warning("could not record the stop: %s", exc)
            ctx.db.dispose()
    finally:
        lock.release()
        database.dispose()


def _outage_not_a_crash(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A poll whose updates could not be kept, left behind by the updater that the database's
    outage stopped: the outage is said once already, and Telegram keeps the updates; not a
    traceback in the log ("Task exception was never retrieved")."""
    if isinstance(context.get("exception"), InboxUnavailable):
        log.debug("a poll ended while the database was away: %s", context["exception"])
        return
    loop.default_exception_handler(context)


def serve(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Run the application until a stop signal or ``stop_running``: the webhook's server in
    webhook mode, and the leader's work once this bot leads (as PTB's run_polling would run
    it, whose loop this follows)."""
    ctx = application.bot_data["ctx"]
    assert isinstance(ctx, AppContext)
    watch = supervision(application)
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_outage_not_a_crash)
    asyncio.set_event_loop(loop)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGABRT):
        loop.add_signal_handler(sig, _stop)
    receiver = None
    if ctx.config.telegram.mode == "webhook":
        from goalbot.chat.webhook import WebhookReceiver  # aiohttp: only for a webhook

        receiver = WebhookReceiver(application, ctx.config.telegram)
    try:
        loop.run_until_complete(application.initialize())
        if watch.lock is not None:
            # the first try at once: a bot alone on its database leads from its start
            watch.leading = loop.run_until_complete(handlers.call(watch.lock.try_lead))
        if not watch.leading:
            log.info(
                "another bot leads on this database; this one stands by and takes over "
                "when it stops",
                extra={"event": "standby"},
            )
        # the menus are registered by become_leader below, after the first poll: a dozen
        # requests to Telegram and their texts rendered were a quarter of the start's time
        loop.run_until_complete(_initialised(application, menus=False))
        loop.run_until_complete(application.start())
        if receiver is not None:
            loop.run_until_complete(receiver.start())
        if watch.leading:
            watch.leading = False
            loop.run_until_complete(become_leader(application))
        install_leadership(application)
        loop.run_forever()
    except (KeyboardInterrupt, SystemExit):
        log.debug("stop signal received")
    finally:
        watch.stopping = True
        if receiver is not None:
            loop.run_until_complete(receiver.stop())
        if application.updater is not None and application.updater.running:
            loop.run_until_complete(application.updater.stop())
        if application.running:
            loop.run_until_complete(application.stop())
        loop.run_until_complete(application.shutdown())
        loop.close()


def _stop() -> None:
    raise SystemExit


def _lock(database: Database, name: str) -> InstanceLock:
    """This process's hold on the database, or AlreadyRunning naming the bot that has it."""
    try:
        return InstanceLock.acquire(database.engine, name)
    except AlreadyRunning:
        pass
    other = ""
    try:
        ctx = AppContext(config=Config(), db=database)
        latest = latest_instance(ctx)
        if latest is not None:
            since = f"{latest.started_at:%Y-%m-%d %H:%M} UTC"
            other = f" (pid {latest.pid} on {latest.host}, since {since})"
    except Exception:  # an older database without the record: the lock alone says enough
        pass
    database.dispose()
    raise AlreadyRunning(
        f"another goalbot is already running on this database{other}; "
        "stop it first (one bot per SQLite database; several share a PostgreSQL one)"
    )
