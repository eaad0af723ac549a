"""Creating cajas and amending their bylaws."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max

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


@transaction.atomic
def bylaws_amend(
    *, caja: Caja, effective_from: dt.date, approved_on: dt.date, changes: dict[str, Any]
) -> Bylaws:
    """A new bylaws version: the current one with ``changes`` applied. Old versions stay."""
    Caja.objects.select_for_update().get(pk=caja.pk)
    current = caja.bylaws_versions.order_by("-version").first()
    assert current is not None
    values = {
        f.name: getattr(current, f.name)
        for f in Bylaws._meta.concrete_fields
        if f.name not in {"id", "caja", "version", "effective_from", "approved_on"}
    }
    values.update(changes)
    version = (caja.bylaws_versions.aggregate(m=Max("version"))["m"] or 0) + 1
    bylaws = Bylaws(
        caja=caja,
        version=version,
        effective_from=effective_from,
        approved_on=approved_on,
        **values,
    )
    bylaws.full_clean(exclude=["caja"])
    bylaws.save()
    return bylaws
