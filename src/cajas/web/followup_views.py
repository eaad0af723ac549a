"""Alerts for the facilitator and follow-up visits (scoped to the cajas the user may see;
auditors read, the others record)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from cajas.access.selectors import (
    caja_list_for_user,
    user_can_record_meetings,
    user_is_staff,
    user_records_visits,
)
from cajas.core.errors import RuleViolation
from cajas.core.parsing import parse_id, parse_optional_date, parse_optional_int, parse_text
from cajas.members.models import Membership
from cajas.monitoring.health import alerted, evaluate, kept_health
from cajas.monitoring.models import InformalCreditAnswer, Visit, VisitAction, VisitStatus
from cajas.monitoring.services import CHECKLIST, visit_action_done, visit_close, visit_record
from cajas.monitoring.survey import informal_credit_record
from cajas.org.models import Caja
from cajas.web.views import _caja, _rule_error

ALERTS_PAGE = 50


@login_required
def alerts_view(request: HttpRequest) -> HttpResponse:
    """The cajas with alerts, worst first, 50 a page: the scores of all come from the kept
    health inputs, and only the page's cajas are read, with their territory and partner."""
    if not user_is_staff(user=request.user):
        raise PermissionDenied
    number = parse_optional_int(request.GET.get("page"), field="page", minimum=1)
    with_alerts, total = alerted(caja_list_for_user(user=request.user))
    page = Paginator(with_alerts, ALERTS_PAGE).get_page(number)
    position = {h.caja_id: i for i, h in enumerate(page)}
    rows = kept_health(with_alerts.filter(caja_id__in=position), timezone.localdate())
    rows.sort(key=lambda h: position[h.caja_id])
    shown = {h.caja_id: h for h in rows}
    for caja in Caja.objects.filter(pk__in=shown).select_related("territory", "partner"):
        shown[caja.pk].caja = caja
    open_visits = {
        v.caja_id: v for v in Visit.objects.filter(caja_id__in=shown, status=VisitStatus.OPEN)
    }
    return render(
        request,
        "web/alerts.html",
        {
            "rows": [(h, open_visits.get(h.caja_id)) for h in rows],
            "page": page,
            "healthy": total - page.paginator.count,
            "total": total,
        },
    )


@login_required
def visits_view(request: HttpRequest, caja_id: int) -> HttpResponse:
    if not user_is_staff(user=request.user):
        raise PermissionDenied
    caja = _caja(request, caja_id)
    if request.method == "POST":
        if not user_records_visits(user=request.user) or not isinstance(request.user, User):
            raise PermissionDenied
        post = request.POST
        try:
            actions = [
                (
                    parse_text(post.get(f"action_{i}"), field="action", max_length=300),
                    parse_optional_date(post.get(f"due_{i}"), field="due"),
                )
                for i in range(1, 4)
                if post.get(f"action_{i}", "").strip()
            ]
            visit = visit_record(
                caja=caja,
                visitor=request.user,
                date=parse_optional_date(post.get("date"), field="date") or timezone.localdate(),
                reason=parse_text(post.get("reason"), field="reason", max_length=200),
                checklist={code: post.get(f"check_{code}") == "on" for code, _l in CHECKLIST},
                findings=parse_text(
                    post.get("findings"), field="findings", max_length=5000, multiline=True
                ),
                actions=actions,
            )
        except RuleViolation as exc:
            _rule_error(request, exc)
            return redirect("visits", caja_id=caja.pk)
        messages.success(request, _("Visit recorded."))
        return redirect("visit", caja_id=caja.pk, visit_id=visit.pk)
    health = evaluate(caja.__class__.objects.filter(pk=caja.pk), timezone.localdate())[0]
    return render(
        request,
        "web/visits.html",
        {
            "caja": caja,
            "health": health,
            "visits": Visit.objects.filter(caja=caja).select_related("visitor"),
            "checklist": CHECKLIST,
            "can_visit": user_records_visits(user=request.user),
            "today": timezone.localdate(),
            "reason": request.GET.get("reason", "; ".join(health.alerts)),
        },
    )


@login_required
def visit_view(request: HttpRequest, caja_id: int, visit_id: int) -> HttpResponse:
    if not user_is_staff(user=request.user):
        raise PermissionDenied
    caja = _caja(request, caja_id)
    visit = Visit.objects.filter(caja=caja, pk=visit_id).select_related("visitor").first()
    if visit is None:
        raise Http404
    if request.method == "POST":
        if not user_records_visits(user=request.user):
            raise PermissionDenied
        try:
            if request.POST.get("action") == "done":
                action = VisitAction.objects.filter(
                    visit=visit, pk=parse_id(request.POST.get("item"), field="item")
                ).first()
                if action is None:
                    raise Http404
                visit_action_done(action=action, on=timezone.localdate())
                messages.success(request, _("Action marked as done."))
            elif request.POST.get("action") == "close":
                visit_close(visit=visit, on=timezone.localdate())
                messages.success(request, _("Visit closed."))
        except RuleViolation as exc:
            _rule_error(request, exc)
        return redirect("visit", caja_id=caja.pk, visit_id=visit.pk)
    return render(
        request,
        "web/visit.html",
        {
            "caja": caja,
            "visit": visit,
            "checklist": [(label, visit.checklist.get(code, False)) for code, label in CHECKLIST],
            "can_visit": user_records_visits(user=request.user),
        },
    )


@login_required
def survey_view(request: HttpRequest, caja_id: int) -> HttpResponse:
    """The informal-credit questionnaire, asked by an officer or the facilitator at the meeting
    (on joining and at the end of each cycle)."""
    caja = _caja(request, caja_id)
    if not user_can_record_meetings(user=request.user, caja=caja):
        raise PermissionDenied
    members = [
        m
        for m in Membership.objects.filter(caja=caja).select_related("person").order_by("number")
        if m.active_on(timezone.localdate())
    ]
    if request.method == "POST":
        saved = 0
        for m in members:
            answer = request.POST.get(f"used_{m.number}")
            if answer in ("yes", "no"):
                informal_credit_record(membership=m, used=answer == "yes", on=timezone.localdate())
                saved += 1
        messages.success(request, _("%(n)s answers saved.") % {"n": saved})
        return redirect("survey", caja_id=caja.pk)
    last = {
        a.membership_id: a
        for a in InformalCreditAnswer.objects.filter(membership__caja=caja).order_by("asked_on")
    }
    return render(
        request,
        "web/survey.html",
        {"caja": caja, "rows": [(m, last.get(m.pk)) for m in members]},
    )
