"""Every question of the Kokemäki catalogue as the owner's phone shows it: each fact once.

The screens are kept in ``tests/data/question_screens.fi.txt``; a change to a question's text
shows in the test's diff. After a deliberate change, write the file anew with
``GOALBOT_UPDATE_SNAPSHOTS=1 bot/test.sh tests/unit/test_question_screens.py``.
"""

from __future__ import annotations

import html
import os
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from goalbot.catalogues import shipped_catalogue_path
from goalbot.domain.answers import Answer, AnswerValue
from goalbot.domain.catalogue_file import read_catalogue
from goalbot.domain.goals import Catalogue, Goal, Metric, MetricKind
from goalbot.domain.obligations import Holder, RoleHolders
from goalbot.domain.periods import Period
from goalbot.domain.protocol import HolderKind, ScreenKind
from goalbot.reporting.rendering import render
from goalbot.services.questionnaire import ItemView, Screen

SNAPSHOT = Path(__file__).parents[1] / "data" / "question_screens.fi.txt"
Q4 = Period(2026, 4)
# what a line begins with that is a label, not a fact
LABEL = re.compile(
    r"^(?:\d+/\d+ · |Mittari: |Lähtötaso: |Tavoite:? |Edellinen vastaus \([^)]*\): "
    r"|Nykyinen vastauksesi: |Q\d/\d{4}: )",
    re.IGNORECASE,
)
VALUES = {"kyllä", "ei", "ei tietoa vielä"}
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ])")


def question_screen(catalogue: Catalogue, goal: Goal, metric: Metric, place: int) -> str:
    """The question as the owner sees it, with an answer of the quarter before."""
    role = catalogue.role(goal.owner_role)
    holder = Holder(role, HolderKind.OWNER, 1, "Olli Omistaja")
    value = (
        AnswerValue.of_flag(False)
        if metric.kind == MetricKind.YES_NO
        else AnswerValue.of_number(Decimal(3))
    )
    previous = Answer(metric.id, Period(2026, 3), value)
    item = ItemView(place, 67, holder, RoleHolders(role, holder), goal, metric, previous, None)
    screen = Screen(
        ScreenKind.QUESTION, 1, Q4, item=item, closes_at=datetime(2027, 1, 18, tzinfo=UTC)
    )
    return render(
        "chat/question.html.j2", "fi", screen=screen, timezone=ZoneInfo("Europe/Helsinki")
    )


def all_screens() -> dict[str, str]:
    catalogue = read_catalogue(shipped_catalogue_path())
    metrics = [(goal, metric) for goal in catalogue.goals for metric in goal.metrics]
    return {
        metric.id: question_screen(catalogue, goal, metric, place)
        for place, (goal, metric) in enumerate(metrics, start=1)
    }


def sentences(screen: str) -> list[str]:
    """The facts of a screen: its sentences without labels, compared in lower case."""
    text = html.unescape(re.sub(r"<[^>]+>", "", screen))
    found = []
    for line in text.splitlines():
        for part in SENTENCE_END.split(LABEL.sub("", line.strip())):
            plain = " ".join(part.split()).strip(" .,:;").casefold()
            # a bare value (a baseline "Ei", a previous answer "3,0 %") is no sentence: two
            # facts may have the same value
            if plain and plain not in VALUES and plain[0] not in "0123456789−+-":
                found.append(plain)
    return found


def repeated(screen: str) -> list[tuple[str, str]]:
    """Sentences said twice: the same, or one of three words or more inside another."""
    said = sentences(screen)
    return [
        (a, b)
        for i, a in enumerate(said)
        for j, b in enumerate(said)
        if i < j
        and (a == b or (len(a.split()) >= 3 and a in b) or (len(b.split()) >= 3 and b in a))
    ]


def test_no_question_says_a_sentence_twice() -> None:
    found = {mid: pairs for mid, screen in all_screens().items() if (pairs := repeated(screen))}
    assert found == {}


def test_the_check_finds_a_repeated_sentence() -> None:
    # the screen as it was: the goal's title, the metric and the target said it three times
    screen = (
        "<b>3/7 · Työttömien osuus työvoimasta</b>\n\nMittari: Työttömien osuus työvoimasta\n"
        "Lähtötaso: 12,0 % (12/2025)\nTavoite: Työttömien osuus työvoimasta alle 8 %\n"
    )
    assert len(repeated(screen)) == 3
    assert repeated("Lähtötaso: 8,0 tCO₂/as\nKirjoita luku, esim. 8,0 tCO₂/as.") == []


def test_each_question_shows_goal_baseline_target_and_an_example_in_its_unit() -> None:
    screens = all_screens()
    assert screens["STR-3.1"].splitlines()[2:5] == [
        "Lähtötaso: 12,0\u00a0% (12/2025)",
        "Tavoite: Alle 8 %",
        "Edellinen vastaus (Q3/2026): 3,0\u00a0%",
    ]
    assert screens["STR-3.1"].endswith("Kirjoita luku, esim. 12,0 %.")
    assert screens["STR-6.1"].endswith("esim. 2\u00a0373 €/as.")
    assert "Mittari: Kontaktointien määrä\n" in screens["YH-8.4"]
    assert "Tavoite 50\n" in screens["YH-8.4"]
    assert screens["YH-8.4"].endswith("esim. 50 kontaktia.")
    for screen in screens.values():
        assert screen.count("Lähtötaso:") == 1 and len(screen) < 1000


def test_a_target_the_document_gave_as_a_bare_sign_is_said_in_words() -> None:
    # the adopted table's target column reads "≥" for the surveys: "at least the last result"
    screens = all_screens()
    assert "Tavoite: vähintään edellisen tuloksen tasolla\n" in screens["YH-4.1"]
    targets = [line for screen in screens.values() for line in screen.splitlines()]
    assert not [t for t in targets if t.startswith("Tavoite") and not re.search(r"\w", t[7:])]


def test_the_screens_are_as_kept() -> None:
    screens = all_screens()
    text = "".join(f"=== {mid}\n{screen}\n\n" for mid, screen in screens.items())
    if os.environ.get("GOALBOT_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(text, encoding="utf-8")
    if not SNAPSHOT.exists():
        pytest.fail(f"{SNAPSHOT} is missing: run with GOALBOT_UPDATE_SNAPSHOTS=1")
    assert SNAPSHOT.read_text(encoding="utf-8") == text


def test_a_figure_shown_as_example_is_no_answer_already_given() -> None:
    # the example is a typing aid: it never stands where the owner's own answer would
    catalogue = read_catalogue(shipped_catalogue_path())
    goal = catalogue.goal("STR-3")
    metric = goal.metric("1")
    role = catalogue.role(goal.owner_role)
    holder = Holder(role, HolderKind.OWNER, 1, "Olli Omistaja")
    current = Answer(metric.id, Q4, AnswerValue.of_number(Decimal("7.5")))
    item = ItemView(3, 7, holder, RoleHolders(role, holder), goal, metric, None, current)
    screen = render(
        "chat/question.html.j2",
        "fi",
        screen=Screen(ScreenKind.QUESTION, 1, Q4, item=item),
        timezone=ZoneInfo("Europe/Helsinki"),
    )
    assert "Nykyinen vastauksesi: 7,5\u00a0%" in screen and repeated(screen) == []


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_a_name_that_ends_a_sentence_gets_one_full_stop(language: str) -> None:
    """A metric's name or a goal's title that ends in a full stop of its own (the town writes
    many so) is not followed by a second one in the skip and comment screens."""
    catalogue = read_catalogue(shipped_catalogue_path())
    zone = ZoneInfo("Europe/Helsinki")
    ended = 0
    for goal in catalogue.goals:
        for place, metric in enumerate(goal.metrics, start=1):
            role = catalogue.role(goal.owner_role)
            holder = Holder(role, HolderKind.OWNER, 1, "Olli Omistaja")
            item = ItemView(place, 9, holder, RoleHolders(role, holder), goal, metric, None, None)
            skip = Screen(ScreenKind.SKIP_REASON, 1, Q4, item=item)
            comment = Screen(ScreenKind.COMMENT, 1, Q4, goal=goal)
            for screen in (skip, comment):
                text = render(
                    f"chat/{screen.kind.value}.html.j2", language, screen=screen, timezone=zone
                )
                assert ".</b>." not in text and "..</b>" not in text, text
            ended += metric.name.endswith(".") or goal.title.endswith(".")
    assert ended  # the catalogue has such names: the test looks at them
