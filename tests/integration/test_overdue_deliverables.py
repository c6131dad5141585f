"""A deliverable not done by its date stays asked until it is reported done."""

from __future__ import annotations

from goalbot.catalogues import shipped_catalogue_path
from goalbot.domain.answers import AnswerValue
from goalbot.domain.catalogue_file import read_catalogue
from goalbot.domain.periods import Period
from goalbot.services.catalogue import get_catalogue
from goalbot.services.context import AppContext
from goalbot.services.rounds import asked_of
from goalbot.storage.repositories import save_answer

DELIVERABLE = "THA-1.1"  # Kaavaluonnos valmis ja asetettu nähtäville viimeistään 31.12.2026
ROLE = "tekninen-johtaja"


def test_the_domain_keeps_an_overdue_deliverable_due_until_done() -> None:
    goal = read_catalogue(shipped_catalogue_path()).goal("THA-1")
    assert [m.id for m in goal.metrics_due(Period(2026, 4))] == [DELIVERABLE]
    assert [m.id for m in goal.metrics_due(Period(2027, 1))] == [DELIVERABLE]
    assert goal.metrics_due(Period(2027, 1), {DELIVERABLE: {Period(2026, 4)}}) == ()


def asked(ctx: AppContext, period: Period) -> set[str]:
    catalogue = get_catalogue(ctx)
    with ctx.unit_of_work() as uow:
        return {m.id for _, _, m in asked_of(uow, catalogue, [ROLE], period)}


def answer(ctx: AppContext, period: Period, done: bool) -> None:
    with ctx.unit_of_work() as uow:
        save_answer(uow, DELIVERABLE, period, AnswerValue.of_flag(done), None, ctx.now())
        uow.commit()


def test_asked_after_its_date_until_reported_done(ctx: AppContext) -> None:
    answer(ctx, Period(2026, 4), done=False)
    assert DELIVERABLE in asked(ctx, Period(2027, 1))
    answer(ctx, Period(2027, 1), done=True)
    assert DELIVERABLE not in asked(ctx, Period(2027, 2))
    # and the round it was done in still asks it (the answer can be changed there)
    assert DELIVERABLE in asked(ctx, Period(2027, 1))


def test_done_before_its_date_is_not_asked_again(ctx: AppContext) -> None:
    answer(ctx, Period(2026, 2), done=True)
    assert DELIVERABLE in asked(ctx, Period(2026, 2))
    assert DELIVERABLE not in asked(ctx, Period(2026, 3))
    assert DELIVERABLE not in asked(ctx, Period(2027, 1))
