"""Who is writing to the bot: a stranger, an owner or deputy, a manager, an administrator."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from goalbot.domain.goals import Catalogue
from goalbot.domain.obligations import Holder
from goalbot.domain.protocol import HolderKind
from goalbot.services.catalogue import active_catalogue
from goalbot.services.context import AppContext
from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import PersonRow
from goalbot.storage.repositories import role_holders


@dataclass(frozen=True)
class Identity:
    """What the bot knows of a Telegram user."""

    telegram_user_id: int
    person_id: int | None
    name: str
    roles: tuple[Holder, ...]  # the person's holds on roles: owned ones first
    is_admin: bool
    is_manager: bool
    language: str = "fi"

    @property
    def is_known(self) -> bool:
        """Anyone the bot may show goals to."""
        return self.is_admin or self.is_manager or bool(self.roles)

    @property
    def owns_goals(self) -> bool:
        return bool(self.roles)


def person_by_telegram_id(uow: UnitOfWork, telegram_user_id: int) -> PersonRow | None:
    return uow.session.scalars(
        select(PersonRow).where(PersonRow.telegram_user_id == telegram_user_id)
    ).first()


def roles_of(uow: UnitOfWork, catalogue: Catalogue, person_id: int) -> tuple[Holder, ...]:
    """The roles a person holds now: owned roles first, then deputised ones (catalogue order)."""
    holds = [
        hold
        for holders in role_holders(uow, catalogue).values()
        for hold in holders.held_by(person_id)
    ]
    order = [r.id for r in catalogue.roles]
    return tuple(sorted(holds, key=lambda h: (h.kind != HolderKind.OWNER, order.index(h.role.id))))


def manager_roles(catalogue: Catalogue) -> set[str]:
    """The town manager's role and the department heads' roles."""
    roles = {d.head_role for d in catalogue.departments}
    if catalogue.manager_role:
        roles.add(catalogue.manager_role)
    return roles


def identify(uow: UnitOfWork, ctx: AppContext, telegram_user_id: int) -> Identity:
    """Identify a Telegram user inside an open unit of work."""
    config = ctx.config.telegram
    is_admin = telegram_user_id in config.admins
    person = person_by_telegram_id(uow, telegram_user_id)
    if person is None:
        return Identity(
            telegram_user_id,
            None,
            "",
            (),
            is_admin,
            is_admin or telegram_user_id in config.managers,
        )
    catalogue = active_catalogue(uow)
    roles = roles_of(uow, catalogue, person.id)
    is_manager = (
        is_admin
        or telegram_user_id in config.managers
        or any(r.role.id in manager_roles(catalogue) for r in roles)
    )
    return Identity(
        telegram_user_id,
        person.id,
        person.name,
        roles,
        is_admin,
        is_manager,
        person.language or "fi",
    )


def who_is(ctx: AppContext, telegram_user_id: int) -> Identity:
    """Identify a Telegram user (one short read)."""
    with ctx.unit_of_work() as uow:
        return identify(uow, ctx, telegram_user_id)
