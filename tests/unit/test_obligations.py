"""Who owes what, and who is asked: the one account reminders, nudges, escalations, /missing,
/status, the close and the summary read."""

from __future__ import annotations

from datetime import date

import pytest

from goalbot.catalogues import shipped_catalogue_path
from goalbot.domain.catalogue_file import read_catalogue
from goalbot.domain.goals import Catalogue
from goalbot.domain.obligations import (
    Holder,
    Question,
    RoleHolders,
    asked_items,
    asked_period,
    asked_periods,
    asked_periods_of,
    obligations,
    rounds_asking,
)
from goalbot.domain.periods import Period
from goalbot.domain.protocol import HolderKind
from tests.conftest import SMALL_CATALOGUE

Q2, Q3, Q4 = Period(2026, 2), Period(2026, 3), Period(2026, 4)
MANAGER, TECHNICAL = "kunnanjohtaja", "tekninen-johtaja"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return read_catalogue(SMALL_CATALOGUE)


def holder(
    catalogue: Catalogue,
    role_id: str,
    kind: HolderKind,
    person_id: int,
    *,
    telegram: int | None = 1,
    blocked: bool = False,
    paused_until: date | None = None,
) -> Holder:
    return Holder(
        catalogue.role(role_id),
        kind,
        person_id,
        f"Henkilö {person_id}",
        telegram_user_id=telegram,
        blocked=blocked,
        nudges_paused_until=paused_until,
    )


def test_an_unconfirmed_answer_is_owed_as_unconfirmed_not_as_unanswered(
    catalogue: Catalogue,
) -> None:
    """The copies disagreed here: the escalation said 2/2 missing, /missing 1/2 unanswered
    and 1 unconfirmed. An answer given but not confirmed is answered and still owed."""
    (technical,) = (
        o
        for o in obligations(catalogue, Q3, {}, answered={Question("RV-1.1", Q3)}, confirmed=set())
        if o.role.id == TECHNICAL
    )
    assert technical.metric_ids == ("RV-1.1", "RV-1.2")
    assert (technical.due, technical.answered, technical.missing) == (2, 1, 1)
    assert technical.unanswered == (Question("RV-1.2", Q3),)
    assert technical.unconfirmed == (Question("RV-1.1", Q3),)
    assert technical.owes and technical.confirmed == 0


def test_confirmed_answers_are_not_owed(catalogue: Catalogue) -> None:
    done = {Question("RV-1.1", Q3), Question("RV-1.2", Q3)}
    (technical,) = obligations(catalogue, Q3, {}, answered=done, confirmed=done)
    assert not technical.owes
    assert (technical.missing, technical.unconfirmed, technical.confirmed) == (0, (), 2)


def test_roles_with_nothing_asked_are_left_out_and_the_order_is_the_catalogues(
    catalogue: Catalogue,
) -> None:
    assert [o.role.id for o in obligations(catalogue, Q3, {}, set(), set())] == [TECHNICAL]
    assert [o.role.id for o in obligations(catalogue, Q4, {}, set(), set())] == [
        MANAGER,
        TECHNICAL,
    ]


def test_the_owner_is_asked_else_the_deputy(catalogue: Catalogue) -> None:
    owner = holder(catalogue, TECHNICAL, HolderKind.OWNER, 1)
    deputy = holder(catalogue, TECHNICAL, HolderKind.DEPUTY, 2)
    role = catalogue.role(TECHNICAL)
    assert RoleHolders(role, owner, deputy).asked == owner
    assert RoleHolders(role, None, deputy).asked == deputy
    assert RoleHolders(role).asked is None
    (technical,) = obligations(
        catalogue, Q3, {TECHNICAL: RoleHolders(role, None, deputy)}, set(), set()
    )
    assert technical.asked == deputy and technical.reachable
    (unheld,) = obligations(catalogue, Q3, {}, set(), set())
    assert unheld.asked is None and not unheld.reachable


def test_who_can_be_reached_and_nudged(catalogue: Catalogue) -> None:
    day = date(2026, 9, 20)
    assert holder(catalogue, TECHNICAL, HolderKind.OWNER, 1).nudged_on(day)
    assert not holder(catalogue, TECHNICAL, HolderKind.OWNER, 1, telegram=None).reachable
    assert not holder(catalogue, TECHNICAL, HolderKind.OWNER, 1, blocked=True).nudged_on(day)
    paused = holder(catalogue, TECHNICAL, HolderKind.OWNER, 1, paused_until=day)
    assert paused.reachable and not paused.nudged_on(day)  # the last day of a pause included
    assert paused.nudged_on(date(2026, 9, 21))


def test_a_deliverable_reported_done_is_not_owed_again(catalogue: Catalogue) -> None:
    yes = {"RV-1.1": [Q3]}
    assert [m.id for _, _, m in asked_items(catalogue, [TECHNICAL], Q4, yes)] == ["RV-1.2"]
    (_, technical) = obligations(catalogue, Q4, {}, set(), set(), yes)
    assert technical.metric_ids == ("RV-1.2",)


def test_a_scope_counts_only_its_goals(catalogue: Catalogue) -> None:
    strategic = [g for g in catalogue.goals if g.id == "STR-1"]
    (manager,) = obligations(catalogue, Q4, {}, set(), set(), goals=strategic)
    assert manager.role.id == MANAGER and manager.metric_ids == ("STR-1.1",)
    assert manager.department is None
    (_, technical) = obligations(catalogue, Q4, {}, set(), set())
    assert technical.department == "tekninen"


def test_a_person_holding_a_role_twice_is_found_in_both_holds(catalogue: Catalogue) -> None:
    role = catalogue.role(TECHNICAL)
    owner = holder(catalogue, TECHNICAL, HolderKind.OWNER, 7)
    deputy = holder(catalogue, TECHNICAL, HolderKind.DEPUTY, 7)
    assert RoleHolders(role, owner, deputy).held_by(7) == (owner, deputy)
    assert RoleHolders(role, owner, None).held_by(8) == ()


# ---------------------------------------------------------------- the period a round asks for


@pytest.fixture(scope="module")
def kokemaki() -> Catalogue:
    return read_catalogue(shipped_catalogue_path())


def test_a_statistic_is_asked_for_its_year_in_the_next_years_rounds(kokemaki: Catalogue) -> None:
    population = kokemaki.metric("STR-5.1")
    held = set(kokemaki.rounds())
    asked = {p: asked_period(kokemaki, population, p, held=held) for p in kokemaki.rounds()}
    assert asked[Period(2026, 4)] is None  # the year's figure is not known in its own round
    assert asked[Period(2027, 1)] == Period(2026, 4)
    # not given ("Ei tietoa vielä", or no answer): asked again, up to three rounds in all
    assert asked[Period(2027, 2)] == asked[Period(2027, 3)] == Period(2026, 4)
    assert asked[Period(2027, 4)] is None
    # given in an earlier round: not asked again
    settled = {population.id: {Period(2026, 4)}}
    assert asked_period(kokemaki, population, Period(2027, 2), settled=settled, held=held) is None
    # the newest figure due is asked though no round asked it yet (the bot started later)
    assert asked_period(kokemaki, population, Period(2027, 2)) == Period(2026, 4)
    # the term's last year is asked in 2030
    assert asked[Period(2030, 1)] == Period(2029, 4)


def test_a_quarters_figure_still_missing_is_asked_before_the_next_quarters(
    kokemaki: Catalogue,
) -> None:
    unemployment = kokemaki.metric("STR-3.1")
    held = set(kokemaki.rounds())
    assert asked_periods_of(kokemaki, unemployment, Period(2026, 2), held=held) == ()  # Q1/2026
    assert asked_periods_of(kokemaki, unemployment, Period(2026, 3), held=held) == (Q2,)
    # not given in its round: asked again beside the next quarter's, the older one first
    assert asked_periods_of(kokemaki, unemployment, Period(2027, 1), held=held) == (
        Period(2026, 2),
        Q3,
        Q4,
    )
    settled = {unemployment.id: {Period(2026, 2), Q4}}
    both = asked_periods_of(kokemaki, unemployment, Period(2027, 2), settled=settled, held=held)
    assert both == (Q3, Period(2027, 1))
    # three rounds in all: Q2/2026's was asked in the rounds of Q3/2026, Q4/2026 and Q1/2027
    assert Period(2026, 2) not in asked_periods_of(
        kokemaki, unemployment, Period(2027, 2), held=held
    )
    # only what a held round asked is asked again
    assert asked_periods_of(kokemaki, unemployment, Period(2027, 1)) == (Q4,)
    assert asked_period(kokemaki, unemployment, Period(2027, 1), held=held) == Q4
    # after the term: the last quarters' figures, while they are missing
    assert asked_periods_of(kokemaki, unemployment, Period(2030, 2), held=held) == (
        Period(2029, 3),
        Period(2029, 4),
    )
    settled = {unemployment.id: {Period(2029, 3), Period(2029, 4)}}
    assert asked_period(kokemaki, unemployment, Period(2030, 2), settled=settled, held=held) is None


def test_yes_no_metrics_are_asked_only_in_the_term(kokemaki: Catalogue) -> None:
    state = kokemaki.metric("YMP-1.1")
    assert asked_period(kokemaki, state, Period(2029, 4)) == Period(2029, 4)
    assert asked_period(kokemaki, state, Period(2030, 1)) is None
    assert asked_periods(kokemaki, Period(2030, 1)).keys() == {
        m.id for m in kokemaki.metrics() if asked_period(kokemaki, m, Period(2030, 1))
    }
    assert all(
        kokemaki.metric(m).kind.value != "yes_no" for m in asked_periods(kokemaki, Period(2030, 1))
    )


def test_the_rounds_that_asked_for_a_figure_still_missing(kokemaki: Catalogue) -> None:
    """What the reports count as asked: only the rounds held that really asked the figure."""
    unemployment = kokemaki.metric("STR-3.1")
    # the bot started in Q4/2026: the Q2/2026 figure was never asked, the Q3/2026 one was
    late = {Period(2026, 4), Period(2027, 1)}
    assert rounds_asking(kokemaki, unemployment, Period(2026, 2), late) == ()
    assert rounds_asking(kokemaki, unemployment, Q3, late) == (Q4, Period(2027, 1))
    every = {Period(2026, 3), Q4, Period(2027, 1), Period(2027, 2)}
    assert rounds_asking(kokemaki, unemployment, Period(2026, 2), every) == (
        Period(2026, 3),
        Q4,
        Period(2027, 1),
    )
