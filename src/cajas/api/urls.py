"""``/api/``: the versioned API under ``v1/`` and its OpenAPI document at ``openapi.json``."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path
from django.utils.translation import gettext as _

from cajas.api.api import api

ROOT = "/api/v1/"


def openapi_view(request: HttpRequest) -> JsonResponse:
    """The current version's OpenAPI 3.1 document (also at ``/api/v1/openapi.json``)."""
    return JsonResponse(api.get_openapi_schema(path_prefix=ROOT))


def nowhere_view(request: HttpRequest) -> JsonResponse:
    """Any other address under /api/: a 404 in the API's error shape, not the web's page."""
    message = _("There is nothing at this address of the API; see /api/v1/docs.")
    return JsonResponse({"code": "not_found", "message": message, "field": None}, status=404)


urlpatterns = [
    path("openapi.json", openapi_view, name="api_openapi"),
    path("v1/", api.urls),
    re_path(r"^.*$", nowhere_view),
]
