"""Opening a meeting: the date and kind checked, every active member listed present, and —
on the treasurer's screen — the sheet proposed as the usual meeting."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cajas.meetings.models import (
    Attendance,
    ItemKind,
    Meeting,
    MeetingItem,
    MeetingKind,
    MeetingStatus,
    SheetState,
)
from cajas.meetings.rules import (
    MeetingAlreadyOpen,
    MeetingDateInFuture,
    MeetingDateInvalid,
    MeetingDateTaken,
    NoOpenCycle,
)
from cajas.members.models import Membership
from cajas.org.models import Cycle, CycleStatus
from cajas.org.selectors import bylaws_in_force
from cajas.org.services import caja_lock


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
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, caja_id=meeting.caja_id, membership=m) for m in members]
    )
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
                    caja_id=meeting.caja_id,
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
                    caja_id=meeting.caja_id,
                    membership_id=membership_id,
                    kind=ItemKind.SOCIAL_FUND,
                    amount_cents=bylaws.social_fund_per_meeting_cents,
                )
            )
    MeetingItem.objects.bulk_create(items)
    meeting.sheet = SheetState.PROPOSED
    meeting.save(update_fields=["sheet"])
    return meeting
