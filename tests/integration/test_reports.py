"""Reports of the whole Kokemäki catalogue: status texts, the summary split, the chart."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from matplotlib import image as mpimg

from goalbot.domain.evaluation import Status
from goalbot.reporting.chart import PNG_MAGIC, metric_chart
from goalbot.reporting.messages import TEXT_LIMIT, html_to_text
from goalbot.reporting.report_texts import (
    render_summary,
    status_parts,
    status_report,
    summary_parts,
)
from goalbot.services.context import AppContext
from goalbot.services.progress import status_of
from tests.conftest import Clock, Templates, copied_context
from tests.report_data import Q3, Q4, answered_town
from tests.unit.test_messages import assert_valid_part, lines_of


@pytest.fixture
def answered(clock: Clock, templates: Templates, tmp_path: Path) -> Iterator[AppContext]:
    """The Kokemäki catalogue with Q3 and Q4/2026 answered, long explanations in Q4."""
    with copied_context(templates, "sqlite", clock, tmp_path, answered_town()) as ctx:
        yield ctx


def test_summary_of_the_whole_catalogue_splits_cleanly(answered: AppContext) -> None:
    parts = summary_parts(answered, Q4)
    data = status_of(answered, "", Q4)
    full = render_summary(answered, data)
    assert len(full) > 3 * TEXT_LIMIT
    assert len(parts) >= 4
    for part in parts:
        assert_valid_part(part, TEXT_LIMIT)
    # nothing lost, nothing reordered, no line broken
    assert lines_of("\n".join(parts)) == lines_of(full)

    plain = html_to_text("\n".join(parts))
    assert plain.startswith("Tavoiteraportti Q4/2026")
    for body in ("Kaupunginvaltuusto", "Kaupunginhallitus", "Sivistyslautakunta"):
        assert body in plain
    missed = [m for m in data.metrics() if m.missed]
    changed = [m for m in data.metrics() if m.status_changed]
    assert missed and changed and data.missing.roles
    for ms in missed:
        assert f"{ms.metric.id} " in plain
    # explained in the Q4 round (a figure the round asked of Q3, e.g. unemployment, was not)
    explained = [m for m in missed if m.answer is not None and m.answer.explanation]
    assert explained
    assert plain.count("Selitys: Hankinta viivästyi") == len(explained)
    assert plain.count("Korjaava toimenpide: Kilpailutetaan") == len(explained)
    assert "tukea); lautakunta" in plain and "& sekin" in plain  # escaped, then shown as typed
    for ms in changed:
        assert "→" in plain and ms.metric.id in plain
    assert "Teemu Tekninen" in plain  # the technical director has unanswered metrics
    assert "ei vastuuhenkilöä" in plain


def test_status_reports_as_html_and_text(answered: AppContext) -> None:
    overview = status_parts(answered, "")
    for part in overview:
        assert_valid_part(part, TEXT_LIMIT)
    text = status_report(answered, "", Q4)
    assert text.startswith("Tavoitteiden tilanne Q4/2026")
    for line in ("Strategiset mittarit:", "Hallinto:", "Sivistys:", "Tekninen:", "Yhteensä:"):
        assert line in text
    data = status_of(answered, "", Q4)
    counts = data.counts()
    total_line = next(line for line in text.splitlines() if line.startswith("Yhteensä:"))
    assert f"✅ {counts[Status.ON_TRACK]}" in total_line
    assert f"🔴 {counts[Status.OFF_TRACK]}" in total_line
    off_track = [m for m in data.metrics() if m.status == Status.OFF_TRACK]
    assert off_track
    for ms in off_track:
        assert f"🔴 {ms.metric.id} " in text
    assert "<b>" not in text and "&amp;" not in text

    technical = status_report(answered, "tekninen", Q4)
    assert technical.startswith("Tekninen osasto · Q4/2026")
    assert "TEK-1 " in technical and "RV-2 " in technical and "STR-1" not in technical
    assert "Rakennusvalvonta · Tekninen- ja ympäristölautakunta" in technical
    for part in status_parts(answered, "tekninen", Q4):
        assert_valid_part(part, TEXT_LIMIT)

    goal = status_report(answered, "TILA-2", Q4)
    assert "TILA-2 Vähennetään ruokapalveluiden tuottamaa ruokahävikkiä." in goal
    assert "Lähtötaso: Lähtötilanne vuonna 2025 11 715 kg/vuosi" in goal
    assert "Vastuu: Tilahallintopalveluiden päällikkö – ei vastuuhenkilöä" in goal


def test_chart_is_a_real_png(answered: AppContext) -> None:
    history, picture = metric_chart(answered, "TILA-2", Q4)
    assert picture.startswith(PNG_MAGIC)
    pixels = mpimg.imread(io.BytesIO(picture), format="png")
    height, width = pixels.shape[:2]
    assert (width, height) == (880, 495)
    assert history.path.points
    assert [p.period for p in history.points] == [Q3, Q4]
    for ref in ("STR-3", "TEK-1", "YH-8.2", "STR-2", "STR-4", "KIR-2"):
        _, other = metric_chart(answered, ref, Q4)
        assert other.startswith(PNG_MAGIC) and len(other) > 5000


def test_chart_without_any_answer(sqlite_ctx: AppContext) -> None:
    history, picture = metric_chart(sqlite_ctx, "STR-3.1", Q3)
    assert history.points == () and picture.startswith(PNG_MAGIC)
