"""Encrypted model fields for sensitive personal data (LOPDP: migratory status is sensitive).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) using ``settings.FIELD_ENCRYPTION_KEY``
before they reach the database and decrypted when read. A database dump alone reveals nothing.
The ciphertext is not searchable by design.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def encrypt_text(value: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key or tampered value: fail loudly, never show garbage
        raise ValueError("encrypted field could not be decrypted with the configured key") from exc


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
