"""Meetings: the list, one meeting's sheet and items with the cash it expects, and the
treasurer's actions (open, save the sheet, add or remove an item, close), each through the
same service as the meeting screen (``web/meeting_views.py``), each with an Idempotency-Key.

Who may do what is the web's: the meeting pages are for those who see the caja's roll (a plain
member gets 403), the actions for those who record meetings (403 for the others), and a caja
the user cannot see is 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from cajas.access.selectors import user_sees_all_members
from cajas.api.errors import errors, forbidden, not_found
from cajas.api.idempotency import KeyHeader, idempotent
from cajas.api.scope import CajaId, ItemId, Number, caja_for, recording
from cajas.core.errors import RuleViolation
from cajas.core.parsing import parse_date, parse_text
from cajas.meetings.close import meeting_close
from cajas.meetings.items import item_record, item_remove
from cajas.meetings.models import (
    Attendance,
    ItemKind,
    Meeting,
    MeetingItem,
    MeetingStatus,
)
from cajas.meetings.opening import meeting_start
from cajas.meetings.rules import MeetingClosed
from cajas.meetings.selectors import meeting_expected_cash, recent_meetings
from cajas.meetings.sheet import SheetRow, meeting_sheet_confirm, meeting_sheet_save
from cajas.org.models import Caja

router = Router(tags=["meetings"])

WRITE_ERRORS = errors(400, 403, 404, 409, 422)
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
AMOUNT = Field(min_length=1, max_length=20, description="USD, e.g. 1874 or 1874.98 or 1874,98")
# The items the screen's «Otra partida» form adds (shares and the social fund are on the
# sheet; loans and fines owed have their own actions).
ItemAddKind = Literal["fine", "entry_fee", "other_income", "expense"]


class MeetingRowOut(Schema):
    number: int
    date: dt.date
    kind: str
    status: str
    present: int
    listed: int


class SheetLineOut(Schema):
    member: int
    name: str
    status: str
    late: bool
    shares: int
    social_fund: bool


class ItemOut(Schema):
    id: int
    kind: str
    member: int | None
    loan: int | None
    amount_cents: int
    shares: int | None
    description: str
    fine_reason: str
    proposed: bool
    waived: bool


class MeetingOut(Schema):
    number: int
    date: dt.date
    kind: str
    status: str
    sheet: str
    opened_by: str
    closed_by: str
    closed_at: dt.datetime | None
    expected_cash_cents: int | None
    counted_cash_cents: int | None
    cash_difference_cents: int
    rows: list[SheetLineOut]
    items: list[ItemOut]


class OpenIn(Schema):
    date: str = Field(pattern=DATE, description="YYYY-MM-DD, not in the future")
    kind: Literal["ordinary", "extraordinary", "assembly"] = "ordinary"


class SheetRowIn(Schema):
    member: int = Field(ge=1, le=9999)
    status: Literal["present", "represented", "excused", "absent"] = "present"
    late: bool = False
    shares: int = Field(default=0, ge=0, le=999)
    social_fund: bool = False


class SheetIn(Schema):
    rows: list[SheetRowIn] = Field(max_length=1000)
    zero_shares_confirmed: bool = Field(
        default=False, description="Save even when a present member buys no shares"
    )


class ConfirmIn(Schema):
    zero_shares_confirmed: bool = False


class ItemIn(Schema):
    kind: ItemAddKind
    amount: str = AMOUNT
    member: int | None = Field(default=None, ge=1, le=9999)
    description: str = Field(default="", max_length=200)


class CloseIn(Schema):
    counted_cash: str = AMOUNT


def meeting_out(meeting: Meeting) -> MeetingOut:
    """The meeting as the screen shows it: each member's line, the items, the cash expected."""
    attendance = (
        Attendance.objects.filter(meeting=meeting)
        .select_related("membership__person")
        .order_by("membership__number")
    )
    items = list(
        MeetingItem.objects.filter(meeting=meeting)
        .select_related("membership", "loan")
        .order_by("id")
    )
    shares = {i.membership_id: i.shares or 0 for i in items if i.kind == ItemKind.SHARES}
    fund = {i.membership_id for i in items if i.kind == ItemKind.SOCIAL_FUND}
    return MeetingOut(
        number=meeting.number,
        date=meeting.date,
        kind=meeting.kind,
        status=meeting.status,
        sheet=meeting.sheet,
        opened_by=meeting.opened_by,
        closed_by=meeting.closed_by,
        closed_at=meeting.closed_at,
        expected_cash_cents=meeting_expected_cash(meeting=meeting)
        if meeting.is_open
        else meeting.expected_cash_cents,
        counted_cash_cents=meeting.counted_cash_cents,
        cash_difference_cents=meeting.cash_difference_cents,
        rows=[
            SheetLineOut(
                member=a.membership.number,
                name=a.membership.person.full_name,
                status=a.status,
                late=a.late,
                shares=shares.get(a.membership_id, 0),
                social_fund=a.membership_id in fund,
            )
            for a in attendance
        ],
        items=[
            ItemOut(
                id=i.pk,
                kind=i.kind,
                member=i.membership.number if i.membership else None,
                loan=i.loan.number if i.loan else None,
                amount_cents=i.amount_cents,
                shares=i.shares,
                description=i.description,
                fine_reason=i.fine_reason,
                proposed=i.proposed,
                waived=i.waived,
            )
            for i in items
        ],
    )


def _meeting(caja: Caja, number: int) -> Meeting:
    meeting = Meeting.objects.filter(caja=caja, number=number).first()
    if meeting is None:
        raise not_found()
    return meeting


def _reading(request: HttpRequest, caja_id: int) -> Caja:
    caja = caja_for(request, caja_id)
    if not user_sees_all_members(user=request.user, caja=caja):
        raise forbidden()
    return caja


def _after(meeting: Meeting) -> tuple[int, MeetingOut]:
    meeting.refresh_from_db()
    return 200, meeting_out(meeting)


class ListQuery(Schema):
    limit: int = Field(default=50, ge=1, le=500)


@router.get(
    "/{caja_id}/meetings",
    response={200: list[MeetingRowOut], **errors(403, 404, 422)},
    operation_id="meetings_list",
)
def meetings_list(
    request: HttpRequest, caja_id: CajaId, query: Query[ListQuery]
) -> list[MeetingRowOut]:
    """The caja's meetings, newest first, with how many were there."""
    caja = _reading(request, caja_id)
    return [
        MeetingRowOut(
            number=m.number,
            date=m.date,
            kind=m.kind,
            status=m.status,
            present=m.present,  # type: ignore[attr-defined]
            listed=m.listed,  # type: ignore[attr-defined]
        )
        for m in recent_meetings(caja=caja, limit=query.limit)
    ]


@router.get(
    "/{caja_id}/meetings/{number}",
    response={200: MeetingOut, **errors(403, 404, 422)},
    operation_id="meeting_detail",
)
def meeting_detail(request: HttpRequest, caja_id: CajaId, number: Number) -> MeetingOut:
    return meeting_out(_meeting(_reading(request, caja_id), number))


@router.post(
    "/{caja_id}/meetings",
    response={200: MeetingOut, 201: MeetingOut, **WRITE_ERRORS},
    operation_id="meeting_open",
)
def meeting_open(
    request: HttpRequest, caja_id: CajaId, payload: OpenIn, idempotency_key: KeyHeader
) -> Status[Any]:
    """Open a meeting with the usual sheet proposed (``meeting_start``). If one is open
    already, that one is the answer (200), as on the screen."""
    caja = recording(request, caja_id)

    def write() -> tuple[int, MeetingOut]:
        already = Meeting.objects.filter(caja=caja, status=MeetingStatus.OPEN).first()
        if already is not None:
            return 200, meeting_out(already)
        meeting = meeting_start(
            caja_id=caja.pk,
            date=parse_date(payload.date, field="date"),
            kind=payload.kind,
            opened_by=request.user.get_username(),
        )
        return 201, meeting_out(meeting)

    return idempotent(request, idempotency_key, payload, write)


@router.put(
    "/{caja_id}/meetings/{number}/sheet",
    response={200: MeetingOut, **WRITE_ERRORS},
    operation_id="meeting_sheet_save",
)
def sheet_save(
    request: HttpRequest,
    caja_id: CajaId,
    number: Number,
    payload: SheetIn,
    idempotency_key: KeyHeader,
) -> Status[Any]:
    """Save the whole sheet or some of its lines (``meeting_sheet_save``): attendance,
    lateness, shares and social fund; the absence and lateness fines follow."""
    meeting = _meeting(recording(request, caja_id), number)

    def write() -> tuple[int, MeetingOut]:
        rows = [SheetRow(**row.model_dump()) for row in payload.rows]
        meeting_sheet_save(
            meeting_id=meeting.pk, rows=rows, zero_shares_confirmed=payload.zero_shares_confirmed
        )
        return _after(meeting)

    return idempotent(request, idempotency_key, payload, write)


@router.post(
    "/{caja_id}/meetings/{number}/sheet/confirm",
    response={200: MeetingOut, **WRITE_ERRORS},
    operation_id="meeting_sheet_confirm",
)
def sheet_confirm(
    request: HttpRequest,
    caja_id: CajaId,
    number: Number,
    payload: ConfirmIn,
    idempotency_key: KeyHeader,
) -> Status[Any]:
    """«Todo como de costumbre»: the proposed sheet is the meeting (``meeting_sheet_confirm``)."""
    meeting = _meeting(recording(request, caja_id), number)

    def write() -> tuple[int, MeetingOut]:
        meeting_sheet_confirm(
            meeting_id=meeting.pk, zero_shares_confirmed=payload.zero_shares_confirmed
        )
        return _after(meeting)

    return idempotent(request, idempotency_key, payload, write)


@router.post(
    "/{caja_id}/meetings/{number}/items",
    response={200: MeetingOut, **WRITE_ERRORS},
    operation_id="meeting_item_add",
)
def item_add(
    request: HttpRequest,
    caja_id: CajaId,
    number: Number,
    payload: ItemIn,
    idempotency_key: KeyHeader,
) -> Status[Any]:
    """A fine, an entry fee, other income or an expense (``item_record``)."""
    meeting = _meeting(recording(request, caja_id), number)

    def write() -> tuple[int, MeetingOut]:
        item_record(
            meeting_id=meeting.pk,
            kind=payload.kind,
            amount=payload.amount,
            member=payload.member,
            description=parse_text(payload.description, field="description", max_length=200),
        )
        return _after(meeting)

    return idempotent(request, idempotency_key, payload, write)


@router.delete(
    "/{caja_id}/meetings/{number}/items/{item_id}",
    response={200: MeetingOut, **WRITE_ERRORS},
    operation_id="meeting_item_remove",
)
def item_delete(
    request: HttpRequest,
    caja_id: CajaId,
    number: Number,
    item_id: ItemId,
    idempotency_key: KeyHeader,
) -> Status[Any]:
    """Remove an item; a proposed fine is waived (kept, not charged). An item already gone or
    waived is no error: the screen's second tap."""
    meeting = _meeting(recording(request, caja_id), number)

    def write() -> tuple[int, MeetingOut]:
        item = MeetingItem.objects.filter(meeting=meeting, pk=item_id).first()
        if item is not None and not (item.proposed and item.waived):
            item_remove(meeting_id=meeting.pk, item_id=item.pk)
        return _after(meeting)

    return idempotent(request, idempotency_key, {"item": item_id}, write)


@router.post(
    "/{caja_id}/meetings/{number}/close",
    response={200: MeetingOut, **WRITE_ERRORS},
    operation_id="meeting_close",
)
def close(
    request: HttpRequest,
    caja_id: CajaId,
    number: Number,
    payload: CloseIn,
    idempotency_key: KeyHeader,
) -> Status[Any]:
    """Post every item and the cash count (``meeting_close``). A meeting already closed is the
    answer as it stands (``status: closed``): nothing is repeated."""
    meeting = _meeting(recording(request, caja_id), number)

    def write() -> tuple[int, MeetingOut]:
        if meeting.is_open:
            try:
                meeting_close(
                    meeting_id=meeting.pk,
                    counted_cash=payload.counted_cash,
                    closed_by=request.user.get_username(),
                )
            except MeetingClosed:  # closed meanwhile by another request
                return _after(meeting)
            except RuleViolation as exc:  # an amount the service cannot read: name our field
                if exc.field == "amount":
                    exc.field = "counted_cash"
                raise
        return _after(meeting)

    return idempotent(request, idempotency_key, payload, write)
