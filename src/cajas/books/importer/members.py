"""The ``members`` section: people and memberships, with the rules ``members`` enforces
(adults at joining, one active holder per officer role, the bylaws' number of members)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation

from cajas.books.format import LEGACY_CONSENT_DATES, PERSON_FIELDS, show
from cajas.books.importer.shape import MEMBER
from cajas.books.importer.state import Plan
from cajas.books.importer.values import date_value, int_value
from cajas.members.models import (
    OFFICER_ROLES,
    Consent,
    ConsentHow,
    ConsentPurpose,
    Membership,
    Person,
    Role,
)
from cajas.members.rules import OfficerRoleTaken, age_on
from cajas.org.models import Caja


def check_members(plan: Plan) -> None:
    seen_codes: Counter[str] = Counter()
    min_age = plan.bylaws[0].min_age_years if plan.bylaws else 18
    for i, raw in enumerate(plan.doc["members"]):
        path = f"$.members[{i}]"
        if not MEMBER.check(raw, path, plan.errs):
            continue
        number = int_value(raw["number"], f"{path}.number", plan.errs, minimum=1)
        if number in plan.members:
            plan.errs.add(f"{path}.number", f"número repetido / duplicate number {number}")
        if raw["role"] not in Role.values:
            plan.errs.add(f"{path}.role", f"rol desconocido / unknown role {show(raw['role'])}")
        joined = date_value(raw["joined_on"], f"{path}.joined_on", plan.errs)
        left = date_value(raw.get("left_on"), f"{path}.left_on", plan.errs, optional=True)
        person = raw["person"]
        seen_codes[person["code"]] += 1
        if seen_codes[person["code"]] > 1:
            plan.errs.add(f"{path}.person.code", "código repetido en el archivo / duplicate code")
        if Person.objects.filter(code=person["code"]).exists():
            plan.errs.add(
                f"{path}.person.code",
                f"la persona {person['code']} ya está registrada / already registered",
            )
        candidate = Person(**{k: person[k] for k in PERSON_FIELDS if person.get(k) is not None})
        try:
            candidate.full_clean(exclude=["user", "code"], validate_unique=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                plan.errs.add(f"{path}.person.{name}", "; ".join(messages))
            continue
        birth = dt.date.fromisoformat(person["birth_date"])
        if joined and age_on(birth, joined) < min_age:
            plan.errs.add(
                f"{path}.person.birth_date",
                f"menor de {min_age} años al ingresar / under {min_age} when joining (MEM-001)",
            )
        if joined and left and left < joined:
            plan.errs.add(
                f"{path}.left_on",
                "la salida es anterior al ingreso / left before joining",
            )
        plan.members[number] = {
            "raw": raw,
            "joined": joined,
            "left": left,
            "person": candidate,
            "path": path,
            "consents": consents_read(plan, person, f"{path}.person"),
        }
    check_officers(plan)
    active = sum(1 for m in plan.members.values() if m["left"] is None)
    if plan.bylaws and active > plan.bylaws[-1].max_members:
        plan.errs.add(
            "$.members",
            f"{active} socios activos, el máximo es {plan.bylaws[-1].max_members} "
            f"/ {active} active members, the maximum is {plan.bylaws[-1].max_members} (CAJA-001)",
        )


def consents_read(plan: Plan, person: dict[str, Any], path: str) -> list[Consent]:
    """The person's consents, already shaped (``shape.CONSENT``). A book written before
    consents were records carries dates instead (``LEGACY_CONSENT_DATES``): consents "recorded"
    that day. At most one in force per purpose; a migratory status needs the sensitive-data
    consent in force (CONS-003)."""
    raws = list(person.get("consents") or [])
    for name in LEGACY_CONSENT_DATES:
        if person.get(name):
            purpose = name.removesuffix("_consent_on")
            raws.append({"purpose": purpose, "given_at": f"{person[name]}T12:00:00+00:00"})
    found: list[Consent] = []
    for i, raw in enumerate(raws):
        where = f"{path}.consents[{i}]"
        given = dt.datetime.fromisoformat(raw["given_at"])
        withdrawn = (
            dt.datetime.fromisoformat(raw["withdrawn_at"]) if raw.get("withdrawn_at") else None
        )
        if withdrawn is not None and withdrawn < given:
            plan.errs.add(
                f"{where}.withdrawn_at", "retirado antes de darse / withdrawn before given"
            )
        how = raw.get("how") or ConsentHow.RECORDED
        if how == ConsentHow.ATTESTED and not raw.get("attestation"):
            plan.errs.add(
                f"{where}.attestation", "falta la constancia / attestation missing (CONS-002)"
            )
        found.append(
            Consent(
                purpose=raw["purpose"],
                given_at=given,
                how=how,
                attestation=raw.get("attestation") or "",
                withdrawn_at=withdrawn,
                withdrawn_how=raw.get("withdrawn_how") or "",
            )
        )
    in_force = Counter(c.purpose for c in found if c.withdrawn_at is None)
    for purpose, n in sorted(in_force.items()):
        if n > 1:
            plan.errs.add(
                f"{path}.consents", f"{n} consentimientos vigentes de {purpose} / {n} in force"
            )
    if person.get("mobility_status") and not in_force.get(ConsentPurpose.SENSITIVE_DATA):
        plan.errs.add(
            f"{path}.mobility_status",
            "condición migratoria sin consentimiento vigente / migratory status without a "
            "consent in force (CONS-003)",
        )
    return found


def check_officers(plan: Plan) -> None:
    """One active holder per officer role, as ``members`` enforces on enrolment."""
    holders: dict[str, dict[str, Any]] = {}
    for m in plan.members.values():
        role = m["raw"]["role"]
        if m["left"] is not None or role not in OFFICER_ROLES:
            continue
        if role not in holders:
            holders[role] = m
            continue
        label = Role(role).label
        with translation.override("es"):
            role_es = str(label).lower()
        with translation.override("en"):
            role_en = str(label).lower()
        taken = OfficerRoleTaken(
            role_es=role_es, role_en=role_en, holder=holders[role]["person"].full_name
        )
        plan.errs.add(f"{m['path']}.role", f"{taken.es} / {taken.en}")


def write_members(plan: Plan, caja: Caja) -> dict[int, Membership]:
    members = {}
    for number, m in sorted(plan.members.items()):
        person = m["person"]
        person.save()
        for consent in m["consents"]:
            consent.person = person
        Consent.objects.bulk_create(m["consents"])
        members[number] = Membership.objects.create(
            caja=caja,
            person=person,
            number=number,
            role=m["raw"]["role"],
            joined_on=m["joined"],
            left_on=m["left"],
            left_reason=m["raw"].get("left_reason", ""),
        )
    return members
