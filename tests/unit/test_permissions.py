"""The one permission table: every command, every kind of person, in private, in the
management group and in another group."""

from __future__ import annotations

import pytest

from goalbot.domain.goals import Role
from goalbot.domain.obligations import Holder
from goalbot.domain.protocol import HolderKind
from goalbot.services.access import PERMISSIONS, Command, Identity, Verdict, decide

HOLD = Holder(Role("rakennustarkastaja", "Rakennustarkastaja"), HolderKind.OWNER, 2, "Olli")
STRANGER = Identity(1, None, "", (), is_admin=False, is_manager=False)
OWNER = Identity(2, 2, "Olli", (HOLD,), is_admin=False, is_manager=False)
MANAGER = Identity(3, 3, "Maija", (), is_admin=False, is_manager=True)
ADMIN = Identity(4, None, "", (), is_admin=True, is_manager=True)

A, R, N, P, Q = (  # allowed, refused, not an admin, private only, quiet
    Verdict.ALLOWED,
    Verdict.REFUSED,
    Verdict.ADMINS_ONLY,
    Verdict.PRIVATE_ONLY,
    Verdict.IGNORED,
)
# per command: (stranger, owner, manager, admin) in private, in the management group, elsewhere
EXPECTED: dict[Command, tuple[tuple[Verdict, ...], tuple[Verdict, ...], tuple[Verdict, ...]]] = {
    Command.START: ((R, A, A, A), (R, A, A, A), (R, A, A, A)),
    Command.HELP: ((R, A, A, A), (R, A, A, A), (Q, A, A, A)),
    Command.SCHEDULE: ((R, A, A, A), (Q, A, A, A), (Q, A, A, A)),
    Command.OTHER: ((R, A, A, A), (Q, A, A, A), (Q, A, A, A)),
    Command.STATUS: ((R, A, A, A), (A, A, A, A), (R, R, R, R)),  # an owner: their own goals
    Command.MISSING: ((R, R, A, A), (A, A, A, A), (R, R, R, R)),
    Command.EXPORT: ((R, R, A, A), (A, A, A, A), (R, R, R, R)),
    Command.CHART: ((R, R, A, A), (A, A, A, A), (R, R, R, R)),
    Command.INVITE: ((R, N, N, A), (Q, N, N, P), (Q, N, N, P)),
    Command.OWNERS: ((R, N, N, A), (Q, N, N, P), (Q, N, N, P)),
    Command.PAUSE: ((R, N, N, A), (Q, N, N, P), (Q, N, N, P)),
    Command.REMIND: ((R, N, N, A), (Q, N, N, A), (Q, N, N, A)),
    Command.CLOSE: ((R, N, N, A), (Q, N, N, A), (Q, N, N, A)),
    Command.REOPEN: ((R, N, N, A), (Q, N, N, A), (Q, N, N, A)),
    Command.EXTEND: ((R, N, N, A), (Q, N, N, A), (Q, N, N, A)),
    Command.SUMMARY: ((R, N, N, A), (Q, N, N, A), (Q, N, N, A)),
    Command.SETGROUP: ((R, N, N, A), (Q, N, N, A), (Q, N, N, A)),
    Command.LANGUAGE: ((R, A, A, A), (A, A, A, A), (R, R, R, R)),
    Command.ANSWER: ((R, A, N, A), (Q, P, N, P), (Q, P, N, P)),  # an owner: their own metrics
}
PEOPLE = (STRANGER, OWNER, MANAGER, ADMIN)


def test_every_command_has_a_rule() -> None:
    assert set(PERMISSIONS) == set(Command) == set(EXPECTED)


@pytest.mark.parametrize("command", list(Command))
def test_who_may_use_a_command_where(command: Command) -> None:
    private, management, other = EXPECTED[command]
    assert tuple(decide(p, command, True, False) for p in PEOPLE) == private
    assert tuple(decide(p, command, False, True) for p in PEOPLE) == management
    assert tuple(decide(p, command, False, False) for p in PEOPLE) == other
