"""The caja argument of the CLI commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from cajas.core.cli_support import id_value
from cajas.org.models import Caja


def caja_from_arg(value: str) -> Caja:
    """``--caja`` takes the id printed by ``cajas caja list`` or the caja's code."""
    caja = (
        Caja.objects.filter(pk=id_value(value, "caja")).first()
        if value.strip().isdigit()
        else Caja.objects.filter(code=value).first()
    )
    if caja is None:
        raise CommandError(f"No existe la caja «{value}» / There is no caja “{value}”")
    return caja
