"""Creating cajas and amending their bylaws."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from cajas.ledger.services import chart_create
from cajas.org.models import Bylaws, Caja, Cycle, Partner, Territory


@transaction.atomic
def caja_create(
    *,
    partner: Partner,
    territory: Territory,
    code: str,
    name: str,
    founded_on: dt.date,
    bylaws: dict[str, Any] | None = None,
) -> Caja:
    """A new caja with bylaws version 1 (the defaults, overridden by ``bylaws``), its first
    cycle and its chart of accounts."""
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
    chart_create(caja=caja)
    return caja
