"""Membership rules (DESIGN.md §6), pure functions over plain values."""

from __future__ import annotations

import datetime as dt

from cajas.core.errors import RuleViolation


class CajaFull(RuleViolation):
    """CAJA-001: at most ``max_members`` active members."""

    code = "caja.full"
    rule_id = "CAJA-001"
    message_es = "La caja ya tiene el máximo de {limit} socios activos que permite su reglamento."
    message_en = "The caja already has the maximum of {limit} active members its bylaws allow."


class MemberUnderage(RuleViolation):
    """MEM-001: members are adults when they join."""

    code = "member.underage"
    rule_id = "MEM-001"
    message_es = (
        "La persona tiene {age} años; el reglamento exige al menos {min_age} para ser socia."
    )
    message_en = "The person is {age} years old; the bylaws require at least {min_age} to join."
    default_field = "birth_date"


class PersonActiveElsewhere(RuleViolation):
    """MEM-002: one active membership per person per program."""

    code = "member.active_elsewhere"
    rule_id = "MEM-002"
    message_es = "La persona ya es socia activa de la caja «{caja}» de este programa."
    message_en = "The person is already an active member of the caja “{caja}” in this program."


class OfficerRoleTaken(RuleViolation):
    code = "member.role_taken"
    message_es = "La caja ya tiene {role_es}: {holder}."
    message_en = "The caja already has a {role_en}: {holder}."
    default_field = "role"


class MemberNotActive(RuleViolation):
    code = "member.not_active"
    message_es = "El socio n.º {number} no está activo en esta caja."
    message_en = "Member #{number} is not active in this caja."


def age_on(birth_date: dt.date, day: dt.date) -> int:
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def check_capacity(*, active_members: int, max_members: int) -> None:
    """CAJA-001."""
    if active_members >= max_members:
        raise CajaFull(limit=max_members)


def check_adult(*, birth_date: dt.date, on: dt.date, min_age: int) -> None:
    """MEM-001."""
    age = age_on(birth_date, on)
    if age < min_age:
        raise MemberUnderage(age=age, min_age=min_age)


def check_not_active_elsewhere(*, other_caja_name: str | None) -> None:
    """MEM-002."""
    if other_caja_name is not None:
        raise PersonActiveElsewhere(caja=other_caja_name)
