"""A synthetic catalogue of many municipalities' worth of goals, made from the shipped one.

Each copy is the Kokemäki catalogue's shape (its roles, departments, areas and goals with
their metrics) under ids of its own; the bodies, themes and tables are shared. ``copies``
300 makes 15,600 goals, the size of 300 municipalities' catalogues in one.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from goalbot.domain.protocol import HolderKind
from goalbot.services.catalogue import get_catalogue
from goalbot.services.context import AppContext
from goalbot.storage.models import AssignmentRow, GoalRow, MetricRow, PersonRow


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _table(header: str, fields: dict[str, Any], nested: str = "") -> str:
    lines = [f"[[{header}]]"]
    children: list[dict[str, Any]] = []
    for key, value in fields.items():
        if key == nested:
            children = value
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    text = "\n".join(lines) + "\n\n"
    for child in children:
        text += _table(f"{header}.{nested}", child)
    return text


def _suffixed(item: dict[str, Any], suffix: str, fields: tuple[str, ...]) -> dict[str, Any]:
    copy = dict(item)
    for name in fields:
        if name in copy:
            copy[name] = copy[name] + suffix
    if "aliases" in copy:
        copy["aliases"] = [alias + suffix for alias in copy["aliases"]]
    return copy


def towns_catalogue(copies: int, folder: Path) -> Path:
    """The shipped catalogue ``copies`` times over, as one catalogue file in ``folder``."""
    from goalbot.catalogues import shipped_catalogue_path

    shipped = tomllib.loads(shipped_catalogue_path().read_text(encoding="utf-8"))
    parts = ["[catalogue]\n", *(f"{k} = {_value(v)}\n" for k, v in shipped["catalogue"].items())]
    parts.append("\n")
    for section in ("bodies", "themes"):
        parts += [_table(section, item) for item in shipped.get(section, [])]
    parts += [_table("tables", t) for t in shipped["tables"] if "department" not in t]
    for number in range(copies):
        suffix = f"-k{number}" if number else ""
        parts += [
            _table("roles", _suffixed(role, suffix, ("id", "reports_to")))
            for role in shipped["roles"]
        ]
        parts += [
            _table("departments", _suffixed(dept, suffix, ("id", "head_role")))
            for dept in shipped["departments"]
        ]
        parts += [
            _table("areas", _suffixed(area, suffix, ("id", "department", "owner_role")))
            for area in shipped["areas"]
        ]
        for table in shipped["tables"]:
            if "department" in table:
                copy = _suffixed(table, suffix, ("department",))
                copy["sheet"] = f"{table['sheet'][:24]} {number}" if number else table["sheet"]
                parts.append(_table("tables", copy))
        for goal in shipped["goals"]:
            fields = ("id", "owner_role", "department", "area", "deputy_role")
            parts.append(_table("goals", _suffixed(goal, suffix, fields), nested="metrics"))
    path = folder / f"towns-{copies}.toml"
    path.write_text("".join(parts), encoding="utf-8")
    return path


ANSWER_COLUMNS = (
    "period, state, number, flag, reason, explanation, corrective_action, answered_by_id, "
    "on_behalf_of_role, answered_at, confirmed_at, given_in, entered_by"
)


def _copies_of(ids: list[str]) -> list[tuple[str, str]]:
    """(the first copy's id, a later copy's) for every id of a later copy ("X-k3" → "X")."""
    pairs = []
    for copy_id in ids:
        if "-k" in copy_id:
            pairs.append((copy_id.rsplit("-k", 1)[0], copy_id))
    return pairs


def _metric_copies(ids: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Metric ids "GOAL.key": the first copy's and a later copy's, by the goal's suffix."""
    pairs = []
    for metric_id, goal_id in ids:
        if "-k" in goal_id:
            base = goal_id.rsplit("-k", 1)[0]
            pairs.append((base + metric_id[len(goal_id) :], metric_id))
    return pairs


def _pairs_table(run: Any, name: str, pairs: list[tuple[str, str]]) -> None:
    """A temporary table ``name`` (src, dst) of ``pairs``, for INSERT … SELECT by equality
    (a LIKE join of every copy with every metric grew with the square of the copies)."""
    run(text(f"CREATE TEMPORARY TABLE {name} (src VARCHAR(120), dst VARCHAR(120) PRIMARY KEY)"))
    run(
        text(f"INSERT INTO {name} (src, dst) VALUES (:src, :dst)"),
        [{"src": src, "dst": dst} for src, dst in pairs],
    )
    run(text(f"CREATE INDEX ix_{name}_src ON {name} (src)"))


def hold_roles(ctx: AppContext, first: int = 5000) -> int:
    """Give every role of a later copy a person of its own, in two bulk INSERTs (the first
    copy's roles are held through invites, as the bot does it): the people are
    ``Henkilö N`` with Telegram ids from ``first`` on, numbered in catalogue order. How
    many roles the later copies have."""
    catalogue = get_catalogue(ctx)
    copied = [(n, role.id) for n, role in enumerate(catalogue.roles) if "-k" in role.id]
    if not copied:
        return 0
    now = ctx.now()
    with ctx.unit_of_work() as uow:
        run = uow.session.execute
        run(
            insert(PersonRow),
            [
                {"name": f"Henkilö {n}", "telegram_user_id": first + n, "created_at": now}
                for n, _role in copied
            ],
        )
        ids = dict(run(select(PersonRow.telegram_user_id, PersonRow.id)).all())
        run(
            insert(AssignmentRow),
            [
                {
                    "role_id": role,
                    "person_id": ids[first + n],
                    "kind": HolderKind.OWNER.value,
                    "assigned_at": now,
                }
                for n, role in copied
            ],
        )
        uow.commit()
    return len(copied)


def copy_answers(ctx: AppContext) -> int:
    """Give every copy's metrics the answers (with their history) and comments of the first
    copy's, in a few INSERT … SELECT statements: the bench's 300 towns in seconds, not the
    hour that storing each answer through the services takes. How many answers now."""
    with ctx.unit_of_work() as uow:
        run = uow.session.execute
        metrics = list(run(select(MetricRow.id, MetricRow.goal_id)).all())
        goals = list(run(select(GoalRow.id)).scalars())
        _pairs_table(run, "metric_copies", _metric_copies(metrics))
        _pairs_table(run, "goal_copies", _copies_of(goals))
        run(
            text(
                f"INSERT INTO answers (metric_id, {ANSWER_COLUMNS}) "
                f"SELECT mc.dst, {', '.join('a.' + c for c in ANSWER_COLUMNS.split(', '))} "
                "FROM answers a JOIN metric_copies mc ON mc.src = a.metric_id"
            )
        )
        run(
            text(
                "INSERT INTO answer_history (answer_id, changed_at, changed_by_id, "
                "changed_by_name, field, old, new) "
                "SELECT a2.id, h.changed_at, h.changed_by_id, h.changed_by_name, h.field, h.old, "
                "h.new FROM answer_history h JOIN answers a ON a.id = h.answer_id "
                "JOIN metric_copies mc ON mc.src = a.metric_id "
                "JOIN answers a2 ON a2.metric_id = mc.dst AND a2.period = a.period"
            )
        )
        run(
            text(
                "INSERT INTO goal_comments (goal_id, period, text, written_by_id, written_at) "
                "SELECT gc.dst, c.period, c.text, c.written_by_id, c.written_at "
                "FROM goal_comments c JOIN goal_copies gc ON gc.src = c.goal_id "
                "WHERE NOT EXISTS (SELECT 1 FROM goal_comments c2 "
                "WHERE c2.goal_id = gc.dst AND c2.period = c.period)"
            )
        )
        run(text("DROP TABLE metric_copies"))
        run(text("DROP TABLE goal_copies"))
        uow.commit()
        return int(run(text("SELECT count(*) FROM answers")).scalar_one())
