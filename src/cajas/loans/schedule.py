"""Loan schedules and their true cost (docs/domain.md §7). Pure computation: no database.

Amounts are integer cents; rates are ``Decimal`` fractions (``Decimal("0.02")`` = 2 % a month).
Rounding is half-up to the cent. In every method the last installment takes whatever principal
remains, so the installments add up exactly to principal + interest.

- **flat**: interest on the original principal every period. Total interest =
  principal × rate × months; installment = (principal + interest) ÷ n.
- **french**: declining balance, equal installments (the annuity payment rounded to the cent);
  each period's interest = the annuity's balance × period rate, rounded once (so it agrees
  with numpy-financial's ``ipmt`` to half a cent however long the loan).
- **german**: declining balance, equal principal (principal ÷ n); interest = balance × rate.

The rate is per month; a weekly or fortnightly schedule charges the same money per year, so the
period rate is ``rate × 12 / 52`` or ``rate × 12 / 26``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from cajas.core.money import round_cents, round_down, round_half_up
from cajas.org.terms import InterestMethod, LoanFrequency

PERIODS_PER_YEAR = {
    LoanFrequency.WEEKLY: 52,
    LoanFrequency.FORTNIGHTLY: 26,
    LoanFrequency.MONTHLY: 12,
}
DAYS_PER_PERIOD = {
    LoanFrequency.WEEKLY: 7,
    LoanFrequency.FORTNIGHTLY: 14,
    LoanFrequency.MONTHLY: 30,
}
DEFAULT_INFORMAL_MONTHLY_RATE = Decimal("0.20")


def period_rate(monthly_rate: Decimal, frequency: LoanFrequency | str) -> Decimal:
    frequency = LoanFrequency(frequency)
    return monthly_rate * 12 / PERIODS_PER_YEAR[frequency]


def add_period(start: dt.date, frequency: LoanFrequency | str, k: int) -> dt.date:
    """The date ``k`` periods after ``start``: the same day of the month ``k`` months on (the
    month's last day when it is shorter), or ``k`` weeks or fortnights on."""
    if LoanFrequency(frequency) == LoanFrequency.MONTHLY:
        month = start.month - 1 + k
        year, month = start.year + month // 12, month % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return dt.date(year, month, day)
    return start + dt.timedelta(days=DAYS_PER_PERIOD[LoanFrequency(frequency)] * k)


def months_of(term: int, frequency: LoanFrequency | str) -> Decimal:
    """The loan's length in months: n installments of the given frequency."""
    return Decimal(term) * 12 / PERIODS_PER_YEAR[LoanFrequency(frequency)]


@dataclass(frozen=True)
class Installment:
    number: int
    due_offset_days: int
    payment: int
    interest: int
    principal: int
    balance: int  # principal still owed after this installment


@dataclass(frozen=True)
class Schedule:
    principal: int
    monthly_rate: Decimal
    method: InterestMethod
    term: int
    frequency: LoanFrequency
    installments: tuple[Installment, ...]

    @property
    def total_interest(self) -> int:
        return sum(i.interest for i in self.installments)

    @property
    def total_paid(self) -> int:
        return sum(i.payment for i in self.installments)

    @property
    def periods_per_year(self) -> int:
        return PERIODS_PER_YEAR[self.frequency]

    def tea(self) -> Decimal:
        """Effective annual rate (a fraction) from the schedule's real cash flows."""
        return tea_of(self.principal, [i.payment for i in self.installments], self.periods_per_year)


def annuity_payment(principal: int, rate: Decimal, n: int) -> Decimal:
    """The level payment (in cents, unrounded) repaying ``principal`` in ``n`` periods."""
    if rate == 0:
        return Decimal(principal) / n
    with localcontext() as ctx:
        ctx.prec = 34
        factor = (1 + rate) ** n
        return Decimal(principal) * rate * factor / (factor - 1)


def build_schedule(
    *,
    principal: int,
    monthly_rate: Decimal,
    method: InterestMethod | str,
    term: int,
    frequency: LoanFrequency | str = LoanFrequency.MONTHLY,
) -> Schedule:
    """The installments of a loan of ``principal`` cents over ``term`` installments."""
    method, frequency = InterestMethod(method), LoanFrequency(frequency)
    if principal <= 0:
        raise ValueError("principal must be positive")
    if term < 1:
        raise ValueError("term must be at least one installment")
    if monthly_rate < 0:
        raise ValueError("rate must not be negative")
    rate = period_rate(monthly_rate, frequency)
    step = DAYS_PER_PERIOD[frequency]
    rows: list[Installment] = []
    balance = principal
    if method == InterestMethod.FLAT:
        total_interest = round_cents(Decimal(principal) * monthly_rate * months_of(term, frequency))
        payment = round_cents(Decimal(principal + total_interest) / term)
        interest_each = total_interest // term  # the last installment takes the remainder
        interest_left = total_interest
        for k in range(1, term + 1):
            if k < term:
                interest = interest_each
                principal_part = min(payment - interest, balance)
            else:
                interest = interest_left
                principal_part = balance
            interest_left -= interest
            balance -= principal_part
            rows.append(
                Installment(
                    k, k * step, principal_part + interest, interest, principal_part, balance
                )
            )
    elif method == InterestMethod.FRENCH:
        exact_payment = annuity_payment(principal, rate, term)
        payment = round_cents(exact_payment)
        exact_balance = Decimal(principal)
        for k in range(1, term + 1):
            # Interest on the annuity's own balance (unrounded), rounded once: the cents
            # lost rounding the level payment never earn interest, and the last installment
            # takes whatever principal remains.
            with localcontext() as ctx:
                ctx.prec = 34
                exact_interest = exact_balance * rate
                exact_balance -= exact_payment - exact_interest
            interest = round_cents(exact_interest)
            principal_part = balance if k == term else min(payment - interest, balance)
            balance -= principal_part
            rows.append(
                Installment(
                    k, k * step, principal_part + interest, interest, principal_part, balance
                )
            )
    else:
        equal = round_cents(Decimal(principal) / term)
        for k in range(1, term + 1):
            interest = round_cents(Decimal(balance) * rate)
            principal_part = balance if k == term else min(equal, balance)
            balance -= principal_part
            rows.append(
                Installment(
                    k, k * step, principal_part + interest, interest, principal_part, balance
                )
            )
    return Schedule(principal, monthly_rate, method, term, frequency, tuple(rows))


def irr(principal: int, payments: Sequence[int]) -> Decimal:
    """The period rate r at which the payments are worth exactly the principal.

    NPV(r) = Σ payment_k / (1 + r)^k − principal falls as r rises (a loan's flows change sign
    once), so bisection between 0 and a rate where NPV < 0 always converges.
    """
    if sum(payments) <= principal:
        return Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 40

        def npv(r: Decimal) -> Decimal:
            total = Decimal(0)
            factor = Decimal(1)
            step = 1 / (1 + r)
            for p in payments:
                factor *= step
                total += p * factor
            return total - principal

        low, high = Decimal(0), Decimal(1)
        while npv(high) > 0:
            high *= 2
        for _ in range(200):
            mid = (low + high) / 2
            if npv(mid) > 0:
                low = mid
            else:
                high = mid
            if high - low < Decimal("1e-18"):
                break
        return (low + high) / 2


def tea_of(principal: int, payments: Sequence[int], periods_per_year: int) -> Decimal:
    """TEA = (1 + r)^(periods per year) − 1, with r the IRR of (−principal, payments…)."""
    r = irr(principal, payments)
    with localcontext() as ctx:
        ctx.prec = 40
        return (1 + r) ** periods_per_year - 1


def percent(fraction: Decimal) -> Decimal:
    """A fraction as a percentage with two decimals (half-up): 0.26824 → 26.82."""
    return round_half_up(fraction * 100, places=2)


def informal_cost(
    *,
    principal: int,
    term: int,
    frequency: LoanFrequency | str,
    monthly_rate: Decimal = DEFAULT_INFORMAL_MONTHLY_RATE,
) -> int:
    """What an informal lender ("gota a gota", "chulco") charges for the same amount and
    term: flat interest at ``monthly_rate`` (default 20 % a month) on the whole principal."""
    return round_cents(Decimal(principal) * monthly_rate * months_of(term, frequency))


def equivalent_declining_monthly_rate(tea_cap: Decimal) -> Decimal:
    """The highest nominal monthly rate on a declining balance whose TEA stays within the cap
    (a fraction), floored to 0.01 percentage points: (1 + cap)^(1/12) − 1."""
    with localcontext() as ctx:
        ctx.prec = 40
        exact = (1 + tea_cap) ** (Decimal(1) / 12) - 1
    return round_down(exact, places=4)
