"""The access log of personal data from the web: one row per request that shows or exports it
(``access.services.access_log_write``), with the user and the address it came from."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cajas.access.services import access_log_write


def client_ip(request: HttpRequest) -> str | None:
    """``REMOTE_ADDR`` (behind a proxy, the proxy sets it with e.g. gunicorn's
    ``--forwarded-allow-ips``; a client's own ``X-Forwarded-For`` is never trusted here)."""
    return request.META.get("REMOTE_ADDR") or None


def log_read(request: HttpRequest, what: str, **about: Any) -> None:
    access_log_write(user=request.user, what=what, ip=client_ip(request), **about)
