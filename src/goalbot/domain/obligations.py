"""Who owes what in a period, and who is asked for it.

Every role owes an answer to each metric of its goals that is asked in the round (see
``asked_period``: a figure is asked for the period it describes, which for a statistic known
only later is an earlier one), and an answer counts as submitted only once it is confirmed in
the recap. The person asked is the role's owner, else its deputy. Reminders, nudges, escalations,
``/missing``, ``/status``, the close and the summary all read this one account.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from goalbot.domain.goals import Catalogue, Goal, Metric, MetricKind, Role
from goalbot.domain.periods import Period
from goalbot.domain.protocol import HolderKind

Yes = Mapping[str, Collection[Period]]
"""Metric id → the earlier periods it was answered "Kyllä" in (see ``Metric.is_due``)."""

Settled = Mapping[str, Collection[Period]]
"""Metric id → the periods whose figure (or a reason to skip it) an earlier round was given."""


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


def asked_period(
    catalogue: Catalogue,
    metric: Metric,
    round_period: Period,
    yes: Yes | None = None,
    settled: Settled | None = None,
) -> Period | None:
    """The period whose answer ``round_period``'s round asks for ``metric``, or None.

    A yes/no is about the round's own quarter (see ``Metric.is_asked``). A figure is about the
    period it describes, ``metric.lag`` quarters before the round (a year's statistics are
    known only in the next year's rounds): asked when its cadence is due then. Otherwise the
    newest period due in the ``catalogue.asked_rounds - 1`` quarters before that is asked
    again when no earlier round was given its figure ("Ei tietoa vielä", or no answer) — so
    a closed round never makes a figure impossible to give, and the term's last figures are
    asked in the rounds after it. Only periods of the term are asked.
    """
    if metric.same_as:
        return None
    if metric.kind == MetricKind.YES_NO:
        done = (yes or {}).get(metric.id, ())
        in_term = catalogue.first_period <= round_period <= catalogue.last_period
        return round_period if in_term and metric.is_asked(round_period, done) else None
    given = (settled or {}).get(metric.id, ())
    described = metric.describes(round_period)
    for back in range(max(catalogue.asked_rounds, 1)):
        period = described.shifted(-back)
        in_term = catalogue.first_period <= period <= catalogue.last_period
        if not in_term or not metric.cadence.is_due(period):
            continue
        if back == 0 or period not in given:
            return period
        return None  # the newest figure due was given: no older one is asked for
    return None


def asked_periods(
    catalogue: Catalogue,
    round_period: Period,
    yes: Yes | None = None,
    settled: Settled | None = None,
) -> dict[str, Period]:
    """Metric id → the period its answer is asked for in ``round_period``'s round."""
    found: dict[str, Period] = {}
    for metric in catalogue.metrics():
        period = asked_period(catalogue, metric, round_period, yes, settled)
        if period is not None:
            found[metric.id] = period
    return found


def asked_items(
    catalogue: Catalogue,
    role_ids: Iterable[str],
    period: Period,
    yes: Yes | None = None,
    settled: Settled | None = None,
) -> list[tuple[str, Goal, Metric]]:
    """The (role id, goal, metric) triples the holders of ``role_ids`` are asked in the round
    of ``period`` (each for the period ``asked_period`` gives)."""
    return [
        (role_id, goal, metric)
        for role_id in role_ids
        for goal in catalogue.goals_of_role(role_id)
        for metric in goal.metrics
        if asked_period(catalogue, metric, period, yes, settled) is not None
    ]


def obligations(
    catalogue: Catalogue,
    period: Period,
    holders: Mapping[str, RoleHolders],
    answered: Collection[str],
    confirmed: Collection[str],
    yes: Yes | None = None,
    goals: Iterable[Goal] | None = None,
    settled: Settled | None = None,
) -> tuple[Obligation, ...]:
    """Each role's obligation in ``period``'s round, in the catalogue's order of roles.

    ``answered`` and ``confirmed``: the ids of the metrics answered, and confirmed, in the
    round (each for the period it is asked for). ``goals``: only these goals count (a
    report's scope); default all. Roles with nothing asked are left out.
    """
    wanted = None if goals is None else {goal.id for goal in goals}
    found = []
    for role in catalogue.roles:
        items = tuple(
            (goal, metric)
            for _role_id, goal, metric in asked_items(catalogue, [role.id], period, yes, settled)
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
