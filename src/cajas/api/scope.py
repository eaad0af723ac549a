"""What every router shares: path parameters read within bounds, the caja the user may see
(404 otherwise, as the web), the checks for the actions they may do (403), and the access log
of personal data (as the web writes it)."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path

from cajas.access.selectors import caja_get_for_user, user_can_record_meetings
from cajas.access.services import access_log_write
from cajas.api.errors import forbidden
from cajas.core.parsing import MAX_ID
from cajas.org.models import Caja

CajaId = Annotated[int, Path(ge=1, le=MAX_ID, description="The caja's id")]
Number = Annotated[int, Path(ge=1, le=MAX_ID, description="Its number within the caja")]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="The item's id")]


def caja_for(request: HttpRequest, caja_id: int) -> Caja:
    """The caja, if the user may see it; ``NotFound`` (404) otherwise."""
    return caja_get_for_user(user=request.user, caja_id=caja_id)


def recording(request: HttpRequest, caja_id: int) -> Caja:
    """The caja the user records meetings in: 404 outside their cajas, 403 if they only read."""
    caja = caja_for(request, caja_id)
    if not user_can_record_meetings(user=request.user, caja=caja):
        raise forbidden()
    return caja


def log_read(request: HttpRequest, what: str, **about: Any) -> None:
    """One access-log row, as ``web.audit.log_read`` writes for the same page."""
    access_log_write(
        user=request.user, what=what, ip=request.META.get("REMOTE_ADDR") or None, **about
    )
