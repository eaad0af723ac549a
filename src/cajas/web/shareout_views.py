"""Share-out pages: the preview ("if we shared out today…"), its execution at the open meeting,
and the report of a share-out done."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cajas.access.selectors import (
    membership_of_user,
    user_can_record_meetings,
    user_sees_all_members,
)
from cajas.core.errors import RuleViolation
from cajas.core.money import parse_amount
from cajas.core.parsing import parse_id
from cajas.meetings.models import Meeting, MeetingStatus
from cajas.members.models import Membership
from cajas.shareouts.models import ShareOut
from cajas.shareouts.services import shareout_execute, shareout_preview
from cajas.web.forms import today
from cajas.web.views import _caja, _rule_error


@login_required
def shareout_view(request: HttpRequest, caja_id: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    sees_all = user_sees_all_members(user=request.user, caja=caja)
    own = membership_of_user(user=request.user, caja=caja)
    recorder = user_can_record_meetings(user=request.user, caja=caja)
    meeting = Meeting.objects.filter(caja=caja, status=MeetingStatus.OPEN).first()
    if request.method == "POST":
        if not recorder or meeting is None:
            raise PermissionDenied
        try:
            reinvest = {}
            for key in request.POST:
                value = request.POST.get(key, "").strip()
                if key.startswith("reinvest_") and value not in ("", "0"):
                    number = parse_id(key.removeprefix("reinvest_"), field="member")
                    reinvest[number] = parse_amount(value, field="reinvest", allow_zero=True)
            done = shareout_execute(
                meeting_id=meeting.pk, executed_by=request.user.get_username(), reinvest=reinvest
            )
        except RuleViolation as exc:
            _rule_error(request, exc)
            return redirect("shareout", caja_id=caja.pk)
        messages.success(request, _("Share-out done and posted. The next cycle has begun."))
        return redirect("shareout_report", caja_id=caja.pk, cycle=done.cycle.number)
    on = meeting.date if meeting is not None else today()
    error = None
    preview = None
    try:
        preview = shareout_preview(caja=caja, on=on)
    except RuleViolation as exc:
        error = exc.message(request.LANGUAGE_CODE)
    names = {
        m.number: m.person.full_name
        for m in Membership.objects.filter(caja=caja).select_related("person")
    }
    payouts = preview.plan.payouts if preview else ()
    if not sees_all:
        payouts = tuple(p for p in payouts if own is not None and p.member == own.number)
    context = {
        "caja": caja,
        "preview": preview,
        "payouts": [(p, names.get(p.member, "")) for p in payouts],
        "sees_all": sees_all,
        "recorder": recorder,
        "meeting": meeting,
        "error": error,
        "done": ShareOut.objects.filter(caja=caja).select_related("cycle").order_by("-date"),
    }
    return render(request, "web/shareout.html", context)


@login_required
def shareout_report_view(request: HttpRequest, caja_id: int, cycle: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    shareout = (
        ShareOut.objects.filter(caja=caja, cycle__number=cycle)
        .select_related("cycle", "meeting")
        .first()
    )
    if shareout is None:
        raise Http404
    payouts = shareout.payouts.select_related("membership__person").order_by("membership__number")
    if not user_sees_all_members(user=request.user, caja=caja):
        own = membership_of_user(user=request.user, caja=caja)
        payouts = payouts.filter(membership=own)
    return render(
        request, "web/shareout_report.html", {"caja": caja, "s": shareout, "payouts": payouts}
    )
