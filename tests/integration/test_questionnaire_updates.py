"""Each Telegram update is applied exactly once, also when it comes twice or its handling fails.

Telegram delivers an update again when the bot stopped before confirming it, so the
questionnaire remembers the update ids it applied, in the same transaction as their effects.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from goalbot.domain.periods import Period
from goalbot.scheduling.control import open_round_now
from goalbot.services import questionnaire
from goalbot.services.context import AppContext
from goalbot.services.owners import accept_invite, invite_owner
from goalbot.services.questionnaire import Action, OwnerInput, Reply, handle_input
from goalbot.storage import database, repositories
from goalbot.storage.models import AnswerHistoryRow, AnswerRow, ConversationRow, PersonRow
from tests.conftest import Clock

Q4 = Period(2026, 4)
OWNER, DEPUTY = 1001, 1002


@pytest.fixture
def round_ctx(ctx: AppContext, clock: Clock) -> AppContext:
    """An open Q4/2026 round; the environment officer's role has an owner and a deputy."""
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    for user_id, name, kind in ((OWNER, "Reino", "owner"), (DEPUTY, "Sanna", "deputy")):
        invite = invite_owner(ctx, "ymparistopaallikko", name, kind)
        accept_invite(ctx, invite.token, user_id)
    open_round_now(ctx, Q4)
    return ctx


def answers(ctx: AppContext) -> dict[str, tuple[bool | None, str, int]]:
    """metric → (flag, answered by, number of value changes)."""
    with ctx.unit_of_work() as uow:
        result = {}
        for row in uow.session.scalars(select(AnswerRow)):
            changes = uow.session.scalar(
                select(func.count())
                .select_from(AnswerHistoryRow)
                .where(AnswerHistoryRow.answer_id == row.id, AnswerHistoryRow.field == "value")
            )
            assert row.answered_by is not None
            result[row.metric_id] = (row.flag, row.answered_by.name, changes or 0)
        return result


def position(ctx: AppContext, user_id: int) -> tuple[str, str | None, int]:
    with ctx.unit_of_work() as uow:
        person = uow.session.scalars(
            select(PersonRow).where(PersonRow.telegram_user_id == user_id)
        ).one()
        row = uow.session.get(ConversationRow, person.id)
        assert row is not None
        return row.step, row.metric_id, row.version


def shown(reply: Reply) -> tuple[str, str | None]:
    screen = reply.screens[0]
    return screen.kind, screen.item.metric.id if screen.item else None


def test_an_update_delivered_twice_is_applied_once(round_ctx: AppContext) -> None:
    ctx = round_ctx
    assert shown(handle_input(ctx, OwnerInput(10, OWNER))) == ("question", "YMP-1.1")
    first = handle_input(ctx, OwnerInput(11, OWNER, text="kyllä"))
    assert first.accepted and shown(first) == ("question", "YMP-2.1")
    where = position(ctx, OWNER)
    again = handle_input(ctx, OwnerInput(11, OWNER, text="kyllä"))
    assert not again.accepted
    assert shown(again) == ("question", "YMP-2.1")
    assert position(ctx, OWNER) == where
    # a button press delivered twice: the second is not even taken for a stale press
    version = where[2]
    no_data = OwnerInput(12, OWNER, action=Action.NO_DATA, version=version)
    assert shown(handle_input(ctx, no_data)) == ("recap", None)
    repeated = handle_input(ctx, no_data)
    assert not repeated.accepted and not repeated.toast
    assert shown(repeated) == ("recap", None)
    assert answers(ctx) == {"YMP-1.1": (True, "Reino", 1), "YMP-2.1": (None, "Reino", 1)}


def test_an_update_whose_handling_failed_is_applied_when_it_comes_again(
    round_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = round_ctx
    handle_input(ctx, OwnerInput(20, OWNER))
    commit = database.UnitOfWork.commit
    failures = [OperationalError("COMMIT", {}, Exception("disk I/O error"))]

    def failing_commit(self: database.UnitOfWork) -> None:
        if failures:
            raise failures.pop()
        commit(self)

    monkeypatch.setattr(database.UnitOfWork, "commit", failing_commit)
    with pytest.raises(OperationalError):
        handle_input(ctx, OwnerInput(21, OWNER, text="kyllä"))
    assert answers(ctx) == {}
    # the bot stopped before confirming the update to Telegram, which delivers it again
    reply = handle_input(ctx, OwnerInput(21, OWNER, text="kyllä"))
    assert reply.accepted and shown(reply) == ("question", "YMP-2.1")
    assert answers(ctx) == {"YMP-1.1": (True, "Reino", 1)}


def _interleaving_possible(ctx: AppContext) -> None:
    """On SQLite every unit of work takes the write lock at its start (BEGIN IMMEDIATE), so two
    inputs are applied one after the other and cannot interleave as these tests make them;
    PostgreSQL lets them run side by side, and there the interleaving is tested."""
    if ctx.db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises units of work; the interleaving cannot happen there")


def _run_inside_first_apply(
    monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], Any]
) -> list[Any]:
    """Make ``meanwhile`` happen while the next input is being applied (a race, played out).

    ``meanwhile`` runs in a thread of its own, as a second update handled at the same moment
    would: a unit of work is never opened inside another in one thread.
    """
    apply = questionnaire._apply
    results: list[Any] = []
    started: list[bool] = []

    def racing_apply(session: Any, given: OwnerInput) -> Reply:
        if not started:
            started.append(True)
            with ThreadPoolExecutor(max_workers=1) as other:
                results.append(other.submit(meanwhile).result())
        return apply(session, given)

    monkeypatch.setattr(questionnaire, "_apply", racing_apply)
    return results


def test_one_update_handled_twice_at_the_same_moment_is_recorded_once(
    round_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = round_ctx
    _interleaving_possible(ctx)
    handle_input(ctx, OwnerInput(30, OWNER))
    given = OwnerInput(31, OWNER, text="kyllä")
    inner = _run_inside_first_apply(monkeypatch, lambda: handle_input(ctx, given))
    outer = handle_input(ctx, given)
    assert inner[0].accepted and shown(inner[0]) == ("question", "YMP-2.1")
    assert not outer.accepted and shown(outer) == ("question", "YMP-2.1")
    assert answers(ctx) == {"YMP-1.1": (True, "Reino", 1)}
    assert position(ctx, OWNER)[:2] == ("answer", "YMP-2.1")


def test_an_owner_and_a_deputy_answering_one_metric_at_once_both_count(
    round_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = round_ctx
    _interleaving_possible(ctx)
    handle_input(ctx, OwnerInput(40, OWNER))
    handle_input(ctx, OwnerInput(41, DEPUTY))
    deputy = _run_inside_first_apply(
        monkeypatch, lambda: handle_input(ctx, OwnerInput(42, DEPUTY, text="ei"))
    )
    # the owner's input looked for an answer before the deputy's was stored, and found none
    get_answer = repositories.get_answer
    fooled: list[str] = []

    def late_get_answer(uow: database.UnitOfWork, metric_id: str, period: Period) -> Any:
        if deputy and not fooled:
            fooled.append(metric_id)
            return None
        return get_answer(uow, metric_id, period)

    monkeypatch.setattr(repositories, "get_answer", late_get_answer)
    owner = handle_input(ctx, OwnerInput(43, OWNER, text="kyllä"))
    assert fooled == ["YMP-1.1"]
    assert deputy[0].accepted and owner.accepted
    assert shown(owner) == ("question", "YMP-2.1")
    # both are in the history, the owner's last
    assert answers(ctx) == {"YMP-1.1": (True, "Reino", 2)}
