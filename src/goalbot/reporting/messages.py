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


class _Pieces:
    """Texts to be joined by line breaks, with the joined text's lengths kept as they grow: a
    text's visible length is its pieces' plus one a break, when no tag is open between them
    (each piece whole units, see _units), so nothing is parsed twice."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.shown = 0  # visible length (UTF-16) of the pieces, breaks not counted
        self.sent = 0  # length as sent (UTF-16)

    @staticmethod
    def measure(text: str) -> tuple[str, int, int]:
        return text, visible_length(text), utf16_length(text)

    def fits(self, added: list[tuple[str, int, int]], limit: int) -> bool:
        """Whether the pieces with ``added`` after them fit within ``limit``."""
        breaks = len(self.texts) + len(added) - 1
        shown = self.shown + sum(piece[1] for piece in added) + breaks
        sent = self.sent + sum(piece[2] for piece in added) + breaks
        return shown <= limit and sent <= limit

    def extend(self, added: list[tuple[str, int, int]]) -> None:
        for text, shown, sent in added:
            self.texts.append(text)
            self.shown += shown
            self.sent += sent

    def __bool__(self) -> bool:
        return bool(self.texts)


_BREAK = ("", 0, 0)  # the blank line between paragraphs


def split_html(html: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a long HTML text into messages of at most ``limit`` characters.

    Splits fall only between lines, preferably at blank lines (between paragraphs), never
    where a tag is open, so every part is valid HTML on its own. A single line longer than a
    whole message cannot occur in the bot's own texts; should one, it is sent as plain text
    cut to fit rather than not at all.
    """
    parts: list[str] = []
    current = _Pieces()

    def flush() -> _Pieces:
        text = "\n".join(current.texts).strip("\n")
        if text.strip():
            parts.append(text)
        return _Pieces()

    for block in _blocks(html):
        # each unit measured once (re-reading the message as it grew was most of the time
        # a long summary took)
        units = [_Pieces.measure("\n".join(unit)) for unit in block]
        joined = [_BREAK, *units] if current else units
        if current.fits(joined, limit):
            current.extend(joined)
            continue
        current = flush()
        if current.fits(units, limit):
            current.extend(units)
            continue
        for unit in units:
            if current.fits([unit], limit):
                current.extend([unit])
                continue
            current = flush()
            if current.fits([unit], limit):
                current.extend([unit])
            else:
                current.extend([_Pieces.measure(_shortened(unit[0], limit))])
    flush()
    return parts
