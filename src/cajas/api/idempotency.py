"""Every API write is safe to repeat: it carries an ``Idempotency-Key`` (a header), and the
same key again gets the first answer without writing again.

The key is claimed and the write done in one transaction: the key's row is inserted first
(the UNIQUE (user, key) constraint makes the claim atomic: on PostgreSQL a second request with
the same key waits on the first's insert, then finds its row; SQLite's IMMEDIATE transactions
run one writer at a time), then the service runs, then the answer is stored on the row. A
refusal (any error) rolls all of it back, key included: nothing was written, so the same key
may be sent again, corrected or not. The same key for another request (another operation or
another body) is refused with 409. Keys belong to their user and are kept ``KEEP_DAYS``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header, Schema, Status

from cajas.api.errors import ApiError
from cajas.api.models import IdempotencyKey

KEEP_DAYS = 30
PATTERN = r"^[A-Za-z0-9_.:\-]{8,100}$"

KeyHeader = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        pattern=PATTERN,
        description="A key of your own for this write (8-100 of A-Z a-z 0-9 _ . : -), e.g. a "
        "UUID. The same key again returns the first answer and writes nothing.",
    ),
]


class _Replay(Exception):
    """Raised inside the transaction to roll back a write that lost the race for its key."""


def _digest(request: HttpRequest, body: Any) -> str:
    text = json.dumps(
        [request.method, request.path, body], sort_keys=True, ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _replay(row: IdempotencyKey, digest: str) -> Status[Any]:
    if row.request_digest != digest:
        raise ApiError(
            409,
            "idempotency.key_reused",
            _("This Idempotency-Key was already used for another request; use a new key."),
            "Idempotency-Key",
        )
    return Status(row.status, row.response)


def _plain(value: Any) -> Any:
    if isinstance(value, Schema):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def idempotent(
    request: HttpRequest,
    key: str,
    body: Any,
    write: Callable[[], tuple[int, Any]],
) -> Status[Any]:
    """Run ``write`` (which answers ``(status, payload)``) once per user and key."""
    user_id = request.user.pk
    assert user_id is not None  # the operation's authentication came first
    idempotency_purge()
    digest = _digest(request, _plain(body))
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
            if row is not None:
                return _replay(row, digest)
            try:
                with transaction.atomic():
                    row = IdempotencyKey.objects.create(
                        user_id=user_id,
                        key=key,
                        method=request.method or "",
                        path=request.path[:300],
                        request_digest=digest,
                        status=0,
                        response={},
                    )
            except IntegrityError:
                raise _Replay from None
            status, payload = write()
            row.status, row.response = status, _plain(payload)
            row.save(update_fields=["status", "response"])
            return Status(status, payload)
    except _Replay:
        pass
    row = IdempotencyKey.objects.get(user_id=user_id, key=key)
    return _replay(row, digest)


def idempotency_purge(*, now: dt.datetime | None = None) -> int:
    """Forget keys older than ``KEEP_DAYS`` (each write runs it: one indexed DELETE)."""
    limit = (now or timezone.now()) - dt.timedelta(days=KEEP_DAYS)
    deleted, _counts = IdempotencyKey.objects.filter(created_at__lt=limit).delete()
    return deleted
