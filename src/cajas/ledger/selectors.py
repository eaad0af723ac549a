"""Reading the books: balances (kept on each account by ``entries_post``) and the trial
balance (an SQL aggregate over the lines)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from django.db import connection
from django.db.models import Sum

from cajas.ledger import chart
from cajas.ledger.models import Account, JournalLine
from cajas.org.models import Caja


def account_balances(*, caja: Caja | int) -> dict[str, int]:
    """Every account's balance in its normal direction (assets and expenses: debit)."""
    return dict(Account.objects.filter(caja=caja).values_list("code", "balance_cents"))


class AccountState(NamedTuple):
    id: int
    kind: str
    balance_cents: int


def caja_accounts(*, caja: Caja | int) -> dict[str, AccountState]:
    """Every account of a caja by code, with its kept balance: one query. Read it inside the
    posting transaction, after ``caja_lock``, and hand it to ``entries_post_with_accounts``."""
    with connection.cursor() as cursor:  # plain SQL: this is on every close's path
        cursor.execute(
            f"SELECT code, id, kind, balance_cents FROM {Account._meta.db_table} "  # noqa: S608
            "WHERE caja_id = %s",
            [caja if isinstance(caja, int) else caja.pk],
        )
        rows = cursor.fetchall()
    return {code: AccountState(pk, kind, balance) for code, pk, kind, balance in rows}


def account_balance(*, caja: Caja | int, code: str) -> int:
    value = Account.objects.filter(caja=caja, code=code).values_list("balance_cents", flat=True)
    return next(iter(value), 0)


def trial_balance(*, caja: Caja) -> int:
    """Sum of the caja's debits minus its credits: zero in a sound book."""
    totals = JournalLine.objects.filter(entry__caja=caja).aggregate(d=Sum("debit"), c=Sum("credit"))
    return int((totals["d"] or 0) - (totals["c"] or 0))


def savings_by_member(accounts: Mapping[str, AccountState]) -> dict[int, int]:
    """Savings balance per member number, from ``caja_accounts()``."""
    prefix = chart.MEMBER_SAVINGS + "."
    return {
        int(code[len(prefix) :]): state.balance_cents
        for code, state in accounts.items()
        if code.startswith(prefix)
    }


def member_savings(*, caja: Caja | int) -> dict[int, int]:
    """Savings balance per member number."""
    rows = Account.objects.filter(
        caja=caja, code__startswith=chart.MEMBER_SAVINGS + "."
    ).values_list("code", "balance_cents")
    return {int(code.split(".")[1]): amount for code, amount in rows}


def caja_summary(*, caja: Caja) -> dict[str, int]:
    balances = account_balances(caja=caja)
    savings = sum(v for k, v in balances.items() if k.startswith(chart.MEMBER_SAVINGS + "."))
    income = sum(
        balances.get(code, 0)
        for code in (
            chart.INTEREST_INCOME,
            chart.FINE_INCOME,
            chart.FEE_INCOME,
            chart.OTHER_INCOME,
            chart.CASH_OVERAGE,
        )
    )
    expenses = balances.get(chart.EXPENSES, 0) + balances.get(chart.CASH_SHORTAGE, 0)
    return {
        "cash": balances.get(chart.CASH, 0),
        "bank": balances.get(chart.BANK, 0),
        "savings": savings,
        "social_fund": balances.get(chart.SOCIAL_FUND, 0),
        "income": income,
        "expenses": expenses,
        "profit": income - expenses,
    }


def fines_owed_by_member(*, caja: Caja | int) -> dict[int, int]:
    """What each member owes in fines from earlier meetings (an absence fine is a debt, not
    cash received): the balance of the fines receivable by the member on each entry, by member
    number. One aggregate query."""
    rows = (
        JournalLine.objects.filter(entry__caja=caja, account__code=chart.FINES_RECEIVABLE)
        .values("entry__membership__number")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    )
    owed = {}
    for r in rows:
        number, left = r["entry__membership__number"], (r["d"] or 0) - (r["c"] or 0)
        if number is not None and left:
            owed[number] = left
    return owed
