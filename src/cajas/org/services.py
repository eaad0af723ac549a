"""The caja lock every write takes first, and creating a caja's own rows: the caja, its bylaws version 1 and its first cycle. Its chart of
accounts is the ledger's: ``ledger.services.caja_found`` does both, in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from cajas.org.models import Bylaws, Caja, Cycle, Partner, Territory


@transaction.atomic
def caja_rows_create(
    *,
    partner: Partner,
    territory: Territory,
    code: str,
    name: str,
    founded_on: dt.date,
    bylaws: dict[str, Any] | None = None,
) -> Caja:
    """A new caja with bylaws version 1 (the defaults, overridden by ``bylaws``) and its first
    cycle; no accounts (``ledger.services.caja_found`` opens them with it)."""
    caja = Caja.objects.create(
        program=partner.program,
        partner=partner,
        territory=territory,
        code=code,
        name=name,
        founded_on=founded_on,
    )
    Bylaws.objects.create(
        caja=caja, version=1, effective_from=founded_on, approved_on=founded_on, **(bylaws or {})
    )
    Cycle.objects.create(caja=caja, number=1, started_on=founded_on)
    return caja


def caja_lock(*, caja_id: int) -> Caja:
    """Lock the caja row for the rest of the transaction (no-op lock on SQLite, whose
    IMMEDIATE transactions already serialise writers), and mark its dashboard figures stale:
    whatever changes under the lock, the dashboard recomputes them before it reads
    (``monitoring.figures``). Every service that writes a caja's records calls it first."""
    caja = Caja.objects.select_for_update().get(pk=caja_id)
    if not caja.figures_stale:
        Caja.objects.filter(pk=caja_id).update(figures_stale=True)
        caja.figures_stale = True
    return caja
