"""Typed answers are understood in Finnish, Swedish and English, whatever the person's
language: "ja", "nej", "yes", "kyllä", "ingen uppgift ännu"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from goalbot.scheduling.control import open_round_now
from goalbot.services.context import AppContext
from goalbot.services.questionnaire import Action, OwnerInput, handle_input
from goalbot.storage.models import AnswerRow
from tests.conftest import Clock
from tests.report_data import Q4, bind_person

OWNER = 7002  # the building inspector: RV-1.1 (days) and RV-2.1 (yes/no)


def stored(ctx: AppContext) -> dict[str, tuple[str, bool | None]]:
    with ctx.unit_of_work() as uow:
        return {a.metric_id: (a.state, a.flag) for a in uow.session.scalars(select(AnswerRow))}


@pytest.mark.parametrize(
    ("no_data", "yes"),
    [("ingen uppgift ännu", "ja"), ("ei tietoa vielä", "kyllä"), ("no data yet", "yes")],
)
def test_typed_answers_in_each_language(
    ctx: AppContext, clock: Clock, no_data: str, yes: str
) -> None:
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    bind_person(ctx, "rakennustarkastaja", "Sofia Byggare", OWNER)
    open_round_now(ctx, Q4)
    handle_input(ctx, OwnerInput(1, OWNER, action=Action.START))
    assert handle_input(ctx, OwnerInput(2, OWNER, text=no_data)).accepted
    assert handle_input(ctx, OwnerInput(3, OWNER, text=yes)).accepted
    assert stored(ctx) == {"RV-1.1": ("no_data", None), "RV-2.1": ("value", True)}
