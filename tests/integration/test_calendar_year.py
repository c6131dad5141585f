"""A whole year of rounds on the Kokemäki catalogue with a controllable clock.

Reminders, nudges, escalations, closes and summaries happen on the right working days around
Finnish holidays and the DST changes, only to those who still owe answers; a restart injected
before and after every step misses nothing and doubles nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from sqlalchemy import select

from goalbot.config import TelegramConfig
from goalbot.domain.answers import AnswerValue
from goalbot.domain.obligations import asked_items
from goalbot.domain.periods import Period
from goalbot.scheduling.runner import round_plans, tick
from goalbot.services import outbox
from goalbot.services.catalogue import get_catalogue
from goalbot.services.context import AppContext
from goalbot.services.owners import accept_invite, invite_owner
from goalbot.services.rounds import asked_in_round
from goalbot.storage.models import AnswerRow, PersonRow, RoundRow, ScheduledEventRow, SendRow
from goalbot.storage.repositories import prior_answers, save_answer
from tests.conftest import Clock, make_context

HELSINKI = ZoneInfo("Europe/Helsinki")
ADMIN = 900001
GROUP = -1001234
ROLES = {  # role → the person's Telegram id
    "kaupunginjohtaja": 1001,
    "hallintojohtaja": 1002,
    "tekninen-johtaja": 1003,
    "rakennustarkastaja": 1004,
    "tilapalvelupaallikko": 1005,
    "sivistysjohtaja": 1006,
}
DILIGENT = {"rakennustarkastaja", "sivistysjohtaja"}  # answer everything on the first day


def restarted(ctx: AppContext, clock: Clock) -> AppContext:
    """A new process: new engine and context on the same database, nothing kept in memory."""
    ctx.db.dispose()
    return make_context(ctx.config.database.url, clock, ctx.config)


def deliver_all(ctx: AppContext) -> list[outbox.QueuedSend]:
    """Telegram accepts everything: what the chat layer would do, minus the network."""
    sent = outbox.claim_due(ctx, "test")
    for number, send in enumerate(sent):
        assert outbox.start_part(ctx, send.id, "test", 0, 1)
        outbox.end_part(ctx, send.id, 0, outbox.Outcome.DELIVERED, message_id=number + 1)
    return sent


def answer_role(ctx: AppContext, role_id: str, period: Period) -> None:
    catalogue = get_catalogue(ctx)
    with ctx.unit_of_work() as uow:
        person = uow.session.scalars(
            select(PersonRow).where(PersonRow.telegram_user_id == ROLES[role_id])
        ).one()
        # every question of the round, a figure still missing from an earlier period too
        asked = asked_in_round(uow, catalogue, period)
        for goal in catalogue.goals_of_role(role_id):
            for metric in goal.metrics:
                value = (
                    AnswerValue.of_flag(True)
                    if metric.kind.value == "yes_no"
                    else AnswerValue.no_data()
                )
                for described in asked.get(metric.id, ()):
                    row, _ = save_answer(
                        uow, metric.id, described, value, person, ctx.now(), round_period=period
                    )
                    row.confirmed_at = ctx.now()
        uow.commit()


@pytest.fixture
def year_ctx(ctx: AppContext, clock: Clock) -> AppContext:
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    tg = TelegramConfig(admins=(ADMIN,), management_chat_id=GROUP)
    context = make_context(ctx.config.database.url, clock, replace(ctx.config, telegram=tg))
    for role, user_id in ROLES.items():
        invite = invite_owner(context, role, f"Henkilö {role}")
        accept_invite(context, invite.token, user_id)
    return context


def test_a_year_of_rounds_with_restarts(year_ctx: AppContext, clock: Clock) -> None:
    ctx = year_ctx
    start = clock.now
    end = datetime(2027, 12, 31, 12, 0, tzinfo=UTC)
    events = sorted(
        {
            e
            for plan in round_plans(ctx, start) + round_plans(ctx, end)
            for e in plan.events
            if start < e.due_at <= end
        },
        key=lambda e: e.due_at,
    )
    periods = sorted({e.period for e in events})
    assert periods == [
        Period(2026, 4),
        Period(2027, 1),
        Period(2027, 2),
        Period(2027, 3),
        Period(2027, 4),
    ]
    fi_holidays = holidays.country_holidays("FI", years=[2026, 2027, 2028])
    answered: set[Period] = set()
    sent_at: dict[str, datetime] = {}

    for event in events:
        # before the event: nothing of it has happened
        clock.set(event.due_at - timedelta(minutes=1))
        ctx = restarted(ctx, clock)
        tick(ctx)
        assert not [s for s in deliver_all(ctx) if s.key.startswith(event.key)]
        # at the event, with a restart before and after, and the job firing twice
        clock.set(event.due_at + timedelta(seconds=30))
        ctx = restarted(ctx, clock)
        tick(ctx)
        ctx = restarted(ctx, clock)
        tick(ctx)
        for send in deliver_all(ctx):
            sent_at[send.key] = clock.now
        ctx = restarted(ctx, clock)
        assert tick(ctx).outcomes == ()

        local = event.due_at.astimezone(HELSINKI)
        assert local.weekday() < 5 and local.date() not in fi_holidays, event
        assert (local.hour, local.minute) in ((9, 0), (16, 0)), event
        if event.kind.value == "open" and event.period not in answered:
            clock.set(event.due_at + timedelta(hours=2))
            for role in DILIGENT:
                answer_role(ctx, role, event.period)
            answered.add(event.period)

    with ctx.unit_of_work() as uow:
        sends = list(uow.session.scalars(select(SendRow)))
        people: dict[int | None, int | None] = {
            p.id: p.telegram_user_id for p in uow.session.scalars(select(PersonRow))
        }
        rounds = {r.period: r for r in uow.session.scalars(select(RoundRow))}
        done = list(
            uow.session.scalars(
                select(ScheduledEventRow).where(ScheduledEventRow.done_at.is_not(None))
            )
        )
        answers = list(uow.session.scalars(select(AnswerRow)))
    assert {s.status for s in sends} == {"sent"}
    assert len({s.key for s in sends}) == len(sends)
    catalogue = get_catalogue(ctx)

    for period in periods:
        kinds = Counter((s.kind, people.get(s.person_id)) for s in sends if s.period == period.key)
        # deliverables reported done are not asked again; figures still missing are
        with ctx.unit_of_work() as uow:
            prior = prior_answers(uow, period)
        asked = (prior.yes, prior.settled, prior.held)
        owing = {ROLES[r] for r in ROLES if asked_items(catalogue, [r], period, *asked)}
        # one reminder per owner with something due
        assert {p for (k, p), n in kinds.items() if k == "reminder" and n == 1} == owing
        # nudges never go to those who answered everything on the first day
        nudged = {p for (k, p) in kinds if k == "nudge"}
        assert nudged and not nudged & {ROLES[r] for r in DILIGENT}
        assert nudged <= owing
        if period == Period(2027, 4):
            assert period.key in rounds and rounds[period.key].closed_at is None
            continue
        assert rounds[period.key].closed_at is not None
        assert kinds[("summary", None)] == 1
        summary = next(s for s in sends if s.kind == "summary" and s.period == period.key)
        assert summary.chat_id == GROUP
        escalated = {p for (k, p) in kinds if k == "escalation"}
        # heads of departments with missing answers, and the town manager
        assert ROLES["kaupunginjohtaja"] in escalated
    # the diligent owners' answers are all there, once
    assert len({(a.metric_id, a.period) for a in answers}) == len(answers)
    assert all(e.done_at is not None for e in done)

    # every send went out at its event's moment, in local time across DST
    q1_open = next(s for s in sends if s.kind == "reminder" and s.period == "2027Q1")
    assert (
        sent_at[q1_open.key].astimezone(HELSINKI).strftime("%d.%m.%Y %H") == "15.03.2027 09"
    )  # Easter 2027 moves it
    q2_open = next(s for s in sends if s.kind == "reminder" and s.period == "2027Q2")
    opened = sent_at[q2_open.key].astimezone(HELSINKI)
    assert opened.hour == 9 and opened.utcoffset() == timedelta(hours=3)
    q4_close = next(s for s in sends if s.kind == "summary" and s.period == "2026Q4")
    assert sent_at[q4_close.key].astimezone(HELSINKI).strftime("%d.%m.%Y %H:%M") == (
        "18.01.2027 16:00"
    )


def test_downtime_within_grace_is_caught_up_and_beyond_it_reported(
    year_ctx: AppContext, clock: Clock
) -> None:
    ctx = year_ctx
    tick(ctx)  # the calendar starts before the Q4/2026 round opens
    deliver_all(ctx)
    plans = {p.period: p for p in round_plans(ctx, clock.now)}
    plan = plans[Period(2026, 4)]
    # down over the opening, back 5 hours later: reminders go out late
    clock.set(plan.open.due_at + timedelta(hours=5))
    ctx = restarted(ctx, clock)
    tick(ctx)
    reminders = [s for s in deliver_all(ctx) if s.kind == "reminder"]
    assert len(reminders) == len(
        [r for r in ROLES if asked_items(get_catalogue(ctx), [r], Period(2026, 4))]
    )
    # down for three days over the first nudge: skipped, and the admins are told
    clock.set(plan.nudges[0].due_at + timedelta(days=3))
    ctx = restarted(ctx, clock)
    tick(ctx)
    sent = deliver_all(ctx)
    assert not [s for s in sent if s.key.startswith(plan.nudges[0].key)]
    notices = [s for s in sent if s.kind == "admin_notice"]
    assert [(n.chat_id, n.payload["event"]) for n in notices] == [(ADMIN, "nudge")]
    with ctx.unit_of_work() as uow:
        row = uow.session.get(ScheduledEventRow, plan.nudges[0].key)
        assert row is not None and row.skipped_at is not None and row.done_at is None
    # nothing of it comes again
    ctx = restarted(ctx, clock)
    tick(ctx)
    assert deliver_all(ctx) == []


def test_first_start_in_the_middle_of_a_round_opens_it_quietly(
    ctx: AppContext, clock: Clock
) -> None:
    clock.set(datetime(2026, 12, 22, 10, 0, tzinfo=UTC))
    tg = TelegramConfig(admins=(ADMIN,), management_chat_id=GROUP)
    context = make_context(ctx.config.database.url, clock, replace(ctx.config, telegram=tg))
    tick(context)
    with context.unit_of_work() as uow:
        round_row = uow.session.get(RoundRow, "2026Q4")
        assert round_row is not None and round_row.closed_at is None
        assert list(uow.session.scalars(select(SendRow))) == []


def test_paused_nudges_skip_the_person_until_the_date(year_ctx: AppContext, clock: Clock) -> None:
    from goalbot.services.owners import pause_nudges

    ctx = year_ctx
    tick(ctx)
    plan = {p.period: p for p in round_plans(ctx, clock.now)}[Period(2026, 4)]
    clock.set(plan.open.due_at + timedelta(minutes=1))
    tick(ctx)
    deliver_all(ctx)
    # paused up to (and including) the day of the second nudge
    until = plan.nudges[1].due_at.astimezone(HELSINKI).date()
    assert pause_nudges(ctx, "Henkilö rakennustarkastaja", until)[1] == until
    nudged: list[set[int | None]] = []
    for nudge in plan.nudges[:3]:
        clock.set(nudge.due_at + timedelta(minutes=1))
        tick(ctx)
        with ctx.unit_of_work() as uow:
            chats = {p.id: p.telegram_user_id for p in uow.session.scalars(select(PersonRow))}
        nudged.append(
            {
                chats[s.person_id]
                for s in deliver_all(ctx)
                if s.kind == "nudge" and s.person_id is not None
            }
        )
    paused = ROLES["rakennustarkastaja"]
    assert paused not in nudged[0] and paused not in nudged[1]
    assert paused in nudged[2]


def test_a_scheduled_event_that_cannot_be_done_is_reported(ctx: AppContext, clock: Clock) -> None:
    from goalbot.scheduling.control import open_round_now

    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    tg = TelegramConfig(admins=(ADMIN,))  # and no management group
    context = make_context(ctx.config.database.url, clock, replace(ctx.config, telegram=tg))
    tick(context)
    open_round_now(context, Period(2026, 3))  # a round left open by hand
    plan = {p.period: p for p in round_plans(context, clock.now)}[Period(2026, 4)]
    clock.set(plan.open.due_at + timedelta(minutes=1))
    tick(context)
    notices = [s for s in deliver_all(context) if s.kind == "admin_notice"]
    assert [(n.payload["code"], n.payload["reason"]) for n in notices] == [
        ("event_failed", "other_round_open")
    ]
    # closing Q3 by hand, Q4 by the calendar: without a group the summary cannot go out
    from goalbot.scheduling.control import close_round_now

    close_round_now(context, Period(2026, 3))
    open_round_now(context, Period(2026, 4))
    clock.set(plan.close.due_at + timedelta(minutes=1))
    tick(context)
    notices = [s for s in deliver_all(context) if s.kind == "admin_notice"]
    assert ("event_failed", "no_management_chat") in [
        (n.payload["code"], n.payload["reason"]) for n in notices
    ]


def the_bot_runs_since_now(ctx: AppContext) -> None:
    """A ``goalbot run`` started at the clock's moment, as its start records it."""
    import uuid

    from goalbot.services.health import Instance, start_instance

    start_instance(ctx, Instance(id=str(uuid.uuid4()), host="vm", pid=1, bot_id=1))


def notices_of(sent: list[outbox.QueuedSend]) -> dict[str, tuple[str, str, str]]:
    """Each event's notice to the administrator: (code, reason, text)."""
    from goalbot.reporting.rendering import render

    return {
        n.payload["event"]: (
            n.payload["code"],
            n.payload["reason"],
            render(
                "chat/admin_notice.html.j2",
                "fi",
                period=n.period,
                payload=n.payload,
                timezone=HELSINKI,
            ),
        )
        for n in sent
        if n.kind == "admin_notice" and n.chat_id == ADMIN
    }


def test_a_clock_jump_over_a_whole_round_still_closes_it_with_its_summary(
    year_ctx: AppContext, clock: Clock
) -> None:
    """A virtual machine suspended before a round and resumed weeks after its close."""
    ctx = year_ctx
    the_bot_runs_since_now(ctx)
    tick(ctx)
    deliver_all(ctx)
    plan = {p.period: p for p in round_plans(ctx, clock.now)}[Period(2026, 4)]
    clock.set(plan.close.due_at + timedelta(weeks=3))
    tick(ctx)  # the same running bot, its clock suddenly weeks later
    sent = deliver_all(ctx)
    summaries = [s for s in sent if s.kind == "summary"]
    assert [(s.chat_id, s.period) for s in summaries] == [(GROUP, Period(2026, 4))]
    assert not [s for s in sent if s.kind in ("reminder", "nudge", "escalation")]
    notices = notices_of(sent)
    assert notices["close"][:2] == ("late_event", "frozen")
    assert notices["open"][:2] == ("skipped_event", "frozen")
    for _code, _reason, text in notices.values():
        assert "kello siirtyi eteenpäin" in text and "ei ollut käynnissä" not in text, text
    assert "yhteenveto lähetettiin johtoryhmälle" in notices["close"][2]
    with ctx.unit_of_work() as uow:
        round_row = uow.session.get(RoundRow, "2026Q4")
        assert round_row is not None and round_row.closed_at is not None
    # done once: the next check finds nothing more to do
    tick(ctx)
    assert deliver_all(ctx) == []


def test_a_clock_jump_into_an_open_round_sends_the_reminders_late(
    year_ctx: AppContext, clock: Clock
) -> None:
    ctx = year_ctx
    tick(ctx)
    deliver_all(ctx)
    plan = {p.period: p for p in round_plans(ctx, clock.now)}[Period(2026, 4)]
    the_bot_runs_since_now(ctx)
    clock.set(plan.open.due_at + timedelta(days=3))  # past the grace period, before the close
    tick(ctx)
    sent = deliver_all(ctx)
    reminded = [s for s in sent if s.kind == "reminder"]
    assert len(reminded) == len(
        [r for r in ROLES if asked_items(get_catalogue(ctx), [r], Period(2026, 4))]
    )
    notices = notices_of(sent)
    assert notices["open"][:2] == ("late_event", "frozen")
    assert "muistutukset lähetettiin" in notices["open"][2]
    # a bot that was not running at all says so
    clock.set(plan.close.due_at + timedelta(days=2))
    ctx = restarted(ctx, clock)
    the_bot_runs_since_now(ctx)
    tick(ctx)
    sent = deliver_all(ctx)
    assert [s.kind for s in sent if s.kind == "summary"] == ["summary"]
    code, reason, text = notices_of(sent)["close"]
    assert (code, reason) == ("late_event", "down") and "botti ei ollut käynnissä" in text
