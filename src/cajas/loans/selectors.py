"""Reading loans: the portfolio with arrears, a member's borrowing limit, a loan's schedule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import F, Q, QuerySet

from cajas.core.money import round_cents
from cajas.ledger import chart
from cajas.ledger.selectors import account_balances
from cajas.loans.models import Installment, Loan, LoanStatus
from cajas.loans.repayment import (
    InstallmentState,
    aging_bucket,
    amount_due_now,
    amount_owed,
    days_past_due,
    late_fees_to_charge,
    par,
)
from cajas.members.models import Membership
from cajas.org.models import Bylaws, Caja
from cajas.org.selectors import bylaws_in_force

OPEN_STATUSES = (LoanStatus.APPLIED, LoanStatus.APPROVED, LoanStatus.DISBURSED)


def installment_state(i: Installment) -> InstallmentState:
    return InstallmentState(
        number=i.number,
        due_date=i.due_date,
        principal=i.principal_cents,
        interest=i.interest_cents,
        paid_principal=i.paid_principal_cents,
        paid_interest=i.paid_interest_cents,
        late_fee=i.late_fee_cents,
        paid_late_fee=i.paid_late_fee_cents,
    )


def installment_states(loan: Loan) -> list[InstallmentState]:
    """The installments of the loan's current schedule, as the rules read them."""
    rows = Installment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number")
    return [installment_state(i) for i in rows]


def with_late_fees(
    states: list[InstallmentState], on: dt.date, bylaws: Bylaws
) -> list[InstallmentState]:
    """The installments with the late fees a meeting on ``on`` charges: the bylaws' late
    repayment percent on what is overdue past the grace days."""
    fees = late_fees_to_charge(
        states,
        on=on,
        grace_days=bylaws.loan_default_interest_after_days,
        percent=bylaws.fine_late_repayment_percent,
    )
    return [replace(s, late_fee=fees[s.number]) if s.number in fees else s for s in states]


def states_on(loan: Loan, on: dt.date, bylaws: Bylaws) -> list[InstallmentState]:
    """The loan's installments as a meeting on ``on`` would see them: with the late fees that
    its close charges (so "due now" includes them)."""
    return with_late_fees(installment_states(loan), on, bylaws)


@dataclass(frozen=True)
class LoanLine:
    loan: Loan
    outstanding: int
    days_past_due: int
    bucket: str
    due_now: int
    payoff: int


def unpaid_installments() -> QuerySet[Installment]:
    """Installments of each loan's current schedule with principal or interest still unpaid
    (late fees aside): what arrears and PAR30 look at."""
    return Installment.objects.filter(version=F("loan__schedule_version")).filter(
        Q(paid_principal_cents__lt=F("principal_cents"))
        | Q(paid_interest_cents__lt=F("interest_cents"))
    )


def _loans(caja: Caja) -> QuerySet[Loan]:
    return Loan.objects.filter(caja=caja).select_related("membership__person").order_by("-number")


def loan_lines(caja: Caja, on: dt.date) -> list[LoanLine]:
    """Every loan of the caja with what it owes on ``on`` (``_lines``)."""
    return _lines(caja, on, _loans(caja))


def loan_lines_of(caja: Caja, on: dt.date, membership: Membership) -> list[LoanLine]:
    """One member's loans with what each owes on ``on`` (``_lines``)."""
    return _lines(caja, on, _loans(caja).filter(membership=membership))


def _lines(caja: Caja, on: dt.date, loans: QuerySet[Loan]) -> list[LoanLine]:
    """Each loan with what it owes on ``on``: principal outstanding, days past due, what is due
    now and what pays it off. Nothing is due on the day a loan is handed over (its first
    installment is a period away): it owes then only the principal just received."""
    balances = account_balances(caja=caja)
    bylaws = bylaws_in_force(caja, on)
    lines = []
    for loan in loans:
        outstanding = balances.get(chart.loan_account_code(loan.number), 0)
        if loan.status == LoanStatus.DISBURSED and loan.disbursed_on == on:
            days, due, payoff = 0, 0, outstanding
        elif loan.status == LoanStatus.DISBURSED:
            states = states_on(loan, on, bylaws)
            days = days_past_due(states, on)
            due, payoff = amount_due_now(states, on), amount_owed(states, on)
        else:
            days, due, payoff = 0, 0, 0
        lines.append(LoanLine(loan, outstanding, days, aging_bucket(days), due, payoff))
    return lines


@dataclass(frozen=True)
class Portfolio:
    disbursed: int
    outstanding: int
    par1: Decimal
    par30: Decimal
    par90: Decimal
    buckets: dict[str, int]


def portfolio(lines: list[LoanLine]) -> Portfolio:
    active = [line for line in lines if line.loan.status == LoanStatus.DISBURSED]
    book = [(line.outstanding, line.days_past_due) for line in active]
    buckets: dict[str, int] = {}
    for line in active:
        buckets[line.bucket] = buckets.get(line.bucket, 0) + line.outstanding
    return Portfolio(
        disbursed=len(active),
        outstanding=sum(o for o, _d in book),
        par1=par(book, 0),
        par30=par(book, 30),
        par90=par(book, 90),
        buckets=buckets,
    )


@dataclass(frozen=True)
class BorrowingLimit:
    savings: int
    multiple: Decimal
    by_savings: int
    cash: int
    limit: int
    open_loans: int
    max_open: int
    eligible_from: dt.date


def borrowing_limit(
    caja: Caja, membership: Membership, on: dt.date, cash_available: int
) -> BorrowingLimit:
    """What a member may borrow today under LOAN-001 and the cash the caja can lend now
    (``cajas.meetings.selectors.cash_for_lending``)."""
    bylaws = bylaws_in_force(caja, on)
    balances = account_balances(caja=caja)
    savings = balances.get(chart.savings_account_code(membership.number), 0)
    by_savings = round_cents(Decimal(savings) * bylaws.loan_savings_multiple)
    cash = cash_available
    return BorrowingLimit(
        savings=savings,
        multiple=bylaws.loan_savings_multiple,
        by_savings=by_savings,
        cash=cash,
        limit=max(min(by_savings, cash), 0),
        open_loans=Loan.objects.filter(membership=membership, status__in=OPEN_STATUSES).count(),
        max_open=bylaws.loan_max_open_per_member,
        eligible_from=membership.joined_on + dt.timedelta(days=bylaws.loan_min_membership_days),
    )


def schedule_rows(loan: Loan, version: int | None = None) -> list[Installment]:
    return list(
        Installment.objects.filter(
            loan=loan, version=loan.schedule_version if version is None else version
        ).order_by("number")
    )
