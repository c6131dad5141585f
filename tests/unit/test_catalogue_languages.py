"""Catalogue texts in several languages (``title.sv``), and Finnish where one is missing."""

from __future__ import annotations

import pytest

from goalbot.chat.handlers import menu_languages
from goalbot.domain.catalogue_file import CatalogueError, parse_catalogue
from goalbot.domain.goals import Catalogue
from goalbot.reporting.rendering import environment, render
from tests.conftest import SMALL_CATALOGUE

TITLE = 'title = "Rakentamisluvat käsitellään nopeasti."'
TRANSLATED = (
    'title.fi = "Rakentamisluvat käsitellään nopeasti."\n'
    'title.sv = "Bygglov behandlas snabbt."\n'
    'title.en = "Building permits are handled quickly."'
)


def catalogue(text: str) -> Catalogue:
    return parse_catalogue(SMALL_CATALOGUE.read_text(encoding="utf-8").replace(TITLE, text))


def test_a_goal_title_in_three_languages() -> None:
    goal = next(g for g in catalogue(TRANSLATED).goals if g.id == "RV-1")
    assert goal.title == "Rakentamisluvat käsitellään nopeasti."
    assert goal.text_in("title", "sv") == "Bygglov behandlas snabbt."
    assert goal.text_in("title", "en") == "Building permits are handled quickly."
    assert goal.text_in("action", "sv") is None


def test_a_text_without_the_catalogues_own_language_is_a_problem() -> None:
    with pytest.raises(CatalogueError) as caught:
        catalogue('title.sv = "Bygglov behandlas snabbt."\ntitle.Svenska = 3')
    problems = {str(p) for p in caught.value.problems}
    assert "goals[RV-1].title.fi: missing: the catalogue's own language" in problems
    assert "goals[RV-1].title.Svenska: must be text, not int" in problems


def render_text(source: str, language: str, **values: object) -> str:
    template = environment().from_string(source)
    from goalbot.reporting import rendering

    token = rendering._untranslated.set(set())
    try:
        return template.render(lang=language, **values)
    finally:
        rendering._untranslated.reset(token)


def test_a_missing_translation_is_finnish_and_noted_once() -> None:
    goals = {g.id: g for g in catalogue(TRANSLATED).goals}
    source = (
        "{% for g in goals %}{{ g | t('title') }}\n{% endfor %}"
        "{% if untranslated() %}* only in Finnish{% endif %}"
    )
    both = [goals["RV-1"], goals["STR-1"]]
    swedish = render_text(source, "sv", goals=both)
    assert "Bygglov behandlas snabbt." in swedish
    assert goals["STR-1"].title in swedish  # no Swedish title: the Finnish one
    assert swedish.count("* only in Finnish") == 1
    assert "only in Finnish" not in render_text(source, "sv", goals=[goals["RV-1"]])
    assert "only in Finnish" not in render_text(source, "fi", goals=both)


def test_the_note_of_one_text_does_not_carry_over_to_the_next() -> None:
    # render() starts every text with nothing noted
    assert render("chat/part.html.j2", "sv", number=1, total=2)


def test_the_default_menu_is_in_the_towns_language() -> None:
    assert menu_languages("sv") == (("sv", None), ("fi", "fi"), ("sv", "sv"), ("en", "en"))
