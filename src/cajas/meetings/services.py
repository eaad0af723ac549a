"""Running a meeting: open it, record attendance and what each member brings, close it.

Nothing reaches the journal until ``meeting_close``, which posts every item in one
transaction with the caja row locked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from cajas.core.money import parse_amount
from cajas.ledger import chart
from cajas.ledger.models import EntryKind
from cajas.ledger.rules import Line
from cajas.ledger.selectors import (
    AccountState,
    account_balance,
    caja_accounts,
    fines_owed_by_member,
    member_savings,
    savings_by_member,
)
from cajas.ledger.services import BookRef, EntryDraft, account_open, caja_lock, entries_post
from cajas.loans.services import meeting_loan_postings
from cajas.meetings.models import (
    FINE_OWED_KINDS,
    LOAN_ITEM_KINDS,
    Attendance,
    AttendanceStatus,
    FineReason,
    ItemKind,
    Meeting,
    MeetingItem,
    MeetingKind,
    MeetingStatus,
    SheetState,
)
from cajas.meetings.rules import (
    ItemNeedsMember,
    MeetingAlreadyOpen,
    MeetingClosed,
    MeetingDateInFuture,
    MeetingDateInvalid,
    MeetingDateTaken,
    NoOpenCycle,
    SheetNotConfirmed,
    SheetZeroShares,
    cash_order,
    check_capital_cap,
    check_expected_cash,
    check_fine_owed,
    check_member_share_of_savings,
    check_shares,
    fine_is_owed,
    first_overdraft,
    proposed_fines,
)
from cajas.members.models import Membership
from cajas.members.rules import MemberNotActive
from cajas.org.models import Bylaws, Caja, Cycle, CycleStatus, bylaws_in_force


@transaction.atomic
def meeting_open(
    *,
    caja_id: int,
    date: dt.date,
    opened_by: str,
    kind: str = MeetingKind.ORDINARY,
    today: dt.date | None = None,
) -> Meeting:
    """Open the next meeting; every member active that day is listed as present.

    Refused: a date after ``today`` (a meeting is recorded on the day it is held), a date
    before the last meeting, a second ordinary meeting on the same date, and a second open
    meeting.
    """
    kind = MeetingKind(kind)
    caja = caja_lock(caja_id=caja_id)
    still_open = Meeting.objects.filter(caja=caja, status=MeetingStatus.OPEN).first()
    if still_open is not None:
        raise MeetingAlreadyOpen(number=still_open.number)
    if date > (today or timezone.localdate()):
        raise MeetingDateInFuture(date=date.isoformat())
    cycle = Cycle.objects.filter(caja=caja, status=CycleStatus.OPEN).first()
    if cycle is None:
        raise NoOpenCycle()
    last = Meeting.objects.filter(caja=caja).order_by("-number").first()
    if last is not None and date < last.date:
        raise MeetingDateInvalid(date=date.isoformat(), last=last.date.isoformat())
    if kind == MeetingKind.ORDINARY:
        same_day = Meeting.objects.filter(caja=caja, date=date, kind=MeetingKind.ORDINARY).first()
        if same_day is not None:
            raise MeetingDateTaken(date=date.isoformat(), number=same_day.number)
    number = (Meeting.objects.filter(caja=caja).aggregate(m=Max("number"))["m"] or 0) + 1
    meeting = Meeting.objects.create(
        caja=caja, cycle=cycle, number=number, date=date, kind=kind, opened_by=opened_by
    )
    members = Membership.objects.filter(caja=caja, joined_on__lte=date).exclude(left_on__lte=date)
    Attendance.objects.bulk_create([Attendance(meeting=meeting, membership=m) for m in members])
    return meeting


def _last_share_counts(caja_id: int, before: int) -> dict[int, int]:
    """Each member's share count at the last meeting she bought shares (membership id →
    shares), looking back over the caja's recent meetings only."""
    recent = Meeting.objects.filter(
        caja_id=caja_id, number__lt=before, number__gte=before - 12
    ).values("pk")
    rows = (
        MeetingItem.objects.filter(meeting__in=recent, kind=ItemKind.SHARES)
        .order_by("membership_id", "-meeting__number")
        .values_list("membership_id", "shares")
    )
    last: dict[int, int] = {}
    for membership_id, shares in rows:
        if membership_id is not None and membership_id not in last:
            last[membership_id] = shares or 0
    return last


@transaction.atomic
def meeting_start(
    *,
    caja_id: int,
    date: dt.date,
    opened_by: str,
    kind: str = MeetingKind.ORDINARY,
    today: dt.date | None = None,
) -> Meeting:
    """Open a meeting with its sheet proposed as the usual meeting (the treasurer's screen):
    every active member present, buying the shares she bought last time (the bylaws' minimum
    at her first meeting) and paying the social fund when the bylaws set one. An
    extraordinary meeting or an assembly proposes attendance only. The proposal must be
    confirmed before the meeting closes."""
    meeting = meeting_open(caja_id=caja_id, date=date, opened_by=opened_by, kind=kind, today=today)
    if meeting.kind != MeetingKind.ORDINARY:
        return meeting
    bylaws = bylaws_in_force(meeting.caja, meeting.date)
    last = _last_share_counts(caja_id, meeting.number)
    low, high = bylaws.min_shares_per_meeting, bylaws.max_shares_per_meeting
    items = []
    for membership_id in meeting.attendance.values_list("membership_id", flat=True):
        shares = min(max(last.get(membership_id, low), low), high)
        if shares > 0:
            items.append(
                MeetingItem(
                    meeting=meeting,
                    membership_id=membership_id,
                    kind=ItemKind.SHARES,
                    shares=shares,
                    amount_cents=shares * bylaws.share_value_cents,
                )
            )
        if bylaws.social_fund_per_meeting_cents > 0:
            items.append(
                MeetingItem(
                    meeting=meeting,
                    membership_id=membership_id,
                    kind=ItemKind.SOCIAL_FUND,
                    amount_cents=bylaws.social_fund_per_meeting_cents,
                )
            )
    MeetingItem.objects.bulk_create(items)
    meeting.sheet = SheetState.PROPOSED
    meeting.save(update_fields=["sheet"])
    return meeting


def _open_meeting_locked(meeting_id: int) -> Meeting:
    meeting = Meeting.objects.select_for_update().select_related("caja").get(pk=meeting_id)
    if meeting.status != MeetingStatus.OPEN:
        raise MeetingClosed(number=meeting.number)
    return meeting


def _member(meeting: Meeting, number: int) -> Membership:
    membership = Membership.objects.filter(caja_id=meeting.caja_id, number=number).first()
    if membership is None or not membership.active_on(meeting.date):
        raise MemberNotActive(number=number, field="member")
    return membership


def _sync_proposed_fines(meeting: Meeting, attendance: Attendance, bylaws: Bylaws) -> None:
    wanted = proposed_fines(
        status=attendance.status,
        late=attendance.late,
        absence_fine=bylaws.fine_absence_cents,
        lateness_fine=bylaws.fine_lateness_cents,
    )
    existing = {
        item.fine_reason: item
        for item in MeetingItem.objects.filter(
            meeting=meeting, membership=attendance.membership, kind=ItemKind.FINE, proposed=True
        )
    }
    for reason, item in existing.items():
        if reason not in wanted:
            item.delete()
    for reason, cents in wanted.items():
        if reason not in existing:
            MeetingItem.objects.create(
                meeting=meeting,
                membership=attendance.membership,
                kind=ItemKind.FINE,
                amount_cents=cents,
                fine_reason=reason,
                proposed=True,
            )


@transaction.atomic
def attendance_mark(*, meeting_id: int, member: int, status: str, late: bool = False) -> Attendance:
    """Mark one member's attendance; absence and lateness fines are proposed to match."""
    meeting = _open_meeting_locked(meeting_id)
    membership = _member(meeting, member)
    status = AttendanceStatus(status)
    attendance, _created = Attendance.objects.update_or_create(
        meeting=meeting,
        membership=membership,
        defaults={"status": status, "late": bool(late) and status == AttendanceStatus.PRESENT},
    )
    _sync_proposed_fines(meeting, attendance, bylaws_in_force(meeting.caja, meeting.date))
    return attendance


class _Item(NamedTuple):
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


def _items_to_post(meeting_id: int) -> list[_Item]:
    """One plain query (the ORM's compilation cost more than the query on the close path)."""
    items, members = MeetingItem._meta.db_table, Membership._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.id, i.kind, i.shares, i.amount_cents, i.description, i.fine_reason, "  # noqa: S608
            f"i.membership_id, m.number, i.loan_id, i.prepay FROM {items} i "
            f"LEFT JOIN {members} m ON m.id = i.membership_id "
            "WHERE i.meeting_id = %s AND NOT i.waived ORDER BY i.id",
            [meeting_id],
        )
        return [_Item._make((*row[:9], bool(row[9]))) for row in cursor.fetchall()]


def _check_share_purchases(
    meeting: Meeting,
    bylaws: Bylaws,
    items: Sequence[_Item] | None = None,
    accounts: Mapping[str, AccountState] | None = None,
) -> None:
    """CAJA-002 and SAV-002 over everything the open meeting would add."""
    if items is None:
        items = _items_to_post(meeting.pk)
    purchases = {
        item.member_number: item.amount_cents
        for item in items
        if item.kind == ItemKind.SHARES and item.member_number is not None
    }
    if not purchases:
        return
    if accounts is None:
        per_member = member_savings(caja=meeting.caja_id)
    else:
        per_member = savings_by_member(accounts)
    before = sum(per_member.values())
    added = sum(purchases.values())
    check_capital_cap(savings_before=before, purchases=added, cap=bylaws.max_capital_cents)
    if bylaws.max_member_savings_percent is None:
        return
    members = Membership.objects.filter(caja_id=meeting.caja_id, left_on__isnull=True).count()
    for number, cents in sorted(purchases.items()):
        check_member_share_of_savings(
            member=number,
            member_after=per_member.get(number, 0) + cents,
            total_after=before + added,
            limit_percent=bylaws.max_member_savings_percent,
            members=members,
        )


@transaction.atomic
def shares_record(*, meeting_id: int, member: int, shares: int) -> MeetingItem | None:
    """Set how many shares a member buys at this meeting (0 removes the purchase)."""
    meeting = _open_meeting_locked(meeting_id)
    membership = _member(meeting, member)
    bylaws = bylaws_in_force(meeting.caja, meeting.date)
    MeetingItem.objects.filter(
        meeting=meeting, membership=membership, kind=ItemKind.SHARES
    ).delete()
    if shares == 0:
        return None
    check_shares(
        member=member,
        shares=shares,
        min_shares=bylaws.min_shares_per_meeting,
        max_shares=bylaws.max_shares_per_meeting,
    )
    item = MeetingItem.objects.create(
        meeting=meeting,
        membership=membership,
        kind=ItemKind.SHARES,
        shares=shares,
        amount_cents=shares * bylaws.share_value_cents,
    )
    _check_share_purchases(meeting, bylaws)
    return item


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
    meeting = _open_meeting_locked(meeting_id)
    kind = ItemKind(kind)
    if kind == ItemKind.SHARES:
        raise ValueError("use shares_record() for share purchases")
    if kind in LOAN_ITEM_KINDS:
        raise ValueError("use cajas.loans.services for disbursements and repayments")
    if kind in FINE_OWED_KINDS:
        raise ValueError("use fine_owed_pay() or fine_owed_waive() for fines owed")
    cents = parse_amount(amount)
    membership = None
    if kind in (ItemKind.SOCIAL_FUND, ItemKind.FINE, ItemKind.ENTRY_FEE):
        if member is None:
            raise ItemNeedsMember()
        membership = _member(meeting, member)
    if kind in (ItemKind.SOCIAL_FUND, ItemKind.ENTRY_FEE):
        MeetingItem.objects.filter(meeting=meeting, membership=membership, kind=kind).delete()
    return MeetingItem.objects.create(
        meeting=meeting,
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
    meeting = _open_meeting_locked(meeting_id)
    item = MeetingItem.objects.get(meeting=meeting, pk=item_id)
    if item.kind in (ItemKind.SHARES, *LOAN_ITEM_KINDS, *FINE_OWED_KINDS):
        raise ValueError("share purchases, loan items and fines owed are recorded again")
    item.amount_cents = parse_amount(amount)
    item.waived = False
    item.save(update_fields=["amount_cents", "waived"])
    return item


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
    meeting = _open_meeting_locked(meeting_id)
    membership = _member(meeting, member)
    cents = parse_amount(amount)
    check_fine_owed(member=member, owed=_fine_owed_left(meeting, membership), amount=cents)
    return MeetingItem.objects.create(
        meeting=meeting,
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
def item_remove(*, meeting_id: int, item_id: int) -> None:
    """Remove an item; a proposed fine is waived instead, so it is not proposed again."""
    meeting = _open_meeting_locked(meeting_id)
    item = MeetingItem.objects.get(meeting=meeting, pk=item_id)
    if item.proposed:
        item.waived = True
        item.save(update_fields=["waived"])
    else:
        item.delete()


@dataclass(frozen=True)
class SheetRow:
    """One member's line on the meeting sheet."""

    member: int
    status: str = AttendanceStatus.PRESENT
    late: bool = False
    shares: int = 0
    social_fund: bool = False


class _SheetDiff:
    """What a sheet save changes in the meeting's items, collected in memory and written with
    one query per kind of change."""

    def __init__(self, meeting: Meeting, existing: dict[tuple[int, str, str], MeetingItem]) -> None:
        self.meeting = meeting
        self.existing = existing
        self.create: list[MeetingItem] = []
        self.delete: list[int] = []
        self.update: list[MeetingItem] = []

    def want(
        self,
        membership: Membership,
        kind: str,
        cents: int,
        shares: int | None = None,
        reason: str = "",
    ) -> None:
        item = self.existing.pop((membership.pk, kind, reason), None)
        if cents <= 0:
            if item is not None:  # no longer bought, paid or due
                self.delete.append(item.pk)
        elif item is None:
            self.create.append(
                MeetingItem(
                    meeting=self.meeting,
                    membership=membership,
                    kind=kind,
                    shares=shares,
                    amount_cents=cents,
                    fine_reason=reason,
                    proposed=kind == ItemKind.FINE,
                )
            )
        elif kind == ItemKind.SHARES and item.shares != shares:
            item.shares, item.amount_cents = shares, cents
            self.update.append(item)

    def write(self) -> None:
        if self.delete:
            MeetingItem.objects.filter(pk__in=self.delete).delete()
        if self.update:
            MeetingItem.objects.bulk_update(self.update, ["shares", "amount_cents"])
        if self.create:
            MeetingItem.objects.bulk_create(self.create)


@transaction.atomic
def meeting_sheet_save(
    *, meeting_id: int, rows: Sequence[SheetRow], zero_shares_confirmed: bool = True
) -> Meeting:
    """Save the whole meeting sheet at once, or some of its lines: attendance, lateness,
    shares and social fund per member, and the absence and lateness fines they propose.

    All or nothing: the first rule violation (naming the member) cancels the whole save.
    A bounded number of queries whatever the number of members: everything is read once,
    compared in memory and written in bulk. Saving the sheet confirms it.
    """
    meeting = _open_meeting_locked(meeting_id)
    bylaws = bylaws_in_force(meeting.caja, meeting.date)
    attendance = {
        a.membership.number: a
        for a in Attendance.objects.filter(meeting=meeting).select_related("membership")
    }
    existing: dict[tuple[int, str, str], MeetingItem] = {}
    for item in MeetingItem.objects.filter(
        meeting=meeting,
        kind__in=[ItemKind.SHARES, ItemKind.SOCIAL_FUND, ItemKind.FINE],
        membership__isnull=False,
    ):
        if item.kind == ItemKind.FINE and not item.proposed:
            continue
        assert item.membership_id is not None
        existing[(item.membership_id, item.kind, item.fine_reason)] = item
    zero = []
    for row in rows:
        a = attendance.get(row.member)
        if a is None or not a.membership.active_on(meeting.date):
            raise MemberNotActive(number=row.member, field="member")
        AttendanceStatus(row.status)
        if row.shares:
            check_shares(
                member=row.member,
                shares=row.shares,
                min_shares=bylaws.min_shares_per_meeting,
                max_shares=bylaws.max_shares_per_meeting,
            )
        elif row.status == AttendanceStatus.PRESENT and meeting.kind == MeetingKind.ORDINARY:
            zero.append(row.member)
    if zero and not zero_shares_confirmed:
        raise SheetZeroShares(members=", ".join(str(n) for n in sorted(zero)))

    diff = _SheetDiff(meeting, existing)
    changed_attendance: list[Attendance] = []
    for row in rows:
        a = attendance[row.member]
        late = bool(row.late) and row.status == AttendanceStatus.PRESENT
        if (a.status, a.late) != (row.status, late):
            a.status, a.late = row.status, late
            changed_attendance.append(a)
        member = a.membership
        diff.want(member, ItemKind.SHARES, row.shares * bylaws.share_value_cents, row.shares)
        fund = bylaws.social_fund_per_meeting_cents if row.social_fund else 0
        diff.want(member, ItemKind.SOCIAL_FUND, fund)
        fines = proposed_fines(
            status=row.status,
            late=late,
            absence_fine=bylaws.fine_absence_cents,
            lateness_fine=bylaws.fine_lateness_cents,
        )
        for reason in (FineReason.ABSENCE, FineReason.LATENESS):
            diff.want(member, ItemKind.FINE, fines.get(reason, 0), reason=reason)
    if changed_attendance:
        Attendance.objects.bulk_update(changed_attendance, ["status", "late"])
    diff.write()
    _check_share_purchases(meeting, bylaws)
    if meeting.sheet == SheetState.PROPOSED and len(rows) == len(attendance):
        meeting.sheet = SheetState.CONFIRMED
        meeting.save(update_fields=["sheet"])
    return meeting


@transaction.atomic
def meeting_sheet_confirm(*, meeting_id: int, zero_shares_confirmed: bool = False) -> Meeting:
    """«Todo como de costumbre»: the treasurer confirms the sheet as it stands."""
    meeting = _open_meeting_locked(meeting_id)
    if not zero_shares_confirmed and meeting.kind == MeetingKind.ORDINARY:
        buying = MeetingItem.objects.filter(meeting=meeting, kind=ItemKind.SHARES).values(
            "membership_id"
        )
        zero = (
            Attendance.objects.filter(meeting=meeting, status=AttendanceStatus.PRESENT)
            .exclude(membership_id__in=buying)
            .order_by("membership__number")
            .values_list("membership__number", flat=True)
        )
        if zero:
            raise SheetZeroShares(members=", ".join(str(n) for n in zero))
    _check_share_purchases(meeting, bylaws_in_force(meeting.caja, meeting.date))
    if meeting.sheet != SheetState.CONFIRMED:
        meeting.sheet = SheetState.CONFIRMED
        meeting.save(update_fields=["sheet"])
    return meeting


_CASH_OUT = (ItemKind.EXPENSE, ItemKind.LOAN_DISBURSEMENT)

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


def _draft_for(meeting: Meeting, item: _Item) -> EntryDraft:
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
        key=f"meeting:{meeting.number}:item:{item.id}",
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


def _brings_cash(item: _Item) -> bool:
    """Cash received at the meeting: not a payout, a fine owed or a waiver of one."""
    return not (
        item.kind in _CASH_OUT
        or item.kind == ItemKind.FINE_WAIVER
        or fine_is_owed(kind=item.kind, fine_reason=item.fine_reason)
    )


def _cash_effect(draft: EntryDraft) -> int:
    return sum(line.debit - line.credit for line in draft.lines if line.account == chart.CASH)


def meeting_expected_cash(
    *, meeting: Meeting, items: Sequence[_Item] | None = None, cash: int | None = None
) -> int:
    """Cash in the box now plus what this meeting brings in, minus what it pays out."""
    if cash is None:
        cash = account_balance(caja=meeting.caja_id, code=chart.CASH)
    if items is None:
        items = _items_to_post(meeting.pk)
    inflow = sum(i.amount_cents for i in items if _brings_cash(i))
    outflow = sum(i.amount_cents for i in items if i.kind in _CASH_OUT)
    return int(cash + inflow - outflow)


def _caja_and_meeting_locked(meeting_id: int) -> tuple[Caja, Meeting]:
    """Lock the meeting's caja row (and the meeting's) for the transaction. Plain SQL: this
    runs on every close, and the ORM took longer to compile these than to run them."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    cajas = list(
        Caja.objects.raw(
            f"SELECT c.* FROM {Caja._meta.db_table} c "  # noqa: S608
            f"JOIN {Meeting._meta.db_table} m ON m.caja_id = c.id WHERE m.id = %s{lock}",
            [meeting_id],
        )
    )
    if not cajas:
        raise Caja.DoesNotExist(f"no meeting {meeting_id}")
    meeting = next(
        iter(
            Meeting.objects.raw(
                f"SELECT * FROM {Meeting._meta.db_table} WHERE id = %s",  # noqa: S608
                [meeting_id],
            )
        )
    )
    meeting.caja = cajas[0]
    return cajas[0], meeting


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
        caja, meeting = _caja_and_meeting_locked(meeting_id)
        if meeting.status != MeetingStatus.OPEN:
            raise MeetingClosed(number=meeting.number)
        bylaws = bylaws_in_force(caja, meeting.date)
        items = _items_to_post(meeting.pk)
        accounts = caja_accounts(caja=caja)
        if chart.FINES_RECEIVABLE not in accounts:  # a book from before fines were owed
            accounts[chart.FINES_RECEIVABLE] = account_open(caja=caja, code=chart.FINES_RECEIVABLE)
        _check_share_purchases(meeting, bylaws, items, accounts)
        drafts = [_draft_for(meeting, item) for item in items if item.kind not in LOAN_ITEM_KINDS]
        loans = meeting_loan_postings(
            meeting,
            [
                (i.id, i.kind, i.loan_id, i.amount_cents, i.prepay)
                for i in items
                if i.kind in LOAN_ITEM_KINDS and i.loan_id is not None
            ],
            bylaws,
        )
        if meeting.sheet == SheetState.PROPOSED:
            raise SheetNotConfirmed()
        drafts.extend(loans.drafts)
        opening = accounts[chart.CASH].balance_cents
        expected = meeting_expected_cash(meeting=meeting, items=items, cash=opening)
        # Collections first, then payouts: the box never goes below zero on the way, so the
        # journal verifies entry by entry (an expense recorded before the income it is paid
        # from would otherwise overdraw the box in between).
        effects = [_cash_effect(d) for d in drafts]
        order = cash_order(effects)
        drafts = [drafts[i] for i in order]
        short = first_overdraft(opening, [effects[i] for i in order])
        if short is not None:
            item_es, item_en = _payout_names(drafts[short])
            check_expected_cash(
                opening + sum(effects[i] for i in order[: short + 1]),
                item_es=item_es,
                item_en=item_en,
            )
        difference = counted - expected
        if difference:
            key = f"meeting:{meeting.number}:cash-count"
            if difference < 0:
                lines = (
                    Line(chart.CASH_SHORTAGE, debit=-difference),
                    Line(chart.CASH, credit=-difference),
                )
            else:
                lines = (
                    Line(chart.CASH, debit=difference),
                    Line(chart.CASH_OVERAGE, credit=difference),
                )
            drafts.append(
                EntryDraft(
                    key=key,
                    kind=EntryKind.CASH_DIFFERENCE,
                    date=meeting.date,
                    lines=lines,
                    memo="cash count",
                    meeting=BookRef(meeting.pk, meeting.number),
                )
            )
        entries_post(caja=caja, drafts=drafts, recorded_by=closed_by, now=now, accounts=accounts)
        loans.apply()
        meeting.expected_cash_cents = expected
        meeting.counted_cash_cents = counted
        meeting.cash_difference_cents = difference
        meeting.status = MeetingStatus.CLOSED
        meeting.closed_by = closed_by
        meeting.closed_at = now or timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Meeting._meta.db_table} SET expected_cash_cents = %s, "  # noqa: S608
                "counted_cash_cents = %s, cash_difference_cents = %s, status = %s, "
                "closed_by = %s, closed_at = %s WHERE id = %s",
                [
                    expected,
                    counted,
                    difference,
                    MeetingStatus.CLOSED,
                    closed_by,
                    connection.ops.adapt_datetimefield_value(meeting.closed_at),
                    meeting.pk,
                ],
            )
        return meeting
