"""``/api/``: the versioned API under ``v1/`` and its OpenAPI document at ``openapi.json``."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

from cajas.api.api import api

ROOT = "/api/v1/"


def openapi_view(request: HttpRequest) -> JsonResponse:
    """The current version's OpenAPI 3.1 document (also at ``/api/v1/openapi.json``)."""
    return JsonResponse(api.get_openapi_schema(path_prefix=ROOT))


urlpatterns = [
    path("openapi.json", openapi_view, name="api_openapi"),
    path("v1/", api.urls),
]
