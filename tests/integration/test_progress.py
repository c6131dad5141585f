"""services.progress on SQLite and PostgreSQL: scopes, verdicts, who has not answered, history."""

from __future__ import annotations

from decimal import Decimal

import pytest

from goalbot.domain.answers import AnswerValue
from goalbot.domain.evaluation import Status
from goalbot.domain.goals import Tier
from goalbot.domain.periods import Period
from goalbot.domain.protocol import HolderKind
from goalbot.services.catalogue import get_catalogue
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.owners import accept_invite, invite_owner
from goalbot.services.progress import (
    STRATEGIC_SCOPE,
    ScopeKind,
    metric_history,
    missing_of,
    report_period,
    status_of,
)
from goalbot.storage.repositories import save_comment
from tests.conftest import Clock
from tests.report_data import (
    Q3,
    Q4,
    bind_person,
    close_round_of,
    open_round_without_deadline,
    set_answer,
)

# (typed, kind, key): every form a manager may type
SCOPE_FORMS = [
    ("", ScopeKind.ALL, ""),
    ("   ", ScopeKind.ALL, ""),
    ("tekninen", ScopeKind.DEPARTMENT, "tekninen"),
    ("TEKNINEN", ScopeKind.DEPARTMENT, "tekninen"),
    ("Tekninen osasto", ScopeKind.DEPARTMENT, "tekninen"),
    ("tekninen-osasto", ScopeKind.DEPARTMENT, "tekninen"),
    ("teknisen osasto", ScopeKind.DEPARTMENT, "tekninen"),
    ("tekn", ScopeKind.DEPARTMENT, "tekninen"),
    ("hallinto", ScopeKind.DEPARTMENT, "hallinto"),
    ("Hallinto", ScopeKind.DEPARTMENT, "hallinto"),
    ("Hallinto-osasto", ScopeKind.DEPARTMENT, "hallinto"),
    ("hall", ScopeKind.DEPARTMENT, "hallinto"),
    ("sivistys", ScopeKind.DEPARTMENT, "sivistys"),
    ("Sivistysosasto", ScopeKind.DEPARTMENT, "sivistys"),
    ("sivi", ScopeKind.DEPARTMENT, "sivistys"),
    ("rakennusvalvonta", ScopeKind.AREA, "rakennusvalvonta"),
    ("RAKENNUSVALVONTA", ScopeKind.AREA, "rakennusvalvonta"),
    ("rakennus", ScopeKind.AREA, "rakennusvalvonta"),
    ("Hallinto (tekninen)", ScopeKind.AREA, "tekninen-hallinto"),
    ("tekninen-hallinto", ScopeKind.AREA, "tekninen-hallinto"),
    ("kirjasto", ScopeKind.AREA, "kirjasto-ja-kulttuuripalvelut"),
    ("Elinvoima- ja hyvinvointipalvelut", ScopeKind.AREA, "elinvoima-ja-hyvinvointipalvelut"),
    ("ympäristö", ScopeKind.AREA, "ymparistotoimi"),
    ("TEK-1", ScopeKind.GOAL, "TEK-1"),
    ("tek-1", ScopeKind.GOAL, "TEK-1"),
    ("rv-1", ScopeKind.GOAL, "RV-1"),
    ("Str-3", ScopeKind.GOAL, "STR-3"),
    ("strategia", ScopeKind.STRATEGIC, STRATEGIC_SCOPE),
    ("strat", ScopeKind.STRATEGIC, STRATEGIC_SCOPE),
]


def test_every_form_of_scope(ctx: AppContext) -> None:
    for typed, kind, key in SCOPE_FORMS:
        data = status_of(ctx, typed, Q4)
        assert (data.scope.kind, data.scope.key) == (kind, key), typed
        goal_ids = {g.goal.id for g in data.goals}
        assert goal_ids == {g.id for g in data.scope.goals}, typed
        if kind == ScopeKind.DEPARTMENT:
            assert all(g.goal.department == key for g in data.goals), typed
        if kind == ScopeKind.AREA:
            assert all(g.goal.area == key for g in data.goals), typed
        if kind == ScopeKind.GOAL:
            assert goal_ids == {key}, typed


def test_scopes_select_the_right_goals(ctx: AppContext) -> None:
    everything = {g.goal.id for g in status_of(ctx, "", Q4).goals}
    assert len(everything) == 52
    technical = {g.goal.id for g in status_of(ctx, "tekninen", Q4).goals}
    # the department's council goals and every one of its areas' goals, nothing strategic
    assert {"TEK-1", "TEK-2", "TEK-3", "THA-1", "TILA-2", "RV-1", "RV-2"} <= technical
    assert not any(goal.startswith(("STR-", "HAL-", "YH-")) for goal in technical)
    administration = {g.goal.id for g in status_of(ctx, "hallinto", Q4).goals}
    # "hallinto" is the department, not the technical department's area "Hallinto (tekninen)"
    assert {"HAL-1", "HAL-2", "EHP-1", "KIR-1", "YH-1", "YH-9"} <= administration
    assert not {"THA-1", "THA-2"} & administration
    area = {g.goal.id for g in status_of(ctx, "Hallinto (tekninen)", Q4).goals}
    assert area == {"THA-1", "THA-2"}
    strategic = status_of(ctx, "strategia", Q4)
    assert {g.goal.tier for g in strategic.goals} == {Tier.STRATEGIC}
    assert len(strategic.goals) == 7


def test_unknown_scope_lists_the_valid_ones(ctx: AppContext) -> None:
    with pytest.raises(ServiceError) as caught:
        status_of(ctx, "nosuch", Q4)
    error = caught.value
    assert error.code == "unknown_scope"
    assert error.params["scope"] == "nosuch"
    valid = error.params["valid"]
    assert isinstance(valid, tuple)
    assert {"tekninen", "hallinto", "sivistys", "rakennusvalvonta", "strategia"} <= set(valid)
    with pytest.raises(ServiceError) as caught:
        status_of(ctx, "TEK-99", Q4)
    assert caught.value.code == "unknown_scope"


def test_ambiguous_prefix_names_the_matches(ctx: AppContext) -> None:
    with pytest.raises(ServiceError) as caught:
        status_of(ctx, "yle", Q4)
    assert caught.value.code == "ambiguous_scope"
    assert caught.value.params["matches"] == ("yleishallinto", "yleisten-alueiden-hoito")
    with pytest.raises(ServiceError) as caught:
        status_of(ctx, "k", Q4)
    assert caught.value.code == "ambiguous_scope"
    matches = caught.value.params["matches"]
    assert isinstance(matches, tuple) and "kiinteistojen-hoito" in matches


def test_a_period_outside_the_term_is_refused(ctx: AppContext) -> None:
    with pytest.raises(ServiceError) as caught:
        status_of(ctx, "", Period(2025, 4))
    assert caught.value.code == "period_outside_catalogue"
    with pytest.raises(ServiceError):
        missing_of(ctx, Period(2031, 1))  # after the rounds that collect 2029's figures


def test_verdicts_answers_explanations_and_changes(ctx: AppContext) -> None:
    bind_person(ctx, "kaupunginjohtaja", "Kaisa Kaupunki", 7001)
    bind_person(ctx, "rakennustarkastaja", "Raili Rakentaja", 7002)
    set_answer(ctx, "STR-3.1", Q3, AnswerValue.of_number(Decimal("7.5")), telegram_user_id=7001)
    set_answer(
        ctx,
        "STR-3.1",
        Q4,
        AnswerValue.of_number(Decimal("12.5")),
        explanation="Tehdas lopetti.",
        corrective_action="Työllisyyspalvelut tehostavat.",
        telegram_user_id=7001,
    )
    set_answer(ctx, "RV-1.1", Q4, AnswerValue.of_number(Decimal(24)), telegram_user_id=7002)
    set_answer(ctx, "TILA-2.1", Q4, AnswerValue.of_number(Decimal(10715)))
    with ctx.unit_of_work() as uow:
        save_comment(uow, "RV-1", Q4, "Uusi lupajärjestelmä käytössä.", None, ctx.now())
        uow.commit()

    data = status_of(ctx, "", Q4)
    by_id = {m.metric.id: m for m in data.metrics()}
    # Q4/2026's unemployment and 2026's bio-waste are known, and asked, in the next year
    next_year = {m.metric.id: m for m in status_of(ctx, "", Period(2027, 1)).metrics()}
    unemployment = next_year["STR-3.1"]
    assert unemployment.status == Status.OFF_TRACK
    assert unemployment.previous_status == Status.ON_TRACK
    assert unemployment.previous_period == Q3
    assert unemployment.status_changed and unemployment.missed
    assert unemployment.evaluation.change_from_previous == Decimal("5.0")
    assert unemployment.answer is not None
    assert unemployment.answer.answered_by == "Kaisa Kaupunki"
    assert unemployment.answer.explanation == "Tehdas lopetti."
    assert unemployment.answer.corrective_action == "Työllisyyspalvelut tehostavat."

    permits = by_id["RV-1.1"]
    assert permits.status == Status.ON_TRACK and permits.evaluation.reason_code == "target_met"
    assert permits.answer is not None and permits.answer.answered_by == "Raili Rakentaja"
    assert not permits.status_changed
    assert next_year["TILA-2.1"].status == Status.ON_TRACK
    assert by_id["TILA-2.1"].status == Status.NOT_DUE
    assert by_id["RV-2.1"].status == Status.NO_ANSWER
    # yearly figures are not asked in Q3
    assert status_of(ctx, "TILA-2", Q3).goals[0].metrics[0].status == Status.NOT_DUE

    goals = {g.goal.id: g for g in data.goals}
    assert goals["RV-1"].comment == "Uusi lupajärjestelmä käytössä."
    owner = goals["RV-1"].holders.owner
    assert owner is not None and owner.name == "Raili Rakentaja"
    assert goals["TILA-2"].holders.owner is None
    counts = data.counts()
    assert counts[Status.ON_TRACK] >= 2 and unemployment.status == Status.OFF_TRACK
    assert sum(counts.values()) == 67


def test_missing_per_person_and_role(ctx: AppContext) -> None:
    bind_person(ctx, "tekninen-johtaja", "Teemu Tekninen", 8001)
    deputy = invite_owner(ctx, "rakennustarkastaja", "Dora Sijainen", HolderKind.DEPUTY)
    accept_invite(ctx, deputy.token, 8002)
    invite_owner(ctx, "ymparistopaallikko", "Ei Vielä Liittynyt")  # not yet accepted
    set_answer(ctx, "TEK-2.1", Q4, AnswerValue.of_flag(True), telegram_user_id=8001)
    set_answer(ctx, "RV-2.1", Q4, AnswerValue.no_data(), telegram_user_id=8002)

    missing = missing_of(ctx, Q4)
    roles = {r.role.id: r for r in missing.roles}
    technical = roles["tekninen-johtaja"]
    # TEK-1 (yearly, Q4), TEK-3, THA-1 and THA-2 are due; TEK-2 is answered
    assert technical.holders.owner is not None
    assert technical.holders.owner.name == "Teemu Tekninen" and technical.reachable
    assert technical.answered == 1 and technical.missing == technical.due - 1
    unanswered = {q.metric_id for q in technical.unanswered}
    assert "TEK-2.1" not in unanswered and "TEK-3.1" in unanswered
    permits = roles["rakennustarkastaja"]
    assert permits.holders.owner is None and permits.holders.deputy is not None
    assert permits.holders.deputy.name == "Dora Sijainen"
    assert permits.asked == permits.holders.deputy
    assert [q.metric_id for q in permits.unanswered] == ["RV-1.1"]  # "no data yet" answers
    environment = roles["ymparistopaallikko"]
    assert environment.asked is None and not environment.reachable
    assert environment in missing.unheld
    people = {p.name: p for p in missing.people}
    assert set(people) == {"Teemu Tekninen", "Dora Sijainen"}
    assert people["Teemu Tekninen"].missing == technical.missing
    assert missing.due == missing.answered + missing.missing
    assert missing.answered == 2

    # a scope's status lists only that scope's roles as missing
    scoped = status_of(ctx, "rakennusvalvonta", Q4).missing
    assert [r.role.id for r in scoped.roles] == ["rakennustarkastaja"]


def test_default_period_follows_the_rounds(ctx: AppContext, clock: Clock) -> None:
    assert report_period(ctx) == Period(2026, 2)  # the clock's quarter
    assert status_of(ctx, "").period == Period(2026, 2)
    open_round_without_deadline(ctx, Q3)
    assert status_of(ctx, "").period == Q3
    assert status_of(ctx, "").round is not None
    close_round_of(ctx, Q3)
    assert missing_of(ctx).period == Q3  # the latest round, though closed


def test_default_period_stays_within_the_term(ctx: AppContext, clock: Clock) -> None:
    from datetime import UTC, datetime

    clock.set(datetime(2026, 1, 10, tzinfo=UTC))
    assert report_period(ctx) == Period(2026, 2)
    clock.set(datetime(2031, 1, 10, tzinfo=UTC))
    # the last round collects the term's last figures, in 2030
    assert report_period(ctx) == get_catalogue(ctx).last_round == Period(2030, 4)


def test_metric_history_for_a_chart(ctx: AppContext) -> None:
    set_answer(ctx, "TILA-2.1", Period(2026, 4), AnswerValue.of_number(Decimal(11300)))
    set_answer(ctx, "TILA-2.1", Period(2027, 4), AnswerValue.of_number(Decimal(11600)))
    history = metric_history(ctx, "tila-2", Period(2027, 4))
    assert history.metric.id == "TILA-2.1"
    assert [p.period for p in history.points] == [Period(2026, 4), Period(2027, 4)]
    assert history.points[0].status == Status.ON_TRACK
    assert history.points[1].status in (Status.AT_RISK, Status.OFF_TRACK)
    start, end = history.path.points[0], history.path.points[-1]
    assert (start.period, start.value) == (Period(2025, 4), Decimal(11715))
    assert (end.period, end.value) == (Period(2028, 4), Decimal(10715))
    # answers after the period asked for are left out
    assert len(metric_history(ctx, "TILA-2.1", Period(2027, 3)).points) == 1

    below = metric_history(ctx, "STR-3", Q4)
    assert below.path.level == Decimal(8) and below.path.points == ()
    for ref, code in [
        ("RV-2", "metric_not_numeric"),
        ("YH-8", "choose_metric"),
        ("YH-8.9", "unknown_metric"),
        ("NOPE-1", "unknown_metric"),
    ]:
        with pytest.raises(ServiceError) as caught:
            metric_history(ctx, ref, Q4)
        assert caught.value.code == code, ref
