"""Turning rule violations into CLI error lines (Spanish / English) and exit codes."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.management.base import CommandError

from cajas.core.errors import RuleViolation
from cajas.core.parsing import MAX_ID, InputInvalid, parse_id, parse_int, parse_optional_date

F = TypeVar("F", bound=Callable[..., Any])


def rule_errors_as_command_errors(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RuleViolation as exc:
            raise CommandError(f"[{exc.code}] {exc.es}\n[{exc.code}] {exc.en}") from exc

    return wrapper  # type: ignore[return-value]


def id_value(value: str, name: str) -> int:
    """An id given as an option's value (``--caja 3``), or a CommandError naming the option."""
    try:
        return parse_id(value, field=name)
    except InputInvalid as exc:
        raise CommandError(f"--{name}: {exc}") from None


def id_arg(field: str) -> Any:
    """argparse ``type=`` for an id or number (1 … 2⁶³−1, ASCII digits): ``--meeting 3``."""
    return count_arg(MAX_ID, field)


def count_arg(maximum: int, field: str = "number") -> Any:
    """argparse ``type=`` for a count 1 … ``maximum`` (``--term``, ``--cajas``, ``--port``);
    ``field`` names it in the message."""

    def parse(value: str) -> int:
        try:
            return parse_int(value, field=field, minimum=1, maximum=maximum)
        except InputInvalid as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def date_arg(value: str | None, name: str) -> dt.date | None:
    """``--from 2025-01-01``: a date in the parsing layer's window, or a CommandError."""
    try:
        return parse_optional_date(value, field=name)
    except InputInvalid as exc:
        raise CommandError(f"--{name}: {exc}") from None
