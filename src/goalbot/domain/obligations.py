"""Who owes what in a period, and who is asked for it.

Every role owes an answer to each metric of its goals that is asked in the period (see
``Metric.is_asked``), and an answer counts as submitted only once it is confirmed in the
recap. The person asked is the role's owner, else its deputy. Reminders, nudges, escalations,
``/missing``, ``/status``, the close and the summary all read this one account.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from goalbot.domain.goals import Catalogue, Goal, Metric, Role
from goalbot.domain.periods import Period
from goalbot.domain.protocol import HolderKind

Yes = Mapping[str, Collection[Period]]
"""Metric id → the earlier periods it was answered "Kyllä" in (see ``Metric.is_due``)."""


@dataclass(frozen=True)
class Holder:
    """A person holding a role, as its owner or its deputy."""

    role: Role
    kind: HolderKind
    person_id: int
    name: str
    telegram_user_id: int | None = None
    blocked: bool = False  # the person has blocked the bot
    nudges_paused_until: date | None = None
    since: datetime | None = None

    @property
    def reachable(self) -> bool:
        """The bot can write to the person: they are on Telegram and do not block it."""
        return self.telegram_user_id is not None and not self.blocked

    def nudged_on(self, day: date) -> bool:
        """Whether the person may be nudged on ``day`` (reachable, nudges not paused)."""
        paused = self.nudges_paused_until is not None and self.nudges_paused_until >= day
        return self.reachable and not paused


@dataclass(frozen=True)
class RoleHolders:
    """A role and the people holding it now."""

    role: Role
    owner: Holder | None = None
    deputy: Holder | None = None

    @property
    def asked(self) -> Holder | None:
        """Who the bot asks for the role's answers: the owner, else the deputy."""
        return self.owner or self.deputy

    def held_by(self, person_id: int) -> tuple[Holder, ...]:
        """The person's holds on the role (owner first)."""
        return tuple(
            h for h in (self.owner, self.deputy) if h is not None and h.person_id == person_id
        )


@dataclass(frozen=True)
class Obligation:
    """What one role owes in a period: the metrics asked of it, those not yet answered, and
    those answered but not yet confirmed (not submitted)."""

    holders: RoleHolders
    items: tuple[tuple[Goal, Metric], ...]  # in catalogue order
    unanswered: tuple[str, ...]  # metric ids
    unconfirmed: tuple[str, ...]  # metric ids

    @property
    def role(self) -> Role:
        return self.holders.role

    @property
    def asked(self) -> Holder | None:
        return self.holders.asked

    @property
    def reachable(self) -> bool:
        """The person asked can be reached on Telegram."""
        return self.asked is not None and self.asked.reachable

    @property
    def metric_ids(self) -> tuple[str, ...]:
        return tuple(metric.id for _goal, metric in self.items)

    @property
    def due(self) -> int:
        return len(self.items)

    @property
    def answered(self) -> int:
        return self.due - len(self.unanswered)

    @property
    def missing(self) -> int:
        """Metrics without an answer."""
        return len(self.unanswered)

    @property
    def confirmed(self) -> int:
        return self.answered - len(self.unconfirmed)

    @property
    def owes(self) -> bool:
        """Something is still to answer or to confirm."""
        return bool(self.unanswered or self.unconfirmed)

    @property
    def department(self) -> str | None:
        """The department of the role's goals (the first one that has one)."""
        return next((goal.department for goal, _ in self.items if goal.department), None)


def asked_items(
    catalogue: Catalogue, role_ids: Iterable[str], period: Period, yes: Yes | None = None
) -> list[tuple[str, Goal, Metric]]:
    """The (role id, goal, metric) triples the holders of ``role_ids`` are asked in ``period``."""
    return [
        (role_id, goal, metric)
        for role_id in role_ids
        for goal in catalogue.goals_of_role(role_id)
        for metric in goal.metrics_due(period, yes)
    ]


def obligations(
    catalogue: Catalogue,
    period: Period,
    holders: Mapping[str, RoleHolders],
    answered: Collection[str],
    confirmed: Collection[str],
    yes: Yes | None = None,
    goals: Iterable[Goal] | None = None,
) -> tuple[Obligation, ...]:
    """Each role's obligation in ``period``, in the catalogue's order of roles.

    ``answered`` and ``confirmed``: the ids of the metrics answered, and confirmed, for the
    period. ``goals``: only these goals count (a report's scope); default all. Roles with
    nothing asked are left out.
    """
    wanted = None if goals is None else {goal.id for goal in goals}
    found = []
    for role in catalogue.roles:
        items = tuple(
            (goal, metric)
            for _role_id, goal, metric in asked_items(catalogue, [role.id], period, yes)
            if wanted is None or goal.id in wanted
        )
        if not items:
            continue
        ids = [metric.id for _goal, metric in items]
        found.append(
            Obligation(
                holders.get(role.id) or RoleHolders(role),
                items,
                tuple(m for m in ids if m not in answered),
                tuple(m for m in ids if m in answered and m not in confirmed),
            )
        )
    return tuple(found)
