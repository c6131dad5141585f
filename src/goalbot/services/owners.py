"""Owners and deputies: invites, binding a Telegram account, listing, reassigning, revoking."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from goalbot.domain.answers import clean_text
from goalbot.domain.goals import Catalogue
from goalbot.domain.obligations import RoleHolders
from goalbot.domain.periods import Period
from goalbot.domain.protocol import HolderKind, SendKind
from goalbot.services.access import OPERATOR, Actor, Command, changer_of, require
from goalbot.services.catalogue import active_catalogue
from goalbot.services.context import AppContext, ServiceError
from goalbot.services.languages import supported_language
from goalbot.services.outbox import queue_menu, queue_send
from goalbot.services.rounds import asked_of, open_round_row
from goalbot.storage.audit import OPERATOR_CHANGE, AuditAction, Changer, record_change
from goalbot.storage.database import UnitOfWork
from goalbot.storage.models import AssignmentRow, InviteRow, PersonRow, RoleRow
from goalbot.storage.repositories import get_setting, role_holders, set_setting

INVITE_REF_LENGTH = 8


@dataclass(frozen=True)
class Invite:
    """A created invite: the token goes into the deep link ``t.me/<bot>?start=<token>``."""

    token: str
    role_id: str
    role_name: str
    kind: HolderKind
    name: str
    expires_at: datetime
    created_at: datetime | None = None
    created_by: str = ""

    @property
    def ref(self) -> str:
        """How an administrator names the invite (the token is the link's secret)."""
        return self.token[:INVITE_REF_LENGTH]


@dataclass(frozen=True)
class OwnerList:
    """Every role with the people holding it, and the invites not yet used."""

    roles: tuple[RoleHolders, ...]
    invites: dict[str, tuple[Invite, ...]]  # role id → its pending invites, oldest first

    def invites_of(self, role_id: str) -> tuple[Invite, ...]:
        return self.invites.get(role_id, ())


@dataclass(frozen=True)
class Binding:
    """The result of opening an invite link."""

    person_id: int
    name: str
    role_id: str
    role_name: str
    kind: HolderKind
    replaced: str | None  # the name of the person who held the role before


def _role(uow: UnitOfWork, catalogue: Catalogue, role_id: str) -> RoleRow:
    row = uow.session.get(RoleRow, role_id)
    if row is None or row.retired_at is not None:
        raise ServiceError(
            "unknown_role", role=role_id, known=", ".join(r.id for r in catalogue.roles)
        )
    return row


def _holder_kind(kind: str) -> HolderKind:
    try:
        return HolderKind(kind)
    except ValueError:
        raise ServiceError("unknown_kind", kind=kind) from None


def invite_owner(
    ctx: AppContext,
    role_id: str,
    name: str,
    kind: str = HolderKind.OWNER,
    created_by: str = "",
    *,
    by: Actor = OPERATOR,
) -> Invite:
    """Create a single-use invite for a person to hold ``role_id`` as owner or deputy."""
    held = _holder_kind(kind)
    name = " ".join(clean_text(name).split())
    if not name:
        raise ServiceError("empty_name")
    if len(name) > 200:
        raise ServiceError("name_too_long")
    with ctx.unit_of_work() as uow:
        require(uow, ctx, by, Command.INVITE)
        catalogue = active_catalogue(uow)
        role = _role(uow, catalogue, role_id)
        now = ctx.now()
        # one invite per role and kind is valid: a new one voids the older ones, so an old
        # link cannot displace whoever the newer one is meant for
        _void_invites(uow, role.id, held, now, changer_of(uow, ctx, by))
        row = InviteRow(
            token=secrets.token_urlsafe(24),
            role_id=role.id,
            kind=held.value,
            name=name,
            created_at=now,
            created_by=created_by,
            expires_at=now + timedelta(days=ctx.config.invites.valid_days),
        )
        uow.session.add(row)
        record_change(
            uow,
            changer_of(uow, ctx, by),
            AuditAction.INVITE,
            now,
            subject=role.id,
            new={"kind": held.value, "name": name, "invite": row.token[:INVITE_REF_LENGTH]},
        )
        uow.commit()
        return Invite(row.token, role.id, role.name, held, name, row.expires_at, now, created_by)


def accept_invite(
    ctx: AppContext, token: str, telegram_user_id: int, username: str = "", language: str = ""
) -> Binding:
    """Bind a Telegram account to the invite's role; the invite is then used up."""
    with ctx.unit_of_work() as uow:
        session = uow.session
        invite = session.get(InviteRow, token.strip())
        now = ctx.now()
        if invite is None:
            raise ServiceError("invite_unknown")
        if invite.revoked_at is not None:
            raise ServiceError("invite_revoked")
        if invite.used_at is not None:
            person = session.get(PersonRow, invite.used_by_person_id)
            if person is not None and person.telegram_user_id == telegram_user_id:
                raise ServiceError("invite_already_yours", role=invite.role_id)
            raise ServiceError("invite_used")
        if invite.expires_at <= now:
            raise ServiceError("invite_expired", expired=invite.expires_at)
        catalogue = active_catalogue(uow)
        role = _role(uow, catalogue, invite.role_id)
        person = session.scalars(
            select(PersonRow).where(PersonRow.telegram_user_id == telegram_user_id)
        ).first()
        if person is None:
            person = PersonRow(
                name=invite.name,
                telegram_user_id=telegram_user_id,
                telegram_username=username or "",
                language=supported_language(language) or ctx.config.texts.language,
                created_at=now,
            )
            session.add(person)
            session.flush()
        else:
            person.blocked_bot_at = None
        changer = Changer.person(person)
        record_change(
            uow,
            changer,
            AuditAction.INVITE_USED,
            now,
            subject=role.id,
            new={
                "kind": invite.kind,
                "invite": invite.token[:INVITE_REF_LENGTH],
                "person": person.id,
            },
        )
        # (the new holder's menu is set by the chat at once)
        replaced = _assign(uow, role.id, person, HolderKind(invite.kind), now, changer, menu=False)
        invite.used_at, invite.used_by_person_id = now, person.id
        _void_invites(uow, role.id, HolderKind(invite.kind), now, changer)
        uow.commit()
        return Binding(
            person.id,
            person.name,
            role.id,
            role.name,
            HolderKind(invite.kind),
            replaced.name if replaced is not None else None,
        )


def _pending_invites(uow: UnitOfWork, now: datetime) -> list[InviteRow]:
    """Invites not used, revoked or expired, oldest first."""
    return list(
        uow.session.scalars(
            select(InviteRow)
            .where(
                InviteRow.used_at.is_(None),
                InviteRow.revoked_at.is_(None),
                InviteRow.expires_at > now,
            )
            .order_by(InviteRow.created_at)
        )
    )


def _void_invites(
    uow: UnitOfWork, role_id: str, kind: HolderKind, now: datetime, changer: Changer
) -> None:
    for row in _pending_invites(uow, now):
        if row.role_id == role_id and row.kind == kind:
            _revoke_invite(uow, row, now, changer)


def _revoke_invite(uow: UnitOfWork, row: InviteRow, now: datetime, changer: Changer) -> None:
    row.revoked_at = now
    record_change(
        uow,
        changer,
        AuditAction.INVITE_REVOKED,
        now,
        subject=row.role_id,
        old={"kind": row.kind, "name": row.name, "invite": row.token[:INVITE_REF_LENGTH]},
    )


def _invite(row: InviteRow, role_names: dict[str, str]) -> Invite:
    return Invite(
        row.token,
        row.role_id,
        role_names.get(row.role_id, row.role_id),
        HolderKind(row.kind),
        row.name,
        row.expires_at,
        row.created_at,
        row.created_by,
    )


def pending_invites(ctx: AppContext) -> list[Invite]:
    """Every invite that can still be used, oldest first."""
    with ctx.unit_of_work() as uow:
        names = {role.id: role.name for role in active_catalogue(uow).roles}
        return [_invite(row, names) for row in _pending_invites(uow, ctx.now())]


def revoke_invites(ctx: AppContext, ref: str) -> list[Invite]:
    """Revoke a pending invite (by the start of its token, as listed) or every pending invite
    of a role (by the role's id); the ones revoked."""
    wanted = ref.strip()
    with ctx.unit_of_work() as uow:
        now = ctx.now()
        names = {role.id: role.name for role in active_catalogue(uow).roles}
        pending = _pending_invites(uow, now)
        found = [row for row in pending if row.role_id == wanted]
        if not found and len(wanted) >= 4:
            found = [row for row in pending if row.token.startswith(wanted)]
            if len(found) > 1:
                raise ServiceError("ambiguous_invite", ref=wanted)
        if not found:
            raise ServiceError("unknown_invite", ref=wanted)
        for row in found:
            _revoke_invite(uow, row, now, OPERATOR_CHANGE)
        revoked = [_invite(row, names) for row in found]
        uow.commit()
        return revoked


def _active_assignment(uow: UnitOfWork, role_id: str, kind: HolderKind) -> AssignmentRow | None:
    return uow.session.scalars(
        select(AssignmentRow).where(
            AssignmentRow.role_id == role_id,
            AssignmentRow.kind == kind,
            AssignmentRow.revoked_at.is_(None),
        )
    ).first()


def _assign(
    uow: UnitOfWork,
    role_id: str,
    person: PersonRow,
    kind: HolderKind,
    now: datetime,
    changer: Changer,
    menu: bool = True,
) -> PersonRow | None:
    """Make ``person`` the role's owner/deputy; returns whom they replaced. The command menus
    of both are set again (``menu`` False: not the new holder's, which the caller sets)."""
    current = _active_assignment(uow, role_id, kind)
    if current is not None and current.person_id == person.id:
        return None
    if menu:
        queue_menu(uow, person.telegram_user_id, now)
    replaced = None
    if current is not None:
        current.revoked_at = now
        replaced = current.person
        queue_menu(uow, replaced.telegram_user_id, now)
    uow.session.add(
        AssignmentRow(role_id=role_id, person_id=person.id, kind=kind.value, assigned_at=now)
    )
    record_change(
        uow,
        changer,
        AuditAction.ASSIGN,
        now,
        subject=role_id,
        old={"kind": kind.value, "person": current.person_id} if current is not None else None,
        new={"kind": kind.value, "person": person.id},
    )
    return replaced


def find_person(uow: UnitOfWork, who: str) -> PersonRow:
    """A person by numeric id, Telegram @username or exact name (case-insensitive)."""
    session = uow.session
    text = who.strip()
    if text.isdigit():
        person = session.get(PersonRow, int(text))
        if person is not None:
            return person
    candidates = [
        p
        for p in session.scalars(select(PersonRow))
        if p.name.casefold() == text.casefold()
        or (p.telegram_username and "@" + p.telegram_username.casefold() == text.casefold())
    ]
    if not candidates:
        raise ServiceError("unknown_person", who=who)
    if len(candidates) > 1:
        raise ServiceError(
            "ambiguous_person", who=who, ids=", ".join(str(p.id) for p in candidates)
        )
    return candidates[0]


def assign_role(ctx: AppContext, role_id: str, who: str, kind: str = HolderKind.OWNER) -> Binding:
    """Give a role to a person already known to the bot (reassign)."""
    held = _holder_kind(kind)
    with ctx.unit_of_work() as uow:
        catalogue = active_catalogue(uow)
        role = _role(uow, catalogue, role_id)
        person = find_person(uow, who)
        replaced = _assign(uow, role.id, person, held, ctx.now(), OPERATOR_CHANGE)
        # the role is given: no old link takes it
        _void_invites(uow, role.id, held, ctx.now(), OPERATOR_CHANGE)
        _remind_of_new_role(uow, ctx, catalogue, person, role.id)
        uow.commit()
        name = replaced.name if replaced is not None else None
        return Binding(person.id, person.name, role.id, role.name, held, name)


def _remind_of_new_role(
    uow: UnitOfWork, ctx: AppContext, catalogue: Catalogue, person: PersonRow, role_id: str
) -> None:
    """A role given during an open round: its new holder gets a reminder for it."""
    round_row = open_round_row(uow)
    if round_row is None or person.telegram_user_id is None or person.blocked_bot_at:
        return
    period = Period.parse(round_row.period)
    if asked_of(uow, catalogue, [role_id], period):
        queue_send(
            uow,
            f"{period.key}:assign:{person.id}:{role_id}",
            SendKind.REMINDER,
            person.telegram_user_id,
            ctx.now(),
            period=period,
            person_id=person.id,
        )


def revoke_role(ctx: AppContext, role_id: str, kind: str = HolderKind.OWNER) -> str:
    """End the current owner's (or deputy's) hold on a role; returns their name."""
    held = _holder_kind(kind)
    with ctx.unit_of_work() as uow:
        catalogue = active_catalogue(uow)
        _role(uow, catalogue, role_id)
        current = _active_assignment(uow, role_id, held)
        if current is None:
            raise ServiceError("nobody_holds_role", role=role_id, kind=held.value)
        current.revoked_at = ctx.now()
        record_change(
            uow,
            OPERATOR_CHANGE,
            AuditAction.UNASSIGN,
            ctx.now(),
            subject=role_id,
            old={"kind": held.value, "person": current.person_id},
        )
        name = current.person.name
        queue_menu(uow, current.person.telegram_user_id, ctx.now())
        uow.commit()
        return name


def list_owners(ctx: AppContext) -> OwnerList:
    """Every role of the catalogue with its owner, deputy and pending invites."""
    with ctx.unit_of_work() as uow:
        catalogue = active_catalogue(uow)
        now = ctx.now()
        names = {role.id: role.name for role in catalogue.roles}
        invites: dict[str, list[Invite]] = {}
        for row in _pending_invites(uow, now):
            if row.role_id in names:
                invites.setdefault(row.role_id, []).append(_invite(row, names))
        holders = role_holders(uow, catalogue)
        return OwnerList(
            tuple(holders[role.id] for role in catalogue.roles),
            {role_id: tuple(found) for role_id, found in invites.items()},
        )


def remember_bot_username(ctx: AppContext, bot_id: int, username: str) -> None:
    """Keep the bot's @username so the CLI can print invite links without asking Telegram.

    Kept per bot: a database that another bot's token once ran on (a trial, a replaced bot)
    never puts that bot's name into an invite link.
    """
    with ctx.unit_of_work() as uow:
        set_setting(uow, f"bot_username:{bot_id}", username, ctx.now())
        set_setting(uow, "bot_id", str(bot_id), ctx.now())  # the bot that ran here last
        uow.commit()


def bot_username(ctx: AppContext, bot_id: int | None) -> str | None:
    """The @username of the bot ``bot_id`` (None: of the bot that ran here last), if known."""
    with ctx.unit_of_work() as uow:
        if bot_id is None:
            last = get_setting(uow, "bot_id")
            if last is None:
                return None
            bot_id = int(last)
        return get_setting(uow, f"bot_username:{bot_id}")


def pause_nudges(
    ctx: AppContext, who: str, until: date | None, *, by: Actor = OPERATOR
) -> tuple[str, date | None]:
    """Pause a person's nudges until a date (inclusive); None resumes them."""
    today = ctx.now().astimezone(ctx.config.schedule.zone).date()
    with ctx.unit_of_work() as uow:
        require(uow, ctx, by, Command.PAUSE)
        person = find_person(uow, who)
        if until is not None and until < today:
            raise ServiceError("pause_in_past", until=until, today=today)
        before = person.nudges_paused_until
        if before != until:
            record_change(
                uow,
                changer_of(uow, ctx, by),
                AuditAction.PAUSE_NUDGES,
                ctx.now(),
                subject=str(person.id),
                old={"until": before.isoformat()} if before else None,
                new={"until": until.isoformat()} if until else None,
            )
        person.nudges_paused_until = until
        uow.commit()
        return person.name, until
