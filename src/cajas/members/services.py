"""Enrolling people in cajas and ending memberships."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.db.models import Max

from cajas.ledger import chart
from cajas.ledger.models import Account, AccountKind
from cajas.ledger.services import caja_lock
from cajas.members.models import OFFICER_ROLES, Membership, Person, Role
from cajas.members.rules import (
    MemberNotActive,
    OfficerRoleTaken,
    check_adult,
    check_capacity,
    check_not_active_elsewhere,
)
from cajas.org.models import bylaws_in_force

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def member_code_new(rng: Any = None) -> str:
    """A pseudonymous member code (e.g. ``S-7K3Q9XMB``): what people outside the caja see."""
    choice = rng.choice if rng is not None else secrets.choice
    return "S-" + "".join(choice(CODE_ALPHABET) for _ in range(8))


def person_create(*, code: str | None = None, **fields: Any) -> Person:
    person = Person(code=code or member_code_new(), **fields)
    person.full_clean(exclude=["user"])
    person.save()
    return person


@transaction.atomic
def membership_create(
    *, caja_id: int, person: Person, joined_on: dt.date, role: str = Role.MEMBER
) -> Membership:
    """CAJA-001, MEM-001, MEM-002 and one holder per officer role; opens the savings account."""
    caja = caja_lock(caja_id=caja_id)
    bylaws = bylaws_in_force(caja, joined_on)
    active = Membership.objects.filter(caja=caja, left_on__isnull=True)
    check_capacity(active_members=active.count(), max_members=bylaws.max_members)
    check_adult(birth_date=person.birth_date, on=joined_on, min_age=bylaws.min_age_years)
    other = (
        Membership.objects.filter(
            person=person, left_on__isnull=True, caja__program_id=caja.program_id
        )
        .select_related("caja")
        .first()
    )
    check_not_active_elsewhere(other_caja_name=other.caja.name if other else None)
    if role in OFFICER_ROLES:
        holder = active.filter(role=role).select_related("person").first()
        if holder is not None:
            label = Role(role)
            from django.utils import translation

            with translation.override("es"):
                role_es = str(label.label).lower()
            with translation.override("en"):
                role_en = str(label.label).lower()
            raise OfficerRoleTaken(role_es=role_es, role_en=role_en, holder=holder.person.full_name)
    number = (Membership.objects.filter(caja=caja).aggregate(m=Max("number"))["m"] or 0) + 1
    membership = Membership.objects.create(
        caja=caja, person=person, number=number, role=role, joined_on=joined_on
    )
    # Her savings account in the caja's book: a liability, the caja owes it to her.
    Account.objects.create(
        caja_id=membership.caja_id,
        code=chart.savings_account_code(membership.number),
        kind=AccountKind.LIABILITY,
        membership=membership,
    )
    return membership


@transaction.atomic
def member_enrol(
    *,
    caja_id: int,
    joined_on: dt.date,
    role: str = Role.MEMBER,
    code: str | None = None,
    **person_fields: Any,
) -> Membership:
    """Register a new person and make them a member, all or nothing."""
    person = person_create(code=code, **person_fields)
    return membership_create(caja_id=caja_id, person=person, joined_on=joined_on, role=role)


@transaction.atomic
def membership_end(*, caja_id: int, number: int, left_on: dt.date, reason: str) -> Membership:
    """Record that a member left. Settling their savings is the share-out's member-exit
    service; this only ends the membership."""
    caja_lock(caja_id=caja_id)
    membership = Membership.objects.filter(caja_id=caja_id, number=number).first()
    if membership is None or membership.left_on is not None:
        raise MemberNotActive(number=number)
    membership.left_on = left_on
    membership.left_reason = reason
    membership.save(update_fields=["left_on", "left_reason"])
    return membership


def credit_letter_consent_record(*, membership: Membership, on: dt.date) -> None:
    """The member agrees that the caja may issue a credit-history letter about them."""
    person = membership.person
    if person.credit_letter_consent_on is None:
        person.credit_letter_consent_on = on
        person.save(update_fields=["credit_letter_consent_on"])
