"""People as documents name them: the caja's officers who sign, members in short form."""

from __future__ import annotations

from cajas.members.models import Membership, Person, Role
from cajas.org.models import Caja


def officers(caja: Caja) -> dict[str, Membership | None]:
    """The president, treasurer and secretary in office (who sign the documents)."""
    found: dict[str, Membership | None] = {}
    for role in (Role.PRESIDENT, Role.TREASURER, Role.SECRETARY):
        found[role] = (
            Membership.objects.filter(caja=caja, role=role, left_on__isnull=True)
            .select_related("person")
            .first()
        )
    return found


def short_name(person: Person) -> str:
    """``Ana María Pérez López`` → ``Ana P.``: enough to tell members apart in a tally."""
    given = person.given_names.split()
    family = person.family_names.strip()
    first = given[0] if given else ""
    return f"{first} {family[0]}." if family else first
