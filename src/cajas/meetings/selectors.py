"""Reading meetings: the items a close posts, the cash a meeting expects, and the cash the
caja can lend from now (what loans are checked against); the caja page's figures (the home
list's rows, the members' lines, the recent meetings), read by the web and the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Count, Max, Q, QuerySet, Sum

from cajas.ledger import chart
from cajas.ledger.models import Account, JournalLine
from cajas.ledger.selectors import AccountState, account_balance, account_balances
from cajas.loans.models import Loan, LoanStatus
from cajas.meetings.models import ATTENDING, ItemKind, Meeting, MeetingItem, MeetingStatus
from cajas.meetings.rules import fine_is_owed
from cajas.members.models import Membership
from cajas.org.models import Caja, Cycle, CycleStatus


class ItemRow(NamedTuple):
    """A meeting item as the close reads it: plain values, no model instances (the close is the
    hot path ``make bench`` measures)."""

    id: int
    kind: str
    shares: int | None
    amount_cents: int
    description: str
    fine_reason: str
    membership_id: int | None
    member_number: int | None
    loan_id: int | None
    prepay: bool


def items_to_post(meeting_id: int) -> list[ItemRow]:
    """The meeting's items that post (not waived), in the order recorded. One plain query (the
    ORM's compilation cost more than the query on the close path)."""
    items, members = MeetingItem._meta.db_table, Membership._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.id, i.kind, i.shares, i.amount_cents, i.description, i.fine_reason, "  # noqa: S608
            f"i.membership_id, m.number, i.loan_id, i.prepay FROM {items} i "
            f"LEFT JOIN {members} m ON m.id = i.membership_id "
            "WHERE i.meeting_id = %s AND NOT i.waived ORDER BY i.id",
            [meeting_id],
        )
        return [ItemRow._make((*row[:9], bool(row[9]))) for row in cursor.fetchall()]


CASH_OUT = (ItemKind.EXPENSE, ItemKind.LOAN_DISBURSEMENT)


def brings_cash(item: ItemRow) -> bool:
    """Cash received at the meeting: not a payout, a fine owed or a waiver of one."""
    return not (
        item.kind in CASH_OUT
        or item.kind == ItemKind.FINE_WAIVER
        or fine_is_owed(kind=item.kind, fine_reason=item.fine_reason)
    )


def expected_cash(*, cash: int, items: Sequence[ItemRow]) -> int:
    """``cash`` in the box plus what the items bring in, minus what they pay out."""
    inflow = sum(i.amount_cents for i in items if brings_cash(i))
    outflow = sum(i.amount_cents for i in items if i.kind in CASH_OUT)
    return int(cash + inflow - outflow)


def meeting_expected_cash(*, meeting: Meeting) -> int:
    """Cash in the box now plus what this meeting brings in, minus what it pays out."""
    return expected_cash(
        cash=account_balance(caja=meeting.caja_id, code=chart.CASH),
        items=items_to_post(meeting.pk),
    )


def open_meeting_of(caja_id: int) -> Meeting | None:
    """The caja's open meeting, if one is open (there is never more than one)."""
    return Meeting.objects.filter(caja_id=caja_id, status=MeetingStatus.OPEN).first()


def cash_for_lending(*, caja_id: int) -> int:
    """What the caja can lend from now: while a meeting is open, that meeting's expected cash
    (with what it has collected so far); between meetings, the cash box."""
    meeting = open_meeting_of(caja_id)
    if meeting is None:
        return account_balance(caja=caja_id, code=chart.CASH)
    return meeting_expected_cash(meeting=meeting)


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
        meeting__caja=caja, meeting__status="closed", kind="shares", waived=False
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


def close_accounts(caja_id: int) -> dict[str, AccountState]:
    """The accounts a close may post to, by code, with their kept balances: every account of
    the caja but the receivables of loans no longer open (repaid or written off: a recovery
    goes to its own income account). One plain query whose rows follow the members and the
    loans open now, not the caja's past. Read after the caja lock, as ``caja_accounts``."""
    open_loans = [LoanStatus.APPROVED, LoanStatus.DISBURSED]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.code, a.id, a.kind, a.balance_cents FROM {Account._meta.db_table} a "  # noqa: S608
            f"LEFT JOIN {Loan._meta.db_table} l ON l.id = a.loan_id "
            "WHERE a.caja_id = %s AND (a.loan_id IS NULL OR l.status IN (%s, %s))",
            [caja_id, *open_loans],
        )
        rows = cursor.fetchall()
    return {code: AccountState(pk, kind, balance) for code, pk, kind, balance in rows}
