"""The meeting sheet: each member's attendance, lateness, shares and social fund, and the
absence and lateness fines they propose — one row at a time or the whole sheet at once; and
«todo como de costumbre», confirming the proposed sheet as it stands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction

from cajas.ledger.selectors import member_savings
from cajas.meetings.models import (
    Attendance,
    AttendanceStatus,
    FineReason,
    ItemKind,
    Meeting,
    MeetingItem,
    MeetingKind,
    SheetState,
)
from cajas.meetings.records import open_meeting_locked
from cajas.meetings.rules import (
    SheetZeroShares,
    check_capital_cap,
    check_member_share_of_savings,
    check_shares,
    proposed_fines,
)
from cajas.meetings.selectors import ItemRow, items_to_post
from cajas.members.models import Membership
from cajas.members.rules import MemberNotActive
from cajas.members.selectors import active_membership
from cajas.org.models import Bylaws
from cajas.org.selectors import bylaws_in_force


def share_purchases_check(
    *, meeting: Meeting, bylaws: Bylaws, items: Sequence[ItemRow], savings: Mapping[int, int]
) -> None:
    """CAJA-002 and SAV-002 over the share purchases among the meeting's ``items``, with
    ``savings`` (member number → cents) before the meeting."""
    purchases = {
        item.member_number: item.amount_cents
        for item in items
        if item.kind == ItemKind.SHARES and item.member_number is not None
    }
    if not purchases:
        return
    before = sum(savings.values())
    added = sum(purchases.values())
    check_capital_cap(savings_before=before, purchases=added, cap=bylaws.max_capital_cents)
    if bylaws.max_member_savings_percent is None:
        return
    members = Membership.objects.filter(caja_id=meeting.caja_id, left_on__isnull=True).count()
    for number, cents in sorted(purchases.items()):
        check_member_share_of_savings(
            member=number,
            member_after=savings.get(number, 0) + cents,
            total_after=before + added,
            limit_percent=bylaws.max_member_savings_percent,
            members=members,
        )


def _share_purchases_recheck(meeting: Meeting, bylaws: Bylaws) -> None:
    """The same check over what the open meeting holds now (after a change to it)."""
    share_purchases_check(
        meeting=meeting,
        bylaws=bylaws,
        items=items_to_post(meeting.pk),
        savings=member_savings(caja=meeting.caja_id),
    )


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
                    caja_id=self.meeting.caja_id,
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


def _proposed_fines_want(
    diff: _SheetDiff, membership: Membership, bylaws: Bylaws, status: str, late: bool
) -> None:
    fines = proposed_fines(
        status=status,
        late=late,
        absence_fine=bylaws.fine_absence_cents,
        lateness_fine=bylaws.fine_lateness_cents,
    )
    for reason in (FineReason.ABSENCE, FineReason.LATENESS):
        diff.want(membership, ItemKind.FINE, fines.get(reason, 0), reason=reason)


def _sheet_items(meeting: Meeting) -> dict[tuple[int, str, str], MeetingItem]:
    """The items the sheet's rows hold (shares, social fund, proposed fines), keyed by
    (membership id, kind, fine reason)."""
    qs = MeetingItem.objects.filter(
        meeting=meeting,
        kind__in=[ItemKind.SHARES, ItemKind.SOCIAL_FUND, ItemKind.FINE],
        membership__isnull=False,
    )
    existing: dict[tuple[int, str, str], MeetingItem] = {}
    for item in qs:
        if item.kind == ItemKind.FINE and not item.proposed:
            continue
        assert item.membership_id is not None
        existing[(item.membership_id, item.kind, item.fine_reason)] = item
    return existing


@transaction.atomic
def attendance_mark(*, meeting_id: int, member: int, status: str, late: bool = False) -> Attendance:
    """Mark one member's attendance; absence and lateness fines are proposed to match."""
    meeting = open_meeting_locked(meeting_id)
    membership = active_membership(meeting.caja_id, member, meeting.date)
    status = AttendanceStatus(status)
    late = bool(late) and status == AttendanceStatus.PRESENT
    attendance, _created = Attendance.objects.update_or_create(
        meeting=meeting,
        membership=membership,
        defaults={"status": status, "late": late, "caja_id": meeting.caja_id},
    )
    fines_only = {
        key: item
        for key, item in _sheet_items(meeting).items()
        if key[0] == membership.pk and key[1] == ItemKind.FINE
    }
    diff = _SheetDiff(meeting, fines_only)
    _proposed_fines_want(
        diff, membership, bylaws_in_force(meeting.caja, meeting.date), status, late
    )
    diff.write()
    return attendance


@transaction.atomic
def shares_record(*, meeting_id: int, member: int, shares: int) -> MeetingItem | None:
    """Set how many shares a member buys at this meeting (0 removes the purchase)."""
    meeting = open_meeting_locked(meeting_id)
    membership = active_membership(meeting.caja_id, member, meeting.date)
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
        caja_id=meeting.caja_id,
        membership=membership,
        kind=ItemKind.SHARES,
        shares=shares,
        amount_cents=shares * bylaws.share_value_cents,
    )
    _share_purchases_recheck(meeting, bylaws)
    return item


def _lines_write(
    meeting: Meeting, rows: Sequence[SheetRow], zero_shares_confirmed: bool
) -> dict[int, Attendance]:
    """Check and write ``rows`` (attendance, lateness, shares, social fund, proposed fines) in a
    bounded number of queries: everything is read once, compared in memory and written in
    bulk. All or nothing: the first rule violation (naming the member) cancels the save."""
    bylaws = bylaws_in_force(meeting.caja, meeting.date)
    attendance = {
        a.membership.number: a
        for a in Attendance.objects.filter(meeting=meeting).select_related("membership")
    }
    existing = _sheet_items(meeting)
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
        _proposed_fines_want(diff, member, bylaws, row.status, late)
    if changed_attendance:
        Attendance.objects.bulk_update(changed_attendance, ["status", "late"])
    diff.write()
    _share_purchases_recheck(meeting, bylaws)
    return attendance


@transaction.atomic
def meeting_sheet_save(
    *, meeting_id: int, rows: Sequence[SheetRow], zero_shares_confirmed: bool = True
) -> Meeting:
    """Save the whole meeting sheet at once, or some of its lines: attendance, lateness,
    shares and social fund per member, and the absence and lateness fines they propose.

    All or nothing: the first rule violation (naming the member) cancels the whole save.
    A bounded number of queries whatever the number of members. Saving the whole sheet
    confirms it (the form's «Guardar»).
    """
    meeting = open_meeting_locked(meeting_id)
    attendance = _lines_write(meeting, rows, zero_shares_confirmed)
    if meeting.sheet == SheetState.PROPOSED and len(rows) == len(attendance):
        meeting.sheet = SheetState.CONFIRMED
        meeting.save(update_fields=["sheet"])
    return meeting


@transaction.atomic
def meeting_lines_save(*, meeting_id: int, rows: Sequence[SheetRow]) -> Meeting:
    """Save some members' lines as they were changed on a phone (``meetings/sync.py``): the
    same checks and writes as ``meeting_sheet_save``, but a proposed sheet stays proposed
    however many lines change: only «todo como de costumbre» confirms it."""
    meeting = open_meeting_locked(meeting_id)
    _lines_write(meeting, rows, zero_shares_confirmed=True)
    return meeting


@transaction.atomic
def meeting_sheet_confirm(*, meeting_id: int, zero_shares_confirmed: bool = False) -> Meeting:
    """«Todo como de costumbre»: the treasurer confirms the sheet as it stands."""
    meeting = open_meeting_locked(meeting_id)
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
    _share_purchases_recheck(meeting, bylaws_in_force(meeting.caja, meeting.date))
    if meeting.sheet != SheetState.CONFIRMED:
        meeting.sheet = SheetState.CONFIRMED
        meeting.save(update_fields=["sheet"])
    return meeting
