"""Lines of text in the templates keep their line breaks.

Jinja's ``trim_blocks`` takes away the newline after a block tag, so a line of text that ends in
one (``…{% endif %}``) runs into the next: list items came out as ``…3/3• Kiinteistöpäällikkö``
and sentences as ``…minuuttia.Vastaa viimeistään``. Such a line ends in ``+%}``, which keeps it.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest

from goalbot.config import LANGUAGES, SHIPPED_TEXTS

TAG = re.compile(r"\{%.*?%\}|\{#.*?#\}")
OPENING = re.compile(r"^(?:\{%-?\s*(?:if|for|set)\b.*?%\})+")


def joined_lines(source: str) -> list[str]:
    """Lines of text that end in a block tag and would run into the text of the next line."""
    lines = source.split("\n")
    found = []
    for number, (line, following) in enumerate(pairwise(lines), start=1):
        end = line.rstrip()
        if not end.endswith("%}") or end.endswith(("+%}", "-%}")) or not TAG.sub("", end).strip():
            continue
        nxt = following.strip()
        if not nxt or nxt.startswith("{%-"):
            continue  # a blank line gives the break; or the next line takes it on purpose
        if nxt.startswith("{% endfor"):
            found.append(f"{number}: a list item runs into the next one")
            continue
        if not nxt.startswith("{%"):
            found.append(f"{number}: runs into {nxt[:40]!r}")
            continue
        rest = OPENING.sub("", following.lstrip())
        if rest != following.lstrip() and rest and not rest.startswith(("{%", " ")):
            found.append(f"{number}: runs into {nxt[:40]!r}")
    return found


def templates() -> list[Path]:
    return sorted(p for language in LANGUAGES for p in (SHIPPED_TEXTS / language).rglob("*.j2"))


@pytest.mark.parametrize("path", templates(), ids=lambda p: str(p.relative_to(SHIPPED_TEXTS)))
def test_no_line_of_text_runs_into_the_next(path: Path) -> None:
    assert joined_lines(path.read_text(encoding="utf-8")) == []


def test_the_check_finds_lines_that_run_together() -> None:
    assert joined_lines("{% for m in x %}\n• {{ m }}{% if y %} !{% endif %}\n{% endfor %}\n")
    assert joined_lines("Yksi.{% if a %} Kaksi.{% endif %}\n{% if b %}Kolme.{% endif %}\n")
    assert not joined_lines("Yksi.{% if a %} Kaksi.{% endif +%}\n{% if b %}Kolme.{% endif %}\n")
    assert not joined_lines("{% if a %}Yksi.{% endif %}\n{% if b %} ja kaksi.{% endif %}\n")
    assert not joined_lines("{% if a %}Yksi.{% endif %}\n{% elif b %}Kaksi.{% endif %}\n")
