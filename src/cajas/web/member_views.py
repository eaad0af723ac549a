"""The member's own passbook on her phone, and the same page for an officer looking at one
member. A plain member reaches only her own: any other member's number is a 404, exactly as
if it did not exist (DESIGN.md §10)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cajas.access.selectors import membership_of_user, user_sees_all_members
from cajas.documents.passbook import member_passbook
from cajas.members.models import Membership
from cajas.web.views import _caja


def _render(request: HttpRequest, membership: Membership, own: bool) -> HttpResponse:
    context = member_passbook(membership, timezone.localdate())
    context["own"] = own
    return render(request, "web/passbook.html", context)


@login_required
def my_passbook_view(request: HttpRequest, caja_id: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    own = membership_of_user(user=request.user, caja=caja)
    if own is None:
        raise Http404
    own.caja = caja
    return _render(request, own, own=True)


@login_required
def member_passbook_view(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    own = membership_of_user(user=request.user, caja=caja)
    if own is not None and own.number == number:
        own.caja = caja
        return _render(request, own, own=True)
    if not user_sees_all_members(user=request.user, caja=caja):
        raise Http404
    membership = (
        Membership.objects.filter(caja=caja, number=number).select_related("person").first()
    )
    if membership is None:
        raise Http404
    membership.caja = caja
    return _render(request, membership, own=False)
