"""Taking the lead among the bots on one database, and telling the living from the dead.

The lock itself is storage's (storage/instance.py): PostgreSQL decides who leads. This module
does what a new leader must do before it delivers anything: the sends the previous leader had
on their way when it died are marked (never repeated) and its claims let go, exactly as a bot
does at its start after a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from goalbot.services.context import AppContext
from goalbot.services.outbox import recover_interrupted, report_undelivered
from goalbot.storage.instance import member_key, running_members
from goalbot.storage.repositories import get_setting, set_setting

log = logging.getLogger(__name__)
LEADER_SETTING = "leader"


def take_lead(ctx: AppContext, name: str) -> bool:
    """Bot ``name`` leads now: what the one before it left on its way is settled. True if
    ``name`` led last itself (it only lost its connection a while): its own work goes on."""
    with ctx.unit_of_work() as uow:
        before = get_setting(uow, LEADER_SETTING)
        set_setting(uow, LEADER_SETTING, name, ctx.now())
        uow.commit()
    if before == name:
        report_undelivered(ctx)
        return True
    settle_interrupted(ctx)
    return False


def settle_interrupted(ctx: AppContext) -> int:
    """Before a bot delivers: the sends a stopped bot left half-done are marked, never repeated,
    and the administrators told; how many parts were left uncertain."""
    interrupted = recover_interrupted(ctx)
    if interrupted:
        log.warning(
            "%d sends were on their way when the bot stopped; they are not repeated, and "
            "the administrators are told",
            interrupted,
            extra={"event": "sends_interrupted", "count": interrupted},
        )
    report_undelivered(ctx)
    return interrupted


def gone(ctx: AppContext, names: Iterable[str]) -> set[str]:
    """Those of the bots ``names`` whose process is gone (PostgreSQL: no member lock)."""
    members, _ = running_members(ctx.db.engine)
    return {name for name in names if member_key(name) not in members}
