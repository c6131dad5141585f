"""Every text of the chat and of the reports in every language goalbot ships: none missing,
no Finnish word left in a Swedish or English one, and valid HTML.

The word check reads each template's own words (its text and the strings in its code, in
every branch), and the rendered screens and reports too, where a Finnish word is a fault
unless it comes from the catalogue or from what people wrote (those are Finnish by nature).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from goalbot.catalogues import shipped_catalogue_path
from goalbot.config import LANGUAGES, SHIPPED_TEXTS
from goalbot.domain.answers import Answer, AnswerValue
from goalbot.domain.catalogue_file import read_catalogue
from goalbot.domain.goals import MetricKind
from goalbot.domain.obligations import Holder, RoleHolders
from goalbot.domain.periods import Period
from goalbot.domain.protocol import HolderKind, ScreenKind
from goalbot.emulator.entities import parse_html
from goalbot.reporting.export import csv_rows
from goalbot.reporting.rendering import render
from goalbot.reporting.report_texts import render_missing, render_status, render_summary
from goalbot.services.context import AppContext
from goalbot.services.progress import missing_of, status_of
from goalbot.services.questionnaire import ItemView, Screen
from tests.conftest import Clock, Templates, copied_context
from tests.report_data import (
    CORRECTIVE_SENTENCE,
    EXPLANATION_SENTENCE,
    Q4,
    answered_town,
)

FINNISH = frozenset(
    line.strip()
    for line in (Path(__file__).parents[1] / "data" / "finnish_words.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip() and not line.startswith("#")
)
OTHERS = [language for language in LANGUAGES if language != "fi"]
FOLDERS = ("chat", "report", "cli", "sandbox")
WORD = re.compile(r"[^\W\d_]+")
ZONE = ZoneInfo("Europe/Helsinki")


def texts_of(language: str) -> set[str]:
    root = SHIPPED_TEXTS / language
    return {
        str(path.relative_to(root))
        for folder in FOLDERS
        for path in (root / folder).glob("*.j2")
        if (root / folder).is_dir()
    }


def own_words(source: str) -> list[str]:
    """A template's own words: its text, and the strings in its code."""
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    said: list[str] = []
    for part in re.split(r"(\{\{.*?\}\}|\{%.*?%\})", source, flags=re.S):
        said.extend(re.findall(r'"([^"]*)"', part) if part[:2] in ("{{", "{%") else [part])
    return WORD.findall(" ".join(said))


def finnish_in(text: str, allowed: frozenset[str] = frozenset()) -> set[str]:
    words = {w.casefold() for w in WORD.findall(re.sub(r"<[^>]+>", " ", text))}
    return (words & FINNISH) - allowed


@lru_cache(maxsize=1)
def catalogue_words() -> frozenset[str]:
    """What the catalogue and the tests' people write: Finnish, and rightly so."""
    texts = [
        shipped_catalogue_path().read_text(encoding="utf-8"),
        EXPLANATION_SENTENCE,
        CORRECTIVE_SENTENCE,
        "Kommentti tavoitteeseen Kysely siirtyi ensi vuoteen",
    ]
    return frozenset(w.casefold() for w in WORD.findall(" ".join(texts)))


def assert_html(text: str) -> None:
    parse_html(text, strict=True)  # raises on what Telegram would refuse
    assert text.strip(), "an empty text"


def test_every_text_is_in_every_language() -> None:
    finnish = texts_of("fi")
    assert finnish
    for language in OTHERS:
        assert sorted(finnish - texts_of(language)) == [], f"missing in {language}"


@pytest.mark.parametrize("language", OTHERS)
def test_no_template_says_a_finnish_word(language: str) -> None:
    found = {}
    for name in sorted(texts_of(language)):
        source = (SHIPPED_TEXTS / language / name).read_text(encoding="utf-8")
        words = {w.casefold() for w in own_words(source)} & FINNISH
        if words:
            found[name] = sorted(words)
    assert found == {}


def test_the_check_finds_a_finnish_word() -> None:
    assert own_words('{% if x %}Skriv {{ "esim." }}{% endif %}') == ["Skriv", "esim"]
    assert finnish_in("<b>Mittari:</b> Kirjoita luku.") == {"mittari", "kirjoita", "luku"}
    assert finnish_in("Skriv en siffra, t.ex. 11,9 %.") == set()


def question_screens(language: str) -> dict[str, str]:
    catalogue = read_catalogue(shipped_catalogue_path())
    metrics = [(goal, metric) for goal in catalogue.goals for metric in goal.metrics]
    screens = {}
    for place, (goal, metric) in enumerate(metrics, start=1):
        role = catalogue.role(goal.owner_role)
        kind = HolderKind.DEPUTY if place % 5 == 0 else HolderKind.OWNER
        holder = Holder(role, kind, 1, "Olli Omistaja")
        value = (
            AnswerValue.of_flag(False)
            if metric.kind == MetricKind.YES_NO
            else AnswerValue.of_number(Decimal(3))
        )
        previous = Answer(metric.id, Period(2026, 3), value)
        item = ItemView(
            place,
            len(metrics),
            holder,
            RoleHolders(role, holder),
            goal,
            metric,
            previous,
            previous if place % 2 else None,
        )
        screen = Screen(
            ScreenKind.QUESTION, 1, Q4, item=item, closes_at=datetime(2027, 1, 18, tzinfo=UTC)
        )
        screens[metric.id] = render("chat/question.html.j2", language, screen=screen, timezone=ZONE)
    return screens


@pytest.mark.parametrize("language", OTHERS)
def test_every_question_in_every_language(language: str) -> None:
    allowed = catalogue_words()
    finnish = question_screens("fi")
    for metric_id, screen in question_screens(language).items():
        assert_html(screen)
        assert finnish_in(screen, allowed) == set(), metric_id
        assert screen != finnish[metric_id]
    sample = question_screens(language)["STR-3.1"]
    assert {"sv": "Utgångsnivå: 12,0\u00a0% (12/2025)", "en": "Baseline: 12,0\u00a0% (12/2025)"}[
        language
    ] in sample


@pytest.fixture
def answered(clock: Clock, templates: Templates, tmp_path: Path) -> Iterator[AppContext]:
    with copied_context(templates, "sqlite", clock, tmp_path, answered_town(60)) as ctx:
        yield ctx


@pytest.mark.parametrize("language", OTHERS)
def test_every_report_in_every_language(answered: AppContext, language: str) -> None:
    ctx = answered
    allowed = catalogue_words() | {"teemu", "tekninen"}
    reports = {
        "summary": render_summary(ctx, status_of(ctx, "", Q4), language),
        "missing": render_missing(ctx, missing_of(ctx, Q4), language),
    }
    for scope in ("", "strategia", "hallinto", "tekninen", "rakennusvalvonta", "YH-8", "TILA-2"):
        reports[scope or "town"] = render_status(ctx, status_of(ctx, scope, Q4), language)
    for name, text in reports.items():
        assert_html(text)
        assert finnish_in(text, allowed) == set(), name
        # the shipped catalogue is in Finnish only: the report says so, once
        assert text.count("*") == 1 or name == "missing", name
    rows = csv_rows(status_of(ctx, "", Q4), language)
    header = " ".join(" ".join(row) for row in rows[:3])
    assert finnish_in(header, allowed - {"tavoite", "mittari", "lähtötaso"}) == set()


# ---------------------------------------------------------------- texts chosen by a code


def codes(name: str, variable: str) -> list[str]:
    """The codes a Finnish template has a text for (``code == "…"``, ``name == "…"``)."""
    source = (SHIPPED_TEXTS / "fi" / name).read_text(encoding="utf-8")
    found = re.findall(rf'{re.escape(variable)} == "([a-z_]+)"', source)
    found += [
        c
        for group in re.findall(rf"{re.escape(variable)} in \(([^)]*)\)", source)
        for c in re.findall(r'"([a-z_]+)"', group)
    ]
    return list(dict.fromkeys(found))


CATALOGUE = read_catalogue(shipped_catalogue_path())
METRIC = next(m for m in CATALOGUE.metrics() if m.kind == MetricKind.NUMBER)
GOAL = CATALOGUE.goals[0]
PARAMS: dict[str, Any] = {
    "role": "x-role",
    "known": "a, b",
    "who": "Maija",
    "ids": "1, 2",
    "until": datetime(2026, 12, 31, 14, tzinfo=UTC),
    "current": datetime(2027, 1, 18, 14, tzinfo=UTC),
    "next_period": "Q1/2027",
    "next_opens": datetime(2027, 3, 17, 7, tzinfo=UTC),
    "period": "Q4/2026",
    "first": "Q1/2026",
    "last": "Q4/2029",
}
CODED: dict[str, tuple[str, dict[str, Any]]] = {
    "chat/error.html.j2": ("code", {}),
    "chat/toast.txt.j2": ("code", {}),
    "chat/invite_error.html.j2": ("code", {"user_id": 42}),
    "chat/admin_error.html.j2": ("code", {"p": PARAMS, "timezone": ZONE}),
    "chat/admin_usage.html.j2": ("command", {}),
    "chat/command.txt.j2": ("command", {}),
    "chat/button.txt.j2": (
        "name",
        {"goal": GOAL, "index": 3, "value": Decimal(11), "metric": METRIC},
    ),
    "chat/report_error.html.j2": (
        "code",
        {
            "scope": "x",
            "departments": CATALOGUE.departments,
            "areas": CATALOGUE.areas,
            "department": True,
            "matches": ["a", "b"],
            "ref": "TEK-1.2",
            "metrics": ["TEK-1.1"],
            "text": "zz",
            "command": "export",
            **PARAMS,
        },
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(CODED))
def test_every_coded_text_in_every_language(name: str, language: str) -> None:
    variable, values = CODED[name]
    found = codes(name, variable)
    assert found, name
    rendered = {code: render(name, language, **{variable: code}, **values) for code in found}
    for code, text in rendered.items():
        assert text, f"{name}: no text for {code}"
        if name.endswith(".html.j2"):
            assert_html(text)
        if language != "fi":
            assert finnish_in(text, catalogue_words()) == set(), f"{name}: {code}"
    # /raportoi is /report in Finnish: the one text two commands share
    twins = 1 if name == "chat/command.txt.j2" and language == "fi" else 0
    assert len(set(rendered.values())) == len(rendered) - twins, f"{name}: two codes, one text"


NOTES = ["no_open_round", "nothing_due", "not_an_owner", "not_started"]
NOTES += ["late_explanation", "late_corrective", "late_too_long", "late_empty", "late_gone"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_note_in_every_language(language: str) -> None:
    for note in NOTES:
        for role in ("", "admin", "manager"):
            params = {"period": "Q4/2026", "admin": role == "admin", "manager": role == "manager"}
            params |= {"metric": "RV-1.1", "length": 1200, "limit": 1000}
            screen = SimpleNamespace(note=note, error_params=params)
            text = render("chat/note.html.j2", language, screen=screen)
            assert_html(text)
            if language != "fi":
                assert finnish_in(text) == set(), note


NOTICES: list[dict[str, Any]] = [
    {"code": "late_event", "event": "open", "due_at": "2026-12-17T07:00:00+00:00"},
    {"code": "late_event", "event": "close", "due_at": "2026-12-17T07:00:00", "reason": "frozen"},
    {
        "code": "skipped_event",
        "event": "nudge",
        "due_at": "2026-12-17T07:00:00",
        "reason": "frozen",
    },
    {"code": "skipped_event", "event": "open", "due_at": "2026-12-17T07:00:00"},
    {"code": "skipped_event", "event": "close", "due_at": "2026-12-17T07:00:00"},
    {"code": "event_failed", "event": "open", "reason": "other_round_open"},
    {"code": "event_failed", "event": "close", "reason": "no_management_chat"},
    {"code": "event_failed", "event": "close", "reason": "no_such_round"},
    {
        "code": "undelivered",
        "sends": [
            {
                "id": 7,
                "kind": "summary",
                "period": "2026Q4",
                "period_label": "Q4/2026",
                "person": "",
                "chat_id": -100,
                "status": "uncertain",
                "missing": [1, 3],
                "total": 3,
            },
            {
                "id": 8,
                "kind": "nudge",
                "period": "2026Q4",
                "period_label": "Q4/2026",
                "person": "Maija",
                "chat_id": 5,
                "status": "failed",
                "missing": [1],
                "total": 2,
            },
        ],
    },
    {"code": "blocked", "person": "Maija"},
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_notice_to_the_administrators_in_every_language(language: str) -> None:
    texts = []
    for payload in NOTICES:
        text = render(
            "chat/admin_notice.html.j2", language, payload=payload, period=Q4, timezone=ZONE
        )
        assert_html(text)
        if language != "fi":
            assert finnish_in(text, frozenset({"maija"})) == set(), payload
        texts.append(text)
    assert len(set(texts)) == len(texts)
