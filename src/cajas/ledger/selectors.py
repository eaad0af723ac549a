"""Reading the books: balances and the trial balance, computed by SQL aggregates."""

from __future__ import annotations

from django.db.models import Sum

from cajas.ledger import chart
from cajas.ledger.models import DEBIT_NORMAL, JournalLine
from cajas.org.models import Caja


def account_balances(*, caja: Caja) -> dict[str, int]:
    """Every account's balance in its normal direction (assets and expenses: debit)."""
    rows = (
        JournalLine.objects.filter(entry__caja=caja)
        .values("account__code", "account__kind")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    )
    balances: dict[str, int] = {}
    for r in rows:
        d, c = r["d"] or 0, r["c"] or 0
        balances[r["account__code"]] = d - c if r["account__kind"] in DEBIT_NORMAL else c - d
    return balances


def trial_balance(*, caja: Caja | None = None) -> int:
    """Sum of all debits minus all credits: zero in a sound book."""
    qs = JournalLine.objects.all() if caja is None else JournalLine.objects.filter(entry__caja=caja)
    totals = qs.aggregate(d=Sum("debit"), c=Sum("credit"))
    return int((totals["d"] or 0) - (totals["c"] or 0))


def member_savings(*, caja: Caja) -> dict[int, int]:
    """Savings balance per member number."""
    return {
        int(code.split(".")[1]): amount
        for code, amount in account_balances(caja=caja).items()
        if code.startswith(chart.MEMBER_SAVINGS + ".")
    }


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
