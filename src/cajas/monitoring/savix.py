"""A SAVIX-compatible quarterly group record per caja (docs/domain.md §9), as CSV columns in the
order SAVIX's MIS collects them. Fields Cajas does not keep are left at their neutral value
(no external linkage, no property)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

from cajas.access.models import StaffAssignment, StaffRole
from cajas.exports.tables import DATE, INT, MONEY, TEXT, Table, money
from cajas.ledger import chart
from cajas.ledger.models import Account, EntryKind, JournalLine
from cajas.loans.models import LoanStatus
from cajas.loans.selectors import unpaid_installments
from cajas.meetings.models import ATTENDING, Attendance, Meeting, MeetingStatus
from cajas.members.models import Membership
from cajas.org.models import Bylaws, Caja, Cycle, CycleStatus

COLUMNS = [
    ("group_name", TEXT),
    ("group_number", TEXT),
    ("date_first_training", DATE),
    ("date_savings_started_this_cycle", DATE),
    ("trainer", TEXT),
    ("date_of_data_collection", DATE),
    ("linked_to_external_savings_or_credit", TEXT),
    ("members_at_start_of_cycle", INT),
    ("registered_members_now_men", INT),
    ("registered_members_now_women", INT),
    ("members_attending", INT),
    ("dropouts_this_cycle", INT),
    ("value_of_savings_this_cycle", MONEY),
    ("loans_outstanding_number", INT),
    ("loans_outstanding_value", MONEY),
    ("unpaid_balance_of_late_loans", MONEY),
    ("write_offs_this_cycle", MONEY),
    ("loan_fund_cash_box", MONEY),
    ("loan_fund_cash_bank", MONEY),
    ("cash_in_other_funds", MONEY),
    ("property_at_start_of_cycle", MONEY),
    ("property_now", MONEY),
    ("debts", MONEY),
    ("interest_rate_monthly_percent", MONEY),
]


def savix_table(cajas: QuerySet[Caja], on: dt.date) -> Table:
    """The record of every caja in ``cajas`` on ``on``, ordered by code."""
    return Table("SAVIX", COLUMNS, list(savix_rows(cajas, on)))


def savix_rows(cajas: QuerySet[Caja], on: dt.date) -> Iterator[list[Any]]:
    """The rows of ``savix_table``, one per caja, from about a dozen set-based queries for the
    whole program (each grouped by caja), read when the first row is asked for."""
    ids = Caja.objects.filter(pk__in=cajas.values("pk")).values("pk")
    trainers = dict(
        StaffAssignment.objects.filter(role=StaffRole.FACILITATOR, caja__in=ids).values_list(
            "caja_id", "user__username"
        )
    )
    starts = dict(
        Cycle.objects.filter(caja__in=ids, status=CycleStatus.OPEN).values_list(
            "caja_id", "started_on"
        )
    )
    groups = list(
        Caja.objects.filter(pk__in=ids)
        .order_by("code")
        .values_list("pk", "name", "code", "founded_on")
    )
    start = {pk: starts.get(pk, founded) for pk, _name, _code, founded in groups}
    members = _members(ids, on, start)
    attending = _attending(ids, on)
    balances, loans = _balances(ids, on)
    written_off: dict[int, int] = defaultdict(int)
    for caja_id, day, debit in (
        JournalLine.objects.filter(
            entry__caja__in=ids,
            entry__kind=EntryKind.LOAN_WRITE_OFF,
            account__code=chart.LOAN_LOSSES,
        )
        .values_list("entry__caja_id", "entry__date")
        .annotate(s=Sum("debit"))
        .order_by()
    ):
        if day >= start[caja_id]:
            written_off[caja_id] += debit or 0
    rates: dict[int, Any] = {}
    for caja_id, rate in (
        Bylaws.objects.filter(caja__in=ids)
        .order_by("caja_id", "-version")
        .values_list("caja_id", "loan_monthly_rate_percent")
    ):
        rates.setdefault(caja_id, rate)  # the newest version
    for pk, name, code, founded in groups:
        m = members.get(pk, _NO_MEMBERS)
        b = balances.get(pk, {})
        count, owed, late = loans.get(pk, (0, 0, 0))
        yield [
            name,
            code,
            founded,
            start[pk],
            trainers.get(pk, ""),
            on,
            "no",
            m["at_start"],
            m["male"],
            m["female"],
            attending.get(pk, 0),
            m["dropouts"],
            money(b.get("savings", 0)),
            count,
            money(owed),
            money(late),
            money(written_off.get(pk, 0)),
            # One box in the books: the social fund's cash is "cash in other funds".
            money(b.get(chart.CASH, 0) - b.get(chart.SOCIAL_FUND, 0)),
            money(b.get(chart.BANK, 0)),
            money(b.get(chart.SOCIAL_FUND, 0)),
            money(0),
            money(0),
            money(0),
            rates.get(pk),
        ]


_NO_MEMBERS = {"at_start": 0, "male": 0, "female": 0, "dropouts": 0}


def _members(ids: Any, on: dt.date, start: dict[int, dt.date]) -> dict[int, dict[str, int]]:
    """Per caja: members at the start of the cycle, men and women registered on ``on``,
    dropouts since the cycle started. Memberships grouped by their dates, not read one by one."""
    counts: dict[int, dict[str, int]] = {}
    for caja_id, gender, joined, left, n in (
        Membership.objects.filter(caja__in=ids)
        .values_list("caja_id", "person__gender", "joined_on", "left_on")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        c = counts.setdefault(caja_id, dict(_NO_MEMBERS))
        begun = start[caja_id]
        if joined <= begun and (left is None or left > begun):
            c["at_start"] += n
        if joined <= on and (left is None or left > on) and gender in ("male", "female"):
            c[gender] += n
        if left is not None and begun < left <= on:
            c["dropouts"] += n
    return counts


def _attending(ids: Any, on: dt.date) -> dict[int, int]:
    """Members present or represented at each caja's last closed meeting up to ``on``."""
    last = (
        Meeting.objects.filter(caja__in=ids, status=MeetingStatus.CLOSED, date__lte=on)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("caja_id")],
                order_by=[F("date").desc(), F("number").desc()],
            )
        )
        .filter(rank=1)
    )
    meetings = list(last.values_list("pk", flat=True))
    attending: dict[int, int] = {}
    for chunk in range(0, len(meetings), 5000):
        attending.update(
            Attendance.objects.filter(
                meeting_id__in=meetings[chunk : chunk + 5000],
                status__in=ATTENDING,
            )
            .values_list("meeting__caja_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
    return attending


def _balances(
    ids: Any, on: dt.date
) -> tuple[dict[int, dict[str, int]], dict[int, tuple[int, int, int]]]:
    """Per caja: the kept balances of the box, the bank, the social fund and the members'
    savings; and the loans outstanding (count, principal owed, owed on those with an
    installment due before ``on`` still unpaid)."""
    balances: dict[int, dict[str, int]] = defaultdict(dict)
    for caja_id, code, cents in Account.objects.filter(
        caja__in=ids, code__in=[chart.CASH, chart.BANK, chart.SOCIAL_FUND]
    ).values_list("caja_id", "code", "balance_cents"):
        balances[caja_id][code] = cents
    for caja_id, cents in (
        Account.objects.filter(caja__in=ids, code__startswith=chart.MEMBER_SAVINGS + ".")
        .values_list("caja_id")
        .annotate(s=Sum("balance_cents"))
        .order_by()
    ):
        balances[caja_id]["savings"] = cents or 0
    late = unpaid_installments().filter(loan_id=OuterRef("loan_id"), due_date__lt=on)
    loans = {
        caja_id: (n, owed or 0, at_risk or 0)
        for caja_id, n, owed, at_risk in Account.objects.filter(
            caja__in=ids, loan__status=LoanStatus.DISBURSED
        )
        .annotate(is_late=Exists(late))
        .values_list("caja_id")
        .annotate(
            n=Count("pk"),
            v=Sum("balance_cents"),
            r=Sum("balance_cents", filter=Q(is_late=True)),
        )
        .order_by()
    }
    return balances, loans
