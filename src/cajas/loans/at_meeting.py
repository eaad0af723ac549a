"""Loans at a meeting: a repayment checked when it is recorded, and what a closing meeting's
loan items post.

The meeting app records hand-overs and repayments as its items and, when it closes, passes them
here as ``LoanItem`` values. ``loan_postings`` reads the loans once and returns, as data, the
journal drafts and the changes to the loans (``LoanPostings``); the close posts the drafts with
its own and then calls ``loan_postings_save``. Nothing here reads or writes meetings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import F, Q

from cajas.core.money import format_amount
from cajas.ledger import chart
from cajas.ledger.models import EntryKind
from cajas.ledger.rules import Line
from cajas.ledger.services import BookRef, EntryDraft
from cajas.loans.models import Installment, Loan, LoanStatus
from cajas.loans.records import require_status, schedule_write
from cajas.loans.repayment import Allocation, InstallmentState, allocate_repayment
from cajas.loans.rules import RecoveryExceedsWrittenOff
from cajas.loans.schedule import period_rate
from cajas.loans.selectors import installment_states, with_late_fees
from cajas.members.models import Membership
from cajas.org.models import Bylaws
from cajas.org.terms import InterestMethod


class Repayment(NamedTuple):
    """A payment on a loan recorded at the meeting: its amount, and whether what goes beyond
    the amount due now prepays principal."""

    amount_cents: int
    prepay: bool


class LoanItem(NamedTuple):
    """A closing meeting's hand-over or repayment of one loan. ``key`` is the idempotency key
    of its journal entry (the meeting's own key for the item)."""

    key: str
    loan_id: int
    amount_cents: int
    prepay: bool


def _allocate(
    states: Sequence[InstallmentState],
    payment: Repayment,
    *,
    on: dt.date,
    number: int,
    method: str,
    frequency: str,
    monthly_rate_percent: Decimal,
) -> Allocation:
    return allocate_repayment(
        states,
        amount=payment.amount_cents,
        on=on,
        prepay=payment.prepay,
        declining=method != InterestMethod.FLAT,
        period_rate=period_rate(monthly_rate_percent / 100, frequency),
        loan_number=number,
    )


def repayment_check(
    *, loan: Loan, on: dt.date, bylaws: Bylaws, earlier: Sequence[Repayment], payment: Repayment
) -> None:
    """May the meeting on ``on`` receive ``payment`` on the loan, after the ``earlier`` ones it
    already records? Not more than is due now (or, with prepay, owed); of a written-off loan,
    not more than is left to recover. Called with the caja and the loan locked."""
    require_status(loan, "repay", LoanStatus.DISBURSED, LoanStatus.WRITTEN_OFF)
    if loan.status == LoanStatus.WRITTEN_OFF:
        left = loan.written_off_cents - loan.recovered_cents - sum(p.amount_cents for p in earlier)
        if payment.amount_cents > left:
            raise RecoveryExceedsWrittenOff(
                number=loan.number,
                left=format_amount(left),
                amount=format_amount(payment.amount_cents),
                field="amount",
            )
        return
    states = with_late_fees(installment_states(loan), on, bylaws)
    for each in (*earlier, payment):
        states = list(
            _allocate(
                states,
                each,
                on=on,
                number=loan.number,
                method=loan.method,
                frequency=loan.frequency,
                monthly_rate_percent=loan.monthly_rate_percent,
            ).installments
        )


@dataclass(frozen=True)
class LoanPostings:
    """What a closing meeting's loan items post and change, as data.

    ``drafts``: the journal entries (hand-overs, repayments allocated to late fee, interest and
    principal, recoveries of written-off loans). ``disbursed``: loans handed over. ``changed``:
    installment rows with what they are paid after the meeting (row id, state). ``settled``:
    loans paid at the meeting whose loaded installments are all settled (loan id → the last
    installment number loaded): repaid unless a later one is still open. ``recovered``:
    written-off loan id → recovered cents after the meeting.
    """

    meeting_id: int
    on: dt.date
    drafts: tuple[EntryDraft, ...]
    disbursed: tuple[int, ...]
    changed: tuple[tuple[int, InstallmentState], ...]
    settled: Mapping[int, int]
    recovered: Mapping[int, int]


class _LoanRow(NamedTuple):
    """What a meeting close needs of a loan: plain values, read in one query."""

    id: int
    number: int
    status: str
    method: str
    frequency: str
    monthly_rate_percent: Decimal
    schedule_version: int
    recovered_cents: int
    membership_id: int
    member_number: int


_LOAN_ROW_COLUMNS = (
    "l.id, l.number, l.status, l.method, l.frequency, l.monthly_rate_percent, "
    "l.schedule_version, l.recovered_cents, l.membership_id, m.number"
)


def _loan_rows(caja_id: int) -> dict[int, _LoanRow]:
    """The caja's loans a close can touch, in one plain query (the close's hot path)."""
    statuses = [LoanStatus.DISBURSED, LoanStatus.WRITTEN_OFF, LoanStatus.APPROVED]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_LOAN_ROW_COLUMNS} FROM {Loan._meta.db_table} l "  # noqa: S608
            f"JOIN {Membership._meta.db_table} m ON m.id = l.membership_id "
            "WHERE l.caja_id = %s AND l.status IN (%s, %s, %s)",
            [caja_id, *statuses],
        )
        rows = cursor.fetchall()
    # SQLite hands back the rate as a float or int: read it as the decimal that was stored.
    return {row[0]: _LoanRow._make((*row[:5], Decimal(str(row[5])), *row[6:])) for row in rows}


_STATE_COLUMNS = (
    "number",
    "due_date",
    "principal_cents",
    "interest_cents",
    "paid_principal_cents",
    "paid_interest_cents",
    "late_fee_cents",
    "paid_late_fee_cents",
)
_CHANGING = ("interest", "paid_principal", "paid_interest", "late_fee", "paid_late_fee")


def _unsettled_installments(
    caja_id: int, on: dt.date, paying: set[int], prepaying: set[int]
) -> dict[int, list[tuple[int, InstallmentState]]]:
    """The unsettled installments of the caja's disbursed loans' current schedules that a close
    on ``on`` needs: those due by then (late fees and repayments), the next one of each loan
    paid at the meeting, every one of a loan prepaid at it. One plain query: its cost follows
    what is due, not the length of the loans."""
    table, loans = Installment._meta.db_table, Loan._meta.db_table
    columns = ", ".join("i." + c for c in _STATE_COLUMNS)
    unsettled = (
        "(i.paid_principal_cents < i.principal_cents OR i.paid_interest_cents < i.interest_cents "
        "OR i.paid_late_fee_cents < i.late_fee_cents)"
    )
    # Installments fall due in the order of their numbers, so "the next one" is the lowest
    # unsettled number not yet due: one index probe per loan (LIMIT 1).
    next_only = sorted(paying - prepaying) or [0]
    prepaid = sorted(prepaying) or [0]
    disbursed = LoanStatus.DISBURSED
    params: list[Any] = [caja_id, disbursed, on, on, disbursed, *next_only, disbursed, *prepaid, on]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT i.id, i.loan_id, {columns} FROM {table} i "  # noqa: S608
            f"JOIN {loans} l ON l.id = i.loan_id "
            "WHERE l.caja_id = %s AND l.status = %s AND i.version = l.schedule_version "
            f"AND i.due_date <= %s AND {unsettled} "
            f"UNION ALL SELECT i.id, i.loan_id, {columns} FROM {table} i WHERE i.id IN ("
            f"SELECT (SELECT i.id FROM {table} i WHERE i.loan_id = l.id "
            f"AND i.version = l.schedule_version AND i.due_date > %s AND {unsettled} "
            f"ORDER BY i.number LIMIT 1) FROM {loans} l WHERE l.status = %s "
            f"AND l.id IN ({', '.join(['%s'] * len(next_only))})) "
            f"UNION ALL SELECT i.id, i.loan_id, {columns} FROM {table} i "
            f"JOIN {loans} l ON l.id = i.loan_id WHERE l.status = %s "
            f"AND l.id IN ({', '.join(['%s'] * len(prepaid))}) "
            f"AND i.version = l.schedule_version AND i.due_date > %s AND {unsettled} "
            "ORDER BY 2, 3",
            params,
        )
        rows = cursor.fetchall()
    loaded: dict[int, list[tuple[int, InstallmentState]]] = {}
    for row_id, loan_id, number, due, *amounts in rows:
        due_date = due if isinstance(due, dt.date) else dt.date.fromisoformat(due)
        loaded.setdefault(loan_id, []).append(
            (row_id, InstallmentState(number, due_date, *amounts))
        )
    return loaded


def _repayment_lines(amount: int, allocation: Allocation, number: int) -> list[Line]:
    """Cash in; late fee, interest and principal out of the loan, as allocated."""
    lines = [Line(chart.CASH, debit=amount)]
    if allocation.late_fee:
        lines.append(Line(chart.LATE_FEE_INCOME, credit=allocation.late_fee))
    if allocation.interest:
        lines.append(Line(chart.INTEREST_INCOME, credit=allocation.interest))
    if allocation.principal:
        lines.append(Line(chart.loan_account_code(number), credit=allocation.principal))
    return lines


def _changes(
    loaded: Mapping[int, list[tuple[int, InstallmentState]]],
    states: Mapping[int, list[InstallmentState]],
    paying: set[int],
) -> tuple[list[tuple[int, InstallmentState]], dict[int, int]]:
    """The installment rows whose state the meeting changed, and the loans paid at it whose
    loaded installments are now all settled (loan id → last installment number loaded)."""
    changed: list[tuple[int, InstallmentState]] = []
    settled: dict[int, int] = {}
    for loan_id, loan_states in states.items():
        for (row_id, before), after in zip(loaded[loan_id], loan_states, strict=True):
            if after != before:
                changed.append((row_id, after))
        if loan_id in paying and all(st.unpaid == 0 and st.unpaid_fee == 0 for st in loan_states):
            settled[loan_id] = max(st.number for st in loan_states)
    return changed, settled


def loan_postings(
    *,
    caja_id: int,
    meeting: BookRef,
    on: dt.date,
    bylaws: Bylaws,
    disbursements: Sequence[LoanItem],
    repayments: Sequence[LoanItem],
) -> LoanPostings:
    """The drafts and loan changes of a closing meeting (``meeting``, held ``on``): its
    hand-overs, and its repayments in the order they were recorded. Late fees due by the
    meeting date are charged first, on every disbursed loan of the caja."""
    loans = _loan_rows(caja_id)
    paying = {r.loan_id for r in repayments}
    prepaying = {r.loan_id for r in repayments if r.prepay}
    loaded: dict[int, list[tuple[int, InstallmentState]]] = {}
    if any(loan.status == LoanStatus.DISBURSED for loan in loans.values()):
        loaded = _unsettled_installments(caja_id, on, paying, prepaying)
    states = {
        loan_id: with_late_fees([st for _id, st in pairs], on, bylaws)
        for loan_id, pairs in loaded.items()
    }
    drafts: list[EntryDraft] = []
    recovered: dict[int, int] = {}

    def draft(item: LoanItem, kind: str, lines: Sequence[Line]) -> None:
        loan = loans[item.loan_id]
        drafts.append(
            EntryDraft(
                key=item.key,
                kind=kind,
                date=on,
                lines=tuple(lines),
                memo=f"#{loan.number}",
                member=BookRef(loan.membership_id, loan.member_number),
                meeting=meeting,
            )
        )

    for item in disbursements:
        receivable = chart.loan_account_code(loans[item.loan_id].number)
        amount = item.amount_cents
        draft(
            item,
            EntryKind.LOAN_DISBURSEMENT,
            (Line(receivable, debit=amount), Line(chart.CASH, credit=amount)),
        )
    for item in repayments:
        loan, amount = loans[item.loan_id], item.amount_cents
        if loan.status == LoanStatus.WRITTEN_OFF:
            draft(
                item,
                EntryKind.LOAN_RECOVERY,
                (Line(chart.CASH, debit=amount), Line(chart.RECOVERIES, credit=amount)),
            )
            recovered[loan.id] = recovered.get(loan.id, loan.recovered_cents) + amount
            continue
        allocation = _allocate(
            states[loan.id],
            Repayment(amount, item.prepay),
            on=on,
            number=loan.number,
            method=loan.method,
            frequency=loan.frequency,
            monthly_rate_percent=loan.monthly_rate_percent,
        )
        states[loan.id] = list(allocation.installments)
        draft(item, EntryKind.LOAN_REPAYMENT, _repayment_lines(amount, allocation, loan.number))

    changed, settled = _changes(loaded, states, paying)
    return LoanPostings(
        meeting_id=meeting.id,
        on=on,
        drafts=tuple(drafts),
        disbursed=tuple(item.loan_id for item in disbursements),
        changed=tuple(changed),
        settled=settled,
        recovered=recovered,
    )


def loan_postings_save(postings: LoanPostings) -> None:
    """Save what a close's loan items change, once their drafts are posted (same transaction):
    loans handed over get their schedule from the meeting date; installments paid are written
    back (one ``UPDATE … CASE`` per 200 rows); loans left with nothing to pay are repaid;
    recoveries of written-off loans are added up."""
    on = postings.on
    for loan in Loan.objects.filter(pk__in=postings.disbursed) if postings.disbursed else []:
        loan.status = LoanStatus.DISBURSED
        loan.disbursed_on = on
        loan.disbursed_at_id = postings.meeting_id
        loan.save(update_fields=["status", "disbursed_on", "disbursed_at"])
        schedule_write(
            loan,
            on,
            version=loan.schedule_version + 1,
            principal=loan.principal_cents,
            term=loan.term,
            monthly_rate_percent=loan.monthly_rate_percent,
        )
    _installments_save(postings.changed)
    repaid = _repaid(postings.settled)
    if repaid:
        Loan.objects.filter(pk__in=repaid).update(status=LoanStatus.REPAID, repaid_on=on)
    for loan_id, cents in postings.recovered.items():
        Loan.objects.filter(pk=loan_id).update(recovered_cents=cents)


def _repaid(settled: Mapping[int, int]) -> list[int]:
    """Of the loans whose loaded installments are settled, those with no later one open."""
    if not settled:
        return []
    later = set(
        Installment.objects.filter(
            Q(paid_principal_cents__lt=F("principal_cents"))
            | Q(paid_interest_cents__lt=F("interest_cents"))
            | Q(paid_late_fee_cents__lt=F("late_fee_cents")),
            loan_id__in=list(settled),
            version=F("loan__schedule_version"),
        ).values_list("loan_id", "number")
    )
    return [
        loan_id
        for loan_id, last in settled.items()
        if not any(lid == loan_id and n > last for lid, n in later)
    ]


def _installments_save(changed: Sequence[tuple[int, InstallmentState]]) -> None:
    table = Installment._meta.db_table
    for start in range(0, len(changed), 200):
        chunk = changed[start : start + 200]
        sets = []
        params: list[int] = []
        for name in _CHANGING:
            column = "late_fee_cents" if name == "late_fee" else f"{name}_cents"
            sets.append(
                f"{column} = CASE id " + " ".join(["WHEN %s THEN %s"] * len(chunk)) + " END"
            )
            for row_id, st in chunk:
                params += [row_id, getattr(st, name)]
        ids = [row_id for row_id, _st in chunk]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {', '.join(sets)} "  # noqa: S608
                f"WHERE id IN ({', '.join(['%s'] * len(ids))})",
                [*params, *ids],
            )
