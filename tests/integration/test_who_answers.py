"""Who answers a metric, and as what, is one definition (services.access.answering_hold): the
questionnaire asks with it as /vastaa takes a figure with it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from goalbot.domain.periods import Period
from goalbot.domain.protocol import HolderKind
from goalbot.scheduling.control import open_round_now
from goalbot.services.access import answering_hold, identify
from goalbot.services.catalogue import active_catalogue
from goalbot.services.context import AppContext
from goalbot.services.owners import accept_invite, invite_owner
from goalbot.services.questionnaire import OwnerInput, handle_input
from goalbot.storage.models import AnswerRow
from goalbot.storage.repositories import role_holders
from tests.conftest import Clock

Q4 = Period(2026, 4)
BOTH = 1001


def test_an_owner_who_is_also_the_roles_deputy_answers_as_its_owner(
    ctx: AppContext, clock: Clock
) -> None:
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    for kind in (HolderKind.OWNER, HolderKind.DEPUTY):
        invite = invite_owner(ctx, "ymparistopaallikko", "Reino", kind)
        accept_invite(ctx, invite.token, BOTH)
    open_round_now(ctx, Q4)
    first = handle_input(ctx, OwnerInput(10, BOTH))
    item = first.screens[0].item
    assert item is not None
    with ctx.unit_of_work() as uow:
        identity = identify(uow, ctx, BOTH)
        expected = answering_hold(identity, active_catalogue(uow), item.metric)
    assert expected is not None and expected.kind == HolderKind.OWNER
    assert item.holder.kind == expected.kind  # the questionnaire's is the same
    handle_input(ctx, OwnerInput(11, BOTH, text="kyllä"))
    with ctx.unit_of_work() as uow:
        row = uow.session.scalars(select(AnswerRow).where(AnswerRow.metric_id == "YMP-1.1")).one()
        assert not row.on_behalf_of_role  # their own answer, not one as their own deputy


def test_the_holders_of_some_roles_are_read_without_the_towns_other_roles(
    ctx: AppContext, clock: Clock
) -> None:
    # a reminder reads its owner's roles only: reading every role's holders for each of a
    # round's reminders made the fan-out quadratic in the town's roles
    clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    for number, role in enumerate(("ymparistopaallikko", "rakennustarkastaja")):
        accept_invite(ctx, invite_owner(ctx, role, f"Omistaja {number}").token, 2000 + number)
    with ctx.unit_of_work() as uow:
        catalogue = active_catalogue(uow)
        holders = role_holders(uow, catalogue, roles={"ymparistopaallikko"})
        everyone = role_holders(uow, catalogue)
    assert list(holders) == ["ymparistopaallikko"]
    owner = holders["ymparistopaallikko"].owner
    assert owner is not None and owner.name == "Omistaja 0"
    assert len(everyone) == len(catalogue.roles)
