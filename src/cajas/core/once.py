"""One-time form tokens: every write is safe to repeat.

Design overview. A phone on a bad connection double-taps "Guardar", retries a POST after a
timeout, or goes back and submits again. Each POST form carries ``{% once_token %}`` (a hidden
``once`` field with a random token, ``core/templatetags/once.py``). ``OnceMiddleware``:

1. claims the token for the signed-in user by inserting an ``OnceToken`` row before the view
   runs. The UNIQUE (user, token) constraint makes the claim atomic: of two requests at once
   exactly one insert wins, on SQLite and PostgreSQL. The insert runs in its own
   ``transaction.atomic`` from ``process_view``, outside any transaction the view opens, so it is
   committed before the view starts and a concurrent request sees it at once;
2. when the view answers with a redirect (post/redirect/get), stores its status and Location.
   Any other answer (a form shown again with errors, an error page), or a redirect that carries
   an error message (``messages.error``: the service refused, nothing was written), releases the
   token so the same form can be sent again;
3. a repeated POST with a finished token is not run: it is sent to the first response's Location
   with "Esto ya se registró; no se repitió."; while the first is still running (a double tap)
   the repeat waits up to ``CAJAS_ONCE_WAIT_SECONDS`` for it, then, if still unfinished, goes
   back to the page the form came from (Referer, else the path) with the same kind of message.

A token is bound to its user: another user's token claims a row of its own and runs normally
(CSRF still protects the form). Tokens expire after ``TTL``; each claim deletes the expired ones
with one indexed DELETE. Anonymous requests and POSTs without a token pass through untouched.

A view needs nothing special: redirect after a successful write, and report a refusal with
``messages.error`` (as ``_rule_error`` does) so that the form can be corrected and sent again.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from cajas.core.models import OnceToken

FIELD = "once"
TTL = dt.timedelta(days=1)
_POLL_SECONDS = 0.1
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_REDIRECTS = {301, 302, 303, 307, 308}


def token_new() -> str:
    return secrets.token_urlsafe(18)


def _token_of(request: HttpRequest) -> str | None:
    if request.method != "POST" or not request.user.is_authenticated:
        return None
    token = request.POST.get(FIELD, "")
    return token if _TOKEN_RE.fullmatch(token) else None


def _user_id(request: HttpRequest) -> int:
    assert request.user.pk is not None  # only signed-in users carry tokens (_token_of)
    return int(request.user.pk)


def once_claim(*, request: HttpRequest, token: str) -> OnceToken | None:
    """Claim ``token`` for the request's user; None when it was already claimed."""
    now = timezone.now()
    OnceToken.objects.filter(created_at__lt=now - TTL).delete()
    try:
        # A savepoint when a transaction is already open (tests); its own commit otherwise.
        with transaction.atomic():
            return OnceToken.objects.create(
                user_id=_user_id(request), token=token, path=request.path[:2000], created_at=now
            )
    except IntegrityError:
        return None


def once_finish(*, claim: OnceToken, request: HttpRequest, response: HttpResponse) -> None:
    """Keep where a successful write went; release the token for anything else."""
    location = response.get("Location", "")
    if response.status_code in _REDIRECTS and location and not _refused(request):
        OnceToken.objects.filter(pk=claim.pk).update(
            finished_at=timezone.now(), status=response.status_code, location=location[:2000]
        )
    else:
        OnceToken.objects.filter(pk=claim.pk).delete()


def _refused(request: HttpRequest) -> bool:
    """Did the view report an error? Then nothing was recorded and a repeat must run again.
    Django's message storage keeps what this request added in ``_queued_messages``."""
    storage = getattr(request, "_messages", None)
    queued = getattr(storage, "_queued_messages", [])
    return any(m.level >= messages.ERROR for m in queued)


def once_replay(*, request: HttpRequest, token: str) -> HttpResponse | None:
    """The answer to a repeat of ``token``, or None when this user has not used it (or its
    first use was released: then the caller runs the request, having claimed it again)."""
    wait = float(getattr(settings, "CAJAS_ONCE_WAIT_SECONDS", 3.0))
    deadline = time.monotonic() + wait
    while True:
        row = OnceToken.objects.filter(
            user_id=_user_id(request), token=token, created_at__gte=timezone.now() - TTL
        ).first()
        if row is None:
            return None
        if row.finished_at is not None:
            messages.info(request, _("This was already recorded; it was not repeated."))
            return HttpResponseRedirect(row.location)
        if time.monotonic() >= deadline:
            messages.info(request, _("This is already being recorded; it was not repeated."))
            return HttpResponseRedirect(_back(request, row.path))
        time.sleep(_POLL_SECONDS)


def _back(request: HttpRequest, fallback: str) -> str:
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return fallback


def once_replay_for(request: HttpRequest) -> HttpResponse | None:
    """For pages that refuse a POST before any view runs (the CSRF failure page): the friendly
    answer when the POST repeats a token this user already used, else None."""
    token = _token_of(request)
    return once_replay(request=request, token=token) if token else None


class OnceMiddleware:
    """Put after the authentication and message middleware (it needs ``request.user`` and
    ``messages``). Its claim runs in ``process_view``, after CSRF has accepted the POST."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except BaseException:
            claim = getattr(request, "_once_claim", None)
            if claim is not None:
                OnceToken.objects.filter(pk=claim.pk).delete()
            raise
        claim = getattr(request, "_once_claim", None)
        if claim is not None:
            once_finish(claim=claim, request=request, response=response)
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> HttpResponse | None:
        token = _token_of(request)
        if token is None:
            return None
        while True:
            claim = once_claim(request=request, token=token)
            if claim is not None:
                request._once_claim = claim  # type: ignore[attr-defined]
                return None
            replay = once_replay(request=request, token=token)
            if replay is not None:
                return replay
            # The first attempt was released meanwhile (it failed): claim it for this one.
