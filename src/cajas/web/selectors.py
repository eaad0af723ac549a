"""Read models for the web pages, computed with aggregates (scoped by the caller)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum

from cajas.ledger import chart
from cajas.ledger.models import JournalLine
from cajas.ledger.selectors import account_balances
from cajas.meetings.models import ATTENDING, ItemKind, Meeting, MeetingItem, MeetingStatus
from cajas.members.models import Membership
from cajas.org.models import Caja, Cycle, CycleStatus


@dataclass
class MemberLine:
    membership: Membership
    savings: int
    shares: int


def caja_rows(*, cajas: QuerySet[Caja]) -> list[dict[str, Any]]:
    """One row per caja for the home list: members, savings, cash, last meeting."""
    annotated = cajas.select_related("territory", "partner").annotate(
        members=Count("memberships", filter=Q(memberships__left_on__isnull=True), distinct=True),
        last_meeting=Max("meetings__date"),
    )
    savings = dict(
        JournalLine.objects.filter(
            entry__caja__in=cajas, account__code__startswith=chart.MEMBER_SAVINGS + "."
        )
        .values("entry__caja")
        .annotate(s=Sum("credit") - Sum("debit"))
        .values_list("entry__caja", "s")
    )
    cash = dict(
        JournalLine.objects.filter(entry__caja__in=cajas, account__code=chart.CASH)
        .values("entry__caja")
        .annotate(s=Sum("debit") - Sum("credit"))
        .values_list("entry__caja", "s")
    )
    return [
        {
            "caja": c,
            "members": c.members,
            "last_meeting": c.last_meeting,
            "savings": savings.get(c.pk, 0) or 0,
            "cash": cash.get(c.pk, 0) or 0,
        }
        for c in annotated.order_by("territory__name", "name")
    ]


def member_lines(*, caja: Caja, only: Membership | None = None) -> list[MemberLine]:
    """Active members with their savings and the shares they bought this cycle (a share-out
    pays the shares out: the next cycle counts from zero)."""
    balances = account_balances(caja=caja)
    bought = MeetingItem.objects.filter(
        meeting__caja=caja,
        meeting__status=MeetingStatus.CLOSED,
        kind=ItemKind.SHARES,
        waived=False,
    )
    started = (
        Cycle.objects.filter(caja=caja, status=CycleStatus.OPEN)
        .values_list("started_on", flat=True)
        .first()
    )
    if started is not None:
        bought = bought.filter(meeting__date__gte=started)
    shares = dict(
        bought.values("membership").annotate(s=Sum("shares")).values_list("membership", "s")
    )
    members = Membership.objects.filter(caja=caja, left_on__isnull=True).select_related("person")
    if only is not None:
        members = members.filter(pk=only.pk)
    return [
        MemberLine(
            m, balances.get(chart.savings_account_code(m.number), 0), shares.get(m.pk, 0) or 0
        )
        for m in members.order_by("number")
    ]


def recent_meetings(*, caja: Caja, limit: int = 12) -> list[Meeting]:
    return list(
        Meeting.objects.filter(caja=caja)
        .annotate(
            present=Count("attendance", filter=Q(attendance__status__in=ATTENDING)),
            listed=Count("attendance"),
        )
        .order_by("-number")[:limit]
    )


@dataclass
class CollectLine:
    """A loan to collect at the meeting: what was due by its date, what the meeting has
    already received on it, and what is still left to pay today."""

    line: Any  # cajas.loans.selectors.LoanLine
    paid_here: int
    error: str = ""

    @property
    def loan(self) -> Any:
        return self.line.loan

    @property
    def due_left(self) -> int:
        return max(self.line.due_now - self.paid_here, 0)

    @property
    def payoff_left(self) -> int:
        return max(self.line.payoff - self.paid_here, 0)


def meeting_loans(caja: Caja, meeting: Meeting, items: list[MeetingItem]) -> dict[str, list[Any]]:
    """Loans the treasurer can act on at this meeting: approved ones to hand over and
    disbursed ones to collect (with what is due by the meeting's date, less what the meeting
    has already received on each)."""
    from cajas.loans.models import Loan, LoanStatus
    from cajas.loans.selectors import loan_lines

    pending = {i.loan_id for i in items if i.kind == "loan_disbursement"}
    paid: dict[int, int] = {}
    for i in items:
        if i.kind == "loan_repayment" and i.loan_id is not None and not i.waived:
            paid[i.loan_id] = paid.get(i.loan_id, 0) + i.amount_cents
    approved = [
        loan
        for loan in Loan.objects.filter(caja=caja, status=LoanStatus.APPROVED).select_related(
            "membership__person"
        )
        if loan.pk not in pending
    ]
    collect = [
        CollectLine(line, paid.get(line.loan.pk, 0))
        for line in loan_lines(caja, meeting.date)
        if line.loan.status in (LoanStatus.DISBURSED, LoanStatus.WRITTEN_OFF)
    ]
    return {"approved": approved, "collect": collect}
