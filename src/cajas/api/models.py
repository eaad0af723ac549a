"""The API's own rows: per-user tokens (only their hash is kept) and the idempotency keys of
writes, each with the first answer given to it (docs/api.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A token a person made for a script (``Authorization: Bearer <token>``). The token is
    shown once when made; the table keeps its SHA-256 and the first characters to recognise it
    by. Revoking keeps the row (when it was made, last used and revoked stay on record)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class IdempotencyKey(models.Model):
    """One write through the API, by its ``Idempotency-Key``: what was asked (method, path and a
    digest of the body) and the answer given. The same key again gets the same answer and
    writes nothing; the same key with another request is refused (409)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    request_digest = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_key_per_user")
        ]
        indexes = [models.Index(fields=["created_at"], name="api_idem_created")]

    def __str__(self) -> str:
        return f"{self.key} {self.method} {self.path} → {self.status}"
