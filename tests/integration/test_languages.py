"""A language is added as a folder of texts, without touching code; what it lacks is Finnish."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from goalbot.config import ConfigError, parse_config
from goalbot.reporting.folders import use_template_folder
from goalbot.reporting.rendering import render
from goalbot.reporting.report_texts import missing_report
from goalbot.services.context import AppContext
from goalbot.services.questionnaire import Action, OwnerInput, handle_input
from tests.report_data import Q4, bind_person


@pytest.fixture
def german(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "texts"
    (folder / "de" / "chat").mkdir(parents=True)
    (folder / "de" / "chat" / "refusal.html.j2").write_text(
        "Hallo! Dieser Bot dient nur eingeladenen Nutzern.\n", encoding="utf-8"
    )
    (folder / "de" / "chat" / "_macros.html.j2").write_text(
        (
            Path(__file__).resolve().parents[2] / "src/goalbot/reporting/templates/fi/chat/"
            "_macros.html.j2"
        )
        .read_text(encoding="utf-8")
        .replace("Onko tämä toteutunut? Valitse alta.", "Ist das erledigt? Bitte unten wählen."),
        encoding="utf-8",
    )
    use_template_folder(folder)
    yield folder
    use_template_folder(None)


def test_a_text_of_the_new_language_is_used_and_the_rest_is_finnish(german: Path) -> None:
    assert render("chat/refusal.html.j2", "de", user_id=1, private=True).startswith("Hallo!")
    assert render("chat/unknown_command.html.j2", "de").startswith("Tuntematon komento")


def test_a_text_of_a_shipped_language_can_be_reworded(tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    (folder / "sv" / "chat").mkdir(parents=True)
    (folder / "sv" / "chat" / "unknown_command.html.j2").write_text("Okänt.\n", encoding="utf-8")
    use_template_folder(folder)
    try:
        assert render("chat/unknown_command.html.j2", "sv") == "Okänt."
        assert render("chat/non_text.html.j2", "sv").startswith("Jag förstår bara text")
    finally:
        use_template_folder(None)


def test_answer_words_and_imported_macros_follow_the_language(
    ctx: AppContext, german: Path
) -> None:
    # ctx first: starting the services sets the configured texts (none) before the fixture
    from goalbot.scheduling.control import open_round_now

    bind_person(ctx, "ymparistopaallikko", "Maija", 5001)
    open_round_now(ctx, Q4)
    screen = handle_input(ctx, OwnerInput(1, 5001, action=Action.START)).screens[0]
    text = render("chat/question.html.j2", "de", screen=screen, timezone=ctx.config.schedule.zone)
    # the German macros, imported by the Finnish question template it does not replace
    assert "Ist das erledigt? Bitte unten wählen." in text
    assert "Lähtötaso: Ei" in text  # no German answer words: the Finnish ones
    assert "Vastaamatta" in missing_report(ctx, Q4)


def test_the_config_names_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"texts\.templates"):
        parse_config({"texts": {"templates": str(tmp_path / "none")}}, env={})
