"""Accounts on every request: sessions end after a while unused, program staff must verify
their second factor before any page, and no page or document is kept in a cache.

In-place requests (the meeting screen's ``fetch``, ``X-Cajas-Inplace: 1``, or anything asking
for JSON) get a JSON answer with ``redirect`` — the login or the second-factor page, coming
back to the page the request came from — instead of an HTML page they cannot show.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from cajas.access.second_factor import has_second_factor, is_staff_member, second_factor_required

# Pages a person who has not yet verified their second factor may open.
OPEN_PAGES = {
    "login",
    "logout",
    "second_factor_setup",
    "second_factor_verify",
    "set_language",
}
OPEN_PATHS = {"/favicon.ico"}
# The API (api/auth.py) answers its own 401s in its error shape and applies the same rule:
# a session whose second factor is required and not verified is refused.
API_PREFIX = "/api/"
LAST_SEEN = "_cajas_last_seen"
REFRESH_SECONDS = 60

Handler = Callable[[HttpRequest], HttpResponse]


def is_inplace(request: HttpRequest) -> bool:
    return request.headers.get(
        "X-Cajas-Inplace"
    ) == "1" or "application/json" in request.headers.get("Accept", "")


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _is_open(request: HttpRequest) -> bool:
    if request.path_info in OPEN_PATHS or is_api(request):
        return True
    try:
        return resolve(request.path_info).url_name in OPEN_PAGES
    except Resolver404:
        return False


def _coming_back_to(request: HttpRequest) -> str:
    """Where to return after logging in: this page, or for a form or in-place request the
    page it was sent from (same site only), else the start page."""
    if request.method == "GET" and not is_inplace(request):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse("home")


def _send_to(request: HttpRequest, name: str, *, status: int, error: str) -> HttpResponse:
    url = f"{reverse(name)}?{urlencode({'next': _coming_back_to(request)})}"
    if is_inplace(request):
        return JsonResponse({"ok": False, "error": error, "redirect": url}, status=status)
    return HttpResponseRedirect(url)


def idle_minutes_for(user: object) -> int:
    if is_staff_member(user=user):  # type: ignore[arg-type]
        return int(settings.CAJAS_STAFF_SESSION_IDLE_MINUTES)
    return int(settings.CAJAS_SESSION_IDLE_MINUTES)


class IdleSessionMiddleware:
    """Log out a session unused for longer than its idle time (staff: shorter). Each request
    counts as use; the session is saved at most once a minute for it (which also moves the
    session's expiry in the database and the cookie forward)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            minutes = idle_minutes_for(request.user)
            if isinstance(last, int) and now - last > minutes * 60:
                logout(request)
                messages.info(
                    request,
                    _(
                        "Your session ended after %(minutes)s minutes without use. Log in again to go on where you were."
                    )
                    % {"minutes": minutes},
                )
                if (is_inplace(request) or request.method != "GET") and not is_api(request):
                    return _send_to(
                        request,
                        "login",
                        status=401,
                        error=_("Your session ended. Log in again."),
                    )
            elif not isinstance(last, int) or now - last >= REFRESH_SECONDS:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    """Program staff (and anyone who turned the second factor on) reach nothing but the login,
    logout and second-factor pages until they verify a code in this session. An in-place
    request with no session at all is told to log in (JSON), not sent to an HTML page. The API
    (``/api/``) checks the same itself (``api/auth.py``), answering in its error shape."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not _is_open(request):
            if not user.is_authenticated:
                if is_inplace(request):
                    return _send_to(
                        request, "login", status=401, error=_("Your session ended. Log in again.")
                    )
            elif not user.is_verified() and second_factor_required(user=user):  # type: ignore[attr-defined]
                enrolled = has_second_factor(user=user)
                return _send_to(
                    request,
                    "second_factor_verify" if enrolled else "second_factor_setup",
                    status=403,
                    error=_("Enter the code from your authenticator app first."),
                )
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages and documents carry personal data: no browser or proxy keeps a copy. Static files
    never get here (whitenoise answers them first, with their long cache)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated or not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
