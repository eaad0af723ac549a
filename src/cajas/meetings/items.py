"""What else a meeting records besides the sheet: social fund, fines, fees, income and
expenses; fines owed from earlier meetings, paid or waived; and the loans handed over or repaid
at it (checked here by the loan rules, posted when the meeting closes)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from cajas.core.money import parse_amount
from cajas.ledger.selectors import fines_owed_by_member
from cajas.loans.application import disbursement_check
from cajas.loans.at_meeting import Repayment, repayment_check
from cajas.loans.models import Loan
from cajas.meetings.models import (
    FINE_OWED_KINDS,
    LOAN_ITEM_KINDS,
    FineReason,
    ItemKind,
    Meeting,
    MeetingItem,
)
from cajas.meetings.records import open_meeting_locked
from cajas.meetings.rules import ItemNeedsMember, check_fine_owed
from cajas.meetings.selectors import meeting_expected_cash
from cajas.members.models import Membership
from cajas.members.selectors import active_membership
from cajas.org.selectors import bylaws_in_force


@transaction.atomic
def item_record(
    *,
    meeting_id: int,
    kind: str,
    amount: str | int | Decimal,
    member: int | None = None,
    description: str = "",
) -> MeetingItem:
    """Record a social-fund contribution, fine, entry fee, other income or expense.

    ``amount`` is in currency units (``"1.50"``). Social fund and entry fee are one per member
    and meeting: recording again replaces the amount.
    """
    meeting = open_meeting_locked(meeting_id)
    kind = ItemKind(kind)
    if kind == ItemKind.SHARES:
        raise ValueError("use shares_record() for share purchases")
    if kind in LOAN_ITEM_KINDS:
        raise ValueError("use disbursement_record() or repayment_record() for loan items")
    if kind in FINE_OWED_KINDS:
        raise ValueError("use fine_owed_pay() or fine_owed_waive() for fines owed")
    cents = parse_amount(amount)
    membership = None
    if kind in (ItemKind.SOCIAL_FUND, ItemKind.FINE, ItemKind.ENTRY_FEE):
        if member is None:
            raise ItemNeedsMember()
        membership = active_membership(meeting.caja_id, member, meeting.date)
    if kind in (ItemKind.SOCIAL_FUND, ItemKind.ENTRY_FEE):
        MeetingItem.objects.filter(meeting=meeting, membership=membership, kind=kind).delete()
    return MeetingItem.objects.create(
        meeting=meeting,
        caja_id=meeting.caja_id,
        membership=membership,
        kind=kind,
        amount_cents=cents,
        description=description.strip()[:200],
        fine_reason=FineReason.OTHER if kind == ItemKind.FINE else "",
    )


@transaction.atomic
def item_update_amount(
    *, meeting_id: int, item_id: int, amount: str | int | Decimal
) -> MeetingItem:
    """Change an item's amount (e.g. a proposed fine); it stays a fine of the same reason."""
    meeting = open_meeting_locked(meeting_id)
    item = MeetingItem.objects.get(meeting=meeting, pk=item_id)
    if item.kind in (ItemKind.SHARES, *LOAN_ITEM_KINDS, *FINE_OWED_KINDS):
        raise ValueError("share purchases, loan items and fines owed are recorded again")
    item.amount_cents = parse_amount(amount)
    item.waived = False
    item.save(update_fields=["amount_cents", "waived"])
    return item


@transaction.atomic
def item_remove(*, meeting_id: int, item_id: int) -> None:
    """Remove an item; a proposed fine is waived instead, so it is not proposed again."""
    meeting = open_meeting_locked(meeting_id)
    item = MeetingItem.objects.get(meeting=meeting, pk=item_id)
    if item.proposed:
        item.waived = True
        item.save(update_fields=["waived"])
    else:
        item.delete()


def _fine_owed_left(meeting: Meeting, membership: Membership) -> int:
    """What the member still owes in fines, less what this meeting already settles."""
    owed = fines_owed_by_member(caja=meeting.caja_id).get(membership.number, 0)
    settled = MeetingItem.objects.filter(
        meeting=meeting, membership=membership, kind__in=FINE_OWED_KINDS
    ).aggregate(s=Sum("amount_cents"))["s"]
    return int(owed - (settled or 0))


def _fine_owed_settle(
    meeting_id: int, member: int, amount: str | int | Decimal, kind: str, description: str
) -> MeetingItem:
    meeting = open_meeting_locked(meeting_id)
    membership = active_membership(meeting.caja_id, member, meeting.date)
    cents = parse_amount(amount)
    check_fine_owed(member=member, owed=_fine_owed_left(meeting, membership), amount=cents)
    return MeetingItem.objects.create(
        meeting=meeting,
        caja_id=meeting.caja_id,
        membership=membership,
        kind=kind,
        amount_cents=cents,
        description=description.strip()[:200],
    )


@transaction.atomic
def fine_owed_pay(*, meeting_id: int, member: int, amount: str | int | Decimal) -> MeetingItem:
    """A member pays, at this meeting, fines she owes from earlier ones (cash in)."""
    return _fine_owed_settle(meeting_id, member, amount, ItemKind.FINE_PAYMENT, "")


@transaction.atomic
def fine_owed_waive(
    *, meeting_id: int, member: int, amount: str | int | Decimal, reason: str
) -> MeetingItem:
    """The meeting forgives fines a member owes from earlier ones (no cash; the income that
    fine brought is taken back when the meeting closes)."""
    return _fine_owed_settle(meeting_id, member, amount, ItemKind.FINE_WAIVER, reason)


@transaction.atomic
def disbursement_record(*, meeting_id: int, loan_id: int) -> MeetingItem:
    """Hand an approved loan over at an open meeting (posted when the meeting closes), from
    the cash the meeting expects with what it has collected so far."""
    meeting = open_meeting_locked(meeting_id)
    loan = (
        Loan.objects.select_for_update()
        .select_related("caja", "membership")
        .get(pk=loan_id, caja_id=meeting.caja_id)
    )
    pending = (
        MeetingItem.objects.filter(loan=loan, kind=ItemKind.LOAN_DISBURSEMENT)
        .select_related("meeting")
        .first()
    )
    disbursement_check(
        loan=loan,
        on=meeting.date,
        cash_available=meeting_expected_cash(meeting=meeting),
        pending_at=pending.meeting.number if pending is not None else None,
    )
    return MeetingItem.objects.create(
        meeting=meeting,
        caja_id=meeting.caja_id,
        membership=loan.membership,
        loan=loan,
        kind=ItemKind.LOAN_DISBURSEMENT,
        amount_cents=loan.principal_cents,
        description=f"#{loan.number}",
    )


@transaction.atomic
def repayment_record(
    *, meeting_id: int, loan_id: int, amount: str | int | Decimal, prepay: bool = False
) -> MeetingItem:
    """Receive a repayment at an open meeting. It is checked against what the loan owes now
    (with the meeting's other payments on it), and allocated when the meeting closes."""
    meeting = open_meeting_locked(meeting_id)
    cents = parse_amount(amount)
    loan = Loan.objects.select_for_update().get(pk=loan_id, caja_id=meeting.caja_id)
    earlier = [
        Repayment(i.amount_cents, i.prepay)
        for i in MeetingItem.objects.filter(
            meeting=meeting, loan=loan, kind=ItemKind.LOAN_REPAYMENT, waived=False
        ).order_by("id")
    ]
    repayment_check(
        loan=loan,
        on=meeting.date,
        bylaws=bylaws_in_force(meeting.caja, meeting.date),
        earlier=earlier,
        payment=Repayment(cents, prepay),
    )
    return MeetingItem.objects.create(
        meeting=meeting,
        caja_id=meeting.caja_id,
        membership=loan.membership,
        loan=loan,
        kind=ItemKind.LOAN_REPAYMENT,
        amount_cents=cents,
        prepay=prepay,
        description=f"#{loan.number}",
    )
