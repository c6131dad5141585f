"""The sandbox's page in the town's language, or in the one its address asks for."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from goalbot.config import Config
from goalbot.sandbox.runner import PAGE_TEXTS, Sandbox, SandboxOptions, page_texts


def sandbox(tmp_path: Path, language: str = "fi") -> Sandbox:
    config = Config()
    config = replace(config, texts=replace(config.texts, language=language))
    return Sandbox(config, SandboxOptions(port=0, database=tmp_path / "sandbox.sqlite3"))


@pytest.mark.parametrize(
    ("asked", "title", "send", "admin"),
    [
        ("sv", "goalbot – övningsmiljö", "Skicka", "Administratör"),
        ("en", "goalbot – rehearsal", "Send", "Administrator"),
        ("fi", "goalbot – harjoitusympäristö", "Lähetä", "Ylläpitäjä"),
        ("", "goalbot – harjoitusympäristö", "Lähetä", "Ylläpitäjä"),  # the town's
        ("xx", "goalbot – harjoitusympäristö", "Lähetä", "Ylläpitäjä"),  # none goalbot has
    ],
)
def test_the_page_speaks_the_language_asked_for(
    tmp_path: Path, asked: str, title: str, send: str, admin: str
) -> None:
    panel = sandbox(tmp_path).panel(asked)
    assert panel["title"] == title
    assert panel["texts"]["send"] == send
    labels = [person["label"] for person in panel["people"].values()]
    assert labels[0] == admin
    assert panel["language"] == (asked if asked in ("fi", "sv", "en") else "fi")


def test_the_page_speaks_the_towns_language_by_default(tmp_path: Path) -> None:
    panel = sandbox(tmp_path, "sv").panel()
    assert panel["title"] == "goalbot – övningsmiljö"
    assert panel["intro"][0] == "Välkommen till goalbots övningsmiljö"
    # a notice of the panel in the page's language too
    notice = sandbox(tmp_path, "sv").act("next", "", "en")["notice"]
    assert notice["text"] == "The rehearsal is still starting; try again in a moment."


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_word_of_the_page_is_in_every_language(language: str) -> None:
    texts = page_texts(language)
    assert sorted(texts) == sorted(PAGE_TEXTS)
    assert all(texts[key] for key in PAGE_TEXTS)
    assert "{n}" in texts["members"] and "{by}" in texts["joined"]
    if language != "fi":
        assert texts != page_texts("fi")


class Director:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def panel(self, language: str = "") -> dict[str, Any]:
        self.asked.append(language)
        return {"title": f"title in {language or 'default'}"}

    def act(self, action: str, value: str, language: str = "") -> dict[str, Any]:
        return {"notice": {"text": f"{action} in {language}", "level": "info"}}


def test_the_web_chat_hands_the_pages_language_to_its_director(botapi_factory: Any) -> None:
    director = Director()
    api = botapi_factory(web_chat=True, director=director)
    with httpx.Client(base_url=api.url, timeout=10) as client:
        world = client.get("/chat/api/world", params={"lang": "sv"}).json()
        assert world["panel"]["title"] == "title in sv"
        assert client.get("/chat/api/world").json()["panel"]["title"] == "title in default"
        acted = client.post("/chat/api/director", json={"action": "next", "language": "en"})
        assert acted.json()["notice"]["text"] == "next in en"
    page = (Path(__file__).parents[2] / "src/goalbot/emulator/web/app.js").read_text("utf-8")
    assert "?lang=" in page and "language: LANG" in page
