"""The book of a caja: the same JSON as ``cajas book export`` (``books.export``, described in
docs/book-format.md), for those who may download the book on the caja page. It holds personal
data in clear: every download is in the access log, as the web's."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from cajas.access.models import AccessWhat
from cajas.access.selectors import user_sees_all_members
from cajas.api.errors import errors, forbidden
from cajas.api.scope import CajaId, caja_for, log_read
from cajas.books.export import book_export

router = Router(tags=["book"])


@router.get(
    "/{caja_id}/book",
    response={200: dict[str, Any], **errors(403, 404, 422)},
    operation_id="book_export",
)
def book(request: HttpRequest, caja_id: CajaId) -> dict[str, Any]:
    caja = caja_for(request, caja_id)
    if not user_sees_all_members(user=request.user, caja=caja):
        raise forbidden()
    log_read(request, AccessWhat.EXPORT, caja=caja, detail="book.json")
    return book_export(caja=caja)
