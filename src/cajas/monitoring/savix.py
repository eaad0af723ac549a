"""A SAVIX-compatible quarterly group record per caja (docs/domain.md §9), as CSV columns in the
order SAVIX's MIS collects them. Fields Cajas does not keep are left at their neutral value
(no external linkage, no property)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum

from cajas.access.models import StaffAssignment, StaffRole
from cajas.exports.tables import DATE, INT, MONEY, TEXT, Table, money
from cajas.ledger import chart
from cajas.ledger.models import Account, EntryKind, JournalLine
from cajas.loans.models import LoanStatus
from cajas.loans.selectors import unpaid_installments
from cajas.meetings.models import ATTENDING, Attendance, Meeting, MeetingStatus
from cajas.members.models import Membership
from cajas.org.models import Caja, Cycle, CycleStatus

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
    table = Table("SAVIX", COLUMNS)
    trainers = dict(
        StaffAssignment.objects.filter(
            role=StaffRole.FACILITATOR, caja__in=cajas.values("pk")
        ).values_list("caja_id", "user__username")
    )
    for caja in Caja.objects.filter(pk__in=cajas.values("pk")).order_by("code"):
        cycle = Cycle.objects.filter(caja=caja, status=CycleStatus.OPEN).first()
        start = cycle.started_on if cycle else caja.founded_on
        members = Membership.objects.filter(caja=caja)
        now = members.filter(joined_on__lte=on).filter(Q(left_on__isnull=True) | Q(left_on__gt=on))
        by_gender = dict(now.values_list("person__gender").annotate(c=Count("pk")))
        at_start = (
            members.filter(joined_on__lte=start)
            .filter(Q(left_on__isnull=True) | Q(left_on__gt=start))
            .count()
        )
        last = (
            Meeting.objects.filter(caja=caja, status=MeetingStatus.CLOSED, date__lte=on)
            .order_by("-date")
            .first()
        )
        attending = (
            Attendance.objects.filter(meeting=last, status__in=ATTENDING).count() if last else 0
        )
        balances = dict(Account.objects.filter(caja=caja).values_list("code", "balance_cents"))
        savings = sum(v for k, v in balances.items() if k.startswith(chart.MEMBER_SAVINGS + "."))
        loans = Account.objects.filter(caja=caja, loan__status=LoanStatus.DISBURSED)
        late_loans = (
            unpaid_installments()
            .filter(loan__caja=caja, loan__status=LoanStatus.DISBURSED, due_date__lt=on)
            .values("loan_id")
        )
        written_off = (
            JournalLine.objects.filter(
                entry__caja=caja,
                entry__kind=EntryKind.LOAN_WRITE_OFF,
                entry__date__gte=start,
                account__code=chart.LOAN_LOSSES,
            ).aggregate(s=Sum("debit"))["s"]
            or 0
        )
        bylaws = caja.bylaws_versions.order_by("-version").first()
        table.rows.append(
            [
                caja.name,
                caja.code,
                caja.founded_on,
                start,
                trainers.get(caja.pk, ""),
                on,
                "no",
                at_start,
                by_gender.get("male", 0),
                by_gender.get("female", 0),
                attending,
                members.filter(left_on__gt=start, left_on__lte=on).count(),
                money(savings),
                loans.count(),
                money(loans.aggregate(s=Sum("balance_cents"))["s"] or 0),
                money(
                    loans.filter(loan_id__in=late_loans).aggregate(s=Sum("balance_cents"))["s"] or 0
                ),
                money(written_off),
                # One box in the books: the social fund's cash is "cash in other funds".
                money(balances.get(chart.CASH, 0) - balances.get(chart.SOCIAL_FUND, 0)),
                money(balances.get(chart.BANK, 0)),
                money(balances.get(chart.SOCIAL_FUND, 0)),
                money(0),
                money(0),
                money(0),
                bylaws.loan_monthly_rate_percent if bylaws else None,
            ]
        )
    return table
