"""Loading catalogues into the database: idempotent, in place, answers never lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from goalbot.domain.answers import AnswerValue
from goalbot.domain.catalogue_file import CatalogueError
from goalbot.domain.periods import Period
from goalbot.services.catalogue import get_catalogue, load_catalogue
from goalbot.services.context import AppContext
from goalbot.storage.models import AnswerHistoryRow, AnswerRow, GoalRow, MetricRow
from goalbot.storage.repositories import save_answer
from tests.conftest import SMALL_CATALOGUE, Clock, make_context

Q2 = Period(2026, 2)


@pytest.fixture
def small(migrated_url: str, clock: Clock, tmp_path: Path) -> AppContext:
    ctx = make_context(migrated_url, clock)
    return ctx


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    return path


def answer(ctx: AppContext, metric_id: str, value: AnswerValue) -> None:
    with ctx.unit_of_work() as uow:
        save_answer(uow, metric_id, Q2, value, None, ctx.now())
        uow.commit()


def test_loading_twice_changes_nothing(small: AppContext) -> None:
    first = load_catalogue(small, SMALL_CATALOGUE)
    assert sorted(first.added) == ["RV-1", "STR-1"]
    second = load_catalogue(small, SMALL_CATALOGUE)
    assert not second.changed and second.unchanged == 2
    assert [g.id for g in get_catalogue(small).goals] == ["STR-1", "RV-1"]


def test_reloading_an_edited_catalogue_keeps_every_answer(
    small: AppContext, tmp_path: Path, clock: Clock
) -> None:
    load_catalogue(small, SMALL_CATALOGUE)
    answer(small, "RV-1.1", AnswerValue.of_flag(False))
    answer(small, "RV-1.2", AnswerValue.of_number(__import__("decimal").Decimal("11500")))
    answer(small, "STR-1.1", AnswerValue.no_data())
    clock.advance(hours=1)
    answer(small, "RV-1.1", AnswerValue.of_flag(True))

    text = SMALL_CATALOGUE.read_text(encoding="utf-8")
    edited = text.replace(
        "Rakentamisluvat käsitellään nopeasti.",
        "Rakentamisluvat käsitellään mahdollisimman nopeasti.",
    )
    # drop the strategic goal entirely
    start = edited.index('[[goals]]\nid = "STR-1"')
    end = edited.index('[[goals]]\nid = "RV-1"')
    edited = edited[:start] + edited[end:]
    report = load_catalogue(small, write(tmp_path, edited))
    assert report.updated == ["RV-1"]
    assert report.retired == ["STR-1"]

    with small.unit_of_work() as uow:
        rows = {r.metric_id: r for r in uow.session.scalars(select(AnswerRow))}
        assert set(rows) == {"RV-1.1", "RV-1.2", "STR-1.1"}
        assert rows["RV-1.1"].flag is True
        history = list(
            uow.session.scalars(
                select(AnswerHistoryRow)
                .where(AnswerHistoryRow.answer_id == rows["RV-1.1"].id)
                .order_by(AnswerHistoryRow.id)
            )
        )
        assert [(h.old, h.new["flag"]) for h in history] == [
            (None, False),
            ({"state": "value", "number": None, "flag": False, "reason": ""}, True),
        ]
        retired = uow.session.get(GoalRow, "STR-1")
        assert retired is not None and retired.retired_at is not None
        metric = uow.session.get(MetricRow, "STR-1.1")
        assert metric is not None and metric.retired_at is not None
        goal = uow.session.get(GoalRow, "RV-1")
        assert goal is not None and goal.title.endswith("mahdollisimman nopeasti.")
    assert [g.id for g in get_catalogue(small).goals] == ["RV-1"]

    # putting the goal back restores it with its history
    report = load_catalogue(small, SMALL_CATALOGUE)
    assert report.restored == ["STR-1"]
    with small.unit_of_work() as uow:
        goal = uow.session.get(GoalRow, "STR-1")
        assert goal is not None and goal.retired_at is None
        assert (
            uow.session.scalars(select(AnswerRow).where(AnswerRow.metric_id == "STR-1.1"))
            .one()
            .state
            == "no_data"
        )


def test_a_broken_file_changes_nothing(small: AppContext, tmp_path: Path) -> None:
    load_catalogue(small, SMALL_CATALOGUE)
    broken = SMALL_CATALOGUE.read_text(encoding="utf-8").replace(
        'owner_role = "kunnanjohtaja"', 'owner_role = "pormestari"'
    )
    with pytest.raises(CatalogueError) as error:
        load_catalogue(small, write(tmp_path, broken))
    assert [str(p) for p in error.value.problems] == [
        "goals[STR-1].owner_role: unknown role 'pormestari'"
    ]
    assert [g.id for g in get_catalogue(small).goals] == ["STR-1", "RV-1"]


def test_shipped_catalogue_loads_and_round_trips(ctx: AppContext) -> None:
    from goalbot.catalogues import shipped_catalogue_path
    from goalbot.domain.catalogue_file import read_catalogue as read_file

    from_db = get_catalogue(ctx)
    assert from_db == read_file(shipped_catalogue_path())
    with ctx.unit_of_work() as uow:
        stored = set(uow.session.scalars(select(MetricRow.id)))
    assert stored == {m.id for m in from_db.metrics()}
