"""Turning rule violations into CLI error lines (Spanish / English) and exit codes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.management.base import CommandError

from cajas.core.errors import RuleViolation

F = TypeVar("F", bound=Callable[..., Any])


def rule_errors_as_command_errors(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RuleViolation as exc:
            raise CommandError(f"[{exc.code}] {exc.es}\n[{exc.code}] {exc.en}") from exc

    return wrapper  # type: ignore[return-value]


def caja_from_arg(value: str) -> Any:
    """``--caja`` takes the id printed by ``cajas caja list`` or the caja's code."""
    from cajas.org.models import Caja

    caja = (
        Caja.objects.filter(pk=int(value)).first()
        if value.isdigit()
        else Caja.objects.filter(code=value).first()
    )
    if caja is None:
        raise CommandError(f"No existe la caja «{value}» / There is no caja “{value}”")
    return caja
