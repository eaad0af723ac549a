"""Writing the access log of personal data, and purging it after the retention period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from cajas.access.models import AccessLog
from cajas.members.models import Person
from cajas.org.models import Caja


def access_log_write(
    *,
    user: Any,
    what: str,
    person: Person | None = None,
    caja: Caja | None = None,
    detail: str = "",
    ip: str | None = None,
) -> AccessLog:
    """One INSERT: ``user`` (None for the console) read or exported ``person``'s data (or, with
    ``caja`` only, a list of the caja's members)."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AccessLog.objects.create(
        user=user if authenticated else None,
        username=(user.get_username() if authenticated else "console")[:150],
        person=person,
        caja=caja,
        what=what,
        detail=detail[:100],
        ip=ip or None,
    )


def access_log_purge(*, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Delete the rows older than ``CAJAS_ACCESS_LOG_DAYS``; returns how many went."""
    keep = days if days is not None else int(getattr(settings, "CAJAS_ACCESS_LOG_DAYS", 730))
    cutoff = (now or timezone.now()) - dt.timedelta(days=keep)
    deleted, _ = AccessLog.objects.filter(at__lt=cutoff).delete()
    return deleted
