"""Personal data on request (LOPDP): the member's own data-subject export, the program admin's
export of one person, and the access log of who read or exported personal data."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from cajas.access.models import AccessWhat
from cajas.access.selectors import (
    access_log_for_admin,
    membership_of_user,
    person_for_admin,
    user_is_program_admin,
)
from cajas.core.parsing import parse_text
from cajas.members.models import Person
from cajas.privacy.subject import subject_export, subject_export_pdf
from cajas.web.audit import log_read
from cajas.web.views import _caja


def _answer(request: HttpRequest, person: Person, fmt: str, detail: str) -> HttpResponse:
    log_read(request, AccessWhat.SUBJECT_EXPORT, person=person, detail=detail)
    if fmt == "pdf":
        lang = "en" if (get_language() or "es").startswith("en") else "es"
        response = HttpResponse(subject_export_pdf(person=person, lang=lang), "application/pdf")
    else:
        body = json.dumps(subject_export(person=person), ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{person.code}-datos.{fmt}"'
    return response


@login_required
def my_data_view(request: HttpRequest, caja_id: int, fmt: str) -> HttpResponse:
    """The member's own data, all of it, from her caja's page."""
    if fmt not in ("json", "pdf"):
        raise Http404
    own = membership_of_user(user=request.user, caja=_caja(request, caja_id))
    if own is None:
        raise Http404
    return _answer(request, own.person, fmt, "own")


@login_required
def person_export_view(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The program admin answers a person's request for her data."""
    if fmt not in ("json", "pdf"):
        raise Http404
    if not user_is_program_admin(user=request.user):
        raise PermissionDenied
    person = person_for_admin(user=request.user, code=code)
    if person is None:
        raise Http404
    return _answer(request, person, fmt, "request")


@login_required
def access_log_view(request: HttpRequest) -> HttpResponse:
    """Who read or exported personal data: the program admin's page, by person or user."""
    if not user_is_program_admin(user=request.user):
        raise PermissionDenied
    person = parse_text(request.GET.get("person"), field="person", max_length=12)
    username = parse_text(request.GET.get("user"), field="user", max_length=150)
    rows = access_log_for_admin(user=request.user, person_code=person, username=username)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "web/access_log.html",
        {"page": page, "person": person, "username": username},
    )
