"""Who is writing to the bot, and who may do what.

A person is a stranger, an owner or deputy, a manager, or an administrator. ``PERMISSIONS``
is the one table of which command is for whom and where; the chat layer applies it to every
command before the handler runs, and the services that change data check the caller again
(the command line is the machine's operator and may do everything).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from goalbot.domain.goals import Catalogue, Metric, Role
from goalbot.domain.obligations import Holder, RoleHolders
from goalbot.domain.protocol import HolderKind
from goalbot.services.catalogue import active_catalogue
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.outbox import management_chat_id
from goalbot.storage.audit import OPERATOR_CHANGE, ActorKind, Changer
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


def roles_of(
    catalogue: Catalogue, holders: Mapping[str, RoleHolders], person_id: int
) -> tuple[Holder, ...]:
    """The roles a person holds now: owned roles first, then deputised ones (catalogue order)."""
    holds = [hold for role in holders.values() for hold in role.held_by(person_id)]
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
    person = person_by_telegram_id(uow, telegram_user_id)
    if person is None:
        return identity_of(ctx, telegram_user_id, None, None, {})
    catalogue = active_catalogue(uow)
    holders = role_holders(uow, catalogue, person.id)
    return identity_of(ctx, telegram_user_id, person, catalogue, holders)


def identity_of(
    ctx: AppContext,
    telegram_user_id: int,
    person: PersonRow | None,
    catalogue: Catalogue | None,
    holders: Mapping[str, RoleHolders],
) -> Identity:
    """The identity of a Telegram user from what a unit of work has read of them."""
    config = ctx.config.telegram
    is_admin = telegram_user_id in config.admins
    if person is None or catalogue is None:
        return Identity(
            telegram_user_id,
            None,
            "",
            (),
            is_admin,
            is_admin or telegram_user_id in config.managers,
        )
    roles = roles_of(catalogue, holders, person.id)
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
        person.language or ctx.config.texts.language,
    )


def who_is(ctx: AppContext, telegram_user_id: int) -> Identity:
    """Identify a Telegram user (one short read)."""
    with ctx.unit_of_work(read_only=True) as uow:
        return identify(uow, ctx, telegram_user_id)


class Command(StrEnum):
    """What a person asks the bot for: its commands, and the messages it answers."""

    START = "start"  # in private: the welcome; in a group: where to answer
    HELP = "help"
    SCHEDULE = "schedule"
    STATUS = "status"
    MISSING = "missing"
    EXPORT = "export"
    CHART = "chart"
    INVITE = "invite"
    OWNERS = "owners"
    PAUSE = "pause"
    REMIND = "remind"
    CLOSE = "close"
    REOPEN = "reopen"
    EXTEND = "extend"
    SUMMARY = "summary"
    SETGROUP = "setgroup"
    LANGUAGE = "language"  # /kieli, /språk, /language: a person's own, or the group's
    ANSWER = "answer"  # /vastaa: a figure given outside the round's questions (a late one)
    OTHER = "other"  # a command the bot does not have, or a picture, a sticker, a file


class Audience(StrEnum):
    """Whom a command is for."""

    KNOWN = "known"  # anyone the bot knows: an owner or deputy, a manager, an administrator
    MANAGERS = "managers"  # managers and administrators
    ADMINS = "admins"


class RefusedIn(StrEnum):
    """Where someone the command is not for gets the polite refusal (elsewhere: silence)."""

    PRIVATE = "private"
    PRIVATE_AND_MANAGEMENT_GROUP = "private_and_management_group"
    EVERYWHERE = "everywhere"


@dataclass(frozen=True)
class Permission:
    """Who may use a command, and where."""

    who: Audience
    private_only: bool = False  # the answer shows invite links or names a group must not see
    management_group: bool = False  # in a group only the management group, and all in it
    refused_in: RefusedIn = RefusedIn.PRIVATE
    owners: bool = False  # owners may use it too, in private, for their own goals only


_ADMIN = Permission(Audience.ADMINS)
_ADMIN_IN_PRIVATE = Permission(Audience.ADMINS, private_only=True)
_REPORT = Permission(Audience.MANAGERS, management_group=True, refused_in=RefusedIn.EVERYWHERE)

PERMISSIONS: dict[Command, Permission] = {
    Command.START: Permission(Audience.KNOWN, refused_in=RefusedIn.EVERYWHERE),
    Command.HELP: Permission(Audience.KNOWN, refused_in=RefusedIn.PRIVATE_AND_MANAGEMENT_GROUP),
    Command.SCHEDULE: Permission(Audience.KNOWN),
    Command.OTHER: Permission(Audience.KNOWN),
    Command.STATUS: Permission(
        Audience.MANAGERS,
        management_group=True,
        refused_in=RefusedIn.EVERYWHERE,
        owners=True,  # [telegram] owners_status: their goals, or their department's
    ),
    Command.MISSING: _REPORT,
    Command.EXPORT: _REPORT,
    Command.CHART: _REPORT,
    Command.INVITE: _ADMIN_IN_PRIVATE,
    Command.OWNERS: _ADMIN_IN_PRIVATE,
    Command.PAUSE: _ADMIN_IN_PRIVATE,
    Command.REMIND: _ADMIN,
    Command.CLOSE: _ADMIN,
    Command.REOPEN: _ADMIN,
    Command.EXTEND: _ADMIN,
    Command.SUMMARY: _ADMIN,
    Command.SETGROUP: _ADMIN,
    Command.LANGUAGE: Permission(Audience.KNOWN, management_group=True),
    # owners their own metrics (answering_hold), administrators any
    Command.ANSWER: Permission(Audience.ADMINS, private_only=True, owners=True),
}
"""Which command is for whom, and where (see Permission)."""


def answering_hold(identity: Identity, catalogue: Catalogue, metric: Metric) -> Holder | None:
    """How ``identity`` answers ``metric``: their hold on the role of its goal (as its owner
    before as its deputy), or None when it is not theirs to answer. The questionnaire asks
    each person exactly these metrics; /vastaa takes a figure for them at any time."""
    role = catalogue.goal(metric.goal_id).owner_role
    return next((hold for hold in identity.roles if hold.role.id == role), None)


class Verdict(StrEnum):
    """What the bot does with a command, given who sent it where."""

    ALLOWED = "allowed"
    REFUSED = "refused"  # the polite refusal, which shows nothing of the goals
    ADMINS_ONLY = "admins_only"  # a known person asked for an administrator's command
    PRIVATE_ONLY = "private_only"  # the right person, in a group
    IGNORED = "ignored"  # nothing is said (a stranger in a group that is not the bot's)


def _is_in(identity: Identity, audience: Audience) -> bool:
    match audience:
        case Audience.KNOWN:
            return identity.is_known
        case Audience.MANAGERS:
            return identity.is_manager or identity.is_admin
        case Audience.ADMINS:
            return identity.is_admin


def decide(identity: Identity, command: Command, private: bool, management_group: bool) -> Verdict:
    """Whether ``identity`` may use ``command`` in a private chat or a group (see PERMISSIONS).

    ``management_group``: the group is the management group.
    """
    permission = PERMISSIONS[command]
    if not private and permission.management_group:
        if management_group:
            return Verdict.ALLOWED
        return Verdict.REFUSED
    if _is_in(identity, permission.who):
        return Verdict.PRIVATE_ONLY if permission.private_only and not private else Verdict.ALLOWED
    if permission.owners and identity.owns_goals:
        # an owner's command for their own goals is theirs in private
        return Verdict.ALLOWED if private else Verdict.PRIVATE_ONLY
    if permission.who == Audience.ADMINS and identity.is_known:
        return Verdict.ADMINS_ONLY
    refused = (
        private
        or permission.refused_in == RefusedIn.EVERYWHERE
        or (permission.refused_in == RefusedIn.PRIVATE_AND_MANAGEMENT_GROUP and management_group)
    )
    return Verdict.REFUSED if refused else Verdict.IGNORED


ANSWERING = ("report", "raportoi")
"""The owners' commands of the questionnaire (for whoever holds a role)."""
MENU: tuple[tuple[str, Command], ...] = (
    ("vastaa", Command.ANSWER),
    ("status", Command.STATUS),
    ("missing", Command.MISSING),
    ("export", Command.EXPORT),
    ("chart", Command.CHART),
    ("schedule", Command.SCHEDULE),
    ("kieli", Command.LANGUAGE),
    ("invite", Command.INVITE),
    ("owners", Command.OWNERS),
    ("pause", Command.PAUSE),
    ("remind", Command.REMIND),
    ("close", Command.CLOSE),
    ("extend", Command.EXTEND),
    ("reopen", Command.REOPEN),
    ("summary", Command.SUMMARY),
    ("help", Command.HELP),
)
"""The private chat's command menu, in its order; each shown to whom PERMISSIONS allows it."""


def menu_of(identity: Identity) -> tuple[str, ...]:
    """The commands ``identity`` may use in private, as their command menu lists them."""
    answering = ANSWERING if identity.owns_goals else ()
    allowed = tuple(
        name for name, command in MENU if decide(identity, command, True, False) == Verdict.ALLOWED
    )
    return answering + allowed


_AN_OWNER = Identity(0, None, "", (Holder(Role("", ""), HolderKind.OWNER, 0, ""),), False, False)
OWNERS_MENU = menu_of(_AN_OWNER)
"""The menu of an owner who is no manager: every private chat's, unless a person's own."""


def menu_for(ctx: AppContext, telegram_user_id: int) -> tuple[str, ...]:
    """The command menu of one Telegram user."""
    return menu_of(who_is(ctx, telegram_user_id))


def personal_menus(ctx: AppContext) -> dict[int, tuple[str, ...]]:
    """The command menu of each person whose menu differs from the owners' (by Telegram id)."""
    with ctx.unit_of_work(read_only=True) as uow:
        ids = set(ctx.config.telegram.admins) | set(ctx.config.telegram.managers)
        ids |= set(
            uow.session.scalars(
                select(PersonRow.telegram_user_id).where(PersonRow.telegram_user_id.is_not(None))
            )
        )
        menus = {tid: menu_of(identify(uow, ctx, tid)) for tid in sorted(i for i in ids if i)}
    return {tid: menu for tid, menu in menus.items() if menu != OWNERS_MENU}


@dataclass(frozen=True)
class Access:
    """The verdict on a command, with who asked."""

    verdict: Verdict
    identity: Identity

    @property
    def allowed(self) -> bool:
        return self.verdict == Verdict.ALLOWED


def check_access(
    ctx: AppContext, telegram_user_id: int, command: Command, chat_id: int, private: bool
) -> Access:
    """The verdict on ``command`` from ``telegram_user_id`` in the chat ``chat_id``."""
    with ctx.unit_of_work(read_only=True) as uow:
        identity = identify(uow, ctx, telegram_user_id)
        in_management_group = not private and management_chat_id(uow, ctx) == chat_id
        return Access(decide(identity, command, private, in_management_group), identity)


@dataclass(frozen=True)
class Actor:
    """Who asks a service to change data: a Telegram user, or the machine's operator (the
    command line, which may do everything)."""

    telegram_user_id: int | None = None

    @property
    def is_operator(self) -> bool:
        return self.telegram_user_id is None


OPERATOR = Actor()


def changer_of(uow: UnitOfWork, ctx: AppContext, actor: Actor, on_behalf_of: str = "") -> Changer:
    """Who ``actor`` is in the audit log: the operator, an administrator or a person."""
    if actor.telegram_user_id is None:
        return OPERATOR_CHANGE
    person = person_by_telegram_id(uow, actor.telegram_user_id)
    admin = actor.telegram_user_id in ctx.config.telegram.admins
    return Changer(
        ActorKind.ADMIN if admin else ActorKind.PERSON,
        person.id if person is not None else None,
        actor.telegram_user_id,
        on_behalf_of,
    )


def require(uow: UnitOfWork, ctx: AppContext, actor: Actor, command: Command) -> None:
    """ServiceError unless ``actor`` may use ``command`` (checked where the data changes)."""
    if actor.telegram_user_id is None:
        return
    identity = identify(uow, ctx, actor.telegram_user_id)
    if not _is_in(identity, PERMISSIONS[command].who):
        raise ServiceError("not_allowed", command=command.value)
