"""Thousands of random inputs, repeatably (a seeded generator), to every parser and through
every state of an owner's conversation.

A parser answers with a value or with its own refusal (the clear Finnish message comes from
that), never with another exception; what it keeps is clean and bounded. The conversation
never fails, whatever is typed or pressed in whatever order, every screen renders as HTML the
real Telegram accepts, and what is stored belongs to the owner's own questions.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from goalbot.chat.callbacks import decode
from goalbot.chat.handlers import render_screen
from goalbot.domain.answers import (
    InvalidAnswer,
    clean_text,
    parse_number,
    parse_reason,
    parse_yes_no,
)
from goalbot.domain.goals import Catalogue, Metric, MetricKind
from goalbot.domain.obligations import asked_items
from goalbot.domain.periods import Period, parse_day
from goalbot.domain.protocol import ScreenKind
from goalbot.emulator.entities import parse_html, utf16_len
from goalbot.reporting.messages import TEXT_LIMIT, split_html
from goalbot.scheduling.control import open_round_now
from goalbot.services.catalogue import get_catalogue
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.progress import resolve_scope
from goalbot.services.questionnaire import Action, OwnerInput, handle_input
from goalbot.storage.models import AnswerRow
from tests.conftest import Clock
from tests.e2e.chat_steps import Q4, enrol
from tests.fakes.botapi import FakeBotApi
from tests.reliability.figures import Figures

pytestmark = [pytest.mark.slow, pytest.mark.reliability]
SEED = 20261201
PARSER_INPUTS = 3000
CONVERSATION_INPUTS = 2500
ROLE = "elinvoima-hyvinvointipaallikko"  # yes/no questions, a count, an explanation to give
PIECES = [
    "0",
    "7",
    "12",
    "11,9",
    "11.9",
    "1 021 000",
    "−20",
    "-5",
    "+3",
    "1e9",
    "0x1F",
    "½",
    "١٢",
    "１２",
    "𝟏𝟐",
    "٫",
    "%",
    " %",
    "€",
    " €/asukas",
    "kg",
    "kpl",
    "hlö",
    "päivää",
    "Kyllä",
    "kyllä",
    "EI",
    "joo",
    "ei",
    "yes",
    "no",
    "ehkä",
    "tekninen",
    "hallinto",
    "TEK-1",
    "sivistys",
    "rakennusvalvonta",
    "2026Q4",
    "2026q5",
    "Q4/2026",
    "31.12.2026",
    "2026-12-31",
    "29.2.2027",
    "0.0.0",
    "<b>",
    "</b>",
    "<a href='https://x.example'>linkki</a>",
    "&amp;",
    "&",
    "<",
    ">",
    '"',
    "'",
    "<sijainen>",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\u202e",
    "\u200b",
    "\u2066",
    "\ufeff",
    "\ud800",
    "🙂",
    "👩‍👩‍👧",
    "\n",
    "\r\n",
    "\t",
    "  ",
    "q:1:y",
    "q:x:y",
    "q:99999999999999999999:ok",
    "q:3:ch:9",
    "/raportoi",
    "/status",
    "/start x",
    "Matti",
    "arvo <5 kpl",
    "9" * 400,
    "9" * 16,
    "1" * 15,
    "0," + "0" * 30 + "1",
    ",",
    ".",
    " ",
]


def hostile(rng: random.Random) -> str:
    """A random text built from pieces that have broken parsers somewhere."""
    if rng.random() < 0.02:
        return rng.choice(PIECES) * rng.randint(100, 600)  # long
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))


def test_every_parser_on_random_text(sqlite_ctx: AppContext) -> None:
    rng = random.Random(SEED)
    catalogue = get_catalogue(sqlite_ctx)
    figured = [m for m in catalogue.metrics() if m.kind != MetricKind.YES_NO]
    refused: Counter[str] = Counter()
    crashes: list[str] = []
    figures = Figures("fuzzing the parsers")
    for _ in range(PARSER_INPUTS):
        text = hostile(rng)
        try:
            check_parsers(text, rng, catalogue, figured, refused)
        except Exception as exc:  # counted, and the first ones shown
            figures.crashes += 1
            crashes.append(f"{text!r}: {exc!r}")
    print(f"\n[parsers] {PARSER_INPUTS} inputs, refusals by kind: {dict(refused)}")
    print("\n".join(crashes[:5]))
    assert len(refused) > 5  # the generator did reach the refusals
    figures.check()


def test_random_inputs_through_every_conversation_state(
    sqlite_ctx: AppContext, clock: Clock, botapi: FakeBotApi
) -> None:
    rng = random.Random(SEED)
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    ctx = sqlite_ctx
    owner = botapi.driver.create_user("Eeva")
    enrol(ctx, owner, ROLE, "Eeva Elinvoima")
    open_round_now(ctx, Q4)
    own = {metric.id for _, _, metric in asked_items(get_catalogue(ctx), [ROLE], Q4)}
    actions = list(Action)
    version = 0
    seen: Counter[str] = Counter()
    crashes: list[str] = []
    figures = Figures("fuzzing the conversation")
    for number in range(1, CONVERSATION_INPUTS + 1):
        roll = rng.random()
        if roll < 0.45:
            given = OwnerInput(number, owner.id, text=hostile(rng))
        else:
            stale = rng.random() < 0.15
            given = OwnerInput(
                number,
                owner.id,
                action=rng.choice(actions),
                version=rng.randint(0, version + 2) if stale else version,
                argument=rng.choice(["", "", str(rng.randint(0, 12)), hostile(rng)[:20]]),
            )
        clock.advance(seconds=1)
        try:
            version = max(version, shown(ctx, given, seen))
        except Exception as exc:  # counted, and the first ones shown
            figures.crashes += 1
            crashes.append(f"{given!r}: {exc!r}")
    with ctx.unit_of_work() as uow:
        answers = list(uow.session.scalars(select(AnswerRow)))
    assert {a.metric_id for a in answers} <= own
    for answer in answers:
        assert answer.number is None or isinstance(answer.number, Decimal)
        for text in (answer.reason, answer.explanation, answer.corrective_action):
            assert text is None or (text == clean_text(text) and len(text) <= 1000)
    print(f"\n[conversation] {CONVERSATION_INPUTS} inputs, screens shown: {dict(seen)}")
    print("\n".join(crashes[:5]))
    # every state of the conversation was reached
    assert set(seen) >= {k.value for k in ScreenKind} - {ScreenKind.NOTE.value}, seen
    figures.check()


def shown(ctx: AppContext, given: OwnerInput, seen: Counter[str]) -> int:
    """Apply one input and render its screens as the chat would; the newest version shown."""
    reply = handle_input(ctx, given)
    assert reply.screens or reply.toast  # a stale button's answer is a toast alone
    version = 0
    for screen in reply.screens:
        seen[screen.kind.value] += 1
        version = max(version, screen.version)
        for part in split_html(render_screen(screen, "fi", ctx)):
            text, _ = parse_html(part)  # raises on HTML Telegram would refuse
            assert 0 < utf16_len(text) <= TEXT_LIMIT
    return version


def check_parsers(
    text: str,
    rng: random.Random,
    catalogue: Catalogue,
    figured: list[Metric],
    refused: Counter[str],
) -> None:
    """Every parser on ``text``: a value or its own refusal (counted in ``refused``)."""
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert not any(ord(c) < 32 and c not in "\n\t" for c in cleaned), repr(cleaned)
    assert "\u202e" not in cleaned and "\ud800" not in cleaned
    assert parse_yes_no(text) in (True, False, None)
    metric = rng.choice(figured)
    try:
        number = parse_number(text, metric)
    except InvalidAnswer as exc:
        refused[f"number: {exc.code}"] += 1
    else:
        assert number.is_finite() and len(number.as_tuple().digits) <= 15, (text, number)
    try:
        reason = parse_reason(text)
    except InvalidAnswer as exc:
        refused[f"reason: {exc.code}"] += 1
    else:
        assert reason == clean_text(reason) and len(reason) <= 1000
    try:
        Period.parse(text)
    except ValueError:
        refused["period"] += 1
    parse_day(text)
    found = decode(text)
    assert found is None or isinstance(found.version, int)
    try:
        resolve_scope(catalogue, text)
    except ServiceError:
        refused["scope"] += 1
