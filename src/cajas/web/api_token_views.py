"""The account's API tokens (docs/api.md "Tokens"): list them, make one (shown once, right
after it is made), revoke one. Thin: ``api/tokens.py`` holds the logic."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cajas.api.tokens import token_create, token_list, token_revoke
from cajas.core.errors import RuleViolation
from cajas.web.views import _rule_error

# The token just made, kept in the session until the page shows it once.
JUST_MADE = "_cajas_api_just_made"


@login_required
def api_tokens_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/account/api_tokens.html",
        {
            "tokens": token_list(user=request.user),  # type: ignore[arg-type]
            "new_token": request.session.pop(JUST_MADE, None),
        },
    )


@login_required
@require_POST
def api_token_create_view(request: HttpRequest) -> HttpResponse:
    try:
        _row, token = token_create(user=request.user, name=request.POST.get("name", ""))  # type: ignore[arg-type]
    except RuleViolation as exc:
        _rule_error(request, exc)
    else:
        request.session[JUST_MADE] = token
        messages.success(request, _("Token made. Copy it now: it is not shown again."))
    return redirect("api_tokens")


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token_revoke(user=request.user, token_id=token_id)  # type: ignore[arg-type]
    except RuleViolation as exc:
        _rule_error(request, exc)
    else:
        messages.success(request, _("Token revoked: it no longer opens the API."))
    return redirect("api_tokens")
