from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cajas.core.errors import AmountInvalid, AmountNotPositive, AmountPrecision
from cajas.core.money import allocate, decimal_string, format_amount, parse_amount, to_cents


def test_it_parses_amounts_to_cents() -> None:
    assert parse_amount("5") == 500
    assert parse_amount("1,234.56") == 123456
    assert parse_amount(Decimal("0.01")) == 1
    assert parse_amount("0", allow_zero=True) == 0


@pytest.mark.parametrize("value", ["0", "-3", "-0.01"])
def test_it_rejects_zero_and_negative_amounts(value: str) -> None:
    with pytest.raises(AmountNotPositive) as exc:
        parse_amount(value)
    assert exc.value.code == "amount.not_positive"
    assert exc.value.es == f"El monto debe ser mayor que cero (se recibió {value})."
    assert exc.value.en == f"The amount must be greater than zero (got {value})."


def test_it_rejects_more_than_two_decimals() -> None:
    with pytest.raises(AmountPrecision) as exc:
        parse_amount("1.005")
    assert exc.value.es == "El monto 1.005 tiene más de 2 decimales; use centavos exactos."
    assert exc.value.en == "The amount 1.005 has more than 2 decimal places; use whole cents."


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity"])
def test_it_rejects_text_that_is_not_a_number(value: str) -> None:
    with pytest.raises(AmountInvalid):
        parse_amount(value)


def test_rounding_is_half_up() -> None:
    assert to_cents(Decimal("0.005")) == 1
    assert to_cents(Decimal("0.0049")) == 0
    assert to_cents(Decimal("-0.005")) == -1


def test_formatting() -> None:
    assert format_amount(123456) == "1,234.56"
    assert format_amount(-5) == "-0.05"
    assert decimal_string(170000) == "1700.00"


def test_allocate_worked_example_from_design() -> None:
    # DESIGN.md §8: 1,700.00 over 60/40/30/20 shares.
    assert allocate(170000, [60, 40, 30, 20]) == [68000, 45333, 34000, 22667]


@given(
    total=st.integers(min_value=-(10**9), max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=50).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_allocate_always_adds_back_to_the_whole(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)
    exact = [Decimal(total) * w / sum(weights) for w in weights]
    assert all(abs(p - e) < 1 for p, e in zip(parts, exact, strict=True))
