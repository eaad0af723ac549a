"""Enrolling people in cajas and ending memberships."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cajas.ledger import chart
from cajas.ledger.models import Account, AccountKind
from cajas.members.models import (
    OFFICER_ROLES,
    Consent,
    ConsentHow,
    ConsentPurpose,
    Membership,
    Person,
    Role,
)
from cajas.members.rules import (
    ConsentAlreadyGiven,
    ConsentNotInForce,
    MemberNotActive,
    OfficerRoleTaken,
    SensitiveConsentRequired,
    check_adult,
    check_capacity,
    check_not_active_elsewhere,
    consent_how,
)
from cajas.members.selectors import consent_in_force, membership_by_number
from cajas.org.selectors import bylaws_in_force
from cajas.org.services import caja_lock

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def member_code_new(rng: Any = None) -> str:
    """A pseudonymous member code (e.g. ``S-7K3Q9XMB``): what people outside the caja see."""
    choice = rng.choice if rng is not None else secrets.choice
    return "S-" + "".join(choice(CODE_ALPHABET) for _ in range(8))


def person_create(
    *, code: str | None = None, sensitive_data_consent: ConsentGiven | None = None, **fields: Any
) -> Person:
    """A new person. A migratory status is recorded only with ``sensitive_data_consent``
    (CONS-003), which is recorded with her as a ``Consent``."""
    if fields.get("mobility_status") and sensitive_data_consent is None:
        raise SensitiveConsentRequired()
    person = Person(code=code or member_code_new(), **fields)
    person.full_clean(exclude=["user"])
    person.save()
    if sensitive_data_consent is not None:
        c = sensitive_data_consent
        Consent.objects.create(
            person=person,
            purpose=ConsentPurpose.SENSITIVE_DATA,
            given_at=timezone.now(),
            recorded_by=c.recorded_by,
            how=c.how,
            attestation=c.attestation or (ATTESTATION_TEXT if c.how == ConsentHow.ATTESTED else ""),
        )
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
    """The one home of a member leaving: the membership ends on ``left_on`` for ``reason``.
    Settling her money (savings back, loans deducted) is ``shareouts.services.member_exit``,
    which calls this last, in its transaction."""
    caja_lock(caja_id=caja_id)
    membership = membership_by_number(caja_id, number)
    if membership is None or membership.left_on is not None:
        raise MemberNotActive(number=number)
    membership.left_on = left_on
    membership.left_reason = reason
    membership.save(update_fields=["left_on", "left_reason"])
    return membership


# Consents ------------------------------------------------------------------------------------

# What an officer confirms by ticking the box (stored with the consent, in Spanish).
ATTESTATION_TEXT = (
    "La socia estuvo presente y dio (o retiró) su consentimiento ella misma; "
    "se le explicó para qué se usan sus datos."
)


@dataclass(frozen=True)
class ConsentGiven:
    """How a consent given at enrolment was obtained (``person_create``)."""

    how: str = ConsentHow.RECORDED
    recorded_by: Any = None
    attestation: str = ""


def _how(*, person: Person, by: Any, attested: bool) -> str:
    """CONS-001/002 with the facts read from the database."""
    is_subject = by is not None and person.user_id is not None and person.user_id == by.pk
    her_cajas = Membership.objects.filter(person=person, left_on__isnull=True).values("caja_id")
    is_officer = (
        by is not None
        and by.pk is not None
        and Membership.objects.filter(
            person__user_id=by.pk,
            role__in=OFFICER_ROLES,
            left_on__isnull=True,
            caja_id__in=her_cajas,
        ).exists()
    )
    return consent_how(is_subject=is_subject, is_officer_of_her_caja=is_officer, attested=attested)


def _purpose_labels(purpose: str) -> dict[str, str]:
    from django.utils import translation

    label = ConsentPurpose(purpose).label
    with translation.override("es"):
        es = str(label)
    with translation.override("en"):
        en = str(label)
    return {"purpose_es": es, "purpose_en": en}


@transaction.atomic
def consent_give(
    *, person_id: int, purpose: str, by: Any, attested: bool = False, at: dt.datetime | None = None
) -> Consent:
    """Record a consent given by the person herself (``by`` is her user) or, with her present,
    by an officer of one of her cajas (``attested``). Refused for anyone else."""
    person = Person.objects.select_for_update().get(pk=person_id)
    ConsentPurpose(purpose)  # ValueError on an unknown purpose: the views offer only these
    how = _how(person=person, by=by, attested=attested)
    current = Consent.objects.filter(
        person=person, purpose=purpose, withdrawn_at__isnull=True
    ).first()
    if current is not None:
        raise ConsentAlreadyGiven(since=timezone.localtime(current.given_at).strftime("%d/%m/%Y"))
    return Consent.objects.create(
        person=person,
        purpose=purpose,
        given_at=at or timezone.now(),
        recorded_by=by,
        how=how,
        attestation=ATTESTATION_TEXT if how == ConsentHow.ATTESTED else "",
    )


@transaction.atomic
def consent_withdraw(
    *, person_id: int, purpose: str, by: Any, attested: bool = False, at: dt.datetime | None = None
) -> Consent:
    """Withdraw the consent in force. Withdrawing ``sensitive_data`` also empties the recorded
    migratory status: it is kept only while the consent is in force."""
    person = Person.objects.select_for_update().get(pk=person_id)
    ConsentPurpose(purpose)
    how = _how(person=person, by=by, attested=attested)
    current = Consent.objects.filter(
        person=person, purpose=purpose, withdrawn_at__isnull=True
    ).first()
    if current is None:
        raise ConsentNotInForce(**_purpose_labels(purpose))
    current.withdrawn_at = at or timezone.now()
    current.withdrawn_by = by
    current.withdrawn_how = how
    if how == ConsentHow.ATTESTED and not current.attestation:
        current.attestation = ATTESTATION_TEXT
    current.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_how", "attestation"])
    if purpose == ConsentPurpose.SENSITIVE_DATA and person.mobility_status:
        person.mobility_status = ""
        person.save(update_fields=["mobility_status"])
    return current


@transaction.atomic
def mobility_status_record(*, person_id: int, status: str) -> Person:
    """Record (or change) the migratory status: refused without a sensitive-data consent in
    force (CONS-003)."""
    person = Person.objects.select_for_update().get(pk=person_id)
    if status and not consent_in_force(person_id=person.pk, purpose=ConsentPurpose.SENSITIVE_DATA):
        raise SensitiveConsentRequired()
    person.mobility_status = status
    person.full_clean(exclude=["user"])
    person.save(update_fields=["mobility_status"])
    return person
