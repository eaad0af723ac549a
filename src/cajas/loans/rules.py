"""Loan rules (docs/domain.md §6 LOAN-001…005, GOV-001; §7 allocation), pure functions over plain
values. Services load the state, call these, and write what they return. The allocation of a
repayment and the arrears are in ``loans/repayment.py``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cajas.core.errors import RuleViolation
from cajas.core.money import format_amount, has_places, round_cents

# --- eligibility -------------------------------------------------------------------------


class LoanOverSavingsMultiple(RuleViolation):
    code = "loan.over_savings_multiple"
    rule_id = "LOAN-001"
    message_es = (
        "El préstamo de {amount} USD supera {multiple} veces los ahorros de la socia o socio "
        "({savings} USD): puede pedir hasta {limit} USD."
    )
    message_en = (
        "The loan of {amount} USD is more than {multiple} times the member's savings "
        "({savings} USD): they may borrow up to {limit} USD."
    )
    default_field = "amount"


class LoanOverAssetsShare(RuleViolation):
    code = "loan.over_assets_share"
    rule_id = "LOAN-002"
    message_es = (
        "El préstamo de {amount} USD supera el {percent} % de los activos de la caja "
        "({assets} USD): máximo {limit} USD."
    )
    message_en = (
        "The loan of {amount} USD is more than {percent} % of the caja's assets "
        "({assets} USD): at most {limit} USD."
    )
    default_field = "amount"


class LoanTermTooLong(RuleViolation):
    code = "loan.term_too_long"
    rule_id = "LOAN-003"
    message_es = "El plazo de {months} meses supera el máximo del reglamento ({max} meses)."
    message_en = "A term of {months} months is longer than the bylaws allow ({max} months)."
    default_field = "term"


class LoanGuarantorRequired(RuleViolation):
    code = "loan.guarantor_required"
    rule_id = "LOAN-004"
    message_es = "Un préstamo de más de {above} USD necesita al menos un garante."
    message_en = "A loan above {above} USD needs at least one guarantor."
    default_field = "guarantors"


class GuarantorInvalid(RuleViolation):
    code = "loan.guarantor_invalid"
    message_es = "El garante n.º {member} debe ser otro socio activo de la caja."
    message_en = "Guarantor #{member} must be another active member of the caja."
    default_field = "guarantors"


class LoanMembershipTooRecent(RuleViolation):
    code = "loan.membership_too_recent"
    message_es = (
        "El socio n.º {member} puede pedir préstamos tras {days} días en la caja "
        "(a partir del {from_date})."
    )
    message_en = "Member #{member} may borrow after {days} days in the caja (from {from_date})."
    default_field = "member"


class LoanTooManyOpen(RuleViolation):
    code = "loan.too_many_open"
    message_es = "El socio n.º {member} ya tiene {open} préstamo(s) sin cancelar (máximo {max})."
    message_en = "Member #{member} already has {open} loan(s) not yet repaid (at most {max})."
    default_field = "member"


class LoanOverCashAvailable(RuleViolation):
    code = "loan.over_cash"
    message_es = "La caja tiene {cash} USD disponibles; no puede prestar {amount} USD."
    message_en = "The caja has {cash} USD available; it cannot lend {amount} USD."
    default_field = "amount"


class LoanTermInvalid(RuleViolation):
    code = "loan.term_invalid"
    message_es = "El número de cuotas debe ser un entero entre 1 y {max}."
    message_en = "The number of installments must be a whole number from 1 to {max}."
    default_field = "term"


def months_for(term: int, frequency: str) -> Decimal:
    from cajas.loans.schedule import months_of

    return months_of(term, frequency)


def check_term(*, term: int, frequency: str, max_term_months: int) -> None:
    """LOAN-003: at least one installment, and no longer than the bylaws' maximum term."""
    if term < 1:
        raise LoanTermInvalid(max=max_term_months * 5)
    months = months_for(term, frequency)
    if months > max_term_months:
        raise LoanTermTooLong(months=f"{months:.1f}".rstrip("0").rstrip("."), max=max_term_months)


def check_eligibility(
    *,
    member: int,
    amount: int,
    term: int,
    frequency: str,
    savings: int,
    savings_multiple: Decimal,
    max_term_months: int,
    guarantor_above: int,
    guarantors: int,
    membership_days: int,
    min_membership_days: int,
    joined_on: dt.date,
    open_loans: int,
    max_open: int,
    cash: int,
    assets: int,
    max_assets_percent: Decimal | None,
) -> None:
    """Every rule a loan must meet when applied for, approved and disbursed."""
    if membership_days < min_membership_days:
        raise LoanMembershipTooRecent(
            member=member,
            days=min_membership_days,
            from_date=(joined_on + dt.timedelta(days=min_membership_days)).isoformat(),
        )
    if open_loans >= max_open:
        raise LoanTooManyOpen(member=member, open=open_loans, max=max_open)
    check_term(term=term, frequency=frequency, max_term_months=max_term_months)
    limit = round_cents(Decimal(savings) * savings_multiple)
    if amount > limit:
        raise LoanOverSavingsMultiple(
            amount=format_amount(amount),
            multiple=f"{savings_multiple.normalize():f}",
            savings=format_amount(savings),
            limit=format_amount(limit),
        )
    if max_assets_percent is not None:
        assets_limit = round_cents(Decimal(assets) * max_assets_percent / 100)
        if amount > assets_limit:
            raise LoanOverAssetsShare(
                amount=format_amount(amount),
                percent=f"{max_assets_percent.normalize():f}",
                assets=format_amount(assets),
                limit=format_amount(assets_limit),
            )
    if amount > guarantor_above and guarantors == 0:
        raise LoanGuarantorRequired(above=format_amount(guarantor_above))
    if amount > cash:
        raise LoanOverCashAvailable(cash=format_amount(max(cash, 0)), amount=format_amount(amount))


# --- votes and approval ----------------------------------------------------------------------


class ApplicantCannotVote(RuleViolation):
    code = "loan.applicant_votes"
    message_es = "El socio n.º {member} pidió este préstamo y no puede votar sobre él."
    message_en = "Member #{member} applied for this loan and cannot vote on it."
    default_field = "member"


class VoterNotOnCommittee(RuleViolation):
    code = "loan.voter_not_on_committee"
    message_es = (
        "El socio n.º {member} no integra el comité de crédito (presidencia, tesorería, "
        "secretaría y vocales)."
    )
    message_en = (
        "Member #{member} is not on the credit committee (president, treasurer, secretary and "
        "board members)."
    )
    default_field = "member"


class QuorumNotReached(RuleViolation):
    code = "loan.quorum"
    rule_id = "GOV-001"
    message_es = "Votaron {votes} de {eligible}; hacen falta al menos {needed} para decidir."
    message_en = "{votes} of {eligible} voted; at least {needed} are needed to decide."


class LoanNotInStatus(RuleViolation):
    code = "loan.status"
    message_es = "El préstamo n.º {number} está «{status_es}»; no se puede {action_es}."
    message_en = "Loan #{number} is “{status_en}”; it cannot be {action_en}."


class LoanAlreadyDisbursed(LoanNotInStatus):
    code = "loan.already_disbursed"
    message_es = "El préstamo n.º {number} ya se desembolsó{where_es}; no se entrega dos veces."
    message_en = "Loan #{number} was already disbursed{where_en}; it is never paid out twice."


class RecoveryExceedsWrittenOff(LoanNotInStatus):
    code = "loan.recovery_exceeds"
    message_es = (
        "Del préstamo castigado n.º {number} quedan {left} USD por recuperar; no se pueden "
        "recibir {amount} USD."
    )
    message_en = (
        "{left} USD of written-off loan #{number} remain to recover; {amount} USD cannot be "
        "received."
    )


def quorum_needed(eligible: int, quorum_percent: Decimal) -> int:
    """The smallest number of voters that is more than ``quorum_percent`` % of those eligible
    (GOV-001: 50 % + 1)."""
    needed = int(Decimal(eligible) * quorum_percent / 100) + 1
    return min(needed, eligible)


def decide(*, yes: int, no: int, abstain: int, eligible: int, quorum_percent: Decimal) -> bool:
    """True when approved; raises when too few voted to decide."""
    votes = yes + no + abstain
    needed = quorum_needed(eligible, quorum_percent)
    if eligible == 0 or votes < needed:
        raise QuorumNotReached(votes=votes, eligible=eligible, needed=max(needed, 1))
    return yes > no


# --- repayment allocation ------------------------------------------------------------------


class RepaymentExceedsDue(RuleViolation):
    code = "loan.repayment_exceeds_due"
    message_es = (
        "El pago de {amount} USD supera lo que vence ahora ({due} USD) en el préstamo n.º "
        "{number}; márquelo como pago anticipado para abonar a capital."
    )
    message_en = (
        "The payment of {amount} USD is more than is due now ({due} USD) on loan #{number}; "
        "mark it as a prepayment to pay principal ahead."
    )
    default_field = "amount"


class RepaymentExceedsOwed(RuleViolation):
    code = "loan.repayment_exceeds_owed"
    message_es = (
        "El pago de {amount} USD supera todo lo que se debe del préstamo n.º {number} ({owed} USD)."
    )
    message_en = (
        "The payment of {amount} USD is more than everything owed on loan #{number} ({owed} USD)."
    )
    default_field = "amount"


# --- write-off -----------------------------------------------------------------------------


class NotAnOfficer(RuleViolation):
    code = "loan.not_an_officer"
    message_es = "El socio n.º {member} no es directivo de la caja; no puede {action_es}."
    message_en = "Member #{member} is not an officer of the caja; they cannot {action_en}."
    default_field = "member"


class WriteOffNeedsSecondOfficer(RuleViolation):
    code = "loan.write_off_second_officer"
    message_es = (
        "El castigo del préstamo n.º {number} lo pidió el socio n.º {member}; debe aprobarlo "
        "otro directivo."
    )
    message_en = (
        "Member #{member} asked to write off loan #{number}; another officer must approve it."
    )
    default_field = "member"


class WriteOffNotRequested(RuleViolation):
    code = "loan.write_off_not_requested"
    message_es = (
        "Nadie ha pedido castigar el préstamo n.º {number}; un directivo debe pedirlo y otro "
        "aprobarlo."
    )
    message_en = (
        "No one has asked to write off loan #{number}; one officer asks and another approves."
    )


class ReasonRequired(RuleViolation):
    code = "loan.reason_required"
    message_es = "Indique el motivo."
    message_en = "Give the reason."
    default_field = "reason"


class RateCapInvalid(RuleViolation):
    code = "rate_cap.invalid"
    message_es = (
        "La tasa máxima debe ser un porcentaje mayor que 0 y hasta 100 (se recibió {value})."
    )
    message_en = "The rate cap must be a percentage above 0 and at most 100 (got {value})."
    default_field = "tea_percent"


def check_rate_cap(value: str) -> Decimal:
    from decimal import InvalidOperation

    try:
        percent = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise RateCapInvalid(value=value) from None
    if not percent.is_finite() or percent <= 0 or percent > 100 or not has_places(percent, 2):
        raise RateCapInvalid(value=value)
    return percent
