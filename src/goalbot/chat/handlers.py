"""Telegram handlers: parse the update, await one service call, render, reply."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, ParamSpec, TypeVar, assert_never

from markupsafe import Markup
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    Chat,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, TelegramError
from telegram.ext import ContextTypes

from goalbot.chat.callbacks import decode
from goalbot.chat.inbox import Inbox, inbox_of
from goalbot.chat.keyboards import keyboard_for
from goalbot.config import LANGUAGES
from goalbot.domain.protocol import ScreenKind
from goalbot.reporting.messages import split_html
from goalbot.reporting.rendering import render
from goalbot.services import owners as owner_service
from goalbot.services.access import (
    OWNERS_MENU,
    Command,
    Identity,
    Verdict,
    check_access,
    menu_for,
)
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.entry import give_figure
from goalbot.services.inbox import was_applied
from goalbot.services.outbox import follow_migration, set_blocked
from goalbot.services.progress import lacking_for
from goalbot.services.questionnaire import (
    Action,
    OwnerInput,
    Reply,
    Screen,
    handle_input,
    note_messages,
    remember_messages,
)
from goalbot.storage.database import UnitOfWork, is_database_unavailable

log = logging.getLogger(__name__)
ANSWER_ACTIONS = frozenset({Action.YES, Action.NO, Action.NO_DATA})
MAX_EDIT_LENGTH = 4000
P = ParamSpec("P")
R = TypeVar("R")


def app_context(context: ContextTypes.DEFAULT_TYPE) -> AppContext:
    """The services' context, kept on the application."""
    ctx = context.application.bot_data["ctx"]
    assert isinstance(ctx, AppContext)
    return ctx


async def call(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a service in a worker thread: the event loop never waits for the database."""
    return await asyncio.to_thread(function, *args, **kwargs)


def user_lock(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> asyncio.Lock:
    """One input at a time per person, so two quick taps are applied in order."""
    locks: dict[int, asyncio.Lock] = context.application.bot_data.setdefault("locks", {})
    return locks.setdefault(user_id, asyncio.Lock())


LANGUAGE_KEY = "language"  # in chat_data: the language the update is answered in


def language_of(context: ContextTypes.DEFAULT_TYPE) -> str:
    """The language this update is answered in: the person's in private, the group's in a
    group (found before the handlers run, chat.languages), else ``[texts] language``."""
    data = context.chat_data
    found = data.get(LANGUAGE_KEY) if data is not None else None
    return found if isinstance(found, str) else app_context(context).config.texts.language


async def send_html(
    chat: Chat,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> Message:
    """Send an HTML message to ``chat`` (as a reply to the message ``reply_to``, if given)."""
    return await chat.send_message(
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
        disable_web_page_preview=True,
        reply_parameters=(
            ReplyParameters(reply_to, allow_sending_without_reply=True)
            if reply_to is not None
            else None
        ),
    )


def render_screen(screen: Screen, language: str, ctx: AppContext) -> str:
    """The text of a questionnaire screen."""
    return render(
        f"chat/{screen.kind.value}.html.j2",
        language,
        screen=screen,
        timezone=ctx.config.schedule.zone,
    )


async def show_reply(
    chat: Chat,
    reply: Reply,
    language: str,
    ctx: AppContext,
    reply_to: int | None = None,
    pressed: int | None = None,
    finishing: tuple[Inbox, Update] | None = None,
) -> None:
    """Show each screen, then take the buttons off the messages of the step left behind.

    The messages showing the step are noted in the database; with ``finishing`` (the inbox
    and the update shown), in the transaction that marks the update done.

    A refused text (MISTAKE) is answered by a short reply to the person's own message
    ``reply_to``; the step's message above stays as it is. The recap is one message, edited
    in place when it changes (a long one in parts, its buttons under the last); when it was
    not the message pressed (``pressed``), a short reply says it was updated.
    """
    notes: list[Callable[[UnitOfWork], None]] = []
    for screen in reply.screens:
        if screen.kind == ScreenKind.MISTAKE:
            await send_html(chat, render_screen(screen, language, ctx), reply_to=reply_to)
            continue
        parts = split_html(render_screen(screen, language, ctx))
        keyboard = keyboard_for(screen, language)
        shown = list(screen.recap_messages)
        if not shown or not await _edit_in_place(chat, shown, parts, keyboard):
            shown = []
            for number, part in enumerate(parts, start=1):
                sent = await send_html(chat, part, keyboard if number == len(parts) else None)
                shown.append(sent.message_id)
        elif pressed not in shown:
            await send_html(chat, render("chat/recap_updated.html.j2", language), reply_to=reply_to)
        if screen.kind != ScreenKind.NOTE:
            recap = screen.kind == ScreenKind.RECAP
            notes.append(functools.partial(note_messages, **_note(chat, screen, shown, recap)))
            if finishing is None:
                await call(remember_messages, ctx, **_note(chat, screen, shown, recap))
    kept = {pressed, *(m for screen in reply.screens for m in screen.recap_messages)}
    for message_id in reply.closing:
        if message_id not in kept:
            await _take_buttons_off(chat, message_id)
    if finishing is not None:
        keeper, update = finishing
        await keeper.finish(update, notes)


def _note(chat: Chat, screen: Screen, shown: list[int], recap: bool) -> dict[str, Any]:
    return {"telegram_user_id": chat.id, "version": screen.version, "shown": shown, "recap": recap}


def finishing_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[Inbox, Update] | None:
    """The inbox that marks ``update`` done once its reply is shown (none in some tests)."""
    keeper = inbox_of(context.application)
    return (keeper, update) if keeper is not None else None


async def _edit_in_place(
    chat: Chat, message_ids: list[int], parts: list[str], keyboard: InlineKeyboardMarkup | None
) -> bool:
    """Edit the messages to show ``parts``; False if that cannot be done (then they are new).

    A recap that needs another number of parts than it had is sent anew, the old parts deleted.
    """
    if len(parts) != len(message_ids):
        for message_id in message_ids:
            try:
                await chat.get_bot().delete_message(chat.id, message_id)
            except TelegramError as exc:
                log.info("could not delete an old part of the recap: %s", exc)
        return False
    for number, (message_id, part) in enumerate(zip(message_ids, parts, strict=True), start=1):
        try:
            await chat.get_bot().edit_message_text(
                part,
                chat_id=chat.id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard if number == len(parts) else None,
                disable_web_page_preview=True,
            )
        except BadRequest as exc:
            if "not modified" not in exc.message:
                log.info("could not edit the recap in place: %s", exc)
                return False
        except TelegramError as exc:
            log.info("could not edit the recap in place: %s", exc)
            return False
    return True


async def _take_buttons_off(chat: Chat, message_id: int) -> None:
    """A message of a step that is over keeps its text and loses its buttons."""
    try:
        await chat.get_bot().edit_message_reply_markup(chat.id, message_id, reply_markup=None)
    except TelegramError as exc:
        # a message without buttons already, or one the person deleted: nothing to take off
        log.debug("could not take the buttons off message %s: %s", message_id, exc)


def menu_languages(default: str) -> tuple[tuple[str, str | None], ...]:
    """The command menus' languages with Telegram's ``language_code`` for each: the town's
    ``default`` for every app, and each language goalbot has for the apps set to it."""
    return ((default, None), *((language, language) for language in LANGUAGES))


def commands_of(names: Iterable[str], language: str) -> list[BotCommand]:
    """Commands with their descriptions in ``language``."""
    return [
        BotCommand(name, render("chat/command.txt.j2", language, command=name)) for name in names
    ]


async def put_menu(bot: Bot, chat_id: int, names: Iterable[str], default: str) -> None:
    """The command menu of one person's private chat (what they may use); an owner's, or
    none, is the one every private chat has. ``default``: the language of the menu for apps
    in a language goalbot does not have. Telegram's errors are the caller's."""
    names = tuple(names)
    shared = not names or names == OWNERS_MENU
    for language, code in menu_languages(default):
        if shared:
            await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id), language_code=code)
        else:
            await bot.set_my_commands(
                commands_of(names, language),
                scope=BotCommandScopeChat(chat_id),
                language_code=code,
            )


async def set_menu(bot: Bot, chat_id: int, names: Iterable[str], default: str) -> None:
    """The command menu of one person's private chat, if Telegram takes it."""
    try:
        await put_menu(bot, chat_id, names, default)
    except TelegramError as exc:
        # a person who has not written to the bot yet has no chat: the menu waits for them
        log.info("no command menu of its own for chat %s: %s", chat_id, exc)


class RefusalThrottle:
    """How often a chat is told the bot is not for it: a few times, then silence for a while.

    A stranger who floods a chat with commands gets one refusal in a group (20 messages a
    minute are all a group may receive) and three in private within ``window`` seconds, and
    nothing more until the window has passed.
    """

    PRIVATE = 3
    GROUP = 1

    def __init__(self, window: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._sent: dict[int, list[float]] = {}

    def allow(self, chat_id: int, private: bool) -> bool:
        """Whether a refusal may go to ``chat_id`` now (and count it if so)."""
        now = self.clock()
        if len(self._sent) > 10_000:
            self._sent = {c: t for c, t in self._sent.items() if t[-1] > now - self.window}
        recent = [t for t in self._sent.get(chat_id, []) if t > now - self.window]
        if len(recent) >= (self.PRIVATE if private else self.GROUP):
            self._sent[chat_id] = recent
            return False
        self._sent[chat_id] = [*recent, now]
        return True


def refusal_throttle(context: ContextTypes.DEFAULT_TYPE) -> RefusalThrottle:
    found = context.application.bot_data.get("refusals")
    if not isinstance(found, RefusalThrottle):
        found = context.application.bot_data["refusals"] = RefusalThrottle()
    return found


async def refuse(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The one polite answer a stranger gets; it shows nothing of the goals.

    It is sent beside the update's handling, not in it: a group's rate limit can hold a
    message for a minute, and the workers that answer the owners must not wait for it.
    """
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None:
        return
    private = chat.type == ChatType.PRIVATE
    if not refusal_throttle(context).allow(chat.id, private):
        log.debug("refusal to chat %s withheld: refused lately", chat.id)
        return
    text = render("chat/refusal.html.j2", language_of(context), user_id=user.id, private=private)

    async def send() -> None:
        try:
            await send_html(chat, text)
        except TelegramError as exc:
            log.info("refusal to chat %s not sent: %s", chat.id, exc)

    context.application.create_task(send(), name=f"refusal:{chat.id}")


Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
GuardedHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE, Identity], Coroutine[Any, Any, None]]


def allowed_for(command: Command) -> Callable[[GuardedHandler], Handler]:
    """Apply the permission table (services.access.PERMISSIONS) before the handler runs.

    The handler gets the sender's identity; someone the command is not for gets the polite
    refusal, the note that it is the administrators', the note that it works in private
    only, or nothing at all (a stranger in some group), as the table says.
    """

    def decorate(handler: GuardedHandler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            chat, user = update.effective_chat, update.effective_user
            if chat is None or user is None:
                return
            private = chat.type == ChatType.PRIVATE
            access = await call(
                check_access, app_context(context), user.id, command, chat.id, private
            )
            match access.verdict:
                case Verdict.ALLOWED:
                    await handler(update, context, access.identity)
                case Verdict.REFUSED:
                    await refuse(update, context)
                case Verdict.ADMINS_ONLY:
                    await send_html(chat, render("chat/admin_only.html.j2", language_of(context)))
                case Verdict.PRIVATE_ONLY:
                    await send_html(chat, render("chat/private_only.html.j2", language_of(context)))
                case Verdict.IGNORED:
                    pass
                case _:
                    assert_never(access.verdict)

        return guarded

    return decorate


def _identity_args(update: Update) -> tuple[Chat, User]:
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    return chat, user


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start, also with an invite token from a deep link (which anyone may open)."""
    chat, _user = _identity_args(update)
    if chat.type == ChatType.PRIVATE and context.args:
        await accept_invite(update, context, context.args[0])
        return
    await greet(update, context)


@allowed_for(Command.START)
async def greet(update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity) -> None:
    """/start without an invite: the welcome in private, in a group where to answer."""
    chat, user = _identity_args(update)
    if chat.type != ChatType.PRIVATE:
        await _group_hint(chat, context)
        return
    ctx = app_context(context)
    language = language_of(context)
    reply: Reply | None = None
    if identity.owns_goals:
        # the update is applied before anything is said, so what the person sees is settled
        async with user_lock(context, user.id):
            reply = await call(handle_input, ctx, OwnerInput(update.update_id, user.id))
    await send_html(chat, render("chat/welcome.html.j2", language, identity=identity))
    if reply is not None:
        await show_reply(chat, reply, language, ctx)


async def accept_invite(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> None:
    chat, user = _identity_args(update)
    ctx = app_context(context)
    language = language_of(context)
    async with user_lock(context, user.id):
        try:
            binding = await call(
                owner_service.accept_invite,
                ctx,
                token,
                user.id,
                user.username or "",
                user.language_code or "",
            )
        except ServiceError as exc:
            await send_html(
                chat,
                render(
                    "chat/invite_error.html.j2",
                    language,
                    code=exc.code,
                    user_id=user.id,
                    **exc.params,
                ),
            )
            return
        # the first question (in an open round) is found before the welcome goes out, so
        # the welcome means the invite is settled
        reply = await call(handle_input, ctx, OwnerInput(update.update_id, user.id))
    await send_html(chat, render("chat/invite_accepted.html.j2", language, binding=binding))
    if reply.screens and reply.screens[0].kind != ScreenKind.NOTE:
        await show_reply(chat, reply, language, ctx)
    # the role may bring commands (a department head's /status of everything)
    await set_menu(
        context.bot, user.id, await call(menu_for, ctx, user.id), ctx.config.texts.language
    )


@allowed_for(Command.HELP)
async def help_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity
) -> None:
    """/help: what this person can do here."""
    chat, _user = _identity_args(update)
    await send_html(
        chat,
        render(
            "chat/help.html.j2",
            language_of(context),
            identity=identity,
            private=chat.type == ChatType.PRIVATE,
        ),
    )


@allowed_for(Command.ANSWER)
async def answer_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity
) -> None:
    """/vastaa [METRIC PERIOD VALUE]: a figure outside the round's questions (a late one);
    alone, the person's figures still lacking, each with the command that gives it."""
    chat, user = _identity_args(update)
    ctx = app_context(context)
    words = list(context.args or [])
    if not words:
        lacking, open_round = await call(lacking_for, ctx, user.id)
        text = render(
            "chat/late_figure.html.j2",
            language_of(context),
            code="list",
            lacking=lacking,
            open_round=open_round,
            admin=identity.is_admin,
        )
    else:
        given = await call(give_figure, ctx, user.id, words)
        text = render(
            "chat/late_figure.html.j2", language_of(context), given=given, code=given.code
        )
    await send_html(chat, text)


async def _group_hint(chat: Chat, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start or /report in a group: answering happens in private."""
    await send_html(
        chat,
        render("chat/group_hint.html.j2", language_of(context), username=context.bot.username),
    )


async def report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/report (/raportoi): start or continue answering."""
    chat, user = _identity_args(update)
    if chat.type != ChatType.PRIVATE:
        await greet(update, context)
        return
    await _owner_input(update, context, OwnerInput(update.update_id, user.id))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Typed text in private: an answer, a reason, an explanation or a comment."""
    chat, user = _identity_args(update)
    message = update.effective_message
    if chat.type != ChatType.PRIVATE or message is None or message.text is None:
        return
    await _owner_input(update, context, OwnerInput(update.update_id, user.id, text=message.text))


async def _owner_input(
    update: Update, context: ContextTypes.DEFAULT_TYPE, given: OwnerInput
) -> None:
    """A typed text or command of an owner: apply it, show what follows (a refusal as a reply)."""
    chat, user = _identity_args(update)
    ctx = app_context(context)
    language = language_of(context)
    # the reply is shown, and the messages showing it noted, before the person's next input
    # is applied: a text typed at once under a question takes that question's buttons off
    async with user_lock(context, user.id):
        reply = await call(handle_input, ctx, given)
        if not reply.stranger:
            message = update.effective_message
            reply_to = message.message_id if message else None
            finishing = finishing_of(update, context)
            await show_reply(chat, reply, language, ctx, reply_to, finishing=finishing)
    if reply.stranger:
        await refuse(update, context)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An inline button was pressed."""
    query = update.callback_query
    assert query is not None
    user = query.from_user
    ctx = app_context(context)
    language = language_of(context)
    data = decode(query.data)
    message = query.message
    chat = message.chat if message is not None else None
    if data is None or chat is None or chat.type != ChatType.PRIVATE or chat.id != user.id:
        # a button of someone else's chat, or one this bot never made
        await _answer_query(query, render("chat/toast.txt.j2", language, code="stale_button"))
        return
    given = OwnerInput(
        update.update_id, user.id, action=data.action, version=data.version, argument=data.argument
    )
    async with user_lock(context, user.id):
        reply = await call(handle_input, ctx, given)
    toast = render("chat/toast.txt.j2", language, code=reply.toast) if reply.toast else ""
    await _answer_query(query, toast)
    if reply.stranger:
        await refuse(update, context)
        return
    if reply.toast == "stale_button" and message is not None:
        # an older message's button: that message loses its buttons, so it is not tried again
        await _take_buttons_off(chat, message.message_id)
    if reply.accepted and data.action != Action.START and isinstance(message, Message):
        # the pressed question is answered: its buttons go, so they cannot be pressed again
        # (a reminder's start button stays: it also takes the owner back to where they were)
        await _close_question(message, query.data or "", data.action, language)
    await show_reply(
        chat,
        reply,
        language,
        ctx,
        pressed=message.message_id if message is not None else None,
        finishing=finishing_of(update, context),
    )


async def _close_question(message: Message, data: str, action: Action, language: str) -> None:
    """Take the buttons off an answered message; an answer given by button is shown in it."""
    label = next(
        (
            button.text
            for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
            for button in row
            if button.callback_data == data
        ),
        "",
    )
    try:
        if action in ANSWER_ACTIONS and label and message.text_html:
            text = render(
                "chat/answered.html.j2", language, question=Markup(message.text_html), choice=label
            )
            if len(text) <= MAX_EDIT_LENGTH:
                await message.edit_text(
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=None,
                    disable_web_page_preview=True,
                )
                return
        await message.edit_reply_markup(reply_markup=None)
    except TelegramError as exc:
        # the answer is stored whatever became of the old question's buttons
        log.info("could not close the answered message: %s", exc)


async def _answer_query(query: Any, text: str) -> None:
    try:
        await query.answer(text=text or None)
    except TelegramError as exc:
        # an old query cannot be answered any more; the reply message still goes out
        log.info("callback query not answered: %s", exc)


@allowed_for(Command.OTHER)
async def unknown_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity
) -> None:
    """A command the bot does not have."""
    chat, _user = _identity_args(update)
    await send_html(chat, render("chat/unknown_command.html.j2", language_of(context)))


@allowed_for(Command.OTHER)
async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE, identity: Identity) -> None:
    """A photo, sticker or file in private: say what the bot understands."""
    chat, _user = _identity_args(update)
    if chat.type == ChatType.PRIVATE:
        await send_html(chat, render("chat/non_text.html.j2", language_of(context)))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure; the person gets a short apology, never a traceback."""
    from goalbot.chat.supervision import is_outage_error, supervision  # it uses this module

    watch = supervision(context.application)
    if isinstance(context.error, Conflict):
        # another program polls with this token: two pollers would take turns losing updates
        if not watch.conflict:
            watch.conflict = str(context.error)
            log.error("another program polls Telegram with this bot's token; stopping")
            updater = context.application.updater
            if updater is not None and updater.running:
                # PTB's last getUpdates on stop would cut off the other poller in turn, and
                # both would stop; the other keeps the updates this one did not confirm
                setattr(updater, "_Updater__polling_cleanup_cb", None)  # noqa: B010
                await updater.stop()
            context.application.stop_running()
        return
    if is_outage_error(context.error, watch):
        # logged once when the outage began and once when it ends, not at every retry
        log.debug("during an outage: %s", context.error)
    else:
        log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    keeper = inbox_of(context.application)
    database = is_database_unavailable(context.error)
    if keeper is not None:
        # an update that failed on the database is kept and handled again once it answers
        keeper.failed(update.update_id, "database" if database else "internal")
    if update.effective_chat is None or isinstance(context.error, Forbidden):
        return
    if database:
        if keeper is not None and not keeper.first_notice(update.update_id):
            return  # the person was told once that their message waits
        code = "database_waiting" if keeper is not None else "database"
    else:
        code = "reply_failed" if await _was_applied(context, update.update_id) else "internal"
    try:
        await update.effective_chat.send_message(
            render("chat/error.html.j2", language_of(context), code=code),
            parse_mode=ParseMode.HTML,
        )
    except TelegramError:
        log.warning("could not tell the user about the error")


async def _was_applied(context: ContextTypes.DEFAULT_TYPE, update_id: int) -> bool:
    """Whether the update's effects were stored before something else failed (the reply)."""
    try:
        return await call(was_applied, app_context(context), update_id)
    except Exception:
        return False


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: if it is the management group, keep its new id."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    await call(follow_migration, app_context(context), message.chat.id, message.migrate_to_chat_id)


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A person blocked or unblocked the bot in their private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    blocked = change.new_chat_member.status in ("kicked", "left")
    await call(set_blocked, app_context(context), change.from_user.id, blocked)
