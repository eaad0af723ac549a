"""Money as integer cents (docs/domain.md §4).

Stored as integers, handled as ``Decimal`` in Python, never ``float``. One rounding mode:
half-up to the cent. ``allocate()`` splits an amount by weights with the largest-remainder rule so
the parts always add back to the whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from cajas.core.errors import (
    AmountAmbiguous,
    AmountDigits,
    AmountInvalid,
    AmountNotPositive,
    AmountPrecision,
    AmountTooLarge,
)

MAX_AMOUNT_CENTS = 10_000_000_00
"""No caja handles ten million dollars: a larger amount is a slip of the finger."""

_SEPARATORS = ",."


def parse_amount(
    value: str | int | Decimal, *, field: str = "amount", allow_zero: bool = False
) -> int:
    """Parse a user-entered amount in currency units into positive integer cents.

    Accepts what people type on a phone: ``1874``, ``1874.98``, ``1874,98``, ``1,874.98``,
    ``1.874,98``, surrounding spaces. When both separators appear the last one is the decimal
    separator and the other groups thousands (groups of three). A lone comma followed by exactly
    three digits (``1,874``) is refused as ambiguous: 1874, or 1.874 written with a decimal comma?
    A lone point is the decimal point, as the app writes amounts (``1,234.56``), so ``1.874`` has
    more than two decimals. Refuses digits other than ASCII 0-9, exponents, NaN/Infinity, zero
    (unless ``allow_zero``, e.g. a cash count), negatives, more than two decimals and amounts
    above ``MAX_AMOUNT_CENTS``; never rounds silently and never raises anything but a
    ``RuleViolation``.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise AmountInvalid(field=field, value=value)
    if isinstance(value, int | Decimal):
        return _checked_cents(Decimal(value), _shown(value), field=field, allow_zero=allow_zero)
    text = value.strip()
    value = _shown(text)
    negative = text.startswith("-")
    body = text[1:].strip() if negative else text
    if any(ch.isdigit() and ch not in "0123456789" for ch in body):
        raise AmountDigits(field=field, value=value)
    if not body or any(ch not in "0123456789" + _SEPARATORS for ch in body):
        raise AmountInvalid(field=field, value=value)
    amount = _read_digits(body, value=value, field=field)
    return _checked_cents(
        -amount if negative else amount, value, field=field, allow_zero=allow_zero
    )


def _shown(value: object) -> str:
    """The value as the message repeats it: short, and never failing on a huge integer."""
    try:
        text = str(value)
    except ValueError:  # an int with more digits than Python prints
        return "…"
    return text if len(text) <= 24 else f"{text[:20]}…"


def _read_digits(body: str, *, value: object, field: str) -> Decimal:
    """``body`` holds only ASCII digits, commas and points; find the decimal separator."""
    seps = [ch for ch in body if ch in _SEPARATORS]
    if not seps:
        return _decimal(body, value=value, field=field)
    decimal_sep = seps[-1]
    thousands = "." if decimal_sep == "," else ","
    if len(set(seps)) == 1 and len(seps) > 1:
        decimal_sep, thousands = "", seps[0]  # 1,874,000 or 1.874.000: only thousands
    whole, _, frac = body.rpartition(decimal_sep) if decimal_sep else (body, "", "")
    groups = whole.split(thousands) if thousands in whole else [whole]
    if decimal_sep and whole.count(decimal_sep):
        raise AmountInvalid(field=field, value=value)  # 1,874.98.5: two decimal separators
    if not frac and decimal_sep:
        raise AmountInvalid(field=field, value=value)  # "5," or "5."
    if len(groups) > 1 and not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
        raise AmountInvalid(field=field, value=value)  # 18,74.98: misplaced grouping
    if whole and not all(g.isdigit() for g in groups):
        raise AmountInvalid(field=field, value=value)
    if len(seps) == 1 and decimal_sep == "," and len(frac) == 3 and whole not in ("", "0"):
        raise AmountAmbiguous(
            field=field,
            value=value,
            whole=f"{whole}{frac}",
            cents=f"{whole},{frac[:2]}",
            cents_en=f"{whole}.{frac[:2]}",
        )
    if len(frac) > 2:
        raise AmountPrecision(field=field, value=value)
    return _decimal(f"{''.join(groups) or '0'}.{frac or '0'}", value=value, field=field)


def _decimal(digits: str, *, value: object, field: str) -> Decimal:
    if len(digits.replace(".", "").lstrip("0")) > 15:
        raise AmountTooLarge(field=field, value=value, maximum=format_amount(MAX_AMOUNT_CENTS))
    try:
        return Decimal(digits)
    except (InvalidOperation, ValueError):  # pragma: no cover - digits were checked above
        raise AmountInvalid(field=field, value=value) from None


def _checked_cents(amount: Decimal, value: object, *, field: str, allow_zero: bool) -> int:
    if not amount.is_finite():
        raise AmountInvalid(field=field, value=value)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise AmountNotPositive(field=field, value=value)
    if amount > to_decimal(MAX_AMOUNT_CENTS):
        raise AmountTooLarge(field=field, value=value, maximum=format_amount(MAX_AMOUNT_CENTS))
    if not has_places(amount, 2):
        raise AmountPrecision(field=field, value=value)
    return int(amount * 100)


def round_half_up(value: Decimal, *, places: int) -> Decimal:
    """The one rounding rule (decision 0001): half-up to ``places`` decimals — 0.005 → 0.01,
    2.5 → 3 (banker's rounding would give 0.00 and 2). Every rounding in the code is this."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def percent_of(part: int | Decimal, whole: int | Decimal) -> Decimal:
    """``part`` as a percentage of ``whole``, two decimals, half up; 0.00 when ``whole`` is 0."""
    if not whole:
        return Decimal("0.00")
    return round_half_up(Decimal(part) * 100 / Decimal(whole), places=2)


def round_down(value: Decimal, *, places: int) -> Decimal:
    """Towards zero, to ``places`` decimals: only where a bound must never be exceeded (the
    highest rate within a legal cap)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)


def has_places(value: Decimal, places: int) -> bool:
    """No more than ``places`` significant decimals (``1.500`` has two)."""
    return value == round_down(value, places=places)


def round_cents(value: Decimal) -> int:
    """A computed amount of cents (interest, a limit, a fee) as whole cents, half-up."""
    return int(round_half_up(value, places=0))


def to_cents(amount: Decimal) -> int:
    """Round a Decimal currency amount half-up to whole cents."""
    return round_cents(amount * 100)


def to_decimal(cents: int) -> Decimal:
    """Cents as currency units with two decimals (exact: no rounding happens)."""
    return round_half_up(Decimal(cents) / 100, places=2)


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
