"""The one Jinja2 environment: templates per language, Telegram-HTML escaping for *.html.j2."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    pass_context,
)
from jinja2.runtime import Context

from goalbot.config import SHIPPED_TEXTS
from goalbot.domain.goals import Metric, Translated
from goalbot.reporting.folders import extra_folders

TEMPLATES = SHIPPED_TEXTS
DEFAULT_LANGUAGE = "fi"


# A plain-text template imported or included by an HTML one is compiled a second time, under
# this suffix, with escaping on: its macros put names, reasons and catalogue texts into HTML.
AS_HTML = "#as-html"


def _autoescape(name: str | None) -> bool:
    # Telegram's HTML mode needs <, > and & escaped; plain-text templates (CLI, CSV) must not be.
    return bool(name and (name.endswith(".html.j2") or name.endswith(AS_HTML)))


class _Environment(Environment):
    """Jinja's Environment; a text template used by an HTML one is escaped there.

    A macro runs with the escaping of the template it is defined in, and what it returns to an
    HTML template counts as safe markup: a shared words module written as plain text (for the
    terminal and the spreadsheets) would put a person called "Matti <b>" into a report as a
    tag. So an HTML template's imports and includes get an escaping copy of the text template.
    """

    def join_path(self, template: str, parent: str) -> str:
        if _autoescape(parent) and not _autoescape(template):
            return template + AS_HTML
        return template


class _LanguageLoader(BaseLoader):
    """Templates from the extra folder, then the shipped ones; a text missing in a language
    is taken from Finnish, so a new language can be added one file at a time."""

    def __init__(self, folders: list[Path]) -> None:
        self._files = FileSystemLoader([str(folder) for folder in folders])

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        template = template.removesuffix(AS_HTML)
        try:
            return self._files.get_source(environment, template)
        except TemplateNotFound:
            language, _, rest = template.partition("/")
            if not rest or language == DEFAULT_LANGUAGE:
                raise
            return self._files.get_source(environment, f"{DEFAULT_LANGUAGE}/{rest}")


def environment() -> Environment:
    """The shared Environment (templates per language, HTML escaping for *.html.j2)."""
    return _environment(tuple(extra_folders))


@lru_cache(maxsize=1)
def _environment(folders: tuple[Path, ...]) -> Environment:
    env = _Environment(
        loader=_LanguageLoader([*folders, TEMPLATES]),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(_formatting_filters())
    env.filters["t"] = in_language
    env.filters["from_code"] = from_code
    env.filters["full_stop"] = full_stop
    env.globals["untranslated"] = untranslated
    env.tests["with_example"] = with_example
    env.tests["worded"] = worded
    return env


def full_stop(text: object) -> str:
    """The full stop after a text that ends a sentence, unless the text has one of its own
    (a goal's title or a metric's name often ends in one): ``<b>{{ x }}</b>{{ x | full_stop }}``."""
    return "" if str(text).rstrip()[-1:] in (".", "?", "!", "…") else "."


# what the text being rendered took in Finnish for want of its language (see in_language)
_untranslated: ContextVar[set[str] | None] = ContextVar("untranslated", default=None)


@pass_context
def in_language(context: Context, thing: Any, name: str) -> str:
    """A catalogue text (``goal | t("title")``) in the language rendered; where the catalogue
    has none in that language, its Finnish text, noted for ``untranslated()``."""
    text = getattr(thing, name)
    language = context.get("lang", DEFAULT_LANGUAGE)
    if language == DEFAULT_LANGUAGE or not text or not isinstance(thing, Translated):
        return str(text)
    return text_in_language(thing, name, language)


def text_in_language(thing: Translated, name: str, language: str) -> str:
    """A catalogue text in ``language``, else its Finnish text, noted for ``untranslated()``
    (a report rendered, or an export made, within ``noting_untranslated``)."""
    text = getattr(thing, name)
    found = thing.text_in(name, language) if language != DEFAULT_LANGUAGE and text else None
    if found is not None:
        return found
    noted = _untranslated.get()
    if language != DEFAULT_LANGUAGE and noted is not None and any(c.isalpha() for c in str(text)):
        noted.add(name)  # "%" or "€" is the same in every language
    return str(text)


@contextmanager
def noting_untranslated() -> Iterator[set[str]]:
    """Within it, the catalogue texts shown in Finnish for want of one in their language are
    noted in the set yielded: a report or an export says so once, at its end."""
    noted: set[str] = set()
    token = _untranslated.set(noted)
    try:
        yield noted
    finally:
        _untranslated.reset(token)


@pass_context
def from_code(context: Context, message: Any) -> str:
    """A message goalbot's code made in English (a configuration's or a catalogue's problem)
    in the language rendered (see reporting.cli_texts)."""
    from goalbot.reporting.cli_texts import translated

    return translated(str(message), context.get("lang", DEFAULT_LANGUAGE))


EXAMPLE_WORDS = ("esim.", "t.ex.", "e.g.")
"""What a question says before its example figure, in each language a catalogue may be in."""


def with_example(text: Any) -> bool:
    """Whether a question already gives an example ("… esim. 28", "… t.ex. 28")."""
    plain = str(text).casefold()
    return any(word in plain for word in EXAMPLE_WORDS)


def worded(text: Any) -> bool:
    """Whether a text says something in words or figures: a document's bare "≥" in its
    target column does not (the rule it stands for is said instead)."""
    return any(char.isalnum() for char in str(text or ""))


def untranslated() -> bool:
    """Whether the text rendered so far showed a catalogue text in Finnish for want of one in
    its language: a template ends with a note saying so, once."""
    return bool(_untranslated.get())


def _formatting_filters() -> dict[str, Callable[..., Any]]:
    from goalbot.domain.answers import AnswerValue
    from goalbot.reporting import formatting

    # Figures keep the Finnish form in every language (Swedish and English in Finland write
    # them the same way); the words for yes, no, no data and skipped follow the language.
    def locale_of(context: Context) -> str:
        return locale_for(context.get("lang", DEFAULT_LANGUAGE))

    @pass_context
    def value(context: Context, answer_value: Any, metric: Any) -> str:
        metric = in_own_unit(metric, context.get("lang", DEFAULT_LANGUAGE))
        return formatting.format_value(metric, answer_value, locale_of(context))

    def number(value: Any, decimals: int | None = None) -> str:
        return formatting.format_number(value, decimals)

    @pass_context
    def figure(context: Context, value: Any, metric: Any) -> str:
        """A bare figure of a metric (baseline, target) in its unit."""
        if isinstance(value, bool):
            return formatting.answer_label("yes" if value else "no", locale_of(context))
        metric = in_own_unit(metric, context.get("lang", DEFAULT_LANGUAGE))
        return formatting.format_value(metric, AnswerValue.of_number(value), locale_of(context))

    @pass_context
    def label(context: Context, key: str) -> str:
        return formatting.answer_label(key, locale_of(context))

    @pass_context
    def moment(context: Context, value: Any, tz: Any = formatting.DEFAULT_TIMEZONE) -> str:
        return formatting.format_datetime(value, tz, locale_of(context))

    return {
        "value": value,
        "number": number,
        "figure": figure,
        "date": formatting.format_date,
        "datetime": moment,
        "period": formatting.format_period,
        "described": lambda period, metric: formatting.format_described(metric, period),
        "label": label,
        "clip": clip,
        "unrepeated": unrepeated,
        "says": says,
    }


def in_own_unit(metric: Any, language: str) -> Any:
    """The metric with its unit in ``language`` where the catalogue gives one (``unit.sv``)."""
    if language == DEFAULT_LANGUAGE or not isinstance(metric, Metric):
        return metric
    unit = metric.text_in("unit", language)
    return replace(metric, unit=unit) if unit is not None else metric


@lru_cache(maxsize=16)
def locale_for(language: str) -> str:
    """The Babel locale of a language as written in Finland (``sv_FI``), else of the language
    alone (a language added as a folder of texts), else Finnish."""
    from babel import Locale, UnknownLocaleError

    for name in (f"{language}_FI", language):
        try:
            Locale.parse(name)
        except (UnknownLocaleError, ValueError):
            continue
        return name
    return f"{DEFAULT_LANGUAGE}_FI"


def says(text: Any, other: Any) -> bool:
    """Whether ``text`` already says ``other`` (compared as ``unrepeated`` compares)."""
    return bool(other) and _plain(other) in _plain(text)


def _plain(text: Any) -> str:
    """Text compared for repetition: in lower case, spaces collapsed, without end punctuation."""
    return " ".join(str(text).split()).strip(" .,:;").casefold()


def unrepeated(text: Any, *said: Any) -> str:
    """``text`` without what ``said`` (texts shown before it) already says.

    A text wholly said before is left out (""); one that begins with a text said before keeps
    only the rest ("Kontaktointien määrä, tavoite 50" after "Kontaktointien määrä": "Tavoite
    50"). A screen shows each fact once.
    """
    value = " ".join(str(text).split())
    plain = _plain(value)
    for before in (_plain(s) for s in said if s):
        if len(before) < 3:
            continue
        if plain == before or (len(plain) >= 8 and plain in before):
            return ""
        if plain.startswith(before) and not plain[len(before)].isalnum():
            rest = value[len(before) :].lstrip(" .,:;–-")
            return rest[:1].upper() + rest[1:]
    return value


ECHO_LENGTH = 60


def clip(text: Any, length: int = ECHO_LENGTH) -> str:
    """Something a person typed, quoted back to them: at most ``length`` characters."""
    value = str(text)
    return value if len(value) <= length else value[: length - 1].rstrip() + "…"


def render(name: str, language: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """Render ``<language>/<name>``, falling back to Finnish where a text is missing."""
    template = environment().get_template(f"{language}/{name}")
    with noting_untranslated():
        return template.render(lang=language, **values).strip()
