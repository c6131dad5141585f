"""The catalogue arranged for reading: tier → body → department → goals."""

from __future__ import annotations

from dataclasses import dataclass

from goalbot.domain.goals import Body, Catalogue, Department, Goal, Tier

TIER_ORDER = (Tier.STRATEGIC, Tier.DEPARTMENT, Tier.AREA)


@dataclass(frozen=True)
class DepartmentGroup:
    department: Department | None
    goals: tuple[Goal, ...]


@dataclass(frozen=True)
class BodyGroup:
    body: Body
    departments: tuple[DepartmentGroup, ...]


@dataclass(frozen=True)
class TierGroup:
    tier: Tier
    bodies: tuple[BodyGroup, ...]


def _ordered_keys(values: list[str | None]) -> list[str | None]:
    seen: list[str | None] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def outline(catalogue: Catalogue, goals: tuple[Goal, ...] | None = None) -> list[TierGroup]:
    """Group goals (default: all) by tier, body and department, keeping catalogue order."""
    goals = catalogue.goals if goals is None else goals
    tiers = []
    for tier in TIER_ORDER:
        tier_goals = [g for g in goals if g.tier == tier]
        bodies = []
        for body_id in _ordered_keys([g.body for g in tier_goals]):
            body_goals = [g for g in tier_goals if g.body == body_id]
            departments = tuple(
                DepartmentGroup(
                    catalogue.department(dep) if dep else None,
                    tuple(g for g in body_goals if g.department == dep),
                )
                for dep in _ordered_keys([g.department for g in body_goals])
            )
            bodies.append(BodyGroup(catalogue.body(str(body_id)), departments))
        if bodies:
            tiers.append(TierGroup(tier, tuple(bodies)))
    return tiers
