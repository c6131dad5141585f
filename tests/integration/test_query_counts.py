"""What one typed answer and one /status cost in SQL statements, whatever the town's size.

A typed answer is what the chat layer does for one update: keep it in the inbox, apply it,
mark it done. Its statements must not grow with the answers of earlier quarters or with
other people's answers, and a report's must not grow with the number of goals or of rows
of history: a query per goal or per history row fails these tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, select

from goalbot.domain.goals import MetricKind
from goalbot.domain.periods import Period
from goalbot.reporting.report_texts import status_parts
from goalbot.scheduling.control import open_round_now
from goalbot.services import inbox
from goalbot.services.catalogue import get_catalogue
from goalbot.services.context import AppContext
from goalbot.services.questionnaire import Action, OwnerInput, Reply, handle_input, note_messages
from goalbot.storage.database import READ_ONLY, UnitOfWork
from goalbot.storage.models import AnswerHistoryRow, AnswerRow
from tests.conftest import Clock, Templates, copied_context
from tests.e2e.owner_flow import good_typed_answer
from tests.report_data import Q4, bind_person, fill_answers

OWNER = 4242
ROLE = "elinvoima-hyvinvointipaallikko"  # yes/no questions first, then a count
HISTORY = tuple(Q4.shifted(-n) for n in range(4, 0, -1))  # the year before Q4/2026
HOLDERS = 12  # roles held besides the owner's: a query per holder shows
# what an input needs: keep the update; read the person, their roles and the catalogue, the
# round, the conversation, their answers and earlier ones; write the answer and its history,
# move the conversation on and mark the update applied; mark it done and note the message
# showing the reply (its conversation read again)
TYPED_ANSWER_LIMIT = 28
# the update kept, its effects in one transaction, its done mark with the reply's messages noted
TYPED_ANSWER_TRANSACTIONS = 3
STATUS_LIMIT = 10


@contextmanager
def transactions(ctx: AppContext) -> Iterator[list[bool]]:
    """The transactions begun on ``ctx``'s database inside the block (True: a write)."""
    begun: list[bool] = []

    def record(connection: Any) -> None:
        begun.append(not connection.get_execution_options().get(READ_ONLY))

    event.listen(ctx.db.engine, "begin", record)
    try:
        yield begun
    finally:
        event.remove(ctx.db.engine, "begin", record)


@contextmanager
def statements(ctx: AppContext) -> Iterator[list[str]]:
    """The SQL statements run on ``ctx``'s database inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(ctx.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", record)


DECEMBER = datetime(2026, 12, 16, 8, 0, tzinfo=UTC)


def _town(ctx: AppContext, clock: Clock, history: bool) -> None:
    """The loaded database with one owner in an open Q4/2026 round."""
    clock.set(DECEMBER)
    if history:
        # every metric answered in the four quarters before, and Q4's answers of the others
        fill_answers(ctx, periods=(*HISTORY, Q4), explanation_length=40)
        _forget_own_answers(ctx)
    # roles held: a report that reads each holder on its own fails the count
    others = [role for role in get_catalogue(ctx).roles if role.id != ROLE][:HOLDERS]
    for number, role in enumerate(others):
        bind_person(ctx, role.id, f"Henkilö {number}", 5000 + number)
    bind_person(ctx, ROLE, "Eeva Elinvoima", OWNER)
    open_round_now(ctx, Q4)


def _forget_own_answers(ctx: AppContext) -> None:
    catalogue = get_catalogue(ctx)
    own = [m.id for goal in catalogue.goals_of_role(ROLE) for m in goal.metrics]
    with ctx.unit_of_work() as uow:
        rows = select(AnswerRow.id).where(AnswerRow.period == Q4.key, AnswerRow.metric_id.in_(own))
        uow.session.execute(delete(AnswerHistoryRow).where(AnswerHistoryRow.answer_id.in_(rows)))
        uow.session.execute(
            delete(AnswerRow).where(AnswerRow.period == Q4.key, AnswerRow.metric_id.in_(own))
        )
        uow.commit()


def empty_town(ctx: AppContext, clock: Clock) -> None:
    _town(ctx, clock, history=False)


def town_with_history(ctx: AppContext, clock: Clock) -> None:
    _town(ctx, clock, history=True)


class Town:
    """A town's database (one of the above) as one owner's inputs reach it."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.update_id = 1000

    def give(self, **kwargs: Any) -> Reply:
        """One update as the chat layer handles it: kept, applied, and marked done with the
        message that shows its reply noted."""
        self.update_id += 1
        inbox.store_received(self.ctx, self.update_id, "{}", "test")
        reply = handle_input(self.ctx, OwnerInput(self.update_id, OWNER, **kwargs))
        screen = reply.screens[-1]
        shown = partial(note_messages, telegram_user_id=OWNER, version=screen.version)
        done = [(self.update_id, inbox.DONE)]
        notes: list[Callable[[UnitOfWork], None]] = [
            partial(shown, shown=[self.update_id], recap=False)
        ]
        inbox.record(self.ctx, "", inbox.Marks(finished=done, notes=notes))
        return reply

    def typed_answer_statements(self) -> list[str]:
        """Start, press through the yes/no questions, and count the first typed answer."""
        reply = self.give(action=Action.START)
        while True:
            screen = reply.screens[-1]
            assert screen.item is not None, screen
            if screen.item.metric.kind != MetricKind.YES_NO:
                break
            reply = self.give(action=Action.YES, version=screen.version)
        with statements(self.ctx) as seen, transactions(self.ctx) as begun:
            answered = self.give(text=good_typed_answer(screen.item.metric))
        assert answered.accepted, answered
        # kept; applied in one transaction; marked done with its reply's messages noted
        assert len(begun) == TYPED_ANSWER_TRANSACTIONS, begun
        return seen


@pytest.fixture
def towns(
    backend: str, clock: Clock, templates: Templates, tmp_path: Path
) -> Iterator[tuple[Town, Town]]:
    """The same town twice: with no answers yet, and with a year of everyone's answers (each
    made once per test process, copied for each test)."""
    clock.set(DECEMBER)
    with ExitStack() as stack:
        made = []
        for prepare in (empty_town, town_with_history):
            folder = tmp_path / prepare.__name__
            folder.mkdir()
            made.append(
                Town(
                    stack.enter_context(copied_context(templates, backend, clock, folder, prepare))
                )
            )
        yield made[0], made[1]


def test_a_typed_answer_costs_the_same_with_any_history(towns: tuple[Town, Town]) -> None:
    empty, full = towns
    without = empty.typed_answer_statements()
    with_history = full.typed_answer_statements()
    assert len(with_history) == len(without), "\n".join(with_history)
    assert len(without) <= TYPED_ANSWER_LIMIT, "\n".join(without)


def status_statements(ctx: AppContext, scope: str, period: Period = Q4) -> list[str]:
    with statements(ctx) as seen:
        assert status_parts(ctx, scope, period)
    return seen


def test_status_costs_the_same_for_any_scope_and_history(towns: tuple[Town, Town]) -> None:
    empty, full = towns
    # the catalogue's text is read once per process, by whatever needs it first (here, where
    # another process made the towns' databases, the first report): not a report's cost
    status_statements(empty.ctx, "")
    counts = {
        (town_name, scope): len(status_statements(town.ctx, scope))
        for town_name, town in (("empty", empty), ("history", full))
        for scope in ("", "tekninen", "rakennusvalvonta", "TEK-1")
    }
    assert len(set(counts.values())) == 1, counts
    assert max(counts.values()) <= STATUS_LIMIT, status_statements(full.ctx, "")
