"""The report texts read as Finnish a committee would print: no run-together lines, no doubled
words or punctuation, one name for the round and for the person answering, the minus sign."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from goalbot.domain.answers import AnswerValue
from goalbot.domain.periods import Period
from goalbot.reporting.messages import html_to_text
from goalbot.reporting.rendering import render
from goalbot.reporting.report_texts import missing_report, render_summary, status_report
from goalbot.services.context import AppContext
from goalbot.services.progress import status_of
from goalbot.services.questionnaire import ReminderView
from tests.conftest import Clock, Templates, copied_context
from tests.report_data import Q3, Q4, answered_town, set_answer

# what went wrong before, as patterns in the plain text of any report
FAULTS = {
    "a bullet glued to the line before": re.compile(r"[^\n]•"),
    # "klo 13.00Selitys:" (a full stop or comma after the time ends a sentence, rightly)
    "a time glued to the next line": re.compile(r"klo \d{1,2}\.\d{2}[^\s.,)]"),
    "a full stop before a colon": re.compile(r"\.:"),
    "a word said twice": re.compile(r"\b(tavoite)\s+\1\b", re.IGNORECASE),
    "brackets inside brackets": re.compile(r"\([^()\n]*\([^()\n]*\)[^()\n]*\)"),
    "brackets after brackets": re.compile(r"\)\s*\((?:\d|Q)"),
    "neljännes for vuosineljännes": re.compile(r"(?<!vuosi)neljännes", re.IGNORECASE),
    "the round called otherwise": re.compile(r"\b(vastaus)?kierro", re.IGNORECASE),
    "the owner called vastaaja": re.compile(r"\bvastaaja", re.IGNORECASE),
    "on track called tavoitteessa": re.compile(r"tavoitteessa"),
}


def faults(text: str) -> list[str]:
    found = []
    for name, pattern in FAULTS.items():
        for match in pattern.finditer(text):
            start = max(0, match.start() - 40)
            found.append(f"{name}: …{text[start : match.end() + 20]}…")
    return found


@pytest.fixture
def answered(clock: Clock, templates: Templates, tmp_path: Path) -> Iterator[AppContext]:
    with copied_context(templates, "sqlite", clock, tmp_path, answered_town(60)) as ctx:
        set_answer(ctx, "STR-4.1", Q4, AnswerValue.of_number(Decimal(-20)))
        yield ctx


def test_every_report_reads_cleanly(answered: AppContext) -> None:
    texts = {
        "overview": status_report(answered, "", Q4),
        "summary": html_to_text(render_summary(answered, status_of(answered, "", Q4))),
        "missing": missing_report(answered, Q4),
    }
    for scope in ("strategia", "hallinto", "sivistys", "tekninen", "YH-8", "TILA-2", "EHP-1"):
        texts[scope] = status_report(answered, scope, Q4)
    for name, text in texts.items():
        assert faults(text) == [], name


def test_negative_figures_have_the_minus_sign(answered: AppContext) -> None:
    # 2026's net migration is asked, and reported, in the first round of 2027
    text = status_report(answered, "strategia", Period(2027, 1))
    assert "−20\u00a0hlö (2026)" in text


def test_the_first_summary_does_not_compare_with_a_report_that_does_not_exist(
    answered: AppContext,
) -> None:
    first = html_to_text(render_summary(answered, status_of(answered, "", Q3)))
    assert "edellisestä raportista" not in first and "Muutokset edelliseen" not in first
    assert "ensimmäinen raportti" in first
    later = html_to_text(render_summary(answered, status_of(answered, "", Q4)))
    assert "Muutokset edelliseen raporttiin" in later


def test_a_deliverable_not_yet_done_is_not_called_done(answered: AppContext) -> None:
    set_answer(answered, "SIV-1.1", Q4, AnswerValue.of_flag(False))
    text = status_report(answered, "SIV-1", Q4)
    assert "Aikataulussa: ei vielä toteutunut, aikaa on" in text


def test_a_deliverable_not_yet_done_reads_not_yet_in_the_department_list(
    answered: AppContext,
) -> None:
    """A green mark beside a bare "Ei" reads as a contradiction to the town manager."""
    set_answer(answered, "SIV-1.1", Q4, AnswerValue.of_flag(False))
    text = status_report(answered, "sivistys", Q4)
    assert "✅ Ei vielä toteutunut · tavoite Kyllä" in text
    assert "✅ Ei ·" not in text


@pytest.mark.parametrize(
    ("metrics", "promise"),
    [
        (2, "Vastaaminen vie noin minuutin."),
        (3, "Vastaaminen vie noin minuutin."),
        (7, "Vastaaminen vie noin 3 minuuttia."),
        (18, "Vastaaminen vie noin 6 minuuttia."),
    ],
)
def test_the_reminder_promises_the_time_it_takes(metrics: int, promise: str) -> None:
    view = ReminderView(
        "Hanna", Q4, datetime(2027, 1, 18, 14, tzinfo=UTC), 3, metrics, 0, (), 0, True
    )
    text = render("chat/reminder.html.j2", "fi", view=view, timezone="Europe/Helsinki")
    assert promise in text
    assert "Vuosineljänneksen <b>Q4/2026</b> tavoiteraportointi on alkanut" in text


def test_the_welcome_makes_no_promise_it_cannot_keep() -> None:
    from goalbot.domain.protocol import HolderKind
    from goalbot.services.owners import Binding

    binding = Binding(1, "Hanna", "hallintojohtaja", "Hallintojohtaja", HolderKind.OWNER, None)
    text = render("chat/invite_accepted.html.j2", "fi", binding=binding)
    assert "minuut" not in text and "Vuosineljänneksen" in text


@pytest.mark.parametrize(
    ("language", "joined"),
    [
        ("fi", "minuuttia.\nVastaa viimeistään"),
        ("sv", "minuter.\nSvara senast"),
        ("en", "minutes.\nPlease answer by"),
    ],
)
def test_the_reminder_gives_its_deadline_on_a_line_of_its_own(language: str, joined: str) -> None:
    view = ReminderView("Hanna", Q4, datetime(2027, 1, 18, 14, tzinfo=UTC), 3, 7, 0, (), 0, True)
    text = render("chat/reminder.html.j2", language, view=view, timezone="Europe/Helsinki")
    assert joined in text


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("template", ["chat/round_deadline.html.j2", "cli/round_deadline.txt.j2"])
def test_a_deadline_change_says_who_is_told_on_a_line_of_its_own(
    language: str, template: str
) -> None:
    from goalbot.services.rounds import DeadlineChanged

    at = datetime(2027, 1, 25, 14, tzinfo=UTC)
    for reopened in (True, False):
        changed = DeadlineChanged(Q4, at, at, reopened, 2)
        lines = render(template, language, changed=changed, timezone=ZoneInfo("Europe/Helsinki"))
        first, second = lines.strip().split("\n")
        assert first.endswith(".") and "2" in second
