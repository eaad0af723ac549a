"""Thin views: fetch what the user may see, parse the form, call one service, redirect.
The meeting screen's views are in ``meeting_views``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language

from cajas.access.models import AccessWhat
from cajas.access.selectors import (
    caja_get_for_user,
    caja_list_for_user,
    membership_of_user,
    user_can_record_meetings,
    user_is_program_admin,
    user_is_staff,
    user_sees_all_members,
)
from cajas.core.errors import NotFound, RuleViolation
from cajas.ledger.selectors import caja_summary
from cajas.loans.rates import bylaws_rate_check
from cajas.meetings.models import Meeting, MeetingKind, MeetingStatus
from cajas.members.models import ConsentPurpose
from cajas.members.selectors import consent_in_force
from cajas.org.models import Caja
from cajas.org.selectors import bylaws_newest
from cajas.web.audit import log_read
from cajas.web.forms import OpenMeetingForm, today
from cajas.web.selectors import caja_rows, member_lines, recent_meetings


def _caja(request: HttpRequest, caja_id: int) -> Caja:
    try:
        return caja_get_for_user(user=request.user, caja_id=caja_id)
    except NotFound:
        raise Http404 from None


def _rule_error(request: HttpRequest, exc: RuleViolation) -> None:
    messages.error(request, exc.message(get_language()))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    cajas = caja_list_for_user(user=request.user)
    if cajas.count() == 1:
        only = cajas.first()
        assert only is not None
        return redirect("caja", caja_id=only.pk)
    return render(
        request,
        "web/home.html",
        {
            "rows": caja_rows(cajas=cajas),
            "staff": user_is_staff(user=request.user),
            "program_admin": user_is_program_admin(user=request.user),
        },
    )


def caja_page_context(request: HttpRequest, caja: Caja) -> dict[str, Any]:
    sees_all = user_sees_all_members(user=request.user, caja=caja)
    own = membership_of_user(user=request.user, caja=caja)
    bylaws = bylaws_newest(caja)
    return {
        "caja": caja,
        "summary": caja_summary(caja=caja) if sees_all else None,
        "members": member_lines(caja=caja, only=None if sees_all else own),
        "meetings": recent_meetings(caja=caja) if sees_all else [],
        "open_meeting": Meeting.objects.filter(caja=caja, status=MeetingStatus.OPEN).first(),
        "can_record": user_can_record_meetings(user=request.user, caja=caja),
        "own": own,
        "open_form": OpenMeetingForm(initial={"date": today(), "kind": MeetingKind.ORDINARY}),
        "bylaws": bylaws,
        "rate_check": bylaws_rate_check(bylaws, today()) if sees_all else None,
    }


@login_required
def caja_detail(request: HttpRequest, caja_id: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    context = caja_page_context(request, caja)
    if context["summary"] is not None:  # the roll of members with their names
        log_read(request, AccessWhat.MEMBER_LIST, caja=caja)
    own = context["own"]
    context["own_credit_consent"] = own is not None and consent_in_force(
        person_id=own.person_id, purpose=ConsentPurpose.CREDIT_LETTER
    )
    return render(request, "web/caja.html", context)
