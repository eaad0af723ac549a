"""Document downloads (PDF, or HTML to print from the phone), scoped like the pages: a member
gets her own passbook, receipts, contracts and letter; officers and staff get the caja's."""

from __future__ import annotations

import datetime as dt

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import get_language

from cajas.access.models import AccessWhat
from cajas.access.selectors import (
    membership_of_user,
    user_sees_all_members,
)
from cajas.core.errors import RuleViolation
from cajas.core.parsing import parse_optional_date, parse_optional_id, period_check
from cajas.documents.render import KINDS
from cajas.documents.services import document_render, document_sections
from cajas.exports.book_tables import book_tables, statements_tables
from cajas.exports.tables import to_csv, to_xlsx
from cajas.loans.models import Loan
from cajas.meetings.models import Meeting
from cajas.members.selectors import membership_by_number
from cajas.shareouts.models import ShareOut
from cajas.web.audit import log_read
from cajas.web.views import _caja, _rule_error

PERSONAL = ("passbook", "receipt", "credit-history", "loan-contract")


def _int(request: HttpRequest, name: str) -> int | None:
    """A number in the query (``?member=3``); a bad one is a 400 (``InputErrorMiddleware``)."""
    return parse_optional_id(request.GET.get(name), field=name)


def _period(request: HttpRequest) -> tuple[dt.date | None, dt.date | None]:
    return period_check(
        parse_optional_date(request.GET.get("from"), field="from"),
        parse_optional_date(request.GET.get("to"), field="to"),
    )


@login_required
@csp_update({"style-src": ["'unsafe-inline'"]})  # type: ignore[arg-type]  # its print stylesheet
def document_view(request: HttpRequest, caja_id: int, kind: str) -> HttpResponse:
    if kind not in KINDS:
        raise Http404
    caja = _caja(request, caja_id)
    sees_all = user_sees_all_members(user=request.user, caja=caja)
    own = membership_of_user(user=request.user, caja=caja)
    if not sees_all and (kind not in PERSONAL or own is None):
        raise PermissionDenied
    member = None
    number = _int(request, "member")
    if number is not None:
        member = membership_by_number(caja.pk, number)
        if member is None:
            raise Http404
    if not sees_all:
        if member is not None and member != own:
            raise Http404
        member = own
    meeting = None
    if (n := _int(request, "meeting")) is not None:
        meeting = Meeting.objects.filter(caja=caja, number=n).first()
        if meeting is None:
            raise Http404
    loan = None
    if (n := _int(request, "loan")) is not None:
        loan = Loan.objects.filter(caja=caja, number=n).first()
        if loan is None or (not sees_all and loan.membership != own):
            raise Http404
    elif kind == "loan-contract" and not sees_all:
        raise Http404
    shareout = None
    if (n := _int(request, "cycle")) is not None:
        shareout = ShareOut.objects.filter(caja=caja, cycle__number=n).first()
    date_from, date_to = _period(request)
    lang = "en" if (get_language() or "es").startswith("en") else "es"
    try:
        sections = document_sections(
            kind,
            lang=lang,
            caja=caja,
            member=member,
            meeting=meeting,
            loan=loan,
            shareout=shareout,
            date_from=date_from,
            date_to=date_to,
            on=timezone.localdate(),
        )
    except RuleViolation as exc:
        _rule_error(request, exc)
        return redirect("caja", caja_id=caja.pk)
    fmt = "html" if request.GET.get("format") == "html" else "pdf"
    if kind in PERSONAL or kind in ("minutes", "shareout", "exit-settlement"):
        person = member.person if member is not None else None
        log_read(request, AccessWhat.DOCUMENT, person=person, caja=caja, detail=kind)
    body = document_render(kind, sections, lang=lang, fmt=fmt)
    if fmt == "html":
        return HttpResponse(body, content_type="text/html; charset=utf-8")
    response = HttpResponse(body, content_type="application/pdf")
    suffix = f"-{member.number}" if member else ""
    response["Content-Disposition"] = f'attachment; filename="{caja.code}-{kind}{suffix}.pdf"'
    return response


@login_required
def export_view(request: HttpRequest, caja_id: int, what: str, fmt: str) -> HttpResponse:
    """The book or the statements as XLSX (one sheet per table) or CSV (journal, cash book)."""
    if what not in ("book", "statements") or fmt not in ("xlsx", "csv"):
        raise Http404
    caja = _caja(request, caja_id)
    if not user_sees_all_members(user=request.user, caja=caja):
        raise PermissionDenied
    lang = "en" if (get_language() or "es").startswith("en") else "es"
    log_read(request, AccessWhat.EXPORT, caja=caja, detail=f"{what}.{fmt}")
    if what == "book":
        tables = book_tables(caja, lang)
        csv_table = tables[2]  # the journal
    else:
        date_from, date_to = _period(request)
        section = document_sections(
            "statements",
            lang=lang,
            caja=caja,
            date_from=date_from,
            date_to=date_to,
            on=timezone.localdate(),
        )[0]
        tables = statements_tables(caja, section["date_from"], section["date_to"], lang)
        csv_table = tables[-1]  # the cash book
    if fmt == "xlsx":
        response = HttpResponse(
            to_xlsx(tables),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(to_csv(csv_table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{caja.code}-{what}.{fmt}"'
    return response
