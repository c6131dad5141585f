"""The sandbox's demo world: an administrator, one person per owner role, a deputy, a stranger,
and the management group."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from goalbot.domain.goals import Catalogue, Role

ADMIN = "admin"
OWNER = "owner"
DEPUTY = "deputy"
STRANGER = "stranger"

ADMIN_ID = 1001
FIRST_OWNER_ID = 1101
DEPUTY_ID = 1901
STRANGER_ID = 1951

FIRST_NAMES = (
    "Aino", "Mikko", "Leena", "Juha", "Sari", "Timo", "Paula", "Jari", "Heidi", "Antti",
    "Riikka", "Pekka", "Minna", "Kari", "Tiina", "Olli", "Jenni", "Markku", "Elina", "Ville",
)  # fmt: skip
LAST_NAMES = (
    "Virtanen", "Mäkinen", "Nieminen", "Laine", "Heikkinen", "Koskinen", "Järvinen",
    "Lehtonen", "Salminen", "Hämäläinen", "Tuominen", "Rantanen", "Karjalainen", "Lindholm",
    "Saarinen", "Aaltonen", "Peltonen", "Kallio", "Manninen", "Lahtinen",
)  # fmt: skip


@dataclass(frozen=True)
class DemoPerson:
    """One person of the rehearsal, and what they are to the bot."""

    user_id: int
    first_name: str
    last_name: str
    kind: str  # admin | owner | deputy | stranger
    role_id: str = ""
    role_name: str = ""
    manager: bool = False  # the town manager or a department head: in the management group

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def username(self) -> str:
        """A Telegram @username made of the name (ASCII, as Telegram allows)."""
        plain = unicodedata.normalize("NFKD", f"{self.first_name}_{self.last_name}".lower())
        return "".join(c for c in plain if c.isascii() and (c.isalnum() or c == "_"))


def demo_people(catalogue: Catalogue) -> list[DemoPerson]:
    """Everybody of the rehearsal, in the order the page lists them."""
    managers = {d.head_role for d in catalogue.departments}
    if catalogue.manager_role:
        managers.add(catalogue.manager_role)
    people = [DemoPerson(ADMIN_ID, "Anna", "Ahonen", ADMIN)]
    for n, role in enumerate(catalogue.roles):
        first = FIRST_NAMES[n % len(FIRST_NAMES)]
        last = LAST_NAMES[(n + n // len(FIRST_NAMES)) % len(LAST_NAMES)]
        people.append(
            DemoPerson(
                FIRST_OWNER_ID + n, first, last, OWNER, role.id, role.name, role.id in managers
            )
        )
    deputised = deputy_role(catalogue)
    if deputised is not None:
        people.append(
            DemoPerson(DEPUTY_ID, "Satu", "Sijainen", DEPUTY, deputised.id, deputised.name)
        )
    people.append(DemoPerson(STRANGER_ID, "Veli", "Vieras", STRANGER))
    return people


def deputy_role(catalogue: Catalogue) -> Role | None:
    """The role the demo deputy stands in for: the first department head's, else the first."""
    roles = {r.id: r for r in catalogue.roles}
    for department in catalogue.departments:
        if department.head_role in roles:
            return roles[department.head_role]
    return catalogue.roles[0] if catalogue.roles else None


def management_group(people: list[DemoPerson]) -> list[DemoPerson]:
    """The members of the management group: the administrator (who added the bot) first."""
    return [p for p in people if p.kind == ADMIN or (p.kind == OWNER and p.manager)]
