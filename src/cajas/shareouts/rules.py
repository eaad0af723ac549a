"""Share-out arithmetic (docs/domain.md §8), pure: no database.

Every member gets back their savings plus a share of what the caja earned (interest, fines and
fees less expenses and losses, after the reserve), in proportion to their shares or to shares ×
time held. Payouts are allocated to the cent with the largest-remainder rule, so they add up
exactly to the distributable fund. The social fund is carried over, never shared. Loans still
owed are either collected before the share-out or deducted from the borrower's payout; a debt
larger than the payout is never hidden: it blocks the share-out until it is collected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from cajas.core.errors import RuleViolation
from cajas.core.money import allocate, format_amount, round_cents, round_half_up


class NothingToShare(RuleViolation):
    code = "shareout.nothing"
    message_es = "Ningún socio tiene ahorros: no hay nada que repartir."
    message_en = "No member has savings: there is nothing to share out."


class LoansToCollectFirst(RuleViolation):
    code = "shareout.loans_first"
    message_es = (
        "El reglamento pide cobrar los préstamos antes del reparto: el préstamo n.º {loan} "
        "(socio n.º {member}) debe {owed} USD."
    )
    message_en = (
        "The bylaws have loans collected before the share-out: loan #{loan} (member #{member}) "
        "still owes {owed} USD."
    )


class DebtAbovePayout(RuleViolation):
    code = "shareout.debt_above_payout"
    message_es = (
        "El socio n.º {member} debe {debt} USD, más que lo que le toca en el reparto "
        "({gross} USD): cobre la diferencia ({short} USD) antes de repartir."
    )
    message_en = (
        "Member #{member} owes {debt} USD, more than their share-out ({gross} USD): collect the "
        "difference ({short} USD) before sharing out."
    )


class ReinvestTooMuch(RuleViolation):
    code = "shareout.reinvest"
    message_es = "El socio n.º {member} puede dejar invertidos hasta {max} USD, no {asked} USD."
    message_en = "Member #{member} can leave at most {max} USD invested, not {asked} USD."
    default_field = "reinvest"


class LossAboveSavings(RuleViolation):
    code = "shareout.loss"
    message_es = (
        "Las pérdidas del ciclo superan los ahorros del socio n.º {member}; revise los libros "
        "con la facilitadora antes de repartir."
    )
    message_en = (
        "The cycle's losses exceed member #{member}'s savings; review the books with the "
        "facilitator before sharing out."
    )


@dataclass(frozen=True)
class Position:
    """One member at share-out time."""

    member: int
    savings: int  # cents
    weight: Decimal  # shares, or shares × days held
    shares: Decimal  # savings ÷ share value, shown
    debt: int = 0  # loan principal still owed


@dataclass(frozen=True)
class Payout:
    member: int
    shares: Decimal
    savings: int
    profit: int
    deductions: int  # loan principal deducted (netting)
    reinvested: int
    amount: int  # paid out in cash

    @property
    def gross(self) -> int:
        return self.savings + self.profit


@dataclass(frozen=True)
class ShareOutPlan:
    cash: int
    bank: int
    loans_outstanding: int
    social_fund: int
    reserve_kept: int  # the reserve already held, not shared
    profit: int  # the cycle's earnings before the reserve
    reserve: int  # set aside now from the profit
    distributable: int
    value_per_share: Decimal
    payouts: tuple[Payout, ...]
    netting: bool

    @property
    def to_share(self) -> int:
        return self.distributable - sum(p.savings for p in self.payouts)


def reserve_of(profit: int, percent: Decimal) -> int:
    if profit <= 0:
        return 0
    return round_cents(Decimal(profit) * percent / 100)


def plan_shareout(
    *,
    cash: int,
    bank: int,
    loans_outstanding: int,
    social_fund: int,
    reserve_kept: int,
    profit: int,
    reserve_percent: Decimal,
    share_value: int,
    positions: Sequence[Position],
    netting: bool,
    reinvest: dict[int, int] | None = None,
) -> ShareOutPlan:
    """What each member receives if the caja shares out now.

    distributable = cash + bank + loans outstanding − social fund − reserve (held and new);
    each member: savings + allocate(distributable − Σ savings, weights).
    """
    reinvest = reinvest or {}
    reserve = reserve_of(profit, reserve_percent)
    distributable = cash + bank + loans_outstanding - social_fund - reserve_kept - reserve
    members = [p for p in positions if p.savings > 0 or p.debt > 0]
    weights = [p.weight for p in members]
    if not members or not any(w > 0 for w in weights):
        raise NothingToShare()
    shares_total = sum((p.shares for p in members), Decimal(0))
    to_share = distributable - sum(p.savings for p in members)
    profits = allocate(to_share, weights) if to_share else [0] * len(members)
    payouts = []
    for p, profit_share in zip(members, profits, strict=True):
        gross = p.savings + profit_share
        if gross < 0:
            raise LossAboveSavings(member=p.member)
        deductions = min(p.debt, gross) if netting else 0
        left = gross - deductions
        invest = reinvest.get(p.member, 0)
        if invest < 0 or invest > left:
            raise ReinvestTooMuch(
                member=p.member, max=format_amount(left), asked=format_amount(invest)
            )
        payouts.append(
            Payout(
                member=p.member,
                shares=p.shares,
                savings=p.savings,
                profit=profit_share,
                deductions=deductions,
                reinvested=invest,
                amount=left - invest,
            )
        )
    value = (
        round_half_up(Decimal(distributable) / 100 / shares_total, places=4)
        if shares_total
        else Decimal(0)
    )
    return ShareOutPlan(
        cash=cash,
        bank=bank,
        loans_outstanding=loans_outstanding,
        social_fund=social_fund,
        reserve_kept=reserve_kept,
        profit=profit,
        reserve=reserve,
        distributable=distributable,
        value_per_share=value,
        payouts=tuple(payouts),
        netting=netting,
    )


def check_debts_covered(plan: ShareOutPlan, positions: Sequence[Position]) -> None:
    """Netting never hides a debt: every debt must fit in its member's payout."""
    debts = {p.member: p.debt for p in positions}
    for payout in plan.payouts:
        debt = debts.get(payout.member, 0)
        if debt > payout.deductions:
            raise DebtAbovePayout(
                member=payout.member,
                debt=format_amount(debt),
                gross=format_amount(payout.gross),
                short=format_amount(debt - payout.deductions),
            )


class DebtAboveSavings(RuleViolation):
    code = "exit.debt_above_savings"
    message_es = (
        "El socio n.º {member} debe {debt} USD y tiene {savings} USD de ahorro: cobre la "
        "diferencia ({short} USD) o acuerde con sus garantes antes de liquidar su salida."
    )
    message_en = (
        "Member #{member} owes {debt} USD and has {savings} USD of savings: collect the "
        "difference ({short} USD), or agree with the guarantors, before settling the exit."
    )


class SocialFundHelpTooHigh(RuleViolation):
    code = "exit.social_fund_help"
    message_es = "El fondo social tiene {fund} USD; no puede dar {asked} USD."
    message_en = "The social fund holds {fund} USD; it cannot give {asked} USD."
    default_field = "social_fund_help"


class SocialFundHelpOnlyForDeath(RuleViolation):
    code = "exit.social_fund_help_reason"
    message_es = "La ayuda del fondo social a la familia es solo por fallecimiento."
    message_en = "Social fund help to the family is only for a death."
    default_field = "social_fund_help"


def settle_exit(
    *, member: int, savings: int, debts: int, help_cents: int, fund: int, death: bool
) -> int:
    """What is paid out when a member leaves: savings less debts (never hiding a debt),
    plus the social fund's help to the family after a death."""
    if debts > savings:
        raise DebtAboveSavings(
            member=member,
            debt=format_amount(debts),
            savings=format_amount(savings),
            short=format_amount(debts - savings),
        )
    if help_cents and not death:
        raise SocialFundHelpOnlyForDeath()
    if help_cents > fund:
        raise SocialFundHelpTooHigh(fund=format_amount(fund), asked=format_amount(help_cents))
    return savings - debts + help_cents
