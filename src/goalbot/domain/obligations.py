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
from typing import NamedTuple

from goalbot.domain.goals import Catalogue, Goal, Metric, MetricKind, Role
from goalbot.domain.periods import Period
from goalbot.domain.protocol import HolderKind

Yes = Mapping[str, Collection[Period]]
"""Metric id → the earlier periods it was answered "Kyllä" in (see ``Metric.is_due``)."""

Settled = Mapping[str, Collection[Period]]
"""Metric id → the periods whose figure (or a reason to skip it) an earlier round was given."""


class Question(NamedTuple):
    """One answer a round asks for: a metric's, for the period it describes."""

    metric_id: str
    period: Period


Asked = dict[str, tuple[Period, ...]]
"""Metric id → the periods a round asks its answers for, oldest first (see asked_periods_of)."""


def questions_of(asked: Mapping[str, Iterable[Period]]) -> tuple[Question, ...]:
    """Every question of ``asked``."""
    return tuple(Question(m, p) for m, periods in asked.items() for p in periods)


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
    """What one role owes in a period: the answers asked of it (a metric's, for a period it
    describes), those not yet given, and those given but not yet confirmed (not submitted)."""

    holders: RoleHolders
    items: tuple[tuple[Goal, Metric, Period], ...]  # in catalogue order, older periods first
    unanswered: tuple[Question, ...]
    unconfirmed: tuple[Question, ...]

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
        return tuple(dict.fromkeys(metric.id for _goal, metric, _period in self.items))

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
        return next((goal.department for goal, _m, _p in self.items if goal.department), None)


def asked_periods_of(
    catalogue: Catalogue,
    metric: Metric,
    round_period: Period,
    yes: Yes | None = None,
    settled: Settled | None = None,
    held: Collection[Period] | None = None,
) -> tuple[Period, ...]:
    """The periods whose answers ``round_period``'s round asks for ``metric``, oldest first.

    A yes/no is about the round's own quarter (see ``Metric.is_asked``). A figure is about the
    period it describes, ``metric.lag`` quarters before the round (a year's statistics are
    known only in the next year's rounds): asked when its cadence is due then. Otherwise the
    newest period due in the ``catalogue.asked_rounds - 1`` quarters before that is asked
    while no earlier round was given its figure ("Ei tietoa vielä", or no answer), so the
    term's last figures are asked in the rounds after it; and an older period still missing
    that a round before this one asked (``held``: the rounds there were, default none) is
    asked again too, before the newer one: a quarter's figure not yet known is asked beside
    the next quarter's. Only periods of the term are asked.
    """
    if metric.same_as:
        return ()
    if metric.kind == MetricKind.YES_NO:
        done = (yes or {}).get(metric.id, ())
        in_term = catalogue.first_period <= round_period <= catalogue.last_period
        return (round_period,) if in_term and metric.is_asked(round_period, done) else ()
    given = (settled or {}).get(metric.id, ())
    described = metric.describes(round_period)
    found = []
    newest = True  # no newer period of the metric is due in the window
    for back in range(max(catalogue.asked_rounds, 1)):
        period = described.shifted(-back)
        in_term = catalogue.first_period <= period <= catalogue.last_period
        if not in_term or not metric.cadence.is_due(period):
            continue
        wanted = back == 0 or (
            period not in given and (newest or _asked_before(metric, period, round_period, held))
        )
        if wanted:
            found.append(period)
        newest = False
    return tuple(reversed(found))


def _asked_before(
    metric: Metric, described: Period, round_period: Period, held: Collection[Period] | None
) -> bool:
    """Whether a round held before ``round_period`` asked for the figure of ``described``."""
    first = metric.first_asked(described)
    return any(first <= r < round_period for r in held or ())


def asked_period(
    catalogue: Catalogue,
    metric: Metric,
    round_period: Period,
    yes: Yes | None = None,
    settled: Settled | None = None,
    held: Collection[Period] | None = None,
) -> Period | None:
    """The newest period whose answer ``round_period``'s round asks for ``metric``, or None
    (see asked_periods_of)."""
    periods = asked_periods_of(catalogue, metric, round_period, yes, settled, held)
    return periods[-1] if periods else None


def asked_rounds_of(catalogue: Catalogue, metric: Metric, described: Period) -> tuple[Period, ...]:
    """The rounds that ask for the figure describing ``described`` while it is missing: its
    first round and the next ones, ``catalogue.asked_rounds`` in all."""
    first = metric.first_asked(described)
    return tuple(first.shifted(n) for n in range(max(catalogue.asked_rounds, 1)))


def rounds_asking(
    catalogue: Catalogue, metric: Metric, described: Period, held: Collection[Period]
) -> tuple[Period, ...]:
    """The ``held`` rounds that asked for the figure describing ``described`` while it stayed
    missing (see asked_periods_of): the ones of asked_rounds_of that asked it as the newest
    figure due, or again after an earlier one had."""
    found: list[Period] = []
    for round_period in asked_rounds_of(catalogue, metric, described):
        if round_period not in held:
            continue
        if described in asked_periods_of(catalogue, metric, round_period, held=found):
            found.append(round_period)
    return tuple(found)


def asked_periods(
    catalogue: Catalogue,
    round_period: Period,
    yes: Yes | None = None,
    settled: Settled | None = None,
    held: Collection[Period] | None = None,
) -> Asked:
    """Metric id → the periods its answers are asked for in ``round_period``'s round."""
    found: Asked = {}
    for metric in catalogue.metrics():
        periods = asked_periods_of(catalogue, metric, round_period, yes, settled, held)
        if periods:
            found[metric.id] = periods
    return found


def asked_items(
    catalogue: Catalogue,
    role_ids: Iterable[str],
    period: Period,
    yes: Yes | None = None,
    settled: Settled | None = None,
    held: Collection[Period] | None = None,
) -> list[tuple[str, Goal, Metric]]:
    """The (role id, goal, metric) triples the holders of ``role_ids`` are asked in the round
    of ``period`` (each for the periods ``asked_periods_of`` gives)."""
    return [
        (role_id, goal, metric)
        for role_id in role_ids
        for goal in catalogue.goals_of_role(role_id)
        for metric in goal.metrics
        if asked_periods_of(catalogue, metric, period, yes, settled, held)
    ]


def obligations(
    catalogue: Catalogue,
    period: Period,
    holders: Mapping[str, RoleHolders],
    answered: Collection[Question],
    confirmed: Collection[Question],
    yes: Yes | None = None,
    goals: Iterable[Goal] | None = None,
    settled: Settled | None = None,
    held: Collection[Period] | None = None,
    roles: Collection[str] | None = None,
) -> tuple[Obligation, ...]:
    """Each role's obligation in ``period``'s round, in the catalogue's order of roles.

    ``answered`` and ``confirmed``: the questions answered, and confirmed, in the round.
    ``goals``: only these goals count (a report's scope); default all. ``roles``: only these
    roles' obligations; default all. Roles with nothing asked are left out.
    """
    wanted = None if goals is None else {goal.id for goal in goals}
    found = []
    for role in catalogue.roles:
        if roles is not None and role.id not in roles:
            continue
        items = tuple(
            (goal, metric, asked)
            for _role_id, goal, metric in asked_items(
                catalogue, [role.id], period, yes, settled, held
            )
            if wanted is None or goal.id in wanted
            for asked in asked_periods_of(catalogue, metric, period, yes, settled, held)
        )
        if not items:
            continue
        ids = [Question(metric.id, asked) for _goal, metric, asked in items]
        found.append(
            Obligation(
                holders.get(role.id) or RoleHolders(role),
                items,
                tuple(m for m in ids if m not in answered),
                tuple(m for m in ids if m in answered and m not in confirmed),
            )
        )
    return tuple(found)
