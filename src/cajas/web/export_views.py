"""Program exports prepared in the background: ask (POST), follow the progress, download
(``monitoring/program_exports.py``). Only the user who asked sees the status and the file."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cajas.access.selectors import user_is_staff
from cajas.core.errors import RuleViolation
from cajas.monitoring.models import ExportStatus
from cajas.monitoring.program_exports import (
    FILTERS,
    KINDS,
    export_for_user,
    export_path,
    export_request,
    export_state,
)
from cajas.web.views import _rule_error


@login_required
@require_POST
def export_start_view(request: HttpRequest) -> HttpResponseBase:
    if not user_is_staff(user=request.user):
        raise PermissionDenied
    params = {k: request.POST[k] for k in FILTERS if request.POST.get(k)}
    try:
        export = export_request(user=request.user, kind="savix-xlsx", params=params)
    except RuleViolation as exc:
        _rule_error(request, exc)
        return redirect(reverse("dashboard"))
    return redirect("program_export", export_id=export.pk)


@login_required
@require_GET
def export_status_view(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    export = export_for_user(user=request.user, export_id=export_id)
    if export is None:
        raise Http404
    state = export_state(export, timezone.now())
    percent = round(100 * export.done / export.total) if export.total else 0
    back = reverse("dashboard") + ("?" + urlencode(export.params) if export.params else "")
    return render(
        request,
        "web/program_export.html",
        {
            "export": export,
            "state": state,
            "waiting": state in (ExportStatus.PENDING, ExportStatus.RUNNING),
            "percent": percent,
            "back": back,
        },
    )


@login_required
@require_GET
def export_file_view(request: HttpRequest, export_id: uuid.UUID) -> HttpResponseBase:
    export = export_for_user(user=request.user, export_id=export_id)
    if export is None:
        raise Http404
    path = export_path(export)
    if export.status != ExportStatus.DONE or not path.exists():
        return redirect("program_export", export_id=export.pk)
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=KINDS[export.kind],
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
