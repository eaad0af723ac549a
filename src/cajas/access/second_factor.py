"""The second factor (django-otp): who must have one, enrolling a phone, checking a code.

Program staff (anyone with a ``StaffAssignment``) must verify a time-based code (TOTP) after
their password; caja officers and members may turn it on, and once they have, they verify too.
Enrolling shows a QR code for an authenticator app and, after the first right code, a set of
one-time recovery codes (django-otp's static device). Secrets never leave this module except in
the QR code and the manual key shown to the person enrolling.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cajas.access.models import StaffAssignment
from cajas.access.rules import SecondFactorCodeWrong, SecondFactorNotStarted

RECOVERY_CODES = 10
PHONE = "phone"
RECOVERY = "recovery"

User = AbstractBaseUser | AnonymousUser


def is_staff_member(*, user: User) -> bool:
    if not user.is_authenticated or user.pk is None:
        return False
    return StaffAssignment.objects.filter(user_id=user.pk).exists()


def has_second_factor(*, user: User) -> bool:
    """A confirmed phone (TOTP device) is set up for ``user``."""
    return (
        bool(user.is_authenticated)
        and TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()
    )


def second_factor_required(*, user: User) -> bool:
    """Staff always; anyone else once they turned it on."""
    return is_staff_member(user=user) or has_second_factor(user=user)


def totp_device_pending(*, user: AbstractBaseUser) -> TOTPDevice:
    """The phone being enrolled (not yet confirmed), made on first call; the same one after."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False, name=PHONE).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=PHONE, confirmed=False)
    return device


@transaction.atomic
def totp_confirm(*, user: AbstractBaseUser, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending phone with its first code; replace any earlier phone and recovery
    codes. Returns the device and the new recovery codes (shown once)."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False, name=PHONE).first()
    if device is None:
        raise SecondFactorNotStarted()
    if not device.verify_token((token or "").strip().replace(" ", "")):
        raise SecondFactorCodeWrong()
    TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user_id=user.pk).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return device, codes


def second_factor_check(*, user: AbstractBaseUser, token: str) -> Device:
    """The confirmed device that accepts ``token`` (a TOTP code or a recovery code, used up)."""
    cleaned = (token or "").strip().replace(" ", "")
    device = match_token(user, cleaned) if cleaned else None
    if device is None:
        raise SecondFactorCodeWrong()
    return device


def recovery_codes_left(*, user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk, device__confirmed=True).count()


def second_factor_devices(*, user: AbstractBaseUser) -> list[Device]:
    return list(devices_for_user(user, confirmed=True))
