"""A member's own book, read from the journal: savings, social fund, fines, each loan with its
payments and what remains owed, the corrections made to her entries, the next meeting.

One read (every entry that names the member or touches her savings account, with its lines),
then plain Python: the same history serves the passbook page on her phone, the printed
passbook and her receipt of a past meeting (balances as of that meeting's last entry).
Nothing here writes; memos are put into words by ``documents.memos`` as they are read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Prefetch, Q

from cajas.documents.memos import (
    cancels_text,
    is_replacement,
    kind_text,
    loan_number_in,
    memo_text,
    shares_in,
)
from cajas.ledger import chart
from cajas.ledger.models import EntryKind, JournalEntry, JournalLine
from cajas.loans.models import Installment, Loan, LoanStatus
from cajas.loans.repayment import days_past_due
from cajas.loans.schedule import add_period
from cajas.loans.selectors import installment_states
from cajas.meetings.models import Meeting, MeetingStatus
from cajas.members.models import Membership
from cajas.org.models import Caja, Cycle, CycleStatus
from cajas.org.selectors import bylaws_in_force


@dataclass(frozen=True)
class Line:
    """One movement of a section (savings, social fund, fines): ``amount`` is signed, positive
    into the section; ``balance`` is the section's running total after it."""

    date: dt.date
    seq: int
    meeting: int | None
    title: str
    detail: str
    amount: int
    balance: int
    correction: bool
    reason: str

    @property
    def into(self) -> int:
        return max(self.amount, 0)

    @property
    def out_of(self) -> int:
        return max(-self.amount, 0)


@dataclass(frozen=True)
class LoanRow:
    date: dt.date
    seq: int
    meeting: int | None
    title: str
    detail: str
    lent: int
    paid: int
    principal: int
    interest: int
    owed: int  # principal still owed after this movement
    correction: bool
    reason: str


@dataclass
class LoanHistory:
    loan: Loan
    rows: list[LoanRow] = field(default_factory=list)
    owed: int = 0
    paid: int = 0
    interest: int = 0
    next_installment: Installment | None = None
    days_late: int = 0


@dataclass(frozen=True)
class Correction:
    """A reversal of one of the member's entries, or a replacement entry ("Corrección …")."""

    date: dt.date
    seq: int
    reason: str
    what: str  # the corrected entry, in words
    amount: int
    replacement: bool


@dataclass(frozen=True)
class NextMeeting:
    date: dt.date
    estimated: bool


def _entries(membership: Membership, upto_seq: int | None) -> list[JournalEntry]:
    savings = JournalLine.objects.filter(
        account__caja_id=membership.caja_id,
        account__code=chart.savings_account_code(membership.number),
    ).values("entry_id")
    qs = (
        JournalEntry.objects.filter(caja_id=membership.caja_id)
        .filter(Q(membership=membership) | Q(pk__in=savings))
        .select_related("meeting", "reverses")
        .prefetch_related(
            Prefetch("lines", queryset=JournalLine.objects.select_related("account").order_by("id"))
        )
        .order_by("seq")
    )
    if upto_seq is not None:
        qs = qs.filter(seq__lte=upto_seq)
    return list(qs)


def _net(entry: JournalEntry) -> dict[str, int]:
    """Credits minus debits per account code in one entry."""
    net: dict[str, int] = {}
    for line in entry.lines.all():
        net[line.account.code] = net.get(line.account.code, 0) + line.credit - line.debit
    return net


def _amount(entry: JournalEntry) -> int:
    return sum(line.debit for line in entry.lines.all())


def _describe(entry: JournalEntry) -> tuple[str, str]:
    """The entry's title and detail; a reversal names what it cancels."""
    amount = _amount(entry)
    if entry.kind == EntryKind.REVERSAL and entry.reverses is not None:
        return kind_text(entry.kind), cancels_text(entry.reverses, amount)
    return kind_text(entry.kind), memo_text(kind=entry.kind, memo=entry.memo, amount_cents=amount)


def _base_kind(entry: JournalEntry) -> str:
    if entry.kind == EntryKind.REVERSAL and entry.reverses is not None:
        return entry.reverses.kind
    return entry.kind


def _is_correction(entry: JournalEntry) -> bool:
    return entry.kind == EntryKind.REVERSAL or is_replacement(entry.memo)


class _Section:
    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.total = 0

    def add(self, entry: JournalEntry, amount: int) -> None:
        self.total += amount
        title, detail = _describe(entry)
        self.lines.append(
            Line(
                date=entry.date,
                seq=entry.seq,
                meeting=entry.meeting.number if entry.meeting else None,
                title=title,
                detail=detail,
                amount=amount,
                balance=self.total,
                correction=_is_correction(entry),
                reason=entry.reason,
            )
        )


@dataclass
class History:
    savings: _Section
    social_fund: _Section
    fines: _Section
    entry_fees: int
    loans: list[LoanHistory]
    corrections: list[Correction]
    shares_by_date: list[tuple[dt.date, int]]


def member_history(membership: Membership, *, upto_seq: int | None = None) -> History:
    """Everything the journal holds about one member, up to entry ``upto_seq`` (default: all)."""
    savings_code = chart.savings_account_code(membership.number)
    loans = {
        loan.number: LoanHistory(loan)
        for loan in Loan.objects.filter(membership=membership).order_by("number")
    }
    by_code = {chart.loan_account_code(n): n for n in loans}
    history = History(_Section(), _Section(), _Section(), 0, [], [], [])
    for entry in _entries(membership, upto_seq):
        net = _net(entry)
        mine = entry.membership_id == membership.pk
        if savings_code in net:
            history.savings.add(entry, net[savings_code])
        if mine and chart.SOCIAL_FUND in net:
            history.social_fund.add(entry, net[chart.SOCIAL_FUND])
        if mine and chart.FINE_INCOME in net:
            history.fines.add(entry, net[chart.FINE_INCOME])
        if mine and chart.FEE_INCOME in net:
            history.entry_fees += net[chart.FEE_INCOME]
        if mine:
            _loan_movement(entry, net, loans, by_code)
        shares = _shares(entry)
        if shares:
            history.shares_by_date.append((entry.date, shares))
        if mine and _is_correction(entry):
            history.corrections.append(_correction(entry))
    history.loans = list(loans.values())
    return history


def _shares(entry: JournalEntry) -> int:
    if entry.kind == EntryKind.SHARE_PURCHASE:
        return shares_in(entry.memo) or 0
    original = entry.reverses if entry.kind == EntryKind.REVERSAL else None
    if original is not None and original.kind == EntryKind.SHARE_PURCHASE:
        return -(shares_in(original.memo) or 0)
    return 0


def _correction(entry: JournalEntry) -> Correction:
    title, detail = _describe(entry)
    return Correction(
        date=entry.date,
        seq=entry.seq,
        reason=entry.reason,
        what=detail if entry.kind == EntryKind.REVERSAL else f"{title} · {detail}",
        amount=_amount(entry),
        replacement=entry.kind != EntryKind.REVERSAL,
    )


def _loan_movement(
    entry: JournalEntry,
    net: dict[str, int],
    loans: dict[int, LoanHistory],
    by_code: dict[str, int],
) -> None:
    number = next((by_code[code] for code in net if code in by_code), None)
    if number is None:
        number = loan_number_in(entry.kind, entry.memo)
        if number is None and entry.reverses is not None:
            number = loan_number_in(entry.reverses.kind, entry.reverses.memo)
    if number is None or number not in loans:
        return
    history = loans[number]
    principal = net.get(chart.loan_account_code(number), 0)
    interest = net.get(chart.INTEREST_INCOME, 0)
    other = net.get(chart.LATE_FEE_INCOME, 0) + net.get(chart.RECOVERIES, 0)
    base = _base_kind(entry)
    lent = paid = 0
    if base == EntryKind.LOAN_DISBURSEMENT:
        lent = -principal
    elif base != EntryKind.LOAN_WRITE_OFF:
        paid = principal + interest + other
    history.owed -= principal
    history.paid += paid
    history.interest += interest
    title, detail = _describe(entry)
    history.rows.append(
        LoanRow(
            date=entry.date,
            seq=entry.seq,
            meeting=entry.meeting.number if entry.meeting else None,
            title=title,
            detail=detail,
            lent=lent,
            paid=paid,
            principal=principal,
            interest=interest,
            owed=history.owed,
            correction=_is_correction(entry),
            reason=entry.reason,
        )
    )


def _loans_now(histories: list[LoanHistory], on: dt.date) -> None:
    """The next installment and the days late, from the loan's schedule as it stands now."""
    for h in histories:
        if h.loan.status != LoanStatus.DISBURSED:
            continue
        h.days_late = days_past_due(installment_states(h.loan), on)
        h.next_installment = next_unpaid_installment(h.loan)


def next_unpaid_installment(loan: Loan) -> Installment | None:
    """The first installment of the loan's schedule in force with something left to pay."""
    rows = Installment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number")
    return next((i for i in rows if i.unpaid_cents), None)


def next_meeting(caja: Caja, on: dt.date) -> NextMeeting | None:
    """The open meeting's date; else the last meeting's date plus the bylaws' meeting
    frequency, as many times as it takes to reach ``on`` (an estimate)."""
    opened = Meeting.objects.filter(caja=caja, status=MeetingStatus.OPEN).first()
    if opened is not None:
        return NextMeeting(opened.date, estimated=False)
    last = Meeting.objects.filter(caja=caja).aggregate(d=Max("date"))["d"]
    if last is None:
        return None
    frequency = bylaws_in_force(caja, on).meeting_frequency
    k = 1
    day = add_period(last, frequency, k)
    while day < on and k < 1000:
        k += 1
        day = add_period(last, frequency, k)
    return NextMeeting(day, estimated=True)


def cycle_start(caja: Caja) -> dt.date | None:
    return (
        Cycle.objects.filter(caja=caja, status=CycleStatus.OPEN)
        .values_list("started_on", flat=True)
        .first()
    )


def member_passbook(membership: Membership, on: dt.date) -> dict[str, Any]:
    """The member's passbook: sections, loans, corrections and balances (integer cents)."""
    caja = membership.caja
    history = member_history(membership)
    _loans_now(history.loans, on)
    started = cycle_start(caja)
    shares = sum(n for day, n in history.shares_by_date if started is None or day >= started)
    return {
        "caja": caja,
        "member": membership,
        "on": on,
        "savings": history.savings.total,
        "savings_lines": history.savings.lines,
        "social_fund_paid": history.social_fund.total,
        "social_fund_lines": history.social_fund.lines,
        "fines_paid": history.fines.total,
        "fine_lines": history.fines.lines,
        "entry_fees": history.entry_fees,
        "shares": shares,
        "loans": history.loans,
        "owed": sum(h.owed for h in history.loans),
        "corrections": history.corrections,
        "next_meeting": next_meeting(caja, on),
    }


def meeting_last_seq(meeting: Meeting) -> int | None:
    """The last journal entry of a closed meeting (None while it is open, or when it posted
    nothing: then the last entry dated on or before it)."""
    if meeting.status != MeetingStatus.CLOSED:
        return None
    seq = JournalEntry.objects.filter(meeting=meeting).aggregate(s=Max("seq"))["s"]
    if seq is None:
        seq = JournalEntry.objects.filter(
            caja_id=meeting.caja_id, date__lte=meeting.date
        ).aggregate(s=Max("seq"))["s"]
    return int(seq or 0)
