"""What makes Cajas an installable app that opens the meeting screen with no signal: the web
app manifest and the service worker (docs/offline.md). The worker is served from the root so
that it may look after the meeting pages; the assets it keeps are named as the pages name them
(hashed once collected), so a new release installs a new worker and drops the old files."""

from __future__ import annotations

import hashlib
import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

# The meeting screen's files, kept on the phone when the worker installs.
ASSETS = (
    "cajas/app.css",
    "cajas/meeting.css",
    "cajas/build/meeting.js",
    "cajas/favicon.svg",
    "cajas/icons/icon-192.png",
)


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    assets = [static(name) for name in ASSETS]
    version = hashlib.sha256(json.dumps(assets).encode()).hexdigest()[:12]
    offline = "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
    message = _(
        "No connection, and this page was not opened on this phone before. Open the meeting "
        "screen once with signal; after that it opens without it."
    )
    offline += f"<p>{escape(message)}</p>"
    body = render_to_string(
        "web/offline/sw.js",
        {"version": version, "assets": json.dumps(assets), "offline": json.dumps(offline)},
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(
        {
            "name": "Cajas",
            "short_name": "Cajas",
            "description": _("Savings and credit groups: meetings, savings, loans."),
            "lang": get_language() or "es",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#f5f6f4",
            "theme_color": "#0b6e4f",
            "icons": [
                {
                    "src": static("cajas/icons/icon-192.png"),
                    "sizes": "192x192",
                    "type": "image/png",
                },
                {
                    "src": static("cajas/icons/icon-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                },
                {"src": static("cajas/favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
            ],
        },
        content_type="application/manifest+json",
    )
    response["Cache-Control"] = "no-cache"
    return response
