"""A round reopened or given a later deadline: stored, honoured by the calendar, audited and
announced once to the owners who still owe answers; and the calendar catching up a clock jump
of any length."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from goalbot.domain.obligations import asked_items
from goalbot.domain.periods import Period
from goalbot.scheduling.control import close_round_now, extend_round_now, reopen_round_now
from goalbot.scheduling.runner import round_plans, tick
from goalbot.services.access import Actor
from goalbot.services.catalogue import get_catalogue
from goalbot.services.context import AppContext, ServiceError
from goalbot.storage.models import AuditRow, RoundRow, ScheduledEventRow
from tests.conftest import Clock
from tests.integration.conftest import run
from tests.integration.test_calendar_year import (
    ADMIN,
    GROUP,
    ROLES,
    answer_role,
    deliver_all,
    restarted,
    the_bot_runs_since_now,
    year_ctx,
)

__all__ = ["year_ctx"]  # the fixture, shared with the year's test

HELSINKI = ZoneInfo("Europe/Helsinki")
Q4 = Period(2026, 4)


def owing_roles(ctx: AppContext, period: Period, answered: set[str]) -> set[int]:
    """Telegram ids of the people asked something in ``period`` who have not answered."""
    catalogue = get_catalogue(ctx)
    return {
        user_id
        for role, user_id in ROLES.items()
        if role not in answered and asked_items(catalogue, [role], period)
    }


def open_q4(ctx: AppContext, clock: Clock) -> None:
    tick(ctx)
    plan = {p.period: p for p in round_plans(ctx, clock.now)}[Q4]
    clock.set(plan.open.due_at + timedelta(minutes=1))
    tick(ctx)
    deliver_all(ctx)


def round_row(ctx: AppContext, period: Period = Q4) -> RoundRow:
    with ctx.unit_of_work() as uow:
        row = uow.session.get(RoundRow, period.key)
        assert row is not None
        uow.session.expunge(row)
        return row


def audit_actions(ctx: AppContext) -> list[tuple[str, str, dict[str, object] | None]]:
    with ctx.unit_of_work() as uow:
        return [
            (r.action, r.actor, r.new)
            for r in uow.session.scalars(select(AuditRow).order_by(AuditRow.id))
            if r.action.startswith("round_")
        ]


def test_an_extended_deadline_is_kept_announced_and_honoured(
    year_ctx: AppContext, clock: Clock
) -> None:
    ctx = year_ctx
    open_q4(ctx, clock)
    answer_role(ctx, "rakennustarkastaja", Q4)  # answered and confirmed: not told
    planned = {p.period: p for p in round_plans(ctx, clock.now)}[Q4].deadline
    later = planned.astimezone(HELSINKI).date() + timedelta(days=7)

    changed = extend_round_now(ctx, None, later)

    new_deadline = datetime.combine(later, ctx.config.schedule.close_time, tzinfo=HELSINKI)
    assert changed.period == Q4 and changed.closes_at == new_deadline
    assert changed.previous == planned and not changed.reopened
    owing = owing_roles(ctx, Q4, {"rakennustarkastaja"})
    sent = deliver_all(ctx)
    told = [s for s in sent if s.kind == "round_changed"]
    assert {s.chat_id for s in told} == owing and len(told) == len(owing) == changed.announced
    assert all(s.payload["change"] == "extended" and s.payload["button"] for s in told)
    row = round_row(ctx)
    assert row.closes_at is not None and row.closes_at == new_deadline
    assert audit_actions(ctx)[-1] == (
        "round_extend",
        "operator",
        {"closes_at": new_deadline.isoformat()},
    )
    # the calendar keeps the round open past the configured deadline, also after a restart
    clock.set(planned + timedelta(minutes=1))
    ctx = restarted(ctx, clock)
    tick(ctx)
    assert round_row(ctx).closed_at is None
    assert not [s for s in deliver_all(ctx) if s.kind in ("summary", "round_changed")]
    # and closes it at the new one, with its summary, once
    clock.set(new_deadline + timedelta(minutes=1))
    tick(ctx)
    tick(ctx)
    assert round_row(ctx).closed_at is not None
    sent = deliver_all(ctx)
    assert [(s.kind, s.chat_id) for s in sent if s.kind == "summary"] == [("summary", GROUP)]
    assert not [s for s in sent if s.kind == "round_changed"]  # not closed early
    assert not [s for s in sent if s.kind == "admin_notice"]


def test_a_reopened_round_is_announced_and_closed_again_with_a_new_summary(
    year_ctx: AppContext, clock: Clock
) -> None:
    ctx = year_ctx
    open_q4(ctx, clock)
    answer_role(ctx, "sivistysjohtaja", Q4)
    close_round_now(ctx, Q4)  # closed early by hand: the owners who owe are told
    sent = deliver_all(ctx)
    owing = owing_roles(ctx, Q4, {"sivistysjohtaja"})
    assert {s.chat_id for s in sent if s.kind == "round_changed"} == owing
    assert [s.kind for s in sent if s.kind == "summary"] == ["summary"]
    # the bot runs on past the configured deadline: the closed round is not closed again
    planned = {p.period: p for p in round_plans(ctx, clock.now)}[Q4]
    for event in planned.events[1:]:
        clock.set(event.due_at + timedelta(minutes=1))
        tick(ctx)
    assert deliver_all(ctx) == []

    until = date(2027, 1, 29)
    changed = reopen_round_now(ctx, Q4, until)

    assert changed.reopened and changed.announced == len(owing)
    sent = deliver_all(ctx)
    told = [s for s in sent if s.kind == "round_changed"]
    assert {s.chat_id for s in told} == owing
    assert {s.payload["change"] for s in told} == {"reopened"}
    row = round_row(ctx)
    assert row.closed_at is None and row.reopened_at is not None
    with ctx.unit_of_work() as uow:
        close = uow.session.get(ScheduledEventRow, "2026Q4:close")
        assert close is not None and close.done_at is None and close.skipped_at is None
    assert [a for a, _, _ in audit_actions(ctx)][-2:] == ["round_close", "round_reopen"]
    # reopening again while it is open is refused, and tells nobody twice
    with pytest.raises(ServiceError) as refused:
        reopen_round_now(ctx, Q4, until)
    assert refused.value.code == "round_still_open"
    # the calendar closes it at the new deadline, with a summary of its own
    deadline = datetime.combine(until, ctx.config.schedule.close_time, tzinfo=HELSINKI)
    clock.set(deadline - timedelta(minutes=1))
    tick(ctx)
    assert round_row(ctx).closed_at is None
    clock.set(deadline + timedelta(minutes=1))
    ctx = restarted(ctx, clock)
    tick(ctx)
    tick(ctx)
    assert round_row(ctx).closed_at is not None
    sent = deliver_all(ctx)
    assert [s.kind for s in sent if s.kind in ("summary", "round_changed")] == ["summary"]
    assert not [s for s in sent if s.kind == "admin_notice"]


def test_deadlines_that_cannot_be_given_are_refused_with_the_reason(
    year_ctx: AppContext, clock: Clock
) -> None:
    ctx = year_ctx
    open_q4(ctx, clock)
    planned = round_row(ctx).closes_at
    assert planned is not None

    def refused(action: object) -> str:
        with pytest.raises(ServiceError) as error:
            action()  # type: ignore[operator]
        return error.value.code

    today = clock.now.astimezone(HELSINKI).date()
    assert refused(lambda: extend_round_now(ctx, None, today - timedelta(days=1))) == (
        "deadline_in_past"
    )
    earlier = planned.astimezone(HELSINKI).date() - timedelta(days=1)
    assert refused(lambda: extend_round_now(ctx, None, earlier)) == "deadline_not_later"
    assert refused(lambda: extend_round_now(ctx, None, date(2027, 6, 30))) == (
        "deadline_after_next_round"
    )
    assert refused(lambda: reopen_round_now(ctx, Q4, date(2027, 1, 29))) == "round_still_open"
    assert refused(lambda: reopen_round_now(ctx, Period(2026, 3), date(2027, 1, 29))) == (
        "no_such_round"
    )
    # only an administrator (the one table of permissions decides)
    owner = Actor(ROLES["rakennustarkastaja"])
    assert refused(lambda: extend_round_now(ctx, None, date(2027, 1, 29), by=owner)) == (
        "not_allowed"
    )
    admin = Actor(ADMIN)
    assert extend_round_now(ctx, None, date(2027, 1, 29), by=admin).period == Q4
    assert audit_actions(ctx)[-1][:2] == ("round_extend", "admin")
    close_round_now(ctx)
    assert refused(lambda: extend_round_now(ctx, Q4, date(2027, 2, 1))) == "round_closed"
    assert round_row(ctx).closes_at == datetime.combine(
        date(2027, 1, 29), ctx.config.schedule.close_time, tzinfo=HELSINKI
    )


def test_a_clock_jump_of_more_than_a_year_catches_up_every_round_once_in_order(
    year_ctx: AppContext, clock: Clock
) -> None:
    """A virtual machine suspended before the Q4/2026 round and resumed 400 days later."""
    ctx = year_ctx
    the_bot_runs_since_now(ctx)
    tick(ctx)
    deliver_all(ctx)
    clock.set(clock.now + timedelta(days=400))  # 4 January 2028
    tick(ctx)
    sent = deliver_all(ctx)
    with ctx.unit_of_work() as uow:
        rows = {r.period: r for r in uow.session.scalars(select(RoundRow))}
    assert sorted(rows) == ["2026Q4", "2027Q1", "2027Q2", "2027Q3", "2027Q4"]
    assert all(rows[p].closed_at is not None for p in sorted(rows)[:-1])
    assert rows["2027Q4"].closed_at is None  # its round is still open: it goes on
    summaries = [s.period for s in sent if s.kind == "summary"]
    assert summaries == [Period(2026, 4), Period(2027, 1), Period(2027, 2), Period(2027, 3)]
    # the rounds' order: each closed before the next opened
    closes = [rows[p].closed_at for p in sorted(rows)[:-1]]
    opens = [rows[p].opened_at for p in sorted(rows)]
    for closed, next_opened in zip(closes, opens[1:], strict=False):
        assert closed is not None and closed <= next_opened
    # no stale reminder: the owners hear only of the round that is open now
    to_owners = [s for s in sent if s.chat_id in ROLES.values()]
    assert {s.period for s in to_owners} == {Period(2027, 4)}
    assert {s.kind for s in to_owners} == {"reminder"}
    # the administrator hears of each round that was over once, not of every nudge of it
    notices = [s for s in sent if s.kind == "admin_notice" and s.chat_id == ADMIN]
    over = [n for n in notices if n.period != Period(2027, 4)]
    assert sorted((n.period.key, n.payload["event"]) for n in over if n.period) == sorted(
        (p, event) for p in ["2026Q4", "2027Q1", "2027Q2", "2027Q3"] for event in ("open", "close")
    )
    # done once: nothing more comes of it
    tick(ctx)
    ctx = restarted(ctx, clock)
    tick(ctx)
    assert deliver_all(ctx) == []


def test_events_of_long_ago_are_not_replayed_on_a_new_database(
    ctx: AppContext, clock: Clock
) -> None:
    """The calendar's first start plans from around now, not from the catalogue's start."""
    clock.set(datetime(2028, 3, 1, 8, 0, tzinfo=UTC))
    tick(ctx)
    with ctx.unit_of_work() as uow:
        periods = set(uow.session.scalars(select(ScheduledEventRow.period)))
    assert min(periods) >= "2027Q3"


@pytest.mark.usefixtures("english_cli")
def test_the_command_line_extends_and_reopens_a_round(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    cfg = ["--config", str(config_file)]
    code, out, _ = run(capsys, *cfg, "remind", "--now")
    assert code == 0
    found = re.search(r"The round of (Q\d/\d{4}) is open; it closes (\d\d\.\d\d\.\d{4})", out)
    assert found is not None, out
    label, closes = found.groups()
    period = Period.parse(label)
    later = datetime.strptime(closes, "%d.%m.%Y").date() + timedelta(days=1)
    code, _, err = run(capsys, *cfg, "round", "extend", "--until", "31.2.2027")
    assert code == 2 and "is not a date" in err and "Traceback" not in err
    code, _, err = run(capsys, *cfg, "round", "reopen", "--period", period.key, "--until", "x")
    assert code == 2 and "is not a date" in err
    code, _, err = run(
        capsys, *cfg, "round", "reopen", "--period", period.key, "--until", "2099-01-01"
    )
    assert code == 1 and err.strip() == (
        f"goalbot: the round of {label} is still open: give it a later deadline with goalbot "
        "round extend"
    )
    code, out, _ = run(capsys, *cfg, "round", "extend", "--until", later.isoformat())
    assert code == 0, out
    assert f"The round of {label} now closes {later:%d.%m.%Y}" in out and f"(was {closes}" in out
    code, _, err = run(capsys, *cfg, "round", "extend", "--until", later.isoformat())
    assert code == 1 and "give a later day" in err
    code, out, _ = run(capsys, *cfg, "close", "--now")
    assert code == 0
    again = later + timedelta(days=1)
    code, out, _ = run(
        capsys, *cfg, "round", "reopen", "--period", period.key, "--until", again.isoformat()
    )
    assert code == 0 and f"The round of {label} is open again until {again:%d.%m.%Y}" in out
    code, out, _ = run(capsys, *cfg, "audit", "--period", period.key)
    assert "round_extend" in out and "round_reopen" in out
