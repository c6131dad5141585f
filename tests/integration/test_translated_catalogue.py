"""A catalogue written in Finnish and Swedish: each reader gets its texts in their language,
and a text the catalogue has only in Finnish is marked so, once."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from goalbot.reporting.document import export_docx
from goalbot.reporting.export import csv_rows, export_xlsx
from goalbot.reporting.report_texts import render_status
from goalbot.services.catalogue import load_catalogue
from goalbot.services.context import AppContext
from goalbot.services.progress import status_of
from tests.conftest import SMALL_CATALOGUE
from tests.report_data import Q4

SWEDISH = {
    'title = "Rakentamisluvat käsitellään nopeasti."': (
        'title.fi = "Rakentamisluvat käsitellään nopeasti."\ntitle.sv = "Bygglov behandlas snabbt."'
    ),
    'name = "Biojätteen määrä"': 'name = { fi = "Biojätteen määrä", sv = "Mängden bioavfall" }',
    'unit = "kg/vuosi"': 'unit = { fi = "kg/vuosi", sv = "kg/år" }',
    'name = "Lupien keskimääräinen käsittelyaika on alle 30 päivää."': (
        'name = { fi = "Lupien keskimääräinen käsittelyaika on alle 30 päivää.", '
        'sv = "Den genomsnittliga handläggningstiden är under 30 dagar." }'
    ),
    'note = "Ei" }': 'note = { fi = "Ei", sv = "Nej" } }',
    'text = "Kyllä" }': 'text = { fi = "Kyllä", sv = "Ja" } }',
    'name = "Rakennusvalvonta"': 'name = { fi = "Rakennusvalvonta", sv = "Byggnadstillsyn" }',
    'name = "Tekninen osasto"': 'name = { fi = "Tekninen osasto", sv = "Tekniska sektorn" }',
    'short_name = "Tekninen"': 'short_name = { fi = "Tekninen", sv = "Teknik" }',
    'name = "Tekninen johtaja"': 'name = { fi = "Tekninen johtaja", sv = "Teknisk direktör" }',
    'name = "Kunnanvaltuusto"': 'name = { fi = "Kunnanvaltuusto", sv = "Kommunfullmäktige" }',
}


@pytest.fixture
def bilingual(sqlite_ctx: AppContext, tmp_path: Path) -> AppContext:
    text = SMALL_CATALOGUE.read_text(encoding="utf-8")
    for finnish, both in SWEDISH.items():
        assert finnish in text
        text = text.replace(finnish, both)
    path = tmp_path / "tvasprakig.toml"
    path.write_text(text, encoding="utf-8")
    load_catalogue(sqlite_ctx, path)
    return sqlite_ctx


def test_each_language_reads_the_catalogue_in_its_own(bilingual: AppContext) -> None:
    area = status_of(bilingual, "rakennusvalvonta", Q4)
    swedish = render_status(bilingual, area, "sv")
    assert "Bygglov behandlas snabbt." in swedish and "Byggnadstillsyn" in swedish
    assert "Mängden bioavfall" in swedish and "käsitellään" not in swedish
    finnish = render_status(bilingual, area, "fi")
    assert "Rakentamisluvat käsitellään nopeasti." in finnish and "Bygglov" not in finnish
    # the goal's action has no Swedish text: shown in Finnish, and said so once
    assert swedish.count("bara på finska") <= 1
    english = render_status(bilingual, area, "en")
    assert "Rakentamisluvat käsitellään nopeasti." in english
    assert english.count("only in Finnish") == 1


def test_a_report_with_every_text_in_its_language_has_no_mark(bilingual: AppContext) -> None:
    swedish = render_status(bilingual, status_of(bilingual, "RV-1", Q4), "sv")
    assert "Bygglov behandlas snabbt." in swedish
    assert "bara på finska" not in swedish


def test_the_export_has_the_catalogue_in_its_language(bilingual: AppContext) -> None:
    rows = csv_rows(status_of(bilingual, "", Q4), "sv")
    cells = {cell for row in rows for cell in row}
    assert {"Bygglov behandlas snabbt.", "Mängden bioavfall", "Teknik"} <= cells
    assert "Rakentamisluvat käsitellään nopeasti." not in cells


NOTE = {"sv": "bara på finska", "en": "only in Finnish"}


def _xlsx_texts(content: bytes) -> list[str]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    return [
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    ]


def _docx_texts(content: bytes) -> list[str]:
    from docx import Document

    return [paragraph.text for paragraph in Document(io.BytesIO(content)).paragraphs]


@pytest.mark.parametrize("language", ["sv", "en"])
def test_an_export_with_finnish_texts_says_so_once(bilingual: AppContext, language: str) -> None:
    data = status_of(bilingual, "", Q4)
    csv_cells = [cell for row in csv_rows(data, language) for cell in row]
    for cells in (
        csv_cells,
        _xlsx_texts(export_xlsx(data, language)),
        _docx_texts(export_docx(data, language)),
    ):
        assert sum(NOTE[language] in cell for cell in cells) == 1
    # in Finnish nothing is missing, and nothing is said
    assert not any("vain suomeksi" in cell for row in csv_rows(data, "fi") for cell in row)
    assert not any("vain suomeksi" in cell for cell in _xlsx_texts(export_xlsx(data, "fi")))


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_question_in_finnish_for_want_of_a_translation_says_so_once(language: str) -> None:
    from tests.integration.test_every_text_in_every_language import question_screens

    # the shipped catalogue is in Finnish only: every question says so, once
    screens = question_screens(language)
    assert all(screen.count(NOTE[language]) == 1 for screen in screens.values())
    assert not any("vain suomeksi" in screen for screen in question_screens("fi").values())


def test_the_shipped_catalogue_is_in_finnish_only_and_says_so_once_everywhere(
    sqlite_ctx: AppContext,
) -> None:
    from goalbot.catalogues import shipped_catalogue_path
    from goalbot.domain.catalogue_file import read_catalogue
    from goalbot.reporting.report_texts import render_summary

    # no text of the town's goals in another language: goalbot does not invent one
    catalogue = read_catalogue(shipped_catalogue_path())
    things: list[Any] = [*catalogue.goals, *catalogue.metrics(), *catalogue.roles]
    assert all(not thing.translations for thing in things)
    data = status_of(sqlite_ctx, "", Q4)
    for language in ("sv", "en"):
        note = NOTE[language]
        assert render_status(sqlite_ctx, data, language).count(note) == 1
        assert render_summary(sqlite_ctx, data, language).count(note) == 1
        for cells in (
            [cell for row in csv_rows(data, language) for cell in row],
            _xlsx_texts(export_xlsx(data, language)),
            _docx_texts(export_docx(data, language)),
        ):
            assert sum(note in cell for cell in cells) == 1
