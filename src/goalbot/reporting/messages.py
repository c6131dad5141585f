"""Telegram HTML texts: their visible length, their plain-text form, and splitting long ones.

Telegram refuses a message whose text is longer than 4096 characters after its entities are
parsed (a caption: 1024). Lengths are counted in UTF-16 code units, as Telegram counts entity
offsets, so an emoji outside the Basic Multilingual Plane counts as two.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

TEXT_LIMIT = 4096
ELLIPSIS = "…"


class _Reader(HTMLParser):
    """Collects the visible text and the tags left open."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            # close the innermost tag of this name (and anything wrongly left inside it)
            index = len(self.open) - 1 - self.open[::-1].index(tag)
            del self.open[index:]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


def utf16_length(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def html_to_text(html: str) -> str:
    """The visible text of Telegram HTML: tags dropped, entities decoded."""
    return "".join(_read(html).text)


def visible_length(html: str) -> int:
    """The length of the text Telegram shows for ``html`` (after entity parsing)."""
    return utf16_length(html_to_text(html))


def fits(html: str, limit: int = TEXT_LIMIT) -> bool:
    """Whether ``html`` is within ``limit`` both as shown and as sent."""
    return visible_length(html) <= limit and utf16_length(html) <= limit


def _open_after(line: str, open_tags: list[str]) -> list[str]:
    """The tags still open after ``line`` when ``open_tags`` were open before it."""
    reader = _Reader()
    reader.open = list(open_tags)
    reader.feed(line)
    reader.close()
    return reader.open


def _units(lines: list[str]) -> list[list[str]]:
    """Lines grouped so that no tag is open between two groups."""
    units: list[list[str]] = []
    current: list[str] = []
    open_tags: list[str] = []
    for line in lines:
        current.append(line)
        open_tags = _open_after(line, open_tags)
        if not open_tags:
            units.append(current)
            current = []
    if current:
        units.append(current)
    return units


def _blocks(html: str) -> list[list[list[str]]]:
    """Paragraphs (separated by blank lines), each a list of units of lines."""
    blocks: list[list[list[str]]] = []
    lines: list[str] = []
    for unit in _units(html.split("\n")):
        if len(unit) == 1 and not unit[0].strip():
            if lines:
                blocks.append(_units(lines))
                lines = []
            continue
        lines.extend(unit)
    if lines:
        blocks.append(_units(lines))
    return blocks


def _shortened(html: str, limit: int) -> str:
    """A unit too long for any message on its own: its visible text, cut to fit."""
    text = html_to_text(html)
    while utf16_length(escape(text, quote=False)) > limit - 1:
        text = text[: max(0, len(text) - max(1, len(text) // 20))]
    return escape(text, quote=False).rstrip() + ELLIPSIS


def split_html(html: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a long HTML text into messages of at most ``limit`` characters.

    Splits fall only between lines, preferably at blank lines (between paragraphs), never
    where a tag is open, so every part is valid HTML on its own. A single line longer than a
    whole message cannot occur in the bot's own texts; should one, it is sent as plain text
    cut to fit rather than not at all.
    """
    parts: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = "\n".join(current).strip("\n")
        if text.strip():
            parts.append(text)
        current.clear()

    for block in _blocks(html):
        block_lines = [line for unit in block for line in unit]
        joined = [*current, "", *block_lines] if current else block_lines
        if fits("\n".join(joined), limit):
            current[:] = joined
            continue
        flush()
        if fits("\n".join(block_lines), limit):
            current[:] = block_lines
            continue
        for unit in block:
            candidate = [*current, *unit]
            if fits("\n".join(candidate), limit):
                current[:] = candidate
                continue
            flush()
            unit_text = "\n".join(unit)
            current[:] = unit if fits(unit_text, limit) else [_shortened(unit_text, limit)]
    flush()
    return parts
