"""Only confirmed answers count as submitted: /missing lists answers still to confirm."""

from __future__ import annotations

from sqlalchemy import select

from goalbot.domain.answers import AnswerValue
from goalbot.reporting.report_texts import missing_report
from goalbot.services.context import AppContext
from goalbot.services.progress import missing_of
from goalbot.storage.models import AnswerRow
from goalbot.storage.repositories import save_answer
from tests.report_data import Q4, bind_person


def test_unconfirmed_answers_are_listed_until_confirmed(ctx: AppContext) -> None:
    bind_person(ctx, "rakennustarkastaja", "Maija Meikäläinen", 5001)
    with ctx.unit_of_work() as uow:
        save_answer(uow, "RV-1.1", Q4, AnswerValue.of_flag(True), None, ctx.now())
        save_answer(uow, "RV-2.1", Q4, AnswerValue.of_flag(True), None, ctx.now())
        uow.commit()
    data = missing_of(ctx, Q4)
    role = next(r for r in data.roles if r.role.id == "rakennustarkastaja")
    assert (role.missing, len(role.unconfirmed)) == (0, 2)
    text = missing_report(ctx, Q4, fmt="text")
    assert "Maija Meikäläinen: 2 vahvistamatta" in text

    with ctx.unit_of_work() as uow:
        for row in uow.session.scalars(select(AnswerRow)):
            row.confirmed_at = ctx.now()
        uow.commit()
    data = missing_of(ctx, Q4)
    assert all(r.role.id != "rakennustarkastaja" for r in data.roles)
