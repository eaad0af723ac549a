"""Who is calling: a per-user token (``Authorization: Bearer <token>``, for scripts) or the
browser's session (with CSRF on writes). A session that has not passed the second factor is
refused exactly as the web refuses it (``SecondFactorMiddleware`` leaves ``/api/`` to this)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from cajas.access.second_factor import has_second_factor, second_factor_required
from cajas.api.errors import ApiError
from cajas.api.tokens import token_user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_user(token)
        if user is None:
            raise ApiError(401, "auth.token_invalid", _("This token is not valid or was revoked."))
        request.user = user  # type: ignore[assignment]
        return user


class VerifiedSessionAuth(SessionAuth):
    """The Django session, once its second factor is verified where the web requires one."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated:
            return None
        if not user.is_verified() and second_factor_required(user=user):  # type: ignore[attr-defined]
            code = "second_factor_verify" if has_second_factor(user=user) else "second_factor_setup"
            raise ApiError(
                401,
                f"auth.{code}",
                _("Enter the code from your authenticator app first."),
            )
        return user


AUTH = [TokenAuth(), VerifiedSessionAuth()]
