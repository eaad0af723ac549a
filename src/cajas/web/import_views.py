"""Importing a caja's members from a file (``imports.services``): the page with the upload form
and the template, the upload, one step of the check, the preview and the confirmation.

Officers of the caja and its facilitators may import (``user_can_record_meetings``, the same
selector as the other pages that record for the caja); anyone else who sees the caja gets a 404.
An import is seen only by whoever uploaded it.

With ``static/cajas/imports.js`` the upload goes by XHR (``X-Cajas-Inplace: 1``) so the page
shows the upload's progress, and the page then posts one step after another showing the rows
checked; without JavaScript the upload is a plain form post, checked whole, and the answer is
the preview.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cajas.access.selectors import user_can_record_meetings
from cajas.core.errors import RuleViolation
from cajas.core.parsing import parse_bool, parse_text
from cajas.imports.models import ImportStatus, MemberImport
from cajas.imports.rules import MAX_BYTES, MAX_ROWS, ImportFileMissing, check_size
from cajas.imports.selectors import import_of, preview_rows
from cajas.imports.services import (
    CHUNK,
    import_check_all,
    import_confirm,
    import_start,
    import_step,
)
from cajas.imports.template import template_xlsx
from cajas.org.models import Caja
from cajas.web.views import _caja, _rule_error

# A multipart body a little over the file limit (the form's other fields and the boundaries).
_BODY_SLACK = 64 * 1024


def _inplace(request: HttpRequest) -> bool:
    return request.headers.get("X-Cajas-Inplace") == "1"


def _importer_caja(request: HttpRequest, caja_id: int) -> Caja:
    caja = _caja(request, caja_id)
    if not user_can_record_meetings(user=request.user, caja=caja):
        raise Http404
    return caja


def _job(request: HttpRequest, caja: Caja, import_id: int) -> MemberImport:
    assert request.user.pk is not None
    job = import_of(import_id=import_id, caja_id=caja.pk, user_id=int(request.user.pk))
    if job is None:
        raise Http404
    return job


def _progress(job: MemberImport) -> dict[str, Any]:
    ids = {"caja_id": job.caja_id, "import_id": job.pk}
    return {
        "status": job.status,
        "percent": job.percent,
        "rows_read": job.rows_read,
        "rows_total": job.rows_total,
        "step_url": reverse("member_import_step", kwargs=ids),
        "preview_url": reverse("member_import_preview", kwargs=ids),
    }


@login_required
@require_GET
def import_page_view(request: HttpRequest, caja_id: int) -> HttpResponse:
    caja = _importer_caja(request, caja_id)
    return render(
        request,
        "web/member_import.html",
        {"caja": caja, "max_mb": MAX_BYTES // 1024 // 1024, "max_rows": MAX_ROWS},
    )


@login_required
@require_GET
def import_template_view(request: HttpRequest, caja_id: int) -> HttpResponse:
    caja = _importer_caja(request, caja_id)
    language = get_language()
    response = HttpResponse(
        template_xlsx(caja_code=caja.code, language=language),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = "members-template" if (language or "es").startswith("en") else "plantilla-socias"
    response["Content-Disposition"] = f'attachment; filename="{name}-{caja.code}.xlsx"'
    return response


def _refused(request: HttpRequest, caja: Caja, exc: RuleViolation) -> HttpResponse:
    if _inplace(request):
        return JsonResponse({"error": exc.message(get_language()), "code": exc.code}, status=400)
    _rule_error(request, exc)
    return redirect("member_import", caja_id=caja.pk)


@login_required
@require_POST
def import_upload_view(request: HttpRequest, caja_id: int) -> HttpResponse:
    """Keep the file and check it (whole without JavaScript; the page steps it otherwise)."""
    caja = _importer_caja(request, caja_id)
    try:
        check_size(size=max(0, int(request.META.get("CONTENT_LENGTH") or 0) - _BODY_SLACK))
        upload = request.FILES.get("file")
        if upload is None:
            raise ImportFileMissing()
        check_size(size=upload.size or 0)
        job = import_start(
            caja_id=caja.pk,
            by=request.user,
            filename=parse_text((upload.name or "")[-200:], field="file", max_length=200),
            content=upload.read(MAX_BYTES + 1),
            attested=parse_bool(request.POST.get("attested"), field="attested"),
        )
    except RuleViolation as exc:
        return _refused(request, caja, exc)
    if _inplace(request):
        return JsonResponse(_progress(job))
    import_check_all(import_id=job.pk)
    return redirect("member_import_preview", caja_id=caja.pk, import_id=job.pk)


@login_required
@require_POST
def import_step_view(request: HttpRequest, caja_id: int, import_id: int) -> HttpResponse:
    """Check the next rows (safe to repeat: a step after the last changes nothing)."""
    caja = _importer_caja(request, caja_id)
    job = import_step(import_id=_job(request, caja, import_id).pk)
    if _inplace(request):
        return JsonResponse(_progress(job))
    return redirect("member_import_preview", caja_id=caja.pk, import_id=job.pk)


@login_required
@require_GET
def import_preview_view(request: HttpRequest, caja_id: int, import_id: int) -> HttpResponse:
    caja = _importer_caja(request, caja_id)
    job = _job(request, caja, import_id)
    language = get_language()
    errors = [
        {"row": e["row"], "column": e["column"], "message": e["en" if language == "en" else "es"]}
        for e in job.errors
    ]
    ready = job.status == ImportStatus.CHECKED and not job.errors
    return render(
        request,
        "web/member_import_preview.html",
        {
            "caja": caja,
            "job": job,
            "errors": errors,
            "ready": ready,
            "rows": preview_rows(job) if ready else [],
            "chunk": CHUNK,
        },
    )


@login_required
@require_POST
def import_confirm_view(request: HttpRequest, caja_id: int, import_id: int) -> HttpResponse:
    """Write the members, all or nothing."""
    caja = _importer_caja(request, caja_id)
    job = _job(request, caja, import_id)
    try:
        job = import_confirm(import_id=job.pk)
    except RuleViolation as exc:
        _rule_error(request, exc)
        return redirect("member_import_preview", caja_id=caja.pk, import_id=job.pk)
    messages.success(request, _("%(n)s members were added.") % {"n": job.added})
    return redirect(reverse("caja", kwargs={"caja_id": caja.pk}))
