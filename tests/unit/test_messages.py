"""Splitting long Telegram HTML texts: only between lines, never inside a tag, within limits."""

from __future__ import annotations

from html.parser import HTMLParser

from goalbot.emulator.entities import parse_html
from goalbot.reporting.messages import (
    fits,
    html_to_text,
    split_html,
    utf16_length,
    visible_length,
)


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def assert_valid_part(part: str, limit: int) -> None:
    """A part Telegram accepts: balanced tags, parses as Telegram HTML, within the limit."""
    checker = _Balance()
    checker.feed(part)
    checker.close()
    assert not checker.errors and not checker.stack, (checker.errors, checker.stack, part)
    plain, _ = parse_html(part, strict=True)
    assert utf16_length(plain) <= limit
    assert utf16_length(part) <= limit


def lines_of(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def test_lengths_are_counted_as_telegram_counts() -> None:
    html = "<b>Tila</b> &amp; 🔴 &lt;x&gt;"
    assert html_to_text(html) == "Tila & 🔴 <x>"
    assert visible_length(html) == len("Tila & ") + 2 + len(" <x>")  # 🔴 is two UTF-16 units
    assert utf16_length("🔴") == 2
    assert fits("a" * 10, 10) and not fits("a" * 11, 10)
    assert not fits("<b>" + "a" * 8 + "</b>", 10)  # the raw text is kept within the limit too


def test_a_short_text_is_one_part() -> None:
    assert split_html("<b>Otsikko</b>\nrivi") == ["<b>Otsikko</b>\nrivi"]
    assert split_html("") == []


def test_splits_fall_between_paragraphs_and_lines() -> None:
    paragraphs = [
        "\n".join(f"<b>P{p}</b> rivi {n} &amp; 🟡 " + "x" * 40 for n in range(6)) for p in range(30)
    ]
    text = "\n\n".join(paragraphs)
    parts = split_html(text, limit=700)
    assert len(parts) > 5
    for part in parts:
        assert_valid_part(part, 700)
    assert lines_of("\n".join(parts)) == lines_of(text)
    # whole paragraphs stay together when they fit
    for part in parts:
        assert part.startswith("<b>P") and part.split("\n")[0].endswith(
            "rivi 0 &amp; 🟡 " + "x" * 40
        )


def test_a_paragraph_longer_than_a_message_is_split_at_lines() -> None:
    block = "\n".join(f"<i>rivi {n}</i> " + "y" * 60 for n in range(100))
    parts = split_html("<b>Otsikko</b>\n" + block, limit=1000)
    assert len(parts) >= 7
    for part in parts:
        assert_valid_part(part, 1000)
    assert lines_of("\n".join(parts)) == lines_of("<b>Otsikko</b>\n" + block)


def test_a_tag_open_over_lines_is_never_split() -> None:
    quoted = "<blockquote>" + "\n".join("lainaus " + "z" * 50 for _ in range(10)) + "</blockquote>"
    text = "\n".join(["alku " + "a" * 50] * 10) + "\n" + quoted + "\n" + "loppu"
    parts = split_html(text, limit=900)
    for part in parts:
        assert_valid_part(part, 900)
    assert any(p.count("<blockquote>") == 1 and "</blockquote>" in p for p in parts)


def test_an_overlong_line_is_cut_to_fit_as_plain_text() -> None:
    line = "<b>" + "sana & " * 400 + "</b>"
    parts = split_html("ennen\n\n" + line + "\n\njälkeen", limit=500)
    for part in parts:
        assert_valid_part(part, 500)
    assert parts[0] == "ennen" and parts[-1] == "jälkeen"
    assert parts[1].endswith("…") and "&amp;" in parts[1]
