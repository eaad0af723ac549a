"""Cajas: the list the home page shows and one caja's page figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from cajas.access.selectors import (
    caja_list_for_user,
    membership_of_user,
    user_can_record_meetings,
    user_sees_all_members,
)
from cajas.api.errors import errors
from cajas.api.members_api import SummaryOut, summary_out
from cajas.api.scope import CajaId, caja_for
from cajas.meetings.models import Meeting, MeetingStatus
from cajas.meetings.selectors import caja_rows
from cajas.org.selectors import bylaws_newest

router = Router(tags=["cajas"])


class CajaRowOut(Schema):
    id: int
    code: str
    name: str
    territory: str
    members: int
    last_meeting: dt.date | None
    savings_cents: int
    cash_cents: int


class CajaOut(CajaRowOut):
    summary: SummaryOut | None
    open_meeting: int | None
    can_record_meetings: bool
    sees_all_members: bool
    my_member_number: int | None
    max_members: int
    max_capital_cents: int


def _row(row: dict[str, Any]) -> dict[str, Any]:
    caja = row["caja"]
    return {
        "id": caja.pk,
        "code": caja.code,
        "name": caja.name,
        "territory": caja.territory.name,
        "members": row["members"],
        "last_meeting": row["last_meeting"],
        "savings_cents": row["savings"],
        "cash_cents": row["cash"],
    }


@router.get("/", response={200: list[CajaRowOut], **errors()}, operation_id="cajas_list")
def cajas_list(request: HttpRequest) -> list[CajaRowOut]:
    """The cajas the user may see, as on the home page."""
    return [CajaRowOut(**_row(r)) for r in caja_rows(cajas=caja_list_for_user(user=request.user))]


@router.get("/{caja_id}", response={200: CajaOut, **errors(404, 422)}, operation_id="caja_detail")
def caja_detail(request: HttpRequest, caja_id: CajaId) -> CajaOut:
    """The caja page's figures: the summary for those who see the roll, the open meeting, what
    the user may do, the bylaws' caps."""
    caja = caja_for(request, caja_id)
    (row,) = caja_rows(cajas=caja_list_for_user(user=request.user).filter(pk=caja.pk))
    sees_all = user_sees_all_members(user=request.user, caja=caja)
    own = membership_of_user(user=request.user, caja=caja)
    open_meeting = (
        Meeting.objects.filter(caja=caja, status=MeetingStatus.OPEN)
        .values_list("number", flat=True)
        .first()
    )
    bylaws = bylaws_newest(caja)
    return CajaOut(
        **_row(row),
        summary=summary_out(caja) if sees_all else None,
        open_meeting=open_meeting,
        can_record_meetings=user_can_record_meetings(user=request.user, caja=caja),
        sees_all_members=sees_all,
        my_member_number=own.number if own else None,
        max_members=bylaws.max_members,
        max_capital_cents=bylaws.max_capital_cents,
    )
