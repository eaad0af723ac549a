"""Per-user API tokens: made, listed, revoked, and looked up from a bearer header."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cajas.api.models import ApiToken
from cajas.core.errors import RuleViolation
from cajas.core.parsing import parse_text

PREFIX = "cajas_"
PREFIX_SHOWN = 12
LAST_USED_EVERY = 60  # seconds: a token used all day is written at most once a minute


class TokenNotFound(RuleViolation):
    code = "api.token_not_found"
    message_es = "No existe el token «{ref}» o ya fue revocado."
    message_en = "There is no token “{ref}”, or it was already revoked."
    default_field = "token"


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row, and the token itself (shown once, never stored)."""
    name = parse_text(name, field="name", max_length=80, required=True)
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user_id=user.pk, name=name, prefix=token[:PREFIX_SHOWN], digest=digest_of(token)
    )
    return row, token


def token_list(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user_id=user.pk)


@transaction.atomic
def token_revoke(*, user: AbstractBaseUser, token_id: int) -> ApiToken:
    row = ApiToken.objects.select_for_update().filter(user_id=user.pk, pk=token_id).first()
    if row is None or row.revoked_at is not None:
        raise TokenNotFound(ref=token_id)
    row.revoked_at = timezone.now()
    row.save(update_fields=["revoked_at"])
    return row


def token_user(token: str) -> AbstractBaseUser | None:
    """The active user of a live token, noting when it was used; None for anything else."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    row = (
        ApiToken.objects.filter(digest=digest_of(token), revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
