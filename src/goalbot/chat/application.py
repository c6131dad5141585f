"""Building and running the Telegram application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.error import InvalidToken, NetworkError, TelegramError
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
from goalbot.chat.delivery import deliver_pending
from goalbot.chat.inbox import (
    InboxProcessor,
    InboxQueue,
    attach_inbox,
    inbox_of,
    instance_name,
)
from goalbot.chat.jobs import install_calendar, install_retention
from goalbot.chat.languages import add_language_handlers
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
from goalbot.services.access import OWNERS_MENU, personal_menus
from goalbot.services.context import AppContext
from goalbot.services.health import latest_instance, start_instance, stop_instance
from goalbot.storage.database import Database, StorageError, file_identity
from goalbot.storage.instance import AlreadyRunning, InstanceLock

log = logging.getLogger(__name__)
DELIVERY_INTERVAL_SECONDS = 3.0
CONCURRENT_UPDATES = 8
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]

GROUP_COMMANDS = ["status", "missing", "export", "chart", "kieli", "help"]


def build_application(
    ctx: AppContext,
    delivery_interval: float = DELIVERY_INTERVAL_SECONDS,
    calendar: bool = True,
    limits: TelegramLimits | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB application, talking to ``[telegram] base_url``.

    ``limits``: how sends are paced (default: Telegram's own limits).
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
    application.bot_data["instance"] = instance = instance_name()
    attach_inbox(application, ctx, instance)
    add_handlers(application)
    job_queue = application.job_queue
    assert job_queue is not None, "python-telegram-bot[job-queue] is required"
    job_queue.run_repeating(heartbeat, interval=heartbeat_interval(), first=0.0, name=HEARTBEAT_JOB)
    job_queue.run_repeating(
        deliver_pending,
        interval=delivery_interval,
        first=min(1.0, delivery_interval),
        name="deliver",
    )
    if calendar:
        install_calendar(application)
    install_retention(application)
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
    ctx = application.bot_data["ctx"]
    assert isinstance(ctx, AppContext)
    username = application.bot.username
    await handlers.call(owner_service.remember_bot_username, ctx, application.bot.id, username)
    await set_commands(application)
    keeper = inbox_of(application)
    if keeper is not None:
        # what was received before a stop and not applied is handled before anything new
        await keeper.refeed(application)
    log.info("goalbot is running as @%s", username)


async def set_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the command menus (Finnish by default, and in Finnish, Swedish and English for
    the Telegram apps set to each).

    Every private chat shows an owner's commands; the administrators and managers get a menu
    of their own with everything they may use (services.access.PERMISSIONS).
    """
    bot = application.bot
    try:
        for language, code in handlers.MENU_LANGUAGES:
            await bot.set_my_commands(
                handlers.commands_of(OWNERS_MENU, language),
                scope=BotCommandScopeAllPrivateChats(),
                language_code=code,
            )
            await bot.set_my_commands(
                handlers.commands_of(GROUP_COMMANDS, language),
                scope=BotCommandScopeAllGroupChats(),
                language_code=code,
            )
    except TelegramError as exc:
        log.warning("could not register the command menus: %s", exc)
        return
    ctx = application.bot_data["ctx"]
    assert isinstance(ctx, AppContext)
    for chat_id, menu in (await handlers.call(personal_menus, ctx)).items():
        await handlers.set_menu(bot, chat_id, menu)


@asynccontextmanager
async def running(
    application: Application[Any, Any, Any, Any, Any, Any], poll_timeout: int | None = None
) -> AsyncIterator[None]:
    """Run the application inside an event loop that someone else owns (tests, embedding)."""
    ctx = application.bot_data["ctx"]
    assert isinstance(ctx, AppContext)
    timeout = ctx.config.telegram.poll_timeout if poll_timeout is None else poll_timeout
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        assert application.updater is not None

        def error_callback(exc: TelegramError) -> None:
            # as run_polling does: a failed poll goes to the error handler (an outage is
            # one line there, not a traceback per poll)
            application.create_task(application.process_error(error=exc, update=None))

        await application.updater.start_polling(
            poll_interval=0.0,
            timeout=timeout,
            allowed_updates=ALLOWED_UPDATES,
            error_callback=error_callback,
        )
        try:
            yield
        finally:
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


def run_bot(config: Config) -> None:
    """Run the bot until stopped (Ctrl-C or SIGTERM); one bot per database."""
    handler = setup_logging(config.logging, secrets=[config.telegram.token])
    handler.addFilter(_one_line_network_errors)
    database = Database.connect(config.database.url, config.database.echo)
    lock = _lock(database)
    try:
        # the lock is held before anything changes, migrations included; the database must
        # exist ('goalbot db upgrade' makes it): one that vanished is not replaced by an empty one
        ctx = bootstrap(config, delivers=True)
        application = build_application(ctx)
        instance = this_instance(config.telegram.token)
        start_instance(ctx, instance)
        watch = supervision(application)
        watch.instance, watch.lock = instance, lock
        watch.database_file = file_identity(config.database.url)
        try:
            application.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
            if watch.fatal:
                raise StorageError(watch.fatal)
            if supervision(application).conflict:
                raise AlreadyRunning(
                    "another program polls Telegram with this bot's token "
                    f"({supervision(application).conflict}); one bot per token"
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


def _lock(database: Database) -> InstanceLock:
    """This process's hold on the database, or AlreadyRunning naming the bot that has it."""
    try:
        return InstanceLock.acquire(database.engine)
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
        "stop it first (one bot per database)"
    )
