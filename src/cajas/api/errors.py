"""Every API error is ``{"code", "message", "field"}`` with its status, the message in the
request's language (docs/api.md "Errors"):

- a ``RuleViolation`` from a service or from ``core.parsing`` → 400 with its code and field;
- a request ninja cannot validate against the schema → 422, the first problem named by field;
- no credentials → 401; refused → 403; not there or not visible to the user → 404;
- an idempotency key reused for another request → 409.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from cajas.core.errors import NotFound, PermissionDenied, RuleViolation


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


class ApiError(Exception):
    """An error the API answers as it is: status, code, message (already translated), field."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def not_found(what: str = "") -> ApiError:
    return ApiError(404, "not_found", what or _("Not found, or you may not see it."))


def forbidden() -> ApiError:
    return ApiError(403, "permission.denied", _("Your role does not allow this in this caja."))


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error answers an operation documents (401 for every authenticated one)."""
    return dict.fromkeys((401, *statuses), ErrorOut)


def _language() -> str:
    return get_language() or "es"


def _answer(api: NinjaAPI, request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    return api.create_response(request, body, status=status)


def _field_of(loc: Any) -> str | None:
    """Ninja's location of a validation error (``["body", "payload", "rows", 0, "shares"]``)
    as one dotted field name, without where it came from (``rows.0.shares``)."""
    parts = [str(p) for p in (loc or []) if p not in ("body", "query", "path", "header", "cookie")]
    if parts and parts[0] in ("payload", "filters", "data"):
        parts = parts[1:]
    return ".".join(parts) or None


def validation_message(error: dict[str, Any], field: str | None) -> str:
    kind = str(error.get("type", ""))
    if kind == "missing":
        return _("“%(field)s” is missing.") % {"field": field or "?"}
    return _("“%(field)s” is not valid here: %(problem)s") % {
        "field": field or "?",
        "problem": error.get("msg", ""),
    }


def install(api: NinjaAPI) -> None:
    """Register the handlers that give every error the one shape."""

    @api.exception_handler(RuleViolation)
    def rule_violation(request: HttpRequest, exc: RuleViolation) -> HttpResponse:
        if isinstance(exc, NotFound):
            return _answer(api, request, 404, exc.as_dict(_language()))
        if isinstance(exc, PermissionDenied):
            return _answer(api, request, 403, exc.as_dict(_language()))
        return _answer(api, request, 400, exc.as_dict(_language()))

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        body = {"code": exc.code, "message": exc.message, "field": exc.field}
        return _answer(api, request, exc.status, body)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        first = exc.errors[0] if exc.errors else {}
        field = _field_of(first.get("loc"))
        body = {
            "code": "input.schema",
            "message": validation_message(first, field),
            "field": field,
        }
        return _answer(api, request, 422, body)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = _("Log in, or send “Authorization: Bearer <token>” with a valid token.")
        return _answer(
            api, request, 401, {"code": "auth.required", "message": message, "field": None}
        )

    @api.exception_handler(AuthorizationError)
    def unauthorized(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return api_error(request, forbidden())

    @api.exception_handler(DjangoPermissionDenied)
    def permission_denied(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
        return api_error(request, forbidden())

    @api.exception_handler(Http404)
    def http404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api_error(request, not_found())

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 403 and "CSRF" in str(exc):  # ninja's session check on a write
            message = _(
                "The session's CSRF token is missing or wrong: send the csrftoken cookie's "
                "value in the X-CSRFToken header, or use a token."
            )
            body = {"code": "auth.csrf", "message": message, "field": None}
            return _answer(api, request, 403, body)
        body = {"code": f"http.{exc.status_code}", "message": str(exc), "field": None}
        return _answer(api, request, exc.status_code, body)
