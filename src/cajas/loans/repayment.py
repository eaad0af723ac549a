"""Repayments and arrears of a loan (docs/domain.md §7), pure functions over plain values: what
is due now, how a payment is allocated (late fees, then interest, then principal; a prepayment
pays the last installments first), days past due, the aging buckets, late fees and PAR. The
refusals are in ``loans/rules.py``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from cajas.core.money import format_amount, round_cents, round_half_up
from cajas.loans.rules import RepaymentExceedsDue, RepaymentExceedsOwed


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
    """Apply a repayment: late fees, then interest, then principal (docs/domain.md §7) — first of
    the installments already due, oldest first, then of the current one. Anything beyond what is
    due now is a prepayment of principal, allowed only when ``prepay``: it pays the last
    installments first (the loan ends sooner), an installment whose principal is paid ahead owes
    no interest, and on a declining balance the interest of the installments still to come is
    recomputed on the lower balance."""
    rows = list(installments)
    fee, left = _pay_late_fees(rows, amount)
    now = due_now_numbers(rows, on)
    interest, principal, left = _pay_due_now(rows, now, on, left)
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
        principal += _prepay_last_first(rows, later, left)
        if declining:
            _reprice_on_lower_balance(rows, later, period_rate)
    return Allocation(fee, interest, principal, tuple(rows))


def _pay_late_fees(rows: list[InstallmentState], amount: int) -> tuple[int, int]:
    """Pay every unpaid late fee first, in installment order (changes ``rows``). Returns
    (fees paid, what is left of the payment)."""
    left = amount
    fee = 0
    for k, row in enumerate(rows):
        pay = min(left, row.unpaid_fee)
        if pay:
            rows[k] = replace(row, paid_late_fee=row.paid_late_fee + pay)
            fee += pay
            left -= pay
    return fee, left


def _pay_due_now(
    rows: list[InstallmentState], now: list[int], on: dt.date, left: int
) -> tuple[int, int, int]:
    """Pay what fell due first (its interest, then its principal), then the current installment
    the same way (changes ``rows``). Returns (interest paid, principal paid, left)."""
    position = {row.number: k for k, row in enumerate(rows)}
    overdue = [n for n in now if rows[position[n]].due_date <= on]
    current = [n for n in now if n not in overdue]
    interest = principal = 0
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
    return interest, principal, left


def _prepay_last_first(rows: list[InstallmentState], later: list[int], left: int) -> int:
    """A prepayment pays the principal of the last installments first; an installment paid
    ahead in full owes no more interest than it has paid (changes ``rows``). Returns the
    principal paid."""
    principal = 0
    for k in reversed(later):
        pay = min(left, rows[k].unpaid_principal)
        if pay:
            rows[k] = replace(rows[k], paid_principal=rows[k].paid_principal + pay)
            principal += pay
            left -= pay
        if rows[k].unpaid_principal == 0:
            rows[k] = replace(rows[k], interest=rows[k].paid_interest)
    return principal


def _reprice_on_lower_balance(
    rows: list[InstallmentState], later: list[int], period_rate: Decimal
) -> None:
    """On a declining balance, the interest of each installment still to come is recomputed on
    the balance left after the prepayment (never below what it has paid)."""
    balance = sum(rows[k].unpaid_principal for k in later)
    for k in later:
        if rows[k].unpaid_principal == 0:
            continue
        rows[k] = replace(
            rows[k],
            interest=max(rows[k].paid_interest, round_cents(Decimal(balance) * period_rate)),
        )
        balance -= rows[k].unpaid_principal


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
