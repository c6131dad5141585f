"""Each person's language and each group's: chosen with /kieli (/språk, /language), taken from
Telegram at the first contact, else the town's default (``[texts] language``)."""

from __future__ import annotations

from goalbot.config import LANGUAGES
from goalbot.services.access import OPERATOR, Actor, changer_of, person_by_telegram_id
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.outbox import CHAT_LANGUAGE_SETTING
from goalbot.storage.audit import AuditAction, record_change
from goalbot.storage.database import UnitOfWork
from goalbot.storage.repositories import get_setting, set_setting

# what people type for a language, in any of the three
LANGUAGE_WORDS = {
    "fi": ("fi", "suomi", "suomeksi", "finska", "finnish"),
    "sv": ("sv", "ruotsi", "ruotsiksi", "svenska", "på svenska", "swedish"),
    "en": ("en", "englanti", "englanniksi", "engelska", "english"),
}


def supported_language(code: str | None) -> str | None:
    """The language goalbot has for a Telegram ``language_code`` (``sv``, ``en-GB``), or None."""
    if not code:
        return None
    language = code.strip().lower().replace("_", "-").split("-")[0]
    return language if language in LANGUAGES else None


def parse_language(text: str) -> str | None:
    """A language from what a person typed ("sv", "svenska", "englanti"), or None."""
    wanted = " ".join(text.casefold().split())
    for language, words in LANGUAGE_WORDS.items():
        if wanted in words:
            return language
    return None


def _chat_key(chat_id: int) -> str:
    return CHAT_LANGUAGE_SETTING.format(chat_id=chat_id)


def _language(
    uow: UnitOfWork, ctx: AppContext, telegram_user_id: int, code: str, chat_id: int, private: bool
) -> str:
    default = ctx.config.texts.language
    if not private:
        return get_setting(uow, _chat_key(chat_id)) or default
    person = person_by_telegram_id(uow, telegram_user_id)
    if person is not None and person.language in LANGUAGES:
        return person.language
    return supported_language(code) or default


def language_for(
    ctx: AppContext, telegram_user_id: int, code: str, chat_id: int, private: bool
) -> str:
    """The language to answer in: in private the person's (chosen, or their Telegram app's at
    the first contact), in a group the group's; else the town's default."""
    with ctx.unit_of_work(read_only=True) as uow:
        return _language(uow, ctx, telegram_user_id, code, chat_id, private)


def choose_language(
    ctx: AppContext,
    language: str,
    telegram_user_id: int,
    chat_id: int,
    private: bool,
    *,
    by: Actor = OPERATOR,
) -> str:
    """Make ``language`` the person's (in private) or the group's; the language now in use."""
    if language not in LANGUAGES:
        raise ServiceError("unknown_language", language=language, known=", ".join(LANGUAGES))
    with ctx.unit_of_work() as uow:
        before = _language(uow, ctx, telegram_user_id, "", chat_id, private)
        if private:
            person = person_by_telegram_id(uow, telegram_user_id)
            if person is None:
                raise ServiceError("unknown_person", who=str(telegram_user_id))
            person.language = language
        else:
            set_setting(uow, _chat_key(chat_id), language, ctx.now())
        if before != language:
            record_change(
                uow,
                changer_of(uow, ctx, by),
                AuditAction.LANGUAGE,
                ctx.now(),
                subject="person" if private else str(chat_id),
                old={"language": before},
                new={"language": language},
            )
        uow.commit()
    return language
