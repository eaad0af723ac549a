"""The caja's book and statements as tables (for XLSX and CSV)."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from cajas.documents import builders
from cajas.exports.tables import DATE, INT, MONEY, TEXT, Table, money
from cajas.ledger import chart
from cajas.ledger.models import Account, EntryKind, JournalLine
from cajas.loans.models import Loan
from cajas.meetings.models import Meeting
from cajas.members.models import Membership
from cajas.org.models import Caja
from cajas.shareouts.models import ShareOutPayout


def book_tables(caja: Caja, lang: str = "es") -> list[Table]:
    with translation.override(lang):
        return _book_tables(caja)


def _book_tables(caja: Caja) -> list[Table]:
    balances = dict(Account.objects.filter(caja=caja).values_list("code", "balance_cents"))
    return [
        _members_table(caja, balances),
        _meetings_table(caja),
        journal_table(caja),
        _accounts_table(caja),
        _loans_table(caja, balances),
        _payouts_table(caja),
    ]


def _members_table(caja: Caja, balances: dict[str, int]) -> Table:
    members = Table(
        "Socios" if translation.get_language() == "es" else "Members",
        [
            ("#", INT),
            ("code", TEXT),
            ("name", TEXT),
            ("gender", TEXT),
            ("role", TEXT),
            ("joined_on", DATE),
            ("left_on", DATE),
            ("savings", MONEY),
        ],
    )
    for m in Membership.objects.filter(caja=caja).select_related("person").order_by("number"):
        members.rows.append(
            [
                m.number,
                m.person.code,
                m.person.full_name,
                m.person.get_gender_display(),
                m.get_role_display(),
                m.joined_on,
                m.left_on,
                money(balances.get(chart.savings_account_code(m.number), 0)),
            ]
        )
    return members


def _meetings_table(caja: Caja) -> Table:
    meetings = Table(
        "Reuniones" if translation.get_language() == "es" else "Meetings",
        [
            ("#", INT),
            ("date", DATE),
            ("kind", TEXT),
            ("status", TEXT),
            ("cash_expected", MONEY),
            ("cash_counted", MONEY),
            ("difference", MONEY),
        ],
    )
    for mt in Meeting.objects.filter(caja=caja).order_by("number"):
        meetings.rows.append(
            [
                mt.number,
                mt.date,
                mt.get_kind_display(),
                mt.get_status_display(),
                money(mt.expected_cash_cents) if mt.expected_cash_cents is not None else None,
                money(mt.counted_cash_cents) if mt.counted_cash_cents is not None else None,
                money(mt.cash_difference_cents),
            ]
        )
    return meetings


def _accounts_table(caja: Caja) -> Table:
    accounts = Table(
        "Cuentas" if translation.get_language() == "es" else "Accounts",
        [("code", TEXT), ("account", TEXT), ("kind", TEXT), ("balance", MONEY)],
    )
    for a in Account.objects.filter(caja=caja).order_by("code"):
        accounts.rows.append(
            [a.code, chart.account_name(a.code), a.get_kind_display(), money(a.balance_cents)]
        )
    return accounts


def _loans_table(caja: Caja, balances: dict[str, int]) -> Table:
    loans = Table(
        "Préstamos" if translation.get_language() == "es" else "Loans",
        [
            ("#", INT),
            ("member", INT),
            ("purpose", TEXT),
            ("principal", MONEY),
            ("term", INT),
            ("monthly_rate_percent", MONEY),
            ("tea_percent", MONEY),
            ("status", TEXT),
            ("disbursed_on", DATE),
            ("outstanding", MONEY),
        ],
    )
    for loan in Loan.objects.filter(caja=caja).select_related("membership").order_by("number"):
        loans.rows.append(
            [
                loan.number,
                loan.membership.number,
                loan.get_purpose_display(),
                money(loan.principal_cents),
                loan.term,
                loan.monthly_rate_percent,
                loan.tea_percent,
                loan.get_status_display(),
                loan.disbursed_on,
                money(balances.get(chart.loan_account_code(loan.number), 0)),
            ]
        )
    return loans


def _payouts_table(caja: Caja) -> Table:
    payouts = Table(
        "Repartos" if translation.get_language() == "es" else "Share-outs",
        [
            ("cycle", INT),
            ("date", DATE),
            ("member", INT),
            ("savings", MONEY),
            ("earnings", MONEY),
            ("deductions", MONEY),
            ("reinvested", MONEY),
            ("paid", MONEY),
        ],
    )
    for p in (
        ShareOutPayout.objects.filter(shareout__caja=caja)
        .select_related("shareout__cycle", "membership")
        .order_by("shareout__date", "membership__number")
    ):
        payouts.rows.append(
            [
                p.shareout.cycle.number,
                p.shareout.date,
                p.membership.number,
                money(p.savings_cents),
                money(p.profit_cents),
                money(p.deductions_cents),
                money(p.reinvested_cents),
                money(p.amount_cents),
            ]
        )
    return payouts


def journal_table(caja: Caja) -> Table:
    journal = Table(
        "Diario" if translation.get_language() == "es" else "Journal",
        [
            ("seq", INT),
            ("date", DATE),
            ("kind", TEXT),
            ("memo", TEXT),
            ("member", INT),
            ("meeting", INT),
            ("account", TEXT),
            ("debit", MONEY),
            ("credit", MONEY),
        ],
    )
    for row in (
        JournalLine.objects.filter(entry__caja=caja)
        .order_by("entry__seq", "id")
        .values_list(
            "entry__seq",
            "entry__date",
            "entry__kind",
            "entry__memo",
            "entry__membership__number",
            "entry__meeting__number",
            "account__code",
            "debit",
            "credit",
        )
    ):
        seq, day, kind, memo, member, meeting, code, debit, credit = row
        journal.rows.append(
            [
                seq,
                day,
                str(EntryKind(kind).label),
                memo,
                member,
                meeting,
                code,
                money(debit),
                money(credit),
            ]
        )
    return journal


def statements_tables(
    caja: Caja, date_from: dt.date, date_to: dt.date, lang: str = "es"
) -> list[Table]:
    with translation.override(lang):
        es = lang == "es"
        d = builders.statements(caja, date_from, date_to)
        balance = Table("Balance" if es else "Balance sheet", [("", TEXT), ("USD", MONEY)])
        for label, rows, total in (
            ("Activos" if es else "Assets", d["assets"], d["assets_total"]),
            (
                "Deudas con socios" if es else "Owed to members",
                d["liabilities"],
                d["liabilities_total"],
            ),
            ("Fondos propios" if es else "Own funds", d["equity"], d["equity_total"]),
        ):
            balance.rows.append([label, None])
            for name, value in rows:
                shown = (
                    ("Resultado no repartido" if es else "Result not shared out")
                    if (name == "result")
                    else str(name)
                )
                balance.rows.append([shown, money(value)])
            balance.rows.append([f"Total {label.lower()}", money(total)])
        income = Table("Resultados" if es else "Income statement", [("", TEXT), ("USD", MONEY)])
        for _code, name, value in d["income"]:
            income.rows.append([str(name), money(value)])
        income.rows.append(["Ingresos" if es else "Income", money(d["income_total"])])
        for _code, name, value in d["expenses"]:
            income.rows.append([str(name), money(value)])
        income.rows.append(["Gastos" if es else "Expenses", money(d["expenses_total"])])
        income.rows.append(
            ["Resultado" if es else "Result", money(d["income_total"] - d["expenses_total"])]
        )
        cash = Table(
            "Libro de caja" if es else "Cash book",
            [
                ("date", DATE),
                ("seq", INT),
                ("movement", TEXT),
                ("in", MONEY),
                ("out", MONEY),
                ("balance", MONEY),
            ],
        )
        cash.rows.append(
            [
                date_from,
                None,
                "Saldo anterior" if es else "Brought forward",
                None,
                None,
                money(d["cash_opening"]),
            ]
        )
        for m in d["cash_book"]:
            cash.rows.append(
                [
                    m.date,
                    m.seq,
                    str(m.kind),
                    money(m.debit) if m.debit else None,
                    money(m.credit) if m.credit else None,
                    money(m.balance),
                ]
            )
        return [balance, income, cash]
