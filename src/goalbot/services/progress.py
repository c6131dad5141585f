"""Where the goals stand, as managers ask: each metric's verdict in a scope, who has not
answered, a metric's history (the data; reporting.report_texts writes the texts).

Scopes
======

``status_of`` takes a scope as typed after ``/status``. Texts are compared in lower case with
hyphens and runs of spaces read as one space, so ``Tekninen osasto``, ``tekninen-osasto`` and
``TEKNINEN OSASTO`` are the same. The first rule that matches wins:

1. nothing: the whole town (every goal);
2. a department's id, name, short name or alias, exactly (``tekninen``, ``Tekninen osasto``);
3. a goal id, exactly (``TEK-1``, ``rv-1``);
4. a responsibility area's id, name or alias, exactly (``rakennusvalvonta``,
   ``Hallinto (tekninen)``);
5. the strategic metrics (``strategia``), exactly;
6. the start of the names of exactly one department or of the strategic metrics (``tekn``);
   the start of several of them is ambiguous;
7. the start of the names of exactly one responsibility area (``rakennus``); several are
   ambiguous.

A department beats an area at each step because a department's name is what managers type:
``hallinto`` is the administration department, not the technical department's area
"Hallinto (tekninen)", and ``tekn`` is the technical department even though the area's id
``tekninen-hallinto`` starts the same way. Anything else is ``unknown_scope``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from goalbot.domain.answers import Answer, AnswerState, AnswerValue
from goalbot.domain.evaluation import (
    Evaluation,
    Status,
    TargetPath,
    Term,
    evaluate,
    target_path,
)
from goalbot.domain.goals import (
    Area,
    Catalogue,
    Department,
    Goal,
    Metric,
    MetricKind,
    Tier,
)
from goalbot.domain.obligations import (
    Asked,
    Holder,
    Obligation,
    RoleHolders,
    asked_periods_of,
    asked_rounds_of,
    rounds_asking,
)
from goalbot.domain.periods import Period
from goalbot.services.access import identify
from goalbot.services.catalogue import active_catalogue
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.rounds import (
    RoundInfo,
    asked_in_round,
    check_period,
    judgement_days,
    latest_round,
    open_round_row,
    read_obligations,
)
from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import RoundRow
from goalbot.storage.repositories import (
    PriorAnswers,
    answers_up_to,
    comments_for_period,
    prior_answers,
    role_holders,
    value_to_json,
    values_as_of,
)

STRATEGIC_SCOPE = "strategia"
"""The word that selects the city's strategic metrics (they belong to no department)."""

JUDGED = frozenset({Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK})
STATUS_ORDER = (
    Status.ON_TRACK,
    Status.AT_RISK,
    Status.OFF_TRACK,
    Status.NO_ANSWER,
    Status.NO_DATA,
    Status.SKIPPED,
    Status.NOT_DUE,
)


class ScopeKind(StrEnum):
    """What a scope selects."""

    ALL = "all"
    STRATEGIC = "strategic"
    DEPARTMENT = "department"
    AREA = "area"
    GOAL = "goal"
    OWN = "own"  # an owner's own goals


@dataclass(frozen=True)
class Scope:
    """A resolved scope: which goals a report covers."""

    kind: ScopeKind
    key: str  # "" for the whole town, else the department, area or goal id, or "strategia"
    goals: tuple[Goal, ...]
    department: Department | None = None
    area: Area | None = None
    goal: Goal | None = None


@dataclass(frozen=True)
class MetricStatus:
    """One metric's verdict for the period, with the answer behind it."""

    goal: Goal
    metric: Metric
    evaluation: Evaluation
    answer: Answer | None
    previous_status: Status | None = None  # the verdict at the metric's previous answer
    previous_period: Period | None = None
    round_period: Period | None = None  # the report's round, when it asks for another period

    @property
    def report_period(self) -> Period:
        """The period of the report the verdict is shown in (its round's)."""
        return self.round_period or self.evaluation.period

    @property
    def status(self) -> Status:
        return self.evaluation.status

    @property
    def status_changed(self) -> bool:
        """Judged now and judged differently at the previous answer."""
        return (
            self.status in JUDGED
            and self.previous_status in JUDGED
            and self.previous_status != self.status
        )

    @property
    def missed(self) -> bool:
        """At risk or off track: the owner was asked to explain."""
        return self.status in (Status.AT_RISK, Status.OFF_TRACK)

    @property
    def latest(self) -> tuple[AnswerValue | None, Period | None]:
        """The latest known value and the period it describes.

        This period's figure when one was given, else the latest earlier one, else what this
        period's answer says ("Ei tietoa vielä", skipped): reports never go blank while a
        figure is known.
        """
        e = self.evaluation
        if e.value is not None and e.value.has_value:
            return e.value, e.value_period
        if e.previous is not None:
            return e.previous, e.previous_period
        return e.value, e.value_period


@dataclass(frozen=True)
class GoalStatus:
    """A goal with its metrics' verdicts, the owner's comment and who holds its role."""

    goal: Goal
    metrics: tuple[MetricStatus, ...]
    comment: str
    holders: RoleHolders


@dataclass(frozen=True)
class PersonMissing:
    """What one person is asked for and has not submitted, over the roles they are asked for."""

    person: Holder
    roles: tuple[Obligation, ...]

    @property
    def name(self) -> str:
        return self.person.name

    @property
    def missing(self) -> int:
        return sum(r.missing for r in self.roles)

    @property
    def unconfirmed(self) -> int:
        return sum(len(r.unconfirmed) for r in self.roles)


@dataclass(frozen=True)
class MissingData:
    """Who has not answered a period's metrics, or not confirmed the answers."""

    period: Period
    round: RoundInfo | None
    due: int
    answered: int
    roles: tuple[Obligation, ...]  # roles with something unanswered or unconfirmed

    @classmethod
    def of(
        cls, period: Period, round_info: RoundInfo | None, owed: Iterable[Obligation]
    ) -> MissingData:
        """The account of ``owed`` (every role's obligation in the period or a scope)."""
        owed = tuple(owed)
        return cls(
            period,
            round_info,
            sum(o.due for o in owed),
            sum(o.answered for o in owed),
            tuple(o for o in owed if o.owes),
        )

    @property
    def missing(self) -> int:
        return self.due - self.answered

    @property
    def unconfirmed(self) -> int:
        return sum(len(r.unconfirmed) for r in self.roles)

    @property
    def people(self) -> tuple[PersonMissing, ...]:
        """The roles grouped by the person asked (roles nobody holds are left out)."""
        grouped: dict[int, list[Obligation]] = {}
        asked: dict[int, Holder] = {}
        for role in self.roles:
            if role.asked is not None:
                asked.setdefault(role.asked.person_id, role.asked)
                grouped.setdefault(role.asked.person_id, []).append(role)
        return tuple(PersonMissing(asked[key], tuple(roles)) for key, roles in grouped.items())

    @property
    def unheld(self) -> tuple[Obligation, ...]:
        """Roles with something owed that nobody holds."""
        return tuple(r for r in self.roles if r.asked is None)


@dataclass(frozen=True)
class LackingFigure:
    """A figure an earlier round (or this one, closed) asked for and did not get: asked again
    in the next rounds, or, after the last round that asks it, reported as missing data."""

    goal: Goal
    metric: Metric
    period: Period  # the period it describes
    rounds: int  # how many rounds asked for it, up to the report's
    given_up: bool = False  # no later round asks for it (it can still be given late)
    skipped: str | None = None  # skipped with this reason (not asked again; given late still)


@dataclass(frozen=True)
class StatusData:
    """Everything a status report, summary or export shows for one period and scope."""

    catalogue: Catalogue
    period: Period
    scope: Scope
    round: RoundInfo | None
    goals: tuple[GoalStatus, ...]
    missing: MissingData
    lacking: tuple[LackingFigure, ...] = ()  # figures asked for and not received (see _lacking)

    def metrics(self) -> Iterator[MetricStatus]:
        for goal in self.goals:
            yield from goal.metrics

    @property
    def lacking_by_metric(self) -> tuple[tuple[LackingFigure, ...], ...]:
        """The lacking figures grouped by metric, in catalogue order (periods oldest first)."""
        order = {ms.metric.id: n for n, ms in enumerate(self.metrics())}
        grouped: dict[str, list[LackingFigure]] = {}
        for figure in self.lacking:
            grouped.setdefault(figure.metric.id, []).append(figure)
        ranked = sorted(grouped.items(), key=lambda item: order.get(item[0], len(order)))
        return tuple(tuple(figures) for _metric_id, figures in ranked)

    def counts(self) -> Counter[Status]:
        return count_statuses(self.metrics())


@dataclass(frozen=True)
class HistoryPoint:
    """A period's answer to a metric and its verdict then."""

    period: Period
    value: AnswerValue
    status: Status


@dataclass(frozen=True)
class MetricHistory:
    """A metric's answers over time, with what they are measured against (for charts)."""

    goal: Goal
    metric: Metric
    up_to: Period
    term: Term
    points: tuple[HistoryPoint, ...]
    path: TargetPath  # the judge's own target path: baseline, path points, level, deadline


def count_statuses(metrics: Iterable[MetricStatus]) -> Counter[Status]:
    """How many metrics have each verdict."""
    return Counter(m.status for m in metrics)


# ---------------------------------------------------------------- scopes


def _normal(text: str) -> str:
    return " ".join(text.replace("-", " ").replace("_", " ").casefold().split())


def _department_names(department: Department) -> set[str]:
    names = {department.id, department.name, department.short_name, *department.aliases}
    return {_normal(n) for n in names if n}


def _area_names(area: Area) -> set[str]:
    return {_normal(n) for n in (area.id, area.name, *area.aliases) if n}


def scope_keywords(catalogue: Catalogue) -> tuple[str, ...]:
    """One word for every scope there is, as listed after an unknown scope."""
    return (
        *(d.id for d in catalogue.departments),
        STRATEGIC_SCOPE,
        *(a.id for a in catalogue.areas),
    )


def _whole(catalogue: Catalogue) -> Scope:
    return Scope(ScopeKind.ALL, "", catalogue.goals)


def _of_department(catalogue: Catalogue, department: Department) -> Scope:
    goals = tuple(g for g in catalogue.goals if g.department == department.id)
    return Scope(ScopeKind.DEPARTMENT, department.id, goals, department=department)


def _of_area(catalogue: Catalogue, area: Area) -> Scope:
    goals = tuple(g for g in catalogue.goals if g.area == area.id)
    department = catalogue.department(area.department)
    return Scope(ScopeKind.AREA, area.id, goals, department=department, area=area)


def _of_goal(catalogue: Catalogue, goal: Goal) -> Scope:
    department = catalogue.department(goal.department) if goal.department else None
    area = catalogue.area(goal.area) if goal.area else None
    return Scope(ScopeKind.GOAL, goal.id, (goal,), department=department, area=area, goal=goal)


def _strategic(catalogue: Catalogue) -> Scope:
    goals = tuple(g for g in catalogue.goals if g.tier == Tier.STRATEGIC)
    return Scope(ScopeKind.STRATEGIC, STRATEGIC_SCOPE, goals)


def resolve_scope(catalogue: Catalogue, text: str) -> Scope:
    """The scope ``text`` names (see the module's rules); ServiceError if none or several."""
    wanted = _normal(text)
    if not wanted:
        return _whole(catalogue)
    for department in catalogue.departments:
        if wanted in _department_names(department):
            return _of_department(catalogue, department)
    for goal in catalogue.goals:
        if _normal(goal.id) == wanted:
            return _of_goal(catalogue, goal)
    for area in catalogue.areas:
        if wanted in _area_names(area):
            return _of_area(catalogue, area)
    if wanted == STRATEGIC_SCOPE:
        return _strategic(catalogue)

    # a department, or the strategic metrics, by the start of a name
    upper: list[Scope] = [
        _of_department(catalogue, d)
        for d in catalogue.departments
        if any(name.startswith(wanted) for name in _department_names(d))
    ]
    if STRATEGIC_SCOPE.startswith(wanted):
        upper.append(_strategic(catalogue))
    if len(upper) == 1:
        return upper[0]
    if len(upper) > 1:
        raise ServiceError("ambiguous_scope", scope=text, matches=tuple(s.key for s in upper))
    areas = [a for a in catalogue.areas if any(n.startswith(wanted) for n in _area_names(a))]
    if len(areas) == 1:
        return _of_area(catalogue, areas[0])
    if len(areas) > 1:
        raise ServiceError("ambiguous_scope", scope=text, matches=tuple(a.id for a in areas))
    raise ServiceError(
        "unknown_scope",
        scope=text,
        valid=scope_keywords(catalogue),
        departments=catalogue.departments,
        areas=catalogue.areas,
    )


# ---------------------------------------------------------------- periods and rounds


def _round_info(row: RoundRow) -> RoundInfo:
    return RoundInfo(Period.parse(row.period), row.opened_at, row.closes_at, row.closed_at)


def _round_of(uow: UnitOfWork, period: Period) -> RoundInfo | None:
    row = uow.session.get(RoundRow, period.key)
    return None if row is None else _round_info(row)


def default_period(uow: UnitOfWork, ctx: AppContext) -> Period:
    """The open round's period, else the latest round's, else the current quarter.

    The current quarter is taken within the catalogue's rounds: before the term starts it is
    the term's first quarter, after the last round the last round's.
    """
    row = open_round_row(uow)
    if row is not None:
        return Period.parse(row.period)
    latest = latest_round(uow)
    if latest is not None:
        return latest.period
    catalogue = active_catalogue(uow)
    today = Period.containing(ctx.now().astimezone(ctx.config.schedule.zone).date())
    return max(catalogue.first_period, min(catalogue.last_round, today))


def report_period(ctx: AppContext, period: Period | None = None) -> Period:
    """``period``, or the period reports show by default (see default_period)."""
    if period is not None:
        return period
    with ctx.unit_of_work() as uow:
        return default_period(uow, ctx)


# ---------------------------------------------------------------- status


def _answers_by_metric(
    uow: UnitOfWork, period: Period, metric_ids: Collection[str] | None = None
) -> dict[str, list[Answer]]:
    by_metric: dict[str, list[Answer]] = {}
    for answer in answers_up_to(uow, period, metric_ids):
        by_metric.setdefault(answer.metric_id, []).append(answer)
    return by_metric


@dataclass(frozen=True)
class Judge:
    """Everything verdicts need beyond a metric's own answers: the term, the day each period
    is judged on, and the answers of the metrics that give others their reference figures."""

    term: Term
    days: dict[Period, date]
    answers: dict[str, list[Answer]]  # metric id → its answers

    def answers_of(self, metric: Metric) -> list[Answer]:
        return self.answers.get(metric.answered_as, [])

    def reference(self, metric: Metric, period: Period) -> Decimal | None:
        """The figure given for ``period`` to the metric ``metric``'s reference names."""
        reference = metric.target.reference
        if reference is None or not reference.metric:
            return None
        for answer in self.answers.get(reference.metric, []):
            if answer.period == period and answer.value.number is not None:
                return answer.value.number
        return None

    def evaluate(self, metric: Metric, period: Period) -> tuple[Evaluation, Answer | None]:
        """The verdict on ``metric`` for ``period`` and the period's answer behind it."""
        answers = self.answers_of(metric)
        current = next((a for a in answers if a.period == period), None)
        evaluation = evaluate(
            metric,
            period,
            current,
            answers,
            term=self.term,
            judged_on=self.days.get(period, period.last_day),
            reference=self.reference(metric, period),
        )
        return evaluation, current


def read_judge(
    uow: UnitOfWork,
    ctx: AppContext,
    catalogue: Catalogue,
    up_to: Period,
    metric_ids: Collection[str] | None = None,
) -> Judge:
    """The Judge for reports up to ``up_to``, read inside an open unit of work; with
    ``metric_ids`` (see judged_metrics) only those metrics' answers are read."""
    return Judge(
        Term(catalogue.first_period, catalogue.last_period),
        judgement_days(uow, ctx.config.schedule.zone),
        _answers_by_metric(uow, up_to, metric_ids),
    )


def judged_metrics(metrics: Iterable[Metric]) -> set[str]:
    """The metrics whose answers judging ``metrics`` reads: each one's own (or those of the
    metric it is answered as) and those of the metric its target's reference names."""
    found = set()
    for metric in metrics:
        found.add(metric.id)
        found.add(metric.answered_as)
        reference = metric.target.reference
        if reference is not None and reference.metric:
            found.add(reference.metric)
    return found


@dataclass(frozen=True)
class _ScopeReads:
    """What a report of part of the catalogue reads (the whole town's reads everything): the
    metrics judged, the goals (their comments), the roles (their holders and obligations)
    and the metrics whose earlier answers decide what the round asks of them."""

    metrics: set[str] | None = None  # None: everything (the whole town)
    goals: set[str] | None = None
    roles: set[str] | None = None
    prior: set[str] | None = None

    @classmethod
    def of(cls, catalogue: Catalogue, scope: Scope) -> _ScopeReads:
        if len(scope.goals) == len(catalogue.goals):
            return cls()
        roles = {goal.owner_role for goal in scope.goals}
        judged = judged_metrics(m for goal in scope.goals for m in goal.metrics)
        owned = {
            m.id for role in roles for goal in catalogue.goals_of_role(role) for m in goal.metrics
        }
        return cls(judged, {goal.id for goal in scope.goals}, roles, judged | owned)


def _dated_at(
    judge: Judge, then: dict[tuple[str, str], tuple[dict[str, Any], datetime, str]]
) -> Judge:
    """The Judge with each answer given again after the report's round closed, with the same
    value ("Ei tietoa vielä" again in a later round), dated as it was then: a report shows
    the date valid at its period, not a later round's."""
    if not then:
        return judge
    answers: dict[str, list[Answer]] = {}
    for metric_id, listed in judge.answers.items():
        dated = []
        for answer in listed:
            before = then.get((metric_id, answer.period.key))
            if before is not None and before[0] == value_to_json(answer.value):
                answer = replace(answer, answered_at=before[1], answered_by=before[2])
            dated.append(answer)
        answers[metric_id] = dated
    return replace(judge, answers=answers)


def reported_period(
    catalogue: Catalogue, metric: Metric, round_period: Period, asked: Asked
) -> Period:
    """The period ``round_period``'s report judges ``metric`` for: the newest one its round
    asks for (a year's statistics in the next year's rounds, a figure asked again), else the
    one the round would first ask for, within the term (the rounds after it report its end).
    Older figures the round asks for again are listed as lacking (see _lacking)."""
    found = asked.get(metric.answered_as)
    if found:
        return found[-1]
    return min(metric.describes(round_period), catalogue.last_period)


def _metric_status(
    goal: Goal, metric: Metric, period: Period, judge: Judge, round_period: Period | None = None
) -> MetricStatus:
    evaluation, current = judge.evaluate(metric, period)
    previous_status: Status | None = None
    before = evaluation.previous_period
    if before is not None:
        previous_status = judge.evaluate(metric, before)[0].status
    return MetricStatus(goal, metric, evaluation, current, previous_status, before, round_period)


def viewers_scope(
    uow: UnitOfWork, ctx: AppContext, catalogue: Catalogue, viewer: int, text: str
) -> Scope:
    """The scope ``text`` names, as far as the Telegram user ``viewer`` may see it.

    Managers and administrators see every scope. An owner sees their own goals (nothing
    named: all of them), and where ``[telegram] owners_status = "department"`` their
    department's; asking for more is a ServiceError.
    """
    identity = identify(uow, ctx, viewer)
    if identity.is_manager or identity.is_admin:
        return resolve_scope(catalogue, text)
    held = {hold.role.id for hold in identity.roles}
    own = tuple(g for g in catalogue.goals if g.owner_role in held)
    if not _normal(text):
        return Scope(ScopeKind.OWN, "", own)
    resolved = resolve_scope(catalogue, text)
    departments = {g.department for g in own if g.department}
    if set(resolved.goals) <= set(own) or (
        ctx.config.telegram.owners_status == "department"
        and resolved.department is not None
        and resolved.department.id in departments
    ):
        return resolved
    raise ServiceError(
        "not_your_scope",
        scope=text,
        department=ctx.config.telegram.owners_status == "department",
    )


def _collect_status(
    uow: UnitOfWork, ctx: AppContext, scope: str, period: Period, viewer: int | None = None
) -> StatusData:
    """status_of inside an open unit of work."""
    catalogue = active_catalogue(uow)
    resolved = (
        resolve_scope(catalogue, scope)
        if viewer is None
        else viewers_scope(uow, ctx, catalogue, viewer, scope)
    )
    check_period(catalogue, period)
    round_info = _round_of(uow, period)
    # a department's or a goal's report reads and judges only what it shows
    reads = _ScopeReads.of(catalogue, resolved)
    judge = read_judge(uow, ctx, catalogue, period, reads.metrics)
    if round_info is not None and round_info.closed_at is not None:
        then = values_as_of(uow, period, round_info.closed_at, reads.metrics)
        judge = _dated_at(judge, then)
    comments = comments_for_period(uow, period, reads.goals)
    holders = role_holders(uow, catalogue, roles=reads.roles)
    prior = prior_answers(uow, period, reads.prior)
    if reads.metrics is None:
        asked = asked_in_round(uow, catalogue, period, prior)
    else:
        asked = _asked_of(catalogue, period, prior, reads.metrics)
    goals = []
    for goal in resolved.goals:
        metrics = tuple(
            _metric_status(
                goal, metric, reported_period(catalogue, metric, period, asked), judge, period
            )
            for metric in goal.metrics
        )
        goals.append(GoalStatus(goal, metrics, comments.get(goal.id, ""), holders[goal.owner_role]))
    owed = read_obligations(uow, catalogue, period, resolved.goals, prior, reads.roles)
    missing = MissingData.of(period, round_info, owed)
    lacking = _lacking(catalogue, period, round_info, prior, judge, resolved.goals)
    return StatusData(catalogue, period, resolved, round_info, tuple(goals), missing, lacking)


def _asked_of(
    catalogue: Catalogue, period: Period, prior: PriorAnswers, metric_ids: Collection[str]
) -> Asked:
    """asked_in_round for ``metric_ids`` only (their earlier answers in ``prior``)."""
    found: Asked = {}
    for metric_id in sorted(metric_ids):
        try:
            metric = catalogue.metric(metric_id)
        except KeyError:
            continue  # a reference to a figure the catalogue does not ask for
        periods = asked_periods_of(catalogue, metric, period, prior.yes, prior.settled, prior.held)
        if periods:
            found[metric_id] = periods
    return found


def _lacking(
    catalogue: Catalogue,
    period: Period,
    round_info: RoundInfo | None,
    prior: PriorAnswers,
    judge: Judge,
    goals: Iterable[Goal],
) -> tuple[LackingFigure, ...]:
    """The figures of ``goals`` the town still lacks in ``period``'s report, oldest first:
    each asked for in a round before it (or in its own, once closed) and given no figure
    since, whether still asked for again, past its last round (then missing data, which
    a late figure still fills in) or skipped with a reason (listed with it). Every later
    report lists them until they are given."""
    rounds_held = set(prior.held or ())
    done = set(rounds_held)
    if round_info is not None:
        rounds_held.add(period)
        if not round_info.is_open:
            done.add(period)
    if not done:
        return ()
    found = []
    for goal in goals:
        for metric in goal.metrics:
            if metric.same_as or metric.kind == MetricKind.YES_NO:
                continue
            answers = {a.period: a for a in judge.answers_of(metric)}
            for described in catalogue.periods():
                if not metric.cadence.is_due(described):
                    continue
                asked = rounds_asking(catalogue, metric, described, rounds_held)
                if not done.intersection(asked):
                    continue
                answer = answers.get(described)
                state = answer.value.state if answer is not None else None
                if state == AnswerState.SKIPPED and answer is not None:
                    # skipped with a reason: not asked again, and still lacking
                    reason = answer.value.reason or ""
                    found.append(LackingFigure(goal, metric, described, len(asked), True, reason))
                    continue
                if answer is not None and state != AnswerState.NO_DATA:
                    continue
                last = asked_rounds_of(catalogue, metric, described)[-1]
                found.append(LackingFigure(goal, metric, described, len(asked), period >= last))
    return tuple(sorted(found, key=lambda f: f.period))


def lacking_for(
    ctx: AppContext, telegram_user_id: int
) -> tuple[tuple[LackingFigure, ...], Period | None]:
    """The figures of the Telegram user's own goals that the town still lacks from the
    rounds before (see _lacking), as of the report period; and the open round's period."""
    with ctx.unit_of_work() as uow:
        catalogue = active_catalogue(uow)
        row = open_round_row(uow)
        open_period = Period.parse(row.period) if row is not None else None
        held = {hold.role.id for hold in identify(uow, ctx, telegram_user_id).roles}
        own = [goal for goal in catalogue.goals if goal.owner_role in held]
        if not own:
            return (), open_period
        period = default_period(uow, ctx)
        judge = read_judge(uow, ctx, catalogue, period)
        prior = prior_answers(uow, period)
        lacking = _lacking(catalogue, period, _round_of(uow, period), prior, judge, own)
        return lacking, open_period


def status_of(
    ctx: AppContext, scope: str = "", period: Period | None = None, viewer: int | None = None
) -> StatusData:
    """Every metric's verdict in ``scope`` for ``period`` (default: see default_period);
    ``viewer``: only what that Telegram user may see (see viewers_scope)."""
    with ctx.unit_of_work() as uow:
        wanted = period if period is not None else default_period(uow, ctx)
        return _collect_status(uow, ctx, scope, wanted, viewer)


def missing_of(ctx: AppContext, period: Period | None = None) -> MissingData:
    """Who has not answered ``period``'s metrics (default: see default_period)."""
    with ctx.unit_of_work() as uow:
        catalogue = active_catalogue(uow)
        wanted = period if period is not None else default_period(uow, ctx)
        check_period(catalogue, wanted)
        owed = read_obligations(uow, catalogue, wanted)
        return MissingData.of(wanted, _round_of(uow, wanted), owed)


# ---------------------------------------------------------------- history


_METRIC_REF = re.compile(r"^\s*([^.\s]+)(?:\.([^.\s]+))?\s*$")


def find_metric(catalogue: Catalogue, ref: str) -> tuple[Goal, Metric]:
    """The metric ``GOAL-ID.key`` names, or a goal's only figure metric for ``GOAL-ID``."""
    match = _METRIC_REF.match(ref)
    if match is None:
        raise ServiceError("unknown_metric", ref=ref)
    goal_id, key = match.groups()
    try:
        goal = catalogue.goal(goal_id)
    except KeyError:
        raise ServiceError("unknown_metric", ref=ref) from None
    if key is not None:
        try:
            metric = goal.metric(key)
        except KeyError:
            raise ServiceError(
                "unknown_metric", ref=ref, metrics=tuple(m.id for m in goal.metrics)
            ) from None
        if not metric.is_numeric:
            raise ServiceError("metric_not_numeric", ref=metric.id, name=metric.name)
        return goal, metric
    numeric = [m for m in goal.metrics if m.is_numeric]
    if len(numeric) == 1:
        return goal, numeric[0]
    if not numeric:
        raise ServiceError("metric_not_numeric", ref=goal.id, name=goal.title)
    raise ServiceError("choose_metric", ref=goal.id, metrics=tuple(m.id for m in numeric))


def metric_history(ctx: AppContext, ref: str, up_to: Period | None = None) -> MetricHistory:
    """A figure metric's answers up to ``up_to`` (default: see default_period), for a chart."""
    with ctx.unit_of_work() as uow:
        catalogue = active_catalogue(uow)
        goal, metric = find_metric(catalogue, ref)
        period = up_to if up_to is not None else default_period(uow, ctx)
        check_period(catalogue, period)
        judge = read_judge(uow, ctx, catalogue, period)
    answers = judge.answers_of(metric)
    points = tuple(
        HistoryPoint(a.period, a.value, judge.evaluate(metric, a.period)[0].status)
        for a in sorted(answers, key=lambda a: a.period)
    )
    path = target_path(metric, judge.term, judge.reference(metric, period))
    return MetricHistory(goal, metric, period, judge.term, points, path)


__all__ = [
    "JUDGED",
    "STATUS_ORDER",
    "STRATEGIC_SCOPE",
    "GoalStatus",
    "HistoryPoint",
    "Judge",
    "LackingFigure",
    "MetricHistory",
    "MetricStatus",
    "MissingData",
    "PersonMissing",
    "Scope",
    "ScopeKind",
    "StatusData",
    "check_period",
    "count_statuses",
    "default_period",
    "find_metric",
    "lacking_for",
    "metric_history",
    "missing_of",
    "read_judge",
    "report_period",
    "reported_period",
    "resolve_scope",
    "scope_keywords",
    "status_of",
]
