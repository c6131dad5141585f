"""The command line's messages made in Python, in the language of ``[texts] language``.

Most of what the terminal shows is rendered from the templates in ``cli/``. The rest is made
by Python code: the help and argparse's own words, the problems of a configuration or a
catalogue, database and Bot API errors. Those are written in English, and each language's
``cli/python_texts.txt.j2`` (found like every other text, so ``[texts] templates`` can reword
it) gives their text in that language under the English one, with ``{name}`` where a value
stands. A message it does not know stays English.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from goalbot.reporting.folders import extra_folders, text_file

CATALOGUE = "cli/python_texts.txt.j2"
ENGLISH = "en"
_PLACE = re.compile(r"\{([a-z_0-9]+)\}")


@dataclass(frozen=True)
class _Entry:
    english: str
    pattern: re.Pattern[str] | None  # None: no value in it, compared as it is
    text: str


def _pattern(english: str) -> re.Pattern[str] | None:
    """A regular expression that reads the values out of a message made from ``english``."""
    parts = _PLACE.split(english)
    if len(parts) == 1:
        return None
    regex, seen = [], set()
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex.append(re.escape(part))
        elif part in seen:
            regex.append(f"(?P={part})")
        else:
            seen.add(part)
            regex.append(f"(?P<{part}>.*?)")  # a value may be empty
    return re.compile("".join(regex), re.S)


def _catalogue(language: str) -> tuple[dict[str, str], tuple[_Entry, ...]]:
    return _read_catalogue(language, tuple(extra_folders))  # again for other text folders


# the file's one statement, a dict of plain strings: read without Jinja where it is just that
_TEXTS = re.compile(r"\{%-?\s*set\s+texts\s*=\s*(\{.*\})\s*-?%\}", re.S)


def _texts_of(language: str) -> dict[str, str] | None:
    """The language's texts by their English text; None if it has no file of its own."""
    path = text_file(f"{language}/{CATALOGUE}")
    if path is None:
        return None
    found = _TEXTS.search(path.read_text(encoding="utf-8"))
    if found is not None:
        try:
            texts = ast.literal_eval(found.group(1))
        except (SyntaxError, ValueError):
            texts = None
        if isinstance(texts, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in texts.items()
        ):
            return texts
    # a town's own wording made with Jinja's expressions: Jinja reads it
    from goalbot.reporting.rendering import environment

    module: Any = (
        environment().get_template(f"{language}/{CATALOGUE}").make_module({"lang": language})
    )
    return dict(module.texts)


@lru_cache(maxsize=8)
def _read_catalogue(
    language: str, _folders: tuple[Path, ...]
) -> tuple[dict[str, str], tuple[_Entry, ...]]:
    """The language's texts: those without a value by their English text, the others as
    patterns, the most specific (the most fixed text) first."""
    if language == ENGLISH:
        return {}, ()
    found = _texts_of(language)
    if found is None:
        return {}, ()  # a language of its own without this file: English, not Finnish
    texts: dict[str, str] = found
    exact = {english: text for english, text in texts.items() if _pattern(english) is None}
    entries = [
        _Entry(english, pattern, text)
        for english, text in texts.items()
        if (pattern := _pattern(english)) is not None
    ]
    entries.sort(key=lambda e: -len(_PLACE.sub("", e.english)))
    return exact, tuple(entries)


def translated(message: str, language: str) -> str:
    """``message`` (made by goalbot's code in English) in ``language``; itself if unknown.

    The values in it are translated too, where they are such messages themselves (the first
    problem of several, argparse's message in goalbot's line)."""
    exact, entries = _catalogue(language)
    found = exact.get(message)
    if found is not None:
        return found
    for entry in entries:
        assert entry.pattern is not None
        match = entry.pattern.fullmatch(message)
        if match is None:
            continue
        values = {name: translated(value, language) for name, value in match.groupdict().items()}
        return _filled(entry.text, values)
    return message


def _filled(text: str, values: dict[str, str]) -> str:
    return _PLACE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def known(language: str) -> set[str]:
    """The English texts ``language`` has a text for."""
    exact, entries = _catalogue(language)
    return set(exact) | {e.english for e in entries}


@contextmanager
def argparse_in(language: str) -> Iterator[None]:
    """argparse's own words ("usage:", "the following arguments are required") in
    ``language`` while parsers are made and used."""
    import argparse

    module: Any = argparse
    gettext: Callable[[str], str] = module._
    ngettext: Callable[[str, str, int], str] = module.ngettext
    module._ = lambda text: translated(text, language)
    module.ngettext = lambda one, many, n: translated(one if n == 1 else many, language)
    try:
        yield
    finally:
        module._ = gettext
        module.ngettext = ngettext


def translate_parser(parser: Any, language: str) -> None:
    """The help texts of ``parser`` and all its subcommands in ``language``."""
    import argparse

    seen: set[int] = set()  # parsers and actions (--config is in every subcommand)

    def walk(current: argparse.ArgumentParser) -> None:
        if id(current) in seen:
            return
        seen.add(id(current))
        if current.description:
            current.description = translated(current.description, language)
        for action in current._actions:
            if id(action) in seen:
                continue
            seen.add(id(action))
            if action.help and action.help is not argparse.SUPPRESS:
                action.help = translated(action.help, language)
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    if choice.help:
                        choice.help = translated(choice.help, language)
                for sub in action.choices.values():
                    walk(sub)

    walk(parser)
