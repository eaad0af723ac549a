"""Error pages in the user's language, each with a way back (to the caja the page belongs to
when the user may see it, else the start page). The 500 page is Django's ``server_error`` with
our ``500.html``: it needs neither the database nor the request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import get_language
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

from cajas.access.selectors import caja_get_for_user
from cajas.core.errors import NotFound
from cajas.core.once import once_replay_for
from cajas.core.parsing import InputInvalid
from cajas.org.models import Caja


def _caja_of(request: HttpRequest) -> Caja | None:
    """The caja in the address, if the user may see it."""
    try:
        caja_id = resolve(request.path_info).kwargs.get("caja_id")
    except Resolver404:
        return None
    if not isinstance(caja_id, int) or not request.user.is_authenticated:
        return None
    try:
        return caja_get_for_user(user=request.user, caja_id=caja_id)
    except NotFound:
        return None


def _error(request: HttpRequest, template: str, status: int, message: str = "") -> HttpResponse:
    caja = _caja_of(request)
    back = reverse("caja", args=[caja.pk]) if caja is not None else reverse("home")
    context = {"back": back, "back_caja": caja, "message": message}
    return render(request, template, context, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = exception.message(get_language()) if isinstance(exception, InputInvalid) else ""
    return _error(request, "400.html", 400, message)


class InputErrorMiddleware:
    """A view that meets input it cannot read (``core.parsing`` raised ``InputInvalid``, e.g. a
    query parameter ``?member=²``) answers 400 with the message in the user's language, never
    500. Views that show a form again catch the error themselves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if isinstance(exception, InputInvalid):
            return bad_request(request, exception)
        return None


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, "404.html", 404)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, "403.html", 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: an expired page, or a form sent again after the session changed.
    When the POST repeats a one-time token this user already used, it is the friendly repeat
    ("ya se registró"), not an error."""
    return once_replay_for(request) or _error(request, "403_csrf.html", 403)


# The 500 page carries its own small stylesheet (it must not depend on static files): the
# Content-Security-Policy allows that inline style on this page only.
server_error = csp_update({"style-src": ["'unsafe-inline'"]})(defaults.server_error)
