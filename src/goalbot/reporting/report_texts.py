"""Status reports, the missing list and the round summary: view models and their texts.

Every report is rendered once, as Telegram HTML, from the templates in ``report/``; the
terminal gets the same text with the tags dropped (``fmt="text"``), so the two never differ.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from goalbot.domain.evaluation import Status
from goalbot.domain.goals import Area, Body, Department, Tier
from goalbot.domain.periods import Period
from goalbot.reporting.messages import TEXT_LIMIT, html_to_text, split_html
from goalbot.reporting.rendering import render
from goalbot.services.context import AppContext
from goalbot.services.progress import (
    STATUS_ORDER,
    GoalStatus,
    MetricStatus,
    MissingData,
    ScopeKind,
    StatusData,
    count_statuses,
    missing_of,
    status_of,
)

Format = Literal["text", "html"]
Counts = tuple[tuple[Status, int], ...]


def ordered_counts(metrics: Iterable[MetricStatus]) -> Counts:
    """The verdicts that occur, with how many, in a fixed order (on track first)."""
    counter = count_statuses(metrics)
    return tuple((status, counter[status]) for status in STATUS_ORDER if counter[status])


@dataclass(frozen=True)
class DepartmentCounts:
    """A department's verdicts (department None: the strategic metrics)."""

    department: Department | None
    counts: Counts


@dataclass(frozen=True)
class OverviewView:
    """The whole town at a glance: counts per department, then what is off track or at risk."""

    data: StatusData
    groups: tuple[DepartmentCounts, ...]
    total: Counts
    flagged: tuple[MetricStatus, ...]


@dataclass(frozen=True)
class Section:
    """Goals of one responsibility area, department table or the strategic metrics."""

    tier: Tier
    body: Body
    department: Department | None
    area: Area | None
    goals: tuple[GoalStatus, ...]


@dataclass(frozen=True)
class ScopeView:
    """Every goal of a scope with each metric's verdict."""

    data: StatusData
    sections: tuple[Section, ...]
    total: Counts
    detailed: bool  # a single goal: the reasons, baselines and who answered, too


@dataclass(frozen=True)
class BodyCounts:
    body: Body
    departments: tuple[DepartmentCounts, ...]


@dataclass(frozen=True)
class SummaryView:
    """The round's summary for the management group."""

    data: StatusData
    total: Counts
    bodies: tuple[BodyCounts, ...]
    changes: tuple[MetricStatus, ...]  # verdicts that differ from the previous report's
    missed: tuple[MetricStatus, ...]  # off track, then at risk, with the owners' explanations
    comments: tuple[GoalStatus, ...]
    compared: bool  # some metric has an earlier verdict to compare with


def _department_groups(
    data: StatusData, goals: Iterable[GoalStatus]
) -> tuple[DepartmentCounts, ...]:
    by_department: dict[str | None, list[MetricStatus]] = {}
    for goal_status in goals:
        by_department.setdefault(goal_status.goal.department, []).extend(goal_status.metrics)
    order: list[str | None] = [None, *(d.id for d in data.catalogue.departments)]
    return tuple(
        DepartmentCounts(
            data.catalogue.department(key) if key is not None else None,
            ordered_counts(by_department[key]),
        )
        for key in order
        if key in by_department
    )


def _flagged(data: StatusData) -> tuple[MetricStatus, ...]:
    metrics = list(data.metrics())
    return tuple(
        [m for m in metrics if m.status == Status.OFF_TRACK]
        + [m for m in metrics if m.status == Status.AT_RISK]
    )


def overview_view(data: StatusData) -> OverviewView:
    return OverviewView(
        data,
        _department_groups(data, data.goals),
        ordered_counts(data.metrics()),
        _flagged(data),
    )


def scope_view(data: StatusData) -> ScopeView:
    sections: list[Section] = []
    catalogue = data.catalogue
    for goal_status in data.goals:
        goal = goal_status.goal
        area = catalogue.area(goal.area) if goal.area else None
        department = catalogue.department(goal.department) if goal.department else None
        last = sections[-1] if sections else None
        if (
            last is not None
            and last.tier == goal.tier
            and last.body.id == goal.body
            and last.department == department
            and last.area == area
        ):
            sections[-1] = Section(
                last.tier, last.body, department, area, (*last.goals, goal_status)
            )
        else:
            body = catalogue.body(goal.body)
            sections.append(Section(goal.tier, body, department, area, (goal_status,)))
    return ScopeView(
        data,
        tuple(sections),
        ordered_counts(data.metrics()),
        data.scope.kind == ScopeKind.GOAL,
    )


def summary_view(data: StatusData) -> SummaryView:
    bodies = []
    for body in data.catalogue.bodies:
        goals = [g for g in data.goals if g.goal.body == body.id]
        if goals:
            bodies.append(BodyCounts(body, _department_groups(data, goals)))
    return SummaryView(
        data,
        ordered_counts(data.metrics()),
        tuple(bodies),
        tuple(m for m in data.metrics() if m.status_changed),
        _flagged(data),
        tuple(g for g in data.goals if g.comment),
        any(m.previous_status is not None for m in data.metrics()),
    )


# ---------------------------------------------------------------- texts


def _language(ctx: AppContext, language: str | None) -> str:
    """The language asked for, else the town's (``[texts] language``)."""
    return language or ctx.config.texts.language


def render_status(ctx: AppContext, data: StatusData, language: str | None = None) -> str:
    """The HTML text of a status report: the overview for the whole town, else the scope."""
    zone = ctx.config.schedule.zone
    if data.scope.kind == ScopeKind.ALL:
        return render(
            "report/status_overview.html.j2",
            _language(ctx, language),
            view=overview_view(data),
            timezone=zone,
        )
    return render(
        "report/status_scope.html.j2",
        _language(ctx, language),
        view=scope_view(data),
        timezone=zone,
    )


def render_missing(ctx: AppContext, data: MissingData, language: str | None = None) -> str:
    """The HTML text of who has not answered."""
    return render(
        "report/missing.html.j2",
        _language(ctx, language),
        data=data,
        timezone=ctx.config.schedule.zone,
    )


def render_summary(ctx: AppContext, data: StatusData, language: str | None = None) -> str:
    """The HTML text of a round's summary (one long text; see summary_parts)."""
    return render(
        "report/summary.html.j2",
        _language(ctx, language),
        view=summary_view(data),
        timezone=ctx.config.schedule.zone,
    )


def _as(html: str, fmt: Format) -> str:
    return html if fmt == "html" else html_to_text(html)


def status_report(
    ctx: AppContext, scope: str = "", period: Period | None = None, fmt: Format = "text"
) -> str:
    """The status report for ``scope`` (see services.progress) as plain text or Telegram HTML."""
    return _as(render_status(ctx, status_of(ctx, scope, period)), fmt)


def status_parts(
    ctx: AppContext,
    scope: str = "",
    period: Period | None = None,
    limit: int = TEXT_LIMIT,
    viewer: int | None = None,
    language: str | None = None,
) -> list[str]:
    """The status report as Telegram messages (HTML, each within the limit); ``viewer``: only
    what that Telegram user may see."""
    data = status_of(ctx, scope, period, viewer)
    return split_html(render_status(ctx, data, language), limit)


def missing_report(ctx: AppContext, period: Period | None = None, fmt: Format = "text") -> str:
    """Who has not answered, as plain text or Telegram HTML."""
    return _as(render_missing(ctx, missing_of(ctx, period)), fmt)


def missing_parts(
    ctx: AppContext,
    period: Period | None = None,
    limit: int = TEXT_LIMIT,
    language: str | None = None,
) -> list[str]:
    return split_html(render_missing(ctx, missing_of(ctx, period), language), limit)


def summary_parts(
    ctx: AppContext, period: Period, limit: int = TEXT_LIMIT, language: str | None = None
) -> list[str]:
    """A round's summary as Telegram messages: split between lines, each valid HTML."""
    return split_html(render_summary(ctx, status_of(ctx, "", period), language), limit)
