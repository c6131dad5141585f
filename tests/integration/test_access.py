"""Who the bot takes a person for, and the services checking again who may change data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from goalbot.config import TelegramConfig
from goalbot.scheduling.control import close_round_now, open_round_now
from goalbot.services.access import Actor, Command, Verdict, check_access, who_is
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.owners import invite_owner, pause_nudges
from goalbot.services.rounds import choose_management_group, resend_summary
from tests.report_data import Q4, bind_person

ADMIN, MANAGER, OWNER = 9001, 9002, 9003


@pytest.fixture
def people(ctx: AppContext) -> AppContext:
    config = replace(ctx.config, telegram=TelegramConfig(admins=(ADMIN,), managers=(MANAGER,)))
    context = replace(ctx, config=config)
    bind_person(context, "rakennustarkastaja", "Raili Rakentaja", OWNER)
    return context


def test_a_configured_manager_who_also_holds_a_role_stays_a_manager(people: AppContext) -> None:
    ctx = people
    bind_person(ctx, "ymparistopaallikko", "Maija Manageri", MANAGER)
    manager = who_is(ctx, MANAGER)
    assert manager.owns_goals and manager.is_manager and not manager.is_admin
    assert check_access(ctx, MANAGER, Command.STATUS, MANAGER, True).verdict == Verdict.ALLOWED
    owner = who_is(ctx, OWNER)
    assert owner.owns_goals and not owner.is_manager
    assert check_access(ctx, OWNER, Command.MISSING, OWNER, True).verdict == Verdict.REFUSED
    # an owner's /status is allowed: it shows their own goals (services.progress.viewers_scope)
    assert check_access(ctx, OWNER, Command.STATUS, OWNER, True).verdict == Verdict.ALLOWED


def test_the_head_of_a_department_is_a_manager(people: AppContext) -> None:
    bind_person(people, "tekninen-johtaja", "Teemu Tekninen", 9004)
    assert who_is(people, 9004).is_manager


def test_anyone_in_the_management_group_may_ask_for_reports_there(people: AppContext) -> None:
    group = -100500
    choose_management_group(people, group)
    assert check_access(people, 1, Command.STATUS, group, False).verdict == Verdict.ALLOWED
    assert check_access(people, 1, Command.STATUS, -1, False).verdict == Verdict.REFUSED
    assert check_access(people, 1, Command.HELP, group, False).verdict == Verdict.REFUSED
    assert check_access(people, 1, Command.HELP, -1, False).verdict == Verdict.IGNORED


def test_services_that_change_data_check_who_asks(people: AppContext) -> None:
    """The chat refuses first; the services refuse again whoever gets past it."""
    ctx = people
    owner, admin = Actor(OWNER), Actor(ADMIN)
    refused: list[Callable[[Actor], object]] = [
        lambda by: choose_management_group(ctx, -100500, by=by),
        lambda by: invite_owner(ctx, "rakennustarkastaja", "Uusi", by=by),
        lambda by: pause_nudges(ctx, "Raili Rakentaja", None, by=by),
        lambda by: open_round_now(ctx, Q4, by=by),
        lambda by: close_round_now(ctx, Q4, by=by),
        lambda by: resend_summary(ctx, Q4, by=by),
    ]
    for attempt in refused:
        with pytest.raises(ServiceError) as caught:
            attempt(owner)
        assert caught.value.code == "not_allowed"
    for attempt in refused:
        attempt(admin)  # the administrator (and the command line's operator) may
    assert invite_owner(ctx, "rakennustarkastaja", "Toinen").name == "Toinen"
