"""Reading memberships (a member by her number in the caja) and consents."""

from __future__ import annotations

import datetime as dt

from cajas.members.models import Consent, Membership
from cajas.members.rules import MemberNotActive


def membership_by_number(caja_id: int, number: int) -> Membership | None:
    """The caja's member with this number (active or not), or None."""
    return Membership.objects.filter(caja_id=caja_id, number=number).first()


def active_membership(caja_id: int, number: int, on: dt.date, field: str = "member") -> Membership:
    """The caja's member with this number, active on ``on``; refused (``MemberNotActive``,
    naming ``field``) when there is none or she had left or not yet joined."""
    membership = membership_by_number(caja_id, number)
    if membership is None or not membership.active_on(on):
        raise MemberNotActive(number=number, field=field)
    return membership


def consent_in_force(*, person_id: int, purpose: str) -> Consent | None:
    """The person's consent for ``purpose`` not withdrawn, or None."""
    return Consent.objects.filter(
        person_id=person_id, purpose=purpose, withdrawn_at__isnull=True
    ).first()


def persons_consenting(*, person_ids: list[int], purpose: str) -> set[int]:
    """Of these people, those with a consent in force for ``purpose`` (one query)."""
    return set(
        Consent.objects.filter(
            person_id__in=person_ids, purpose=purpose, withdrawn_at__isnull=True
        ).values_list("person_id", flat=True)
    )


def consents_of(*, person_id: int) -> list[Consent]:
    """Every consent of the person, given and withdrawn, oldest first."""
    return list(
        Consent.objects.filter(person_id=person_id)
        .select_related("recorded_by", "withdrawn_by")
        .order_by("given_at", "pk")
    )
