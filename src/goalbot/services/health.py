"""The running bot's heartbeat, and what ``goalbot health`` makes of it.

The bot writes a heartbeat every few seconds with whether it reaches Telegram. Healthy means:
a bot holds the database's leader lock (it is alive; the lock dies with the process), its
heartbeat is fresh (its event loop is not stuck) and its last requests reached Telegram. On
PostgreSQL several bots may run: each is listed, as the leader or a standby.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from goalbot.services.context import AppContext
from goalbot.storage.database import database_read_only
from goalbot.storage.instance import held_elsewhere, member_key, running_members
from goalbot.storage.models import InstanceRow

HEARTBEAT_SECONDS = 10.0
# a heartbeat older than this means the bot hangs (three missed beats and some slack)
STALE_AFTER = timedelta(seconds=4 * HEARTBEAT_SECONDS)


@dataclass(frozen=True)
class Instance:
    """This run of the bot."""

    id: str
    host: str
    pid: int
    bot_id: int | None

    @property
    def name(self) -> str:
        """This run as its claims of updates and sends (and its member lock) name it."""
        return claim_name(self.host, self.pid, self.id)


def claim_name(host: str, pid: int, run_id: str) -> str:
    """A run of the bot as claims name it: host, process id and the start of its id."""
    return f"{host[:30]}:{pid}:{run_id[:8]}"


@dataclass(frozen=True)
class Member:
    """A running bot on the database, and whether it leads."""

    instance: InstanceRow
    leader: bool
    age: timedelta  # since its last heartbeat
    here: bool  # on the machine that asks


@dataclass(frozen=True)
class Health:
    """What ``goalbot health`` says: ``code`` selects the line, the rest fills it in."""

    healthy: bool
    code: str
    instance: InstanceRow | None = None
    age: timedelta | None = None
    detail: str = ""
    members: tuple[Member, ...] = ()  # every bot running on the database (PostgreSQL)


def start_instance(ctx: AppContext, instance: Instance) -> None:
    """Record that this bot runs now (before its first heartbeat)."""
    now = ctx.now()
    with ctx.unit_of_work() as uow:
        uow.session.add(
            InstanceRow(
                id=instance.id,
                host=instance.host,
                pid=instance.pid,
                bot_id=instance.bot_id,
                started_at=now,
                heartbeat_at=now,
                telegram_ok=True,
                telegram_since=now,
                telegram_detail="",
            )
        )
        uow.commit()


def record_heartbeat(
    ctx: AppContext, instance_id: str, telegram_ok: bool, since: datetime, detail: str
) -> None:
    """The bot is alive; whether it reaches Telegram, since when, and the last error if not."""
    with ctx.unit_of_work() as uow:
        row = uow.session.get(InstanceRow, instance_id)
        if row is None:
            return
        row.heartbeat_at = ctx.now()
        row.telegram_ok, row.telegram_since, row.telegram_detail = telegram_ok, since, detail
        uow.commit()


def stop_instance(ctx: AppContext, instance_id: str) -> None:
    """The bot stopped cleanly."""
    with ctx.unit_of_work() as uow:
        row = uow.session.get(InstanceRow, instance_id)
        if row is not None:
            row.stopped_at = ctx.now()
            uow.commit()


def latest_instance(ctx: AppContext) -> InstanceRow | None:
    """The run of the bot that wrote the newest heartbeat."""
    with ctx.unit_of_work() as uow:
        return uow.session.scalars(
            select(InstanceRow).order_by(InstanceRow.heartbeat_at.desc()).limit(1)
        ).first()


def running_instances(ctx: AppContext) -> tuple[Member, ...]:
    """PostgreSQL: the bots running on the database now, the leader first."""
    if ctx.db.engine.dialect.name != "postgresql":
        return ()
    members, leader = running_members(ctx.db.engine)
    with ctx.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(InstanceRow)
            .where(InstanceRow.stopped_at.is_(None))
            .order_by(InstanceRow.started_at)
        ).all()
    found = []
    now, host = ctx.now(), socket.gethostname()
    for row in rows:
        key = member_key(claim_name(row.host, row.pid, row.id))
        if key in members:
            found.append(Member(row, key == leader, now - row.heartbeat_at, row.host == host))
    return tuple(sorted(found, key=lambda m: not m.leader))


def health_of(ctx: AppContext) -> Health:
    """Whether the bot on this database is alive and reaching Telegram, and if not, why."""
    now = ctx.now()
    latest = latest_instance(ctx)
    if latest is None:
        return Health(False, "never_ran")
    members = running_instances(ctx)
    if not members and not held_elsewhere(ctx.db.engine):
        return Health(False, "not_running", latest, now - latest.heartbeat_at)
    read_only = database_read_only(ctx.db.engine)
    if read_only:
        # the bot cannot write its heartbeat either: this, not a hang, is why it is old
        return Health(False, "read_only", latest, now - latest.heartbeat_at, read_only, members)
    if members:
        if not members[0].leader:
            # the leader just died, and a standby takes over within seconds
            return Health(False, "no_leader", latest, now - latest.heartbeat_at, members=members)
        latest = members[0].instance
    age = now - latest.heartbeat_at
    if age > STALE_AFTER:
        return Health(False, "stale", latest, age, members=members)
    if not latest.telegram_ok:
        return Health(False, "telegram", latest, age, members=members)
    return Health(True, "ok", latest, age, members=members)
