"""Account pages: the login lockout answer, the account page, changing one's password, and
the second factor (enrolling a phone, entering a code). Thin: access/second_factor.py holds
the logic."""

from __future__ import annotations

from base64 import b32encode
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from cajas.access.second_factor import (
    has_second_factor,
    is_staff_member,
    recovery_codes_left,
    second_factor_check,
    totp_confirm,
    totp_device_pending,
)
from cajas.core.errors import RuleViolation


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer once a username or an address has failed too often: the login page
    saying so and for how long (429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/login.html",
        {"form": AuthenticationForm(request), "locked_minutes": minutes},
        status=429,
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@login_required
def account_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "web/account/account.html",
        {
            "has_second_factor": has_second_factor(user=user),
            "required": is_staff_member(user=user),
            "codes_left": recovery_codes_left(user=user),  # type: ignore[arg-type]
        },
    )


class PasswordChange(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response


password_change_view = PasswordChange.as_view()


def _key_groups(key: bytes) -> str:
    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@login_required
def second_factor_setup_view(request: HttpRequest) -> HttpResponse:
    """Enrol a phone: the QR code and the key to type, then the first code confirms it and the
    recovery codes are shown, once."""
    user = request.user
    device = totp_device_pending(user=user)  # type: ignore[arg-type]
    error = None
    if request.method == "POST":
        try:
            device, codes = totp_confirm(user=user, token=request.POST.get("token", ""))  # type: ignore[arg-type]
        except RuleViolation as exc:
            error = exc.message(get_language())
        else:
            otp_login(request, device)
            return render(
                request,
                "web/account/recovery_codes.html",
                {"codes": codes, "next": _next(request)},
            )
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "web/account/setup.html",
        {
            "qr": qr.svg_data_uri(scale=5, border=2),
            "key": _key_groups(device.bin_key),
            "error": error,
            "next": _next(request),
            "required": is_staff_member(user=user),
        },
        status=400 if error else 200,
    )


@login_required
def second_factor_verify_view(request: HttpRequest) -> HttpResponse:
    """The code after the password, for whoever has a phone enrolled."""
    user = request.user
    if not has_second_factor(user=user):
        return redirect(f"{reverse('second_factor_setup')}?{urlencode({'next': _next(request)})}")
    error = None
    if request.method == "POST":
        try:
            device = second_factor_check(user=user, token=request.POST.get("token", ""))  # type: ignore[arg-type]
        except RuleViolation as exc:
            error = exc.message(get_language())
        else:
            otp_login(request, device)
            return redirect(_next(request))
    return render(
        request,
        "web/account/verify.html",
        {"error": error, "next": _next(request)},
        status=400 if error else 200,
    )
