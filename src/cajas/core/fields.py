"""Encrypted model fields for sensitive personal data (LOPDP: migratory status is sensitive).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) before they reach the database and
decrypted when read, with ``settings.FIELD_ENCRYPTION_KEYS`` (newest first, ``MultiFernet``:
written with the first, read with any, so a new key can be brought in before
``cajas keys rotate`` re-encrypts what the older ones wrote). A database dump alone reveals
nothing. The ciphertext is not searchable by design.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    """The configured keys (``settings.FIELD_ENCRYPTION_KEYS``, newest first)."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key or tampered value: fail loudly, never show garbage
        raise ValueError("encrypted field could not be decrypted with the configured key") from exc


def reencrypt_text(token: str) -> str:
    """The same value encrypted with the newest key (``MultiFernet.rotate``)."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("encrypted field could not be decrypted with the configured key") from exc


def is_newest(token: str) -> bool:
    """Written with the newest key?"""
    try:
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text field stored encrypted; empty strings stay empty (nothing to protect)."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(str(value))
