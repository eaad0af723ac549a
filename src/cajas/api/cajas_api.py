"""Cajas: the list the home page shows and one caja's page figures."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from cajas.access.selectors import caja_get_for_user, caja_list_for_user
from cajas.api.errors import errors
from cajas.meetings.selectors import caja_rows

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


def _row(row: dict) -> CajaRowOut:  # type: ignore[type-arg]
    caja = row["caja"]
    return CajaRowOut(
        id=caja.pk,
        code=caja.code,
        name=caja.name,
        territory=caja.territory.name if caja.territory_id else "",
        members=row["members"],
        last_meeting=row["last_meeting"],
        savings_cents=row["savings"],
        cash_cents=row["cash"],
    )


@router.get("/", response={200: list[CajaRowOut], **errors()}, operation_id="cajas_list")
def cajas_list(request: HttpRequest) -> list[CajaRowOut]:
    """The cajas the user may see, as on the home page."""
    return [_row(r) for r in caja_rows(cajas=caja_list_for_user(user=request.user))]


@router.get("/{int:caja_id}", response={200: CajaRowOut, **errors(404)}, operation_id="caja_detail")
def caja_detail(request: HttpRequest, caja_id: int) -> CajaRowOut:
    caja = caja_get_for_user(user=request.user, caja_id=caja_id)
    return _row(caja_rows(cajas=caja_list_for_user(user=request.user).filter(pk=caja.pk))[0])
