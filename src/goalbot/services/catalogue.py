"""Loading the goal catalogue into the database and reading the active one back."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update

from goalbot.catalogues import shipped_catalogue_path
from goalbot.domain.catalogue_file import parse_catalogue, read_catalogue_text
from goalbot.domain.goals import Catalogue
from goalbot.services.context import AppContext, ServiceError
from goalbot.storage.audit import BOT_CHANGE, OPERATOR_CHANGE, AuditAction, Changer, record_change
from goalbot.storage.database import LOADING_CATALOGUE, UnitOfWork, one_at_a_time
from goalbot.storage.models import CatalogueRow, GoalRow, MetricRow, RoleRow

_cache_lock = threading.Lock()
_parsed: dict[str, Catalogue] = {}


@dataclass
class LoadReport:
    """What loading a catalogue changed."""

    catalogue_id: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired or self.restored)


def catalogue_path(ctx: AppContext) -> Path:
    """The configured catalogue file, or the shipped default."""
    return ctx.config.catalogue.path or shipped_catalogue_path()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_catalogue(ctx: AppContext, path: Path | None = None) -> LoadReport:
    """Load a catalogue file into the database: update in place, retire what was dropped."""
    path = path or catalogue_path(ctx)
    text = read_catalogue_text(path)
    catalogue = parse_catalogue(text, source=str(path))
    with ctx.unit_of_work() as uow:
        one_at_a_time(uow.session, LOADING_CATALOGUE)
        report = _store(uow, catalogue, text, str(path), ctx, OPERATOR_CHANGE)
        uow.commit()
    return report


def _store(
    uow: UnitOfWork,
    catalogue: Catalogue,
    text: str,
    path: str,
    ctx: AppContext,
    changer: Changer,
) -> LoadReport:
    session = uow.session
    now = ctx.now()
    digest = _digest(text)
    report = LoadReport(catalogue.id)
    before = session.scalars(select(CatalogueRow).where(CatalogueRow.active)).first()
    old = None if before is None else {"catalogue": before.id, "sha256": before.content_hash}
    session.execute(
        update(CatalogueRow).where(CatalogueRow.id != catalogue.id).values(active=False)
    )
    row = session.get(CatalogueRow, catalogue.id)
    if row is None:
        row = CatalogueRow(id=catalogue.id)
        session.add(row)
    row.title, row.municipality = catalogue.title, catalogue.municipality
    row.source_text, row.source_path, row.content_hash = text, path, digest
    row.active, row.loaded_at = True, now

    roles = {r.id: r for r in session.scalars(select(RoleRow))}
    for role in catalogue.roles:
        role_row = roles.pop(role.id, None) or RoleRow(id=role.id)
        role_row.name, role_row.reports_to, role_row.retired_at = (role.name, role.reports_to, None)
        session.add(role_row)
    for role_row in roles.values():
        role_row.retired_at = role_row.retired_at or now
    session.flush()

    goals = {g.id: g for g in session.scalars(select(GoalRow))}
    metrics = {m.id: m for m in session.scalars(select(MetricRow))}
    for position, goal in enumerate(catalogue.goals):
        goal_row = goals.pop(goal.id, None)
        values = dict(
            catalogue_id=catalogue.id,
            tier=goal.tier.value,
            body=goal.body,
            department=goal.department,
            area=goal.area,
            title=goal.title,
            owner_role=goal.owner_role,
            position=position,
        )
        if goal_row is None:
            session.add(GoalRow(id=goal.id, updated_at=now, **values))
            report.added.append(goal.id)
        else:
            changed = any(getattr(goal_row, k) != v for k, v in values.items())
            if goal_row.retired_at is not None:
                report.restored.append(goal.id)
                goal_row.retired_at = None
            elif changed:
                report.updated.append(goal.id)
            for key, value in values.items():
                setattr(goal_row, key, value)
            if changed:
                goal_row.updated_at = now
        session.flush()
        for metric_position, metric in enumerate(goal.metrics):
            metric_row = metrics.pop(metric.id, None)
            mvalues = dict(
                goal_id=goal.id,
                key=metric.key,
                kind=metric.kind.value,
                name=metric.name,
                unit=metric.unit,
                position=metric_position,
            )
            if metric_row is None:
                session.add(MetricRow(id=metric.id, updated_at=now, **mvalues))
            else:
                if any(getattr(metric_row, k) != v for k, v in mvalues.items()) and (
                    goal.id not in report.updated + report.added + report.restored
                ):
                    report.updated.append(goal.id)
                for key, value in mvalues.items():
                    setattr(metric_row, key, value)
                metric_row.retired_at = None
                metric_row.updated_at = now
    for goal_row in goals.values():
        if goal_row.retired_at is None:
            goal_row.retired_at = now
            report.retired.append(goal_row.id)
    for metric_row in metrics.values():
        metric_row.retired_at = metric_row.retired_at or now
    report.unchanged = (
        len(catalogue.goals) - len(report.added) - len(report.updated) - len(report.restored)
    )
    record_change(
        uow,
        changer,
        AuditAction.CATALOGUE_LOAD,
        now,
        subject=catalogue.id,
        old=old,
        new={
            "catalogue": catalogue.id,
            "sha256": digest,
            "path": path,
            "added": report.added,
            "updated": report.updated,
            "restored": report.restored,
            "retired": report.retired,
        },
    )
    with _cache_lock:
        _parsed[digest] = catalogue
    return report


def active_catalogue(uow: UnitOfWork) -> Catalogue:
    """The catalogue in use, rebuilt from the database; ServiceError if none is loaded."""
    # every input needs it: its source text is read only when it is not parsed already
    row = uow.session.execute(
        select(CatalogueRow.id, CatalogueRow.content_hash).where(CatalogueRow.active)
    ).first()
    if row is None:
        raise ServiceError("no_catalogue")
    with _cache_lock:
        cached = _parsed.get(row.content_hash)
    if cached is not None:
        return cached
    text = uow.session.scalars(
        select(CatalogueRow.source_text).where(CatalogueRow.id == row.id)
    ).one()
    catalogue = parse_catalogue(text, source=f"database:{row.id}")
    with _cache_lock:
        _parsed[row.content_hash] = catalogue
    return catalogue


def ensure_catalogue(ctx: AppContext) -> LoadReport | None:
    """Make the configured catalogue the one in use (at every start); None if it already is.

    A file set in ``[catalogue] path`` is loaded whenever the active catalogue differs from
    it. The shipped catalogue (no path set) is a default: it fills a database without one and
    is updated when a new version of goalbot ships it changed, but a catalogue loaded by hand
    (``goalbot catalogue load FILE``) stays in use.
    """
    path = catalogue_path(ctx)
    text = read_catalogue_text(path)
    with ctx.unit_of_work() as uow:
        one_at_a_time(uow.session, LOADING_CATALOGUE)  # two starts at once load it once
        active = uow.session.scalars(select(CatalogueRow).where(CatalogueRow.active)).first()
        if active is not None and active.content_hash == _digest(text):
            return None  # the file as it was loaded: nothing to read again
        catalogue = parse_catalogue(text, source=str(path))
        if active is not None and ctx.config.catalogue.path is None and active.id != catalogue.id:
            return None  # loaded by hand in place of the default
        report = _store(uow, catalogue, text, str(path), ctx, BOT_CHANGE)
        uow.commit()
    return report


def get_catalogue(ctx: AppContext) -> Catalogue:
    """The active catalogue (one short read)."""
    with ctx.unit_of_work() as uow:
        return active_catalogue(uow)
