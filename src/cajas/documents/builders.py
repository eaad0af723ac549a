"""What each document shows, read from the books (selectors; nothing is written here).

Every builder returns a plain dict for its template. Amounts stay integer cents until the
template formats them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, Sum

from cajas.core.errors import RuleViolation
from cajas.documents.minutes import minutes
from cajas.documents.passbook import (
    LoanHistory,
    meeting_last_seq,
    member_history,
    member_passbook,
    next_unpaid_installment,
)
from cajas.documents.people import officers
from cajas.ledger import chart
from cajas.ledger.models import (
    DEBIT_NORMAL,
    Account,
    AccountKind,
    EntryKind,
    JournalEntry,
    JournalLine,
)
from cajas.loans.models import Installment, Loan, LoanStatus, Restructuring
from cajas.loans.rates import loan_terms_simulate
from cajas.loans.repayment import days_past_due
from cajas.loans.schedule import add_period
from cajas.loans.selectors import installment_states
from cajas.meetings.models import (
    ATTENDING,
    Attendance,
    ItemKind,
    Meeting,
    MeetingItem,
    MeetingStatus,
)
from cajas.members.models import ConsentPurpose, Membership
from cajas.members.selectors import consent_in_force
from cajas.org.models import Caja
from cajas.org.selectors import bylaws_in_force
from cajas.shareouts.models import ShareOut

__all__ = [
    "credit_history",
    "exit_settlement",
    "loan_contract",
    "minutes",
    "passbook",
    "receipt",
    "receipts",
    "shareout_report",
    "statements",
]


class NoCreditLetterConsent(RuleViolation):
    code = "document.no_consent"
    message_es = (
        "El socio n.º {member} no ha dado su consentimiento para emitir una carta de historial "
        "crediticio (o lo retiró); regístrelo primero."
    )
    message_en = (
        "Member #{member} has not consented to a credit-history letter (or withdrew the "
        "consent); record the consent first."
    )


@dataclass(frozen=True)
class Movement:
    date: dt.date
    seq: int
    kind: object  # the entry kind's (lazy) label: translated when the document renders
    memo: str
    meeting: int | None
    debit: int
    credit: int
    balance: int


def _movements(
    account: Account, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> tuple[int, list[Movement]]:
    """An account's lines in order, with the running balance in its normal direction; and the
    balance brought forward from before ``date_from``."""
    debit_normal = account.kind in DEBIT_NORMAL
    lines = JournalLine.objects.filter(account=account).select_related("entry__meeting")
    opening = 0
    if date_from is not None:
        before = lines.filter(entry__date__lt=date_from).aggregate(d=Sum("debit"), c=Sum("credit"))
        d, c = before["d"] or 0, before["c"] or 0
        opening = d - c if debit_normal else c - d
        lines = lines.filter(entry__date__gte=date_from)
    if date_to is not None:
        lines = lines.filter(entry__date__lte=date_to)
    balance = opening
    result = []
    for line in lines.order_by("entry__seq", "id"):
        balance += (line.debit - line.credit) if debit_normal else (line.credit - line.debit)
        entry = line.entry
        result.append(
            Movement(
                date=entry.date,
                seq=entry.seq,
                kind=EntryKind(entry.kind).label,
                memo=entry.memo,
                meeting=entry.meeting.number if entry.meeting else None,
                debit=line.debit,
                credit=line.credit,
                balance=balance,
            )
        )
    return opening, result


def _loan_summaries(membership: Membership, on: dt.date) -> list[dict[str, Any]]:
    rows = []
    for loan in Loan.objects.filter(membership=membership).order_by("number"):
        account = Account.objects.filter(
            caja_id=loan.caja_id, code=chart.loan_account_code(loan.number)
        ).first()
        late = 0
        if loan.status == LoanStatus.DISBURSED:
            late = days_past_due(installment_states(loan), on)
        worst = _worst_delay(loan)
        rows.append(
            {
                "loan": loan,
                "outstanding": account.balance_cents if account else 0,
                "days_late": late,
                "worst_delay": worst,
            }
        )
    return rows


def _worst_delay(loan: Loan) -> int:
    """The most days any installment was paid (or still is) after its due date, from the
    meetings where it was paid: a plain, checkable measure of punctuality."""
    payments = list(
        MeetingItem.objects.filter(
            loan=loan, kind=ItemKind.LOAN_REPAYMENT, meeting__status=MeetingStatus.CLOSED
        )
        .order_by("meeting__date")
        .values_list("meeting__date", "amount_cents")
    )
    worst = 0
    rows = list(
        Installment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number")
    )
    owed_by: list[tuple[dt.date, int]] = []
    running = 0
    for i in rows:
        running += i.payment_cents
        owed_by.append((i.due_date, running))
    for due, cumulative in owed_by:
        settled_on = None
        paid_so_far = 0
        for day, cents in payments:
            paid_so_far += cents
            if paid_so_far >= cumulative:
                settled_on = day
                break
        if settled_on is None:
            continue
        worst = max(worst, (settled_on - due).days)
    return worst


def passbook(membership: Membership, on: dt.date) -> dict[str, Any]:
    """The printed passbook: the same history as the member's page (``passbook.py``)."""
    return member_passbook(membership, on)


_LOAN_KINDS = (
    EntryKind.LOAN_REPAYMENT,
    EntryKind.LOAN_RECOVERY,
    EntryKind.LOAN_WRITE_OFF,
    EntryKind.REVERSAL,
    EntryKind.SHARE_OUT,
    EntryKind.MEMBER_EXIT,
)


@dataclass(frozen=True)
class NextInstallment:
    unpaid_cents: int
    due_date: dt.date


def _next_as_of(history: LoanHistory, meeting: Meeting, current: bool) -> NextInstallment | None:
    """The next installment as the member stood after the meeting. The schedule rows hold
    today's state, so they are read as they are when nothing was paid or restructured since;
    otherwise the installments of the schedule then in force are set against what she had
    paid by then (principal and interest, in order)."""
    loan = history.loan
    if current:
        nxt = next_unpaid_installment(loan)
        return NextInstallment(nxt.unpaid_cents, nxt.due_date) if nxt else None
    restructured = (
        Restructuring.objects.filter(loan=loan, on__lte=meeting.date)
        .order_by("-to_version")
        .first()
    )
    since = restructured.on if restructured else None
    paid = sum(
        r.principal + r.interest
        for r in history.rows
        if r.paid and (since is None or r.date >= since)
    )
    owed_by = 0
    for i in Installment.objects.filter(
        loan=loan, version=restructured.to_version if restructured else 1
    ).order_by("number"):
        owed_by += i.payment_cents
        if owed_by > paid:
            return NextInstallment(min(owed_by - paid, i.payment_cents), i.due_date)
    return None


def receipts(members: Sequence[Membership], meeting: Meeting) -> list[dict[str, Any]]:
    """``receipt`` of each member, the meeting's last entry and items read once for all."""
    upto = meeting_last_seq(meeting)
    items: dict[int, list[MeetingItem]] = {m.pk: [] for m in members}
    for item in (
        MeetingItem.objects.filter(meeting=meeting, membership__in=list(items), waived=False)
        .select_related("loan")
        .order_by("id")
    ):
        assert item.membership_id is not None  # filtered on it
        items[item.membership_id].append(item)
    return [receipt(m, meeting, known=(upto, items[m.pk])) for m in members]


def receipt(
    membership: Membership,
    meeting: Meeting,
    *,
    known: tuple[int | None, list[MeetingItem]] | None = None,
) -> dict[str, Any]:
    """What the member paid at the meeting and where she stood when it closed: balances from
    the journal up to the meeting's last entry, so a receipt printed later reads the same.
    ``known``: the meeting's last entry and the member's items, read already (``receipts``)."""
    if known is None:
        upto = meeting_last_seq(meeting)
        items = list(
            MeetingItem.objects.filter(meeting=meeting, membership=membership, waived=False)
            .select_related("loan")
            .order_by("id")
        )
    else:
        upto, items = known
    history = member_history(membership, upto_seq=upto)
    # The schedule rows hold today's state: they still describe the meeting's when none of
    # the member's loan entries came after it and no loan was restructured since.
    current = upto is None or not (
        JournalEntry.objects.filter(
            caja_id=meeting.caja_id, membership=membership, seq__gt=upto, kind__in=_LOAN_KINDS
        ).exists()
        or Restructuring.objects.filter(loan__membership=membership, on__gt=meeting.date).exists()
    )
    loans = [
        {"loan": h.loan, "outstanding": h.owed, "next": _next_as_of(h, meeting, current)}
        for h in history.loans
        if h.owed > 0
    ]
    return {
        "caja": meeting.caja,
        "meeting": meeting,
        "member": membership,
        "items": items,
        "paid": sum(i.amount_cents for i in items if i.kind != ItemKind.LOAN_DISBURSEMENT),
        "savings": history.savings.total,
        "social_fund": history.social_fund.total,
        "loans": loans,
    }


def loan_contract(loan: Loan) -> dict[str, Any]:
    caja = loan.caja
    sim = loan_terms_simulate(
        caja=caja,
        principal=loan.principal_cents,
        term=loan.term,
        on=loan.applied_on,
        bylaws=bylaws_in_force(caja, loan.applied_on),
    )
    # The schedule as agreed (payments since then do not change the contract).
    start = loan.disbursed_on or loan.applied_on
    rows = [
        {
            "number": i.number,
            "due_date": add_period(start, loan.frequency, i.number),
            "principal_cents": i.principal,
            "interest_cents": i.interest,
            "payment_cents": i.payment,
        }
        for i in sim.schedule.installments
    ]
    return {
        "caja": caja,
        "loan": loan,
        "member": loan.membership,
        "sim": sim,
        "rows": rows,
        "guarantors": [g.membership for g in loan.guarantors.select_related("membership__person")],
        "officers": officers(caja),
    }


def shareout_report(shareout: ShareOut) -> dict[str, Any]:
    return {
        "caja": shareout.caja,
        "s": shareout,
        "payouts": list(
            shareout.payouts.select_related("membership__person").order_by("membership__number")
        ),
        "officers": officers(shareout.caja),
    }


def _sums(caja: Caja, q: Q) -> dict[str, tuple[str, int]]:
    rows = (
        JournalLine.objects.filter(q, entry__caja=caja)
        .values("account__code", "account__kind")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    )
    result = {}
    for r in rows:
        d, c = r["d"] or 0, r["c"] or 0
        kind = r["account__kind"]
        result[r["account__code"]] = (kind, d - c if kind in DEBIT_NORMAL else c - d)
    return result


def statements(caja: Caja, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """Balance sheet at ``date_to``, income statement and cash book for the period."""
    at_end = _sums(caja, Q(entry__date__lte=date_to))

    def total(prefix: str) -> int:
        return sum(v for code, (_k, v) in at_end.items() if code.split(".")[0] == prefix)

    unclosed = sum(v for _c, (k, v) in at_end.items() if k == AccountKind.INCOME) - sum(
        v for _c, (k, v) in at_end.items() if k == AccountKind.EXPENSE
    )
    assets = [
        (chart.account_name(chart.CASH), total(chart.CASH)),
        (chart.account_name(chart.BANK), total(chart.BANK)),
        (chart.account_name(chart.LOANS_RECEIVABLE), total(chart.LOANS_RECEIVABLE)),
    ]
    liabilities = [
        (chart.account_name(chart.MEMBER_SAVINGS), total(chart.MEMBER_SAVINGS)),
        (chart.account_name(chart.SOCIAL_FUND), total(chart.SOCIAL_FUND)),
    ]
    equity = [
        (chart.account_name(chart.RESERVE), total(chart.RESERVE)),
        (chart.account_name(chart.RETAINED_EARNINGS), total(chart.RETAINED_EARNINGS)),
        ("result", unclosed),
    ]
    period = _sums(
        caja,
        Q(entry__date__gte=date_from, entry__date__lte=date_to)
        & ~Q(entry__kind=EntryKind.CYCLE_CLOSE),
    )
    income = sorted(
        (code, chart.account_name(code), v)
        for code, (k, v) in period.items()
        if k == AccountKind.INCOME and v
    )
    expenses = sorted(
        (code, chart.account_name(code), v)
        for code, (k, v) in period.items()
        if k == AccountKind.EXPENSE and v
    )
    cash = Account.objects.get(caja=caja, code=chart.CASH)
    opening, book = _movements(cash, date_from, date_to)
    return {
        "caja": caja,
        "date_from": date_from,
        "date_to": date_to,
        "assets": assets,
        "assets_total": sum(v for _n, v in assets),
        "liabilities": liabilities,
        "liabilities_total": sum(v for _n, v in liabilities),
        "equity": equity,
        "equity_total": sum(v for _n, v in equity),
        "income": income,
        "income_total": sum(v for *_x, v in income),
        "expenses": expenses,
        "expenses_total": sum(v for *_x, v in expenses),
        "cash_opening": opening,
        "cash_book": book,
        "cash_closing": book[-1].balance if book else opening,
        "officers": officers(caja),
    }


def credit_history(membership: Membership, on: dt.date) -> dict[str, Any]:
    consent = consent_in_force(person_id=membership.person_id, purpose=ConsentPurpose.CREDIT_LETTER)
    if consent is None:
        raise NoCreditLetterConsent(member=membership.number)
    caja = membership.caja
    attendance = Attendance.objects.filter(
        membership=membership, meeting__status=MeetingStatus.CLOSED
    )
    attended = attendance.filter(status__in=ATTENDING).count()
    listed = attendance.count()
    saved = (
        MeetingItem.objects.filter(
            membership=membership,
            kind=ItemKind.SHARES,
            meeting__status=MeetingStatus.CLOSED,
            waived=False,
        ).aggregate(s=Sum("amount_cents"))["s"]
        or 0
    )
    loans = _loan_summaries(membership, on)
    savings = Account.objects.get(
        caja=caja, code=chart.savings_account_code(membership.number)
    ).balance_cents
    return {
        "caja": caja,
        "member": membership,
        "on": on,
        "consent": consent,
        "attended": attended,
        "listed": listed,
        "attendance_percent": round(attended * 100 / listed) if listed else 0,
        "saved_total": saved,
        "savings": savings,
        "loans": loans,
        "loans_repaid": sum(1 for x in loans if x["loan"].status == LoanStatus.REPAID),
        "payouts": list(membership.payouts.select_related("shareout__cycle")),
        "officers": officers(caja),
    }


def exit_settlement(exit_row: Any) -> dict[str, Any]:
    membership = exit_row.membership
    return {
        "caja": membership.caja,
        "member": membership,
        "x": exit_row,
        "officers": officers(membership.caja),
    }
