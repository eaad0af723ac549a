"""Loan rules (docs/domain.md §6 LOAN-001…005, GOV-001; §7 allocation), pure functions over plain
values. Services load the state, call these, and write what they return."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from cajas.core.errors import RuleViolation
from cajas.core.money import format_amount, has_places, round_cents, round_half_up

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


@dataclass(frozen=True)
class InstallmentState:
    number: int
    due_date: dt.date
    principal: int
    interest: int
    paid_principal: int = 0
    paid_interest: int = 0
    late_fee: int = 0
    paid_late_fee: int = 0

    @property
    def unpaid_principal(self) -> int:
        return self.principal - self.paid_principal

    @property
    def unpaid_interest(self) -> int:
        return self.interest - self.paid_interest

    @property
    def unpaid_fee(self) -> int:
        return self.late_fee - self.paid_late_fee

    @property
    def unpaid(self) -> int:
        return self.unpaid_principal + self.unpaid_interest


@dataclass(frozen=True)
class Allocation:
    late_fee: int
    interest: int
    principal: int
    installments: tuple[InstallmentState, ...]

    @property
    def total(self) -> int:
        return self.late_fee + self.interest + self.principal


def due_now_numbers(installments: Sequence[InstallmentState], on: dt.date) -> list[int]:
    """Installments payable at a meeting on ``on`` without prepaying: every one that has
    fallen due; or, when none has, the next one (members pay the coming installment at the
    meeting before its date)."""
    numbers = [i.number for i in installments if i.due_date <= on and i.unpaid > 0]
    if numbers:
        return numbers
    upcoming = [i for i in installments if i.due_date > on and i.unpaid > 0]
    return [upcoming[0].number] if upcoming else []


def amount_due_now(installments: Sequence[InstallmentState], on: dt.date) -> int:
    now = set(due_now_numbers(installments, on))
    return sum(i.unpaid_fee for i in installments) + sum(
        i.unpaid for i in installments if i.number in now
    )


def amount_owed(installments: Sequence[InstallmentState], on: dt.date) -> int:
    """Everything that settles the loan today: fees, interest due now, all principal."""
    now = set(due_now_numbers(installments, on))
    return sum(
        i.unpaid_fee + i.unpaid_principal + (i.unpaid_interest if i.number in now else 0)
        for i in installments
    )


def allocate_repayment(
    installments: Sequence[InstallmentState],
    *,
    amount: int,
    on: dt.date,
    prepay: bool,
    declining: bool,
    period_rate: Decimal,
    loan_number: int,
) -> Allocation:
    """Apply a repayment: late fees, then interest, then principal (docs/domain.md §7) — first of the
    installments already due, oldest first, then of the current one. Anything beyond what is due now is a prepayment of principal, allowed only
    when ``prepay``: it pays the last installments first (the loan ends sooner), an installment
    whose principal is paid ahead owes no interest, and on a declining balance the interest of
    the installments still to come is recomputed on the lower balance."""
    rows = list(installments)
    left = amount
    fee = interest = principal = 0
    for k, row in enumerate(rows):
        pay = min(left, row.unpaid_fee)
        if pay:
            rows[k] = replace(row, paid_late_fee=row.paid_late_fee + pay)
            fee += pay
            left -= pay
    now = due_now_numbers(rows, on)
    position = {row.number: k for k, row in enumerate(rows)}
    overdue = [n for n in now if rows[position[n]].due_date <= on]
    current = [n for n in now if n not in overdue]
    # What fell due first (interest, then principal), then the current installment.
    for tier in (overdue, current):
        for part in ("interest", "principal"):
            for n in tier:
                k = position[n]
                row = rows[k]
                owed = row.unpaid_interest if part == "interest" else row.unpaid_principal
                pay = min(left, owed)
                if not pay:
                    continue
                if part == "interest":
                    rows[k] = replace(row, paid_interest=row.paid_interest + pay)
                    interest += pay
                else:
                    rows[k] = replace(row, paid_principal=row.paid_principal + pay)
                    principal += pay
                left -= pay
    if left:
        later = [k for k, row in enumerate(rows) if row.number not in now and row.unpaid > 0]
        if not prepay:
            raise RepaymentExceedsDue(
                amount=format_amount(amount),
                due=format_amount(amount - left),
                number=loan_number,
            )
        ahead = sum(rows[k].unpaid_principal for k in later)
        if left > ahead:
            raise RepaymentExceedsOwed(
                amount=format_amount(amount),
                owed=format_amount(amount - left + ahead),
                number=loan_number,
            )
        for k in reversed(later):
            pay = min(left, rows[k].unpaid_principal)
            if pay:
                rows[k] = replace(rows[k], paid_principal=rows[k].paid_principal + pay)
                principal += pay
                left -= pay
            if rows[k].unpaid_principal == 0:
                rows[k] = replace(rows[k], interest=rows[k].paid_interest)
        if declining:
            balance = sum(rows[k].unpaid_principal for k in later)
            for k in later:
                if rows[k].unpaid_principal == 0:
                    continue
                rows[k] = replace(
                    rows[k],
                    interest=max(
                        rows[k].paid_interest, round_cents(Decimal(balance) * period_rate)
                    ),
                )
                balance -= rows[k].unpaid_principal
    return Allocation(fee, interest, principal, tuple(rows))


# --- arrears and late fees -----------------------------------------------------------------


def days_past_due(installments: Sequence[InstallmentState], on: dt.date) -> int:
    """Days since the oldest installment that fell due and is not fully paid (0 if none)."""
    late = [i.due_date for i in installments if i.due_date < on and i.unpaid > 0]
    return (on - min(late)).days if late else 0


def aging_bucket(days: int) -> str:
    if days == 0:
        return "current"
    if days <= 30:
        return "1-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "90+"


def late_fees_to_charge(
    installments: Sequence[InstallmentState],
    *,
    on: dt.date,
    grace_days: int,
    percent: Decimal,
) -> dict[int, int]:
    """FINE-001 late repayment: ``percent`` of what is unpaid on each installment more than
    ``grace_days`` past due, charged once per installment. Installment number → fee."""
    fees: dict[int, int] = {}
    for i in installments:
        if i.late_fee == 0 and i.unpaid > 0 and (on - i.due_date).days > grace_days:
            fee = round_cents(Decimal(i.unpaid) * percent / 100)
            if fee > 0:
                fees[i.number] = fee
    return fees


def par(outstanding_by_days: Sequence[tuple[int, int]], threshold: int) -> Decimal:
    """Portfolio at risk: the share (percent, 2 decimals) of outstanding principal on loans more
    than ``threshold`` days past due. ``outstanding_by_days`` is (outstanding, days) per loan."""
    total = sum(o for o, _d in outstanding_by_days)
    if total == 0:
        return Decimal("0.00")
    risk = sum(o for o, d in outstanding_by_days if d > threshold)
    return round_half_up(Decimal(risk) * 100 / total, places=2)


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
