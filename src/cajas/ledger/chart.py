"""The per-caja chart of accounts (docs/domain.md §5). Codes are stable: they go into the hash chain
and the book export."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cajas.ledger.models import AccountKind

CASH = "1101"
BANK = "1102"
FINES_RECEIVABLE = "1201"
LOANS_RECEIVABLE = "1301"
MEMBER_SAVINGS = "2101"
SOCIAL_FUND = "2201"
RESERVE = "3101"
RETAINED_EARNINGS = "3201"
INTEREST_INCOME = "4101"
FINE_INCOME = "4102"
FEE_INCOME = "4103"
OTHER_INCOME = "4104"
CASH_OVERAGE = "4105"
LATE_FEE_INCOME = "4106"
RECOVERIES = "4107"
EXPENSES = "5101"
CASH_SHORTAGE = "5102"
LOAN_LOSSES = "5103"

CAJA_ACCOUNTS: dict[str, AccountKind] = {
    CASH: AccountKind.ASSET,
    BANK: AccountKind.ASSET,
    FINES_RECEIVABLE: AccountKind.ASSET,
    SOCIAL_FUND: AccountKind.LIABILITY,
    RESERVE: AccountKind.EQUITY,
    RETAINED_EARNINGS: AccountKind.EQUITY,
    INTEREST_INCOME: AccountKind.INCOME,
    FINE_INCOME: AccountKind.INCOME,
    FEE_INCOME: AccountKind.INCOME,
    OTHER_INCOME: AccountKind.INCOME,
    CASH_OVERAGE: AccountKind.INCOME,
    EXPENSES: AccountKind.EXPENSE,
    CASH_SHORTAGE: AccountKind.EXPENSE,
    LATE_FEE_INCOME: AccountKind.INCOME,
    RECOVERIES: AccountKind.INCOME,
    LOAN_LOSSES: AccountKind.EXPENSE,
}

ACCOUNT_NAMES = {
    CASH: _("Cash box"),
    BANK: _("Bank"),
    FINES_RECEIVABLE: _("Fines owed by members"),
    LOANS_RECEIVABLE: _("Loans receivable"),
    MEMBER_SAVINGS: _("Member savings"),
    SOCIAL_FUND: _("Social fund"),
    RESERVE: _("Reserve"),
    RETAINED_EARNINGS: _("Retained earnings"),
    INTEREST_INCOME: _("Interest income"),
    FINE_INCOME: _("Fine income"),
    FEE_INCOME: _("Entry fee income"),
    OTHER_INCOME: _("Other income"),
    CASH_OVERAGE: _("Cash count surplus"),
    EXPENSES: _("Expenses"),
    CASH_SHORTAGE: _("Cash count shortage"),
    LATE_FEE_INCOME: _("Late repayment fees"),
    RECOVERIES: _("Recoveries of written-off loans"),
    LOAN_LOSSES: _("Loans written off"),
}


def savings_account_code(member_number: int) -> str:
    return f"{MEMBER_SAVINGS}.{member_number:03d}"


def loan_account_code(loan_number: int) -> str:
    """Each loan's receivable: its kept balance is the principal still owed."""
    return f"{LOANS_RECEIVABLE}.{loan_number:04d}"


def account_name(code: str) -> str:
    base = code.split(".", 1)[0]
    return str(ACCOUNT_NAMES.get(base, code))


def must_stay_non_negative(code: str) -> bool:
    """Cash box, member savings, each loan's receivable and the fines members owe never go below
    zero (docs/domain.md §5): no one can be paid back more principal than they borrowed, nor pay a
    fine nobody owes."""
    return (
        code in (CASH, FINES_RECEIVABLE)
        or code.startswith(MEMBER_SAVINGS + ".")
        or code.startswith(LOANS_RECEIVABLE + ".")
    )
