"""Membership rules (docs/domain.md §6), pure functions over plain values."""

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


# Consents (LOPDP): only the member herself, or an officer of a caja where she is an active
# member who attests that she is present, records or withdraws a consent.


class ConsentNotAllowed(RuleViolation):
    code = "consent.not_allowed"
    rule_id = "CONS-001"
    message_es = (
        "Solo la propia persona, o la presidenta, tesorera o secretaria de una caja donde ella "
        "es socia activa (con ella presente), puede registrar o retirar su consentimiento."
    )
    message_en = (
        "Only the person herself, or the president, treasurer or secretary of a caja where she "
        "is an active member (with her present), may record or withdraw her consent."
    )


class ConsentAttestationMissing(RuleViolation):
    code = "consent.attestation_missing"
    rule_id = "CONS-002"
    message_es = (
        "Marque que la socia está presente y da (o retira) su consentimiento ella misma; "
        "sin eso no se registra."
    )
    message_en = (
        "Tick that the member is present and gives (or withdraws) her consent herself; "
        "without it nothing is recorded."
    )
    default_field = "attested"


class ConsentAlreadyGiven(RuleViolation):
    code = "consent.already_given"
    message_es = "Ese consentimiento ya está vigente desde el {since}."
    message_en = "That consent is already in force since {since}."


class ConsentNotInForce(RuleViolation):
    code = "consent.not_in_force"
    message_es = "No hay un consentimiento vigente para «{purpose_es}» que retirar."
    message_en = "There is no consent in force for “{purpose_en}” to withdraw."


class SensitiveConsentRequired(RuleViolation):
    code = "consent.sensitive_required"
    rule_id = "CONS-003"
    message_es = (
        "La condición migratoria solo se registra con el consentimiento explícito de la persona "
        "para sus datos sensibles."
    )
    message_en = (
        "The migratory status is recorded only with the person's explicit consent to her "
        "sensitive data."
    )
    default_field = "mobility_status"


def consent_how(*, is_subject: bool, is_officer_of_her_caja: bool, attested: bool) -> str:
    """CONS-001/002: ``self`` when the person acts on her own login, ``attested`` when an
    officer of one of her cajas confirms she is present; anyone else is refused."""
    if is_subject:
        return "self"
    if not is_officer_of_her_caja:
        raise ConsentNotAllowed()
    if not attested:
        raise ConsentAttestationMissing()
    return "attested"


# Erasure of a person's data (LOPDP right to deletion), refused while money is still owed.


class ErasureLoanOutstanding(RuleViolation):
    code = "erasure.loan_outstanding"
    rule_id = "ERASE-001"
    message_es = (
        "No se pueden borrar los datos de {code}: tiene el préstamo n.º {loan} en la caja "
        "«{caja}» sin terminar de pagar; la caja necesita saber a quién se lo cobra."
    )
    message_en = (
        "{code}'s data cannot be erased: loan #{loan} in the caja “{caja}” is not repaid yet; "
        "the caja needs to know whom to collect it from."
    )


class ErasureSavingsHeld(RuleViolation):
    code = "erasure.savings_held"
    rule_id = "ERASE-002"
    message_es = (
        "No se pueden borrar los datos de {code}: sigue siendo socia de la caja «{caja}» con "
        "{amount} USD de ahorro; la caja aún le debe ese dinero. Liquide su salida primero."
    )
    message_en = (
        "{code}'s data cannot be erased: she is still a member of the caja “{caja}” with "
        "{amount} USD of savings; the caja still owes her that money. Settle her exit first."
    )


class ErasureDone(RuleViolation):
    code = "erasure.done"
    message_es = "Los datos de {code} ya se borraron el {on}."
    message_en = "{code}'s data were already erased on {on}."


class ErasureReasonMissing(RuleViolation):
    code = "erasure.reason_missing"
    message_es = "Escriba el motivo del borrado (p. ej. la solicitud de la persona y su fecha)."
    message_en = "Write the reason for the erasure (e.g. the person's request and its date)."
    default_field = "reason"


def check_erasable(
    *,
    code: str,
    open_loans: list[tuple[int, str]],
    open_savings: list[tuple[str, str]],
    reason: str,
) -> None:
    """ERASE-001/002. ``open_loans``: (loan number, caja name) still owed; ``open_savings``:
    (caja name, amount) of open memberships holding savings."""
    if not reason.strip():
        raise ErasureReasonMissing()
    if open_loans:
        loan, caja = open_loans[0]
        raise ErasureLoanOutstanding(code=code, loan=loan, caja=caja)
    if open_savings:
        caja, amount = open_savings[0]
        raise ErasureSavingsHeld(code=code, caja=caja, amount=amount)
