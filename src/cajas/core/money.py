"""Money as integer cents (DESIGN.md §4).

Stored as integers, handled as ``Decimal`` in Python, never ``float``. One rounding mode:
half-up to the cent. ``allocate()`` splits an amount by weights with the largest-remainder rule so
the parts always add back to the whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from cajas.core.errors import AmountInvalid, AmountNotPositive, AmountPrecision

CENT = Decimal("0.01")


def parse_amount(
    value: str | int | Decimal, *, field: str = "amount", allow_zero: bool = False
) -> int:
    """Parse a user-entered amount in currency units into positive integer cents.

    Rejects anything that is not a number, zero (unless ``allow_zero``, e.g. a cash count),
    negatives and more than two decimals; never rounds silently.
    """
    if isinstance(value, float):  # pragma: no cover - defensive: floats never reach money code
        raise AmountInvalid(field=field, value=value)
    text = str(value).strip().replace(",", "") if not isinstance(value, Decimal) else value
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise AmountInvalid(field=field, value=value) from None
    if not amount.is_finite():
        raise AmountInvalid(field=field, value=value)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise AmountNotPositive(field=field, value=value)
    if amount != amount.quantize(CENT):
        raise AmountPrecision(field=field, value=value)
    return int(amount * 100)


def to_cents(amount: Decimal) -> int:
    """Round a Decimal currency amount half-up to whole cents."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_decimal(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def format_amount(cents: int) -> str:
    """``123456`` → ``"1,234.56"``; negative amounts keep their sign."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{frac:02d}"


def decimal_string(cents: int) -> str:
    """``123456`` → ``"1234.56"``: the machine-readable form used in JSON."""
    return str(to_decimal(cents))


def allocate(total: int, weights: Sequence[int | Decimal]) -> list[int]:
    """Split ``total`` cents in proportion to ``weights`` with the largest-remainder rule.

    The parts always add up to ``total``. Ties in the remainder go to the earlier weight, so the
    result is deterministic. Zero weights get zero unless every weight is zero (then: error).
    """
    if not weights:
        raise ValueError("allocate() needs at least one weight")
    ws = [Decimal(w) for w in weights]
    if any(w < 0 for w in ws):
        raise ValueError("weights must not be negative")
    weight_sum = sum(ws, Decimal(0))
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    exact = [Decimal(magnitude) * w / weight_sum for w in ws]
    floors = [int(e) for e in exact]
    left = magnitude - sum(floors)
    order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * f for f in floors]
