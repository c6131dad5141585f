"""Text entities as Telegram computes them: HTML parse mode, bot commands, UTF-16 offsets."""

from __future__ import annotations

import html
import re
from typing import Any

JsonDict = dict[str, Any]

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "tg-time",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)

_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """The text can't be parsed; str() is the part after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _char_utf16(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _is_space(ch: str) -> bool:
    # td::is_space, with "\0" standing for the end of the text
    return ch in " \t\r\n\0\v"


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode an HTML entity starting at text[pos] == "&" the way Telegram does."""
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        value = 0
        if end < n and text[end] == "x":
            end += 1
            while end < n and text[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(text[end], 16)
                end += 1
        else:
            while end < n and text[end].isascii() and text[end].isdigit():
                value = value * 10 + int(text[end])
                end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10:
            return None
        if 0xD800 <= value <= 0xDFFF:
            raise EntityParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        decoded = chr(value)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        name = text[pos + 1 : end]
        if name not in _NAMED_ENTITIES:
            return None
        decoded = _NAMED_ENTITIES[name]
    if end < n and text[end] == ";":
        end += 1
    return decoded, end


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[JsonDict]]:
    """Parse Telegram-flavoured HTML into (plain text, MessageEntity dicts).

    Follows the rules of Telegram's own parser (tags, attributes, nesting, entity
    decoding, error messages with UTF-8 byte offsets). With ``strict`` it also
    rejects what the Bot API documentation forbids but Telegram's parser lets
    through: a bare ``&`` that starts no known entity and a bare ``>``.
    """
    n = len(text)

    def ch(i: int) -> str:
        return text[i] if i < n else "\0"

    out: list[str] = []
    utf16 = 0
    stack: list[tuple[str, dict[str, str], int, int]] = []
    entities: list[JsonDict] = []
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                value, i = decoded
                out.append(value)
                utf16 += _char_utf16(value)
                continue
            if strict:
                raise EntityParseError(
                    f'Character "&" at byte offset {_byte_offset(text, i)} must be escaped '
                    'as "&amp;" (only &lt; &gt; &amp; &quot; and numeric entities are known)'
                )
        if c != "<":
            if strict and c == ">":
                offset = _byte_offset(text, i)
                raise EntityParseError(
                    f'Character ">" at byte offset {offset} must be escaped as "&gt;"'
                )
            out.append(c)
            utf16 += _char_utf16(c)
            i += 1
            continue

        begin = i
        begin_bytes = _byte_offset(text, begin)
        i += 1
        if ch(i) != "/":
            while not _is_space(ch(i)) and ch(i) != ">":
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin_bytes}")
            tag = text[begin + 1 : i].lower()
            if tag not in SUPPORTED_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {begin_bytes}'
                )
            attrs: dict[str, str] = {}
            while ch(i) != ">":
                while i < n and _is_space(ch(i)):
                    i += 1
                if ch(i) == ">":
                    break
                attr_begin = i
                while not _is_space(ch(i)) and ch(i) not in "=>/\"'":
                    i += 1
                attr_name = text[attr_begin:i]
                if not attr_name:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin_bytes}'
                    )
                while i < n and _is_space(ch(i)):
                    i += 1
                if ch(i) != "=":
                    if i >= n:
                        raise EntityParseError(
                            f'Unclosed start tag "{tag}" at byte offset {begin_bytes}'
                        )
                    attrs[attr_name] = ""
                    continue
                i += 1
                while i < n and _is_space(ch(i)):
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {begin_bytes}'
                    )
                if ch(i) not in "'\"":
                    token_begin = i
                    while ch(i).isascii() and (ch(i).isalnum() or ch(i) in ".-"):
                        i += 1
                    value = text[token_begin:i].lower()
                    if not _is_space(ch(i)) and ch(i) != ">":
                        raise EntityParseError(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(text, token_begin)}"
                        )
                else:
                    quote = text[i]
                    i += 1
                    parts: list[str] = []
                    while i < n and text[i] != quote:
                        if text[i] == "&":
                            decoded = _decode_entity(text, i)
                            if decoded is not None:
                                parts.append(decoded[0])
                                i = decoded[1]
                                continue
                        parts.append(text[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(parts)
                if i >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {begin_bytes}")
                attrs[attr_name] = value
            if tag == "span" and attrs.get("class") != "tg-spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin_bytes}'
                )
            stack.append((tag, attrs, utf16, len(out)))
            i += 1
            continue

        # end tag
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin_bytes}")
        while not _is_space(ch(i)) and ch(i) != ">":
            i += 1
        end_tag = text[begin + 2 : i].lower()
        while i < n and _is_space(ch(i)):
            i += 1
        if ch(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {begin_bytes}")
        i += 1
        tag, attrs, start, out_start = stack.pop()
        if end_tag and end_tag != tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin_bytes}, expected "</{tag}>", '
                f'found "</{end_tag}>"'
            )
        length = utf16 - start
        if length <= 0:
            continue
        entity = _make_entity(tag, attrs, start, length, "".join(out[out_start:]), entities)
        if entity is not None:
            entities.append(entity)

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    finish_entities(entities)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _make_entity(
    tag: str,
    attrs: dict[str, str],
    offset: int,
    length: int,
    inner_text: str,
    entities: list[JsonDict],
) -> JsonDict | None:
    if tag in _SIMPLE_TAG_TYPES:
        return {"type": _SIMPLE_TAG_TYPES[tag], "offset": offset, "length": length}
    if tag == "span":
        return {"type": "spoiler", "offset": offset, "length": length}
    if tag == "blockquote":
        kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        return {"type": kind, "offset": offset, "length": length}
    if tag == "tg-emoji":
        emoji_id = attrs.get("emoji-id", "")
        if not emoji_id.lstrip("-").isdigit() or int(emoji_id) == 0:
            raise EntityParseError("Invalid custom emoji identifier specified")
        return {
            "type": "custom_emoji",
            "offset": offset,
            "length": length,
            "custom_emoji_id": emoji_id,
        }
    if tag == "tg-time":
        unix = attrs.get("unix", "")
        if not unix.isdigit():
            raise EntityParseError("Invalid Unix time specified")
        entity: JsonDict = {
            "type": "date_time",
            "offset": offset,
            "length": length,
            "unix_time": int(unix),
        }
        if attrs.get("format"):
            entity["date_time_format"] = attrs["format"]
        return entity
    if tag == "a":
        url = attrs.get("href") or inner_text
        if not url.strip():
            return None
        return {"type": "text_link", "offset": offset, "length": length, "url": url}
    if tag == "code":
        language = ""
        css = attrs.get("class", "")
        if css.startswith("language-"):
            language = css[len("language-") :]
        last = entities[-1] if entities else None
        if (
            language
            and last is not None
            and last["type"] == "pre"
            and last["offset"] == offset
            and last["length"] == length
        ):
            last["language"] = language
            return None
        entity = {"type": "code", "offset": offset, "length": length}
        if language:
            entity["_language"] = language
        return entity
    if tag == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and last["offset"] == offset
            and last["length"] == length
            and last.get("_language")
        ):
            language = last.pop("_language")
            last["type"] = "pre"
            last["language"] = language
            return None
        return {"type": "pre", "offset": offset, "length": length}
    return None  # pragma: no cover - all supported tags are handled above


def finish_entities(entities: list[JsonDict]) -> list[JsonDict]:
    for entity in entities:
        entity.pop("_language", None)
    return entities


def strip_text(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    """Trim surrounding whitespace as Telegram does, moving and clipping entities."""
    stripped_left = text.lstrip()
    cut_left = utf16_len(text) - utf16_len(stripped_left)
    stripped = stripped_left.rstrip()
    total = utf16_len(stripped)
    result: list[JsonDict] = []
    for entity in entities:
        start = max(entity["offset"] - cut_left, 0)
        end = min(entity["offset"] + entity["length"] - cut_left, total)
        if end <= start:
            continue
        moved = dict(entity)
        moved["offset"] = start
        moved["length"] = end - start
        result.append(moved)
    return stripped, result


def _is_word_char(ch: str) -> bool:
    return ch == "_" or ch.isalnum()


def _is_command_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def find_bot_commands(text: str) -> list[JsonDict]:
    """The bot_command entities Telegram finds in a text (offsets in UTF-16 units)."""
    result: list[JsonDict] = []
    n = len(text)
    i = 0
    while True:
        i = text.find("/", i)
        if i < 0:
            break
        if i > 0:
            prev = text[i - 1]
            if _is_word_char(prev) or prev in "/<>":
                i += 1
                continue
        start = i
        i += 1
        name_start = i
        while i < n and _is_command_char(text[i]):
            i += 1
        if not 1 <= i - name_start <= 64:
            continue
        end = i
        if i < n and text[i] == "@":
            i += 1
            mention_start = i
            while i < n and _is_command_char(text[i]):
                i += 1
            if not 3 <= i - mention_start <= 32:
                continue
            end = i
        if i < n and (_is_word_char(text[i]) or text[i] in "/<>"):
            continue
        result.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[:start]),
                "length": utf16_len(text[start:end]),
            }
        )
    return result


# ---- showing a message as a Telegram app does -------------------------------------------

_SHOWN_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="tg-spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ('<blockquote class="tg-expandable">', "</blockquote>"),
}
_LINK_SCHEMES = ("http://", "https://", "tg://")
_URL_RE = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def to_html(text: str, entities: list[JsonDict] | tuple[JsonDict, ...] = ()) -> str:
    """Safe HTML for a web page showing ``text`` with its entities as a Telegram app does.

    Every character of the text is escaped; only the tags of the entities are added. Links in
    the plain text become links (Telegram finds them by itself), bot commands can be clicked.
    """
    boundaries = _utf16_boundaries(text)
    spans: list[tuple[int, int, JsonDict]] = []
    for entity in entities:
        start = boundaries.get(int(entity["offset"]))
        end = boundaries.get(int(entity["offset"]) + int(entity["length"]))
        if start is not None and end is not None and end > start:
            spans.append((start, end, entity))
    spans.sort(key=lambda s: (s[0], -s[1]))
    cuts = sorted({0, len(text), *(s[0] for s in spans), *(s[1] for s in spans)})
    out: list[str] = []
    stack: list[tuple[int, str, str, bool]] = []  # (end, opening tag, closing tag, linked)
    pending = list(spans)
    for here, following in zip(cuts, [*cuts[1:], None], strict=True):
        # close what ends here (reopening what overlapped it), then open what starts here
        reopen: list[tuple[int, str, str, bool]] = []
        while any(end == here for end, *_rest in stack):
            shown = stack.pop()
            out.append(shown[2])
            if shown[0] != here:
                reopen.append(shown)
        for shown in reversed(reopen):
            out.append(shown[1])
            stack.append(shown)
        while pending and pending[0][0] == here:
            start, end, entity = pending.pop(0)
            opening, closing = _tags(entity, text[start:end])
            out.append(opening)
            stack.append((end, opening, closing, entity["type"] in _NOT_LINKED))
        if following is not None:
            segment = text[here:following]
            inside_link = any(linked for *_tags_, linked in stack)
            out.append(html.escape(segment, quote=False) if inside_link else _linked(segment))
    return "".join(out)


_NOT_LINKED = frozenset({"text_link", "url", "bot_command", "code", "pre", "email"})


def _utf16_boundaries(text: str) -> dict[int, int]:
    """UTF-16 offset -> index into ``text``, at every character boundary."""
    boundaries = {0: 0}
    units = 0
    for index, ch in enumerate(text, start=1):
        units += _char_utf16(ch)
        boundaries[units] = index
    return boundaries


def _tags(entity: JsonDict, covered: str) -> tuple[str, str]:
    """The opening and closing HTML tags that show one entity."""
    kind = str(entity["type"])
    if kind in _SHOWN_TAGS:
        return _SHOWN_TAGS[kind]
    if kind in ("text_link", "url"):
        url = str(entity.get("url") or covered)
        if url.startswith(_LINK_SCHEMES):
            return f'<a href="{html.escape(url)}" target="_blank" rel="noopener">', "</a>"
        return '<span class="tg-link">', "</span>"
    if kind == "bot_command":
        return f'<a href="#" class="tg-command" data-command="{html.escape(covered)}">', "</a>"
    return f'<span class="tg-{html.escape(kind)}">', "</span>"


def _linked(segment: str) -> str:
    out: list[str] = []
    last = 0
    for match in _URL_RE.finditer(segment):
        out.append(html.escape(segment[last : match.start()], quote=False))
        url = match.group(0)
        out.append(
            f'<a href="{html.escape(url)}" target="_blank" rel="noopener">'
            f"{html.escape(url, quote=False)}</a>"
        )
        last = match.end()
    out.append(html.escape(segment[last:], quote=False))
    return "".join(out)
