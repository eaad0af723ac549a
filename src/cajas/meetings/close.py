"""Closing a meeting: everything it recorded posted to the journal in one transaction, with
the caja locked, collections before payouts, and the cash count.

Nothing reaches the journal before the close. The loans' part (hand-overs, repayments
allocated to their installments, recoveries) is computed by ``cajas.loans.at_meeting`` as data
and saved by an explicit call once the entries are posted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from cajas.core.money import parse_amount
from cajas.ledger import chart
from cajas.ledger.models import EntryKind
from cajas.ledger.rules import Line
from cajas.ledger.selectors import savings_by_member
from cajas.ledger.services import BookRef, EntryDraft, account_open, entries_post_with_accounts
from cajas.loans.at_meeting import LoanItem, LoanPostings, loan_postings, loan_postings_save
from cajas.meetings.models import LOAN_ITEM_KINDS, ItemKind, Meeting, MeetingStatus, SheetState
from cajas.meetings.records import item_key, meeting_locked
from cajas.meetings.rules import (
    MeetingClosed,
    SheetNotConfirmed,
    cash_order,
    check_expected_cash,
    fine_is_owed,
    first_overdraft,
)
from cajas.meetings.selectors import ItemRow, close_accounts, expected_cash, items_to_post
from cajas.meetings.sheet import share_purchases_check
from cajas.org.models import Bylaws
from cajas.org.selectors import bylaws_in_force

# Settling fines owed from earlier meetings: (entry kind, debit, credit).
_OWED: dict[str, tuple[str, str, str]] = {
    ItemKind.FINE_PAYMENT: (EntryKind.FINE_PAYMENT, chart.CASH, chart.FINES_RECEIVABLE),
    ItemKind.FINE_WAIVER: (EntryKind.FINE_WAIVER, chart.FINE_INCOME, chart.FINES_RECEIVABLE),
}


_CASH_IN: dict[str, tuple[str, str | None]] = {
    ItemKind.SHARES: (EntryKind.SHARE_PURCHASE, None),
    ItemKind.SOCIAL_FUND: (EntryKind.SOCIAL_FUND, chart.SOCIAL_FUND),
    ItemKind.FINE: (EntryKind.FINE, chart.FINE_INCOME),
    ItemKind.ENTRY_FEE: (EntryKind.ENTRY_FEE, chart.FEE_INCOME),
    ItemKind.OTHER_INCOME: (EntryKind.OTHER_INCOME, chart.OTHER_INCOME),
}


def _draft_for(meeting: Meeting, item: ItemRow) -> EntryDraft:
    """One item's journal entry: (kind, debit account, credit account) by the item's kind."""
    amount, memo = item.amount_cents, item.description
    member = None
    if item.membership_id is not None and item.member_number is not None:
        member = BookRef(item.membership_id, item.member_number)
    entry_kind: str
    if item.kind == ItemKind.EXPENSE:
        entry_kind, debit, credit = EntryKind.EXPENSE, chart.EXPENSES, chart.CASH
    elif item.kind in _OWED:
        entry_kind, debit, credit = _OWED[item.kind]
    else:
        entry_kind, cash_in_credit = _CASH_IN[item.kind]
        debit = chart.CASH
        if item.kind == ItemKind.SHARES:
            assert item.member_number is not None
            cash_in_credit = chart.savings_account_code(item.member_number)
            memo = f"{item.shares} × {amount // (item.shares or 1)}"
        elif item.kind == ItemKind.FINE:
            memo = memo or item.fine_reason
            if fine_is_owed(kind=item.kind, fine_reason=item.fine_reason):
                debit = chart.FINES_RECEIVABLE  # her debt, not cash received
        assert cash_in_credit is not None
        credit = cash_in_credit
    return EntryDraft(
        key=item_key(meeting.number, item.id),
        kind=entry_kind,
        date=meeting.date,
        lines=(Line(debit, debit=amount), Line(credit, credit=amount)),
        memo=memo,
        member=member,
        meeting=BookRef(meeting.pk, meeting.number),
    )


def _payout_names(draft: EntryDraft) -> tuple[str, str]:
    """How a refused payout is named to the treasurer (Spanish, English)."""
    what = f" ({draft.memo})" if draft.memo else ""
    if draft.kind == EntryKind.LOAN_DISBURSEMENT:
        return f"la entrega del préstamo {draft.memo}", f"the hand-over of loan {draft.memo}"
    if draft.kind == EntryKind.EXPENSE:
        return f"el gasto{what}", f"the expense{what}"
    return f"«{draft.kind}»{what}", f"«{draft.kind}»{what}"


def _cash_effect(draft: EntryDraft) -> int:
    return sum(line.debit - line.credit for line in draft.lines if line.account == chart.CASH)


def _loan_postings(meeting: Meeting, items: list[ItemRow], bylaws: Bylaws) -> LoanPostings:
    def loan_items(kind: str) -> list[LoanItem]:
        return [
            LoanItem(item_key(meeting.number, i.id), i.loan_id, i.amount_cents, i.prepay)
            for i in items
            if i.kind == kind and i.loan_id is not None
        ]

    return loan_postings(
        caja_id=meeting.caja_id,
        meeting=BookRef(meeting.pk, meeting.number),
        on=meeting.date,
        bylaws=bylaws,
        disbursements=loan_items(ItemKind.LOAN_DISBURSEMENT),
        repayments=loan_items(ItemKind.LOAN_REPAYMENT),
    )


def _in_cash_order(drafts: list[EntryDraft], opening: int) -> list[EntryDraft]:
    """Collections first, then payouts: the box never goes below zero on the way, so the
    journal verifies entry by entry (an expense recorded before the income it is paid from
    would otherwise overdraw the box in between). A payout the box cannot cover even so is
    refused, naming it."""
    effects = [_cash_effect(d) for d in drafts]
    order = cash_order(effects)
    short = first_overdraft(opening, [effects[i] for i in order])
    if short is not None:
        item_es, item_en = _payout_names(drafts[order[short]])
        check_expected_cash(
            opening + sum(effects[i] for i in order[: short + 1]),
            item_es=item_es,
            item_en=item_en,
        )
    return [drafts[i] for i in order]


def _cash_count_draft(meeting: Meeting, difference: int) -> EntryDraft:
    """A shortage as an expense, a surplus as income."""
    if difference < 0:
        lines = (Line(chart.CASH_SHORTAGE, debit=-difference), Line(chart.CASH, credit=-difference))
    else:
        lines = (Line(chart.CASH, debit=difference), Line(chart.CASH_OVERAGE, credit=difference))
    return EntryDraft(
        key=f"meeting:{meeting.number}:cash-count",
        kind=EntryKind.CASH_DIFFERENCE,
        date=meeting.date,
        lines=lines,
        memo="cash count",
        meeting=BookRef(meeting.pk, meeting.number),
    )


def _closed_save(meeting: Meeting, *, expected: int, counted: int, closed_by: str) -> None:
    meeting.expected_cash_cents = expected
    meeting.counted_cash_cents = counted
    meeting.cash_difference_cents = counted - expected
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_by = closed_by
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Meeting._meta.db_table} SET expected_cash_cents = %s, "  # noqa: S608
            "counted_cash_cents = %s, cash_difference_cents = %s, status = %s, "
            "closed_by = %s, closed_at = %s WHERE id = %s",
            [
                expected,
                counted,
                meeting.cash_difference_cents,
                MeetingStatus.CLOSED,
                closed_by,
                connection.ops.adapt_datetimefield_value(meeting.closed_at),
                meeting.pk,
            ],
        )


def meeting_close(
    *,
    meeting_id: int,
    counted_cash: str | int | Decimal,
    closed_by: str,
    now: dt.datetime | None = None,
) -> Meeting:
    """Post everything recorded at the meeting, record the cash count and close it.

    One transaction, all or nothing, with the caja row locked: without the lock two people
    closing meetings of the same caja at once could both spend the same cash. A difference
    between expected and counted cash is posted (shortage as an expense, surplus as income)
    and flagged on the meeting.
    """
    counted = parse_amount(counted_cash, field="counted_cash", allow_zero=True)
    with transaction.atomic():
        caja, meeting = meeting_locked(meeting_id)
        if meeting.status != MeetingStatus.OPEN:
            raise MeetingClosed(number=meeting.number)
        bylaws = bylaws_in_force(caja, meeting.date)
        items = items_to_post(meeting.pk)
        accounts = close_accounts(caja.pk)
        if chart.FINES_RECEIVABLE not in accounts:  # a book from before fines were owed
            accounts[chart.FINES_RECEIVABLE] = account_open(caja=caja, code=chart.FINES_RECEIVABLE)
        share_purchases_check(
            meeting=meeting, bylaws=bylaws, items=items, savings=savings_by_member(accounts)
        )
        drafts = [_draft_for(meeting, item) for item in items if item.kind not in LOAN_ITEM_KINDS]
        loans = _loan_postings(meeting, items, bylaws)
        if meeting.sheet == SheetState.PROPOSED:
            raise SheetNotConfirmed()
        opening = accounts[chart.CASH].balance_cents
        expected = expected_cash(cash=opening, items=items)
        drafts = _in_cash_order([*drafts, *loans.drafts], opening)
        if counted != expected:
            drafts.append(_cash_count_draft(meeting, counted - expected))
        entries_post_with_accounts(
            caja=caja, drafts=drafts, recorded_by=closed_by, now=now, accounts=accounts
        )
        loan_postings_save(loans)
        meeting.closed_at = now or timezone.now()
        _closed_save(meeting, expected=expected, counted=counted, closed_by=closed_by)
        return meeting
