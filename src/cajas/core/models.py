"""The one model the core keeps: one-time form tokens (``core/once.py`` explains them)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class OnceToken(models.Model):
    """A form submission claimed by its user: the first POST carrying ``once=<token>`` inserts
    this row (the UNIQUE constraint makes the claim atomic on SQLite and PostgreSQL); when it
    finishes with a redirect, the row keeps where it went so a repeat can go there too."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    path = models.CharField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    location = models.CharField(max_length=2000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="once_token_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.token[:6]}…"
