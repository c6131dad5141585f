"""One valid invite per role and kind: an older link never displaces the person a role went to."""

from __future__ import annotations

from pathlib import Path

import pytest

from goalbot.services import owners as owner_service
from goalbot.services.access import who_is
from goalbot.services.context import AppContext, ServiceError
from tests.integration.conftest import run

pytestmark = pytest.mark.usefixtures("english_cli")

ROLE = "rakennustarkastaja"
OLD, NEW, OTHER = 901, 902, 903


def _accept_refused(ctx: AppContext, token: str, user: int) -> str:
    with pytest.raises(ServiceError) as refused:
        owner_service.accept_invite(ctx, token, user)
    return refused.value.code


def _owner_of(ctx: AppContext, role: str) -> str | None:
    listed = owner_service.list_owners(ctx)
    holders = next(r for r in listed.roles if r.role.id == role)
    return holders.owner.name if holders.owner else None


def test_a_new_invite_voids_the_older_one(ctx: AppContext) -> None:
    old = owner_service.invite_owner(ctx, ROLE, "Olli Vanha")
    new = owner_service.invite_owner(ctx, ROLE, "Uuno Uusi")
    owner_service.accept_invite(ctx, new.token, NEW)
    # the old link, opened later, does not take the role from Uuno
    assert _accept_refused(ctx, old.token, OLD) == "invite_revoked"
    assert _owner_of(ctx, ROLE) == "Uuno Uusi"
    assert not who_is(ctx, OLD).is_known


def test_giving_the_role_voids_its_invites(ctx: AppContext) -> None:
    first = owner_service.invite_owner(ctx, ROLE, "Olli Vanha")
    owner_service.accept_invite(ctx, first.token, OLD)
    stale = owner_service.invite_owner(ctx, ROLE, "Joku Muu")
    other = owner_service.invite_owner(ctx, "ymparistopaallikko", "Uuno Uusi")
    owner_service.accept_invite(ctx, other.token, NEW)
    owner_service.assign_role(ctx, ROLE, "Uuno Uusi")
    assert _accept_refused(ctx, stale.token, OTHER) == "invite_revoked"
    assert _owner_of(ctx, ROLE) == "Uuno Uusi"


def test_owner_and_deputy_invites_are_apart(ctx: AppContext) -> None:
    owner = owner_service.invite_owner(ctx, ROLE, "Olli Omistaja")
    deputy = owner_service.invite_owner(ctx, ROLE, "Sanna Sijainen", "deputy")
    second_owner = owner_service.invite_owner(ctx, ROLE, "Toinen Omistaja")
    assert {i.token for i in owner_service.pending_invites(ctx)} == {
        deputy.token,
        second_owner.token,
    }
    assert _accept_refused(ctx, owner.token, OLD) == "invite_revoked"
    owner_service.accept_invite(ctx, second_owner.token, NEW)
    owner_service.accept_invite(ctx, deputy.token, OTHER)  # still valid
    assert owner_service.pending_invites(ctx) == []


def test_an_invite_is_revoked_by_its_id_or_by_role(ctx: AppContext) -> None:
    first = owner_service.invite_owner(ctx, ROLE, "Olli")
    deputy = owner_service.invite_owner(ctx, ROLE, "Sanna", "deputy")
    other = owner_service.invite_owner(ctx, "ymparistopaallikko", "Uuno")
    assert [i.token for i in owner_service.revoke_invites(ctx, first.ref)] == [first.token]
    assert [i.token for i in owner_service.revoke_invites(ctx, ROLE)] == [deputy.token]
    with pytest.raises(ServiceError) as refused:
        owner_service.revoke_invites(ctx, first.ref)
    assert refused.value.code == "unknown_invite"
    assert _accept_refused(ctx, deputy.token, OLD) == "invite_revoked"
    assert [i.token for i in owner_service.pending_invites(ctx)] == [other.token]


def test_owners_invites_lists_and_revokes(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    config = ["--config", str(config_file)]
    code, out, _ = run(capsys, *config, "owners", "invite", "--role", ROLE, "--name", "Olli")
    assert code == 0
    code, out, _ = run(capsys, *config, "owners", "invites")
    assert code == 0 and "Olli as owner of rakennustarkastaja" in out
    ref = out.split("Olli as owner")[0].split()[-1]
    code, out, _ = run(capsys, *config, "owners", "invites", "revoke", ref)
    assert code == 0 and f"{ref}  Olli" in out
    code, out, _ = run(capsys, *config, "owners", "invites", "list")
    assert "No invites are waiting" in out
    code, _, err = run(capsys, *config, "owners", "invites", "revoke", ref)
    assert code == 1 and "no invite waiting to be used" in err
