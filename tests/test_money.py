from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cajas.core.errors import (
    AmountAmbiguous,
    AmountDigits,
    AmountInvalid,
    AmountNotPositive,
    AmountPrecision,
    AmountTooLarge,
    RuleViolation,
)
from cajas.core.money import (
    MAX_AMOUNT_CENTS,
    allocate,
    decimal_string,
    format_amount,
    parse_amount,
    to_cents,
)


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
    # docs/domain.md §8: 1,700.00 over 60/40/30/20 shares.
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


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("1874.98", 187498),
        ("1874,98", 187498),  # a decimal comma, as many write it in Ecuador
        ("1,874.98", 187498),
        ("1.874,98", 187498),
        ("1874", 187400),
        (" 5 ", 500),
        ("12,5", 1250),
        ("1,874,000", 187400000),  # several commas can only group thousands
        ("1.874.000", 187400000),
        ("10000000", MAX_AMOUNT_CENTS),
    ],
)
def test_it_reads_amounts_as_people_type_them(typed: str, cents: int) -> None:
    assert parse_amount(typed) == cents


def test_a_lone_comma_before_three_digits_is_refused_as_ambiguous() -> None:
    # 1,874: one thousand eight hundred and seventy-four, or 1.874 with a decimal comma?
    with pytest.raises(AmountAmbiguous) as exc:
        parse_amount("1,874")
    assert exc.value.code == "amount.ambiguous"
    assert exc.value.es == (
        "«1,874» se puede leer de dos maneras. Escriba 1874 (sin separador de miles) "
        "o, con centavos, 1,87 (dos decimales)."
    )
    assert exc.value.en == (
        "“1,874” can be read two ways. Write 1874 (no thousands separator) "
        "or, with cents, 1.87 (two decimals)."
    )


@pytest.mark.parametrize("typed", ["1.874", "0,500", "1,874.985", "1.874,985"])
def test_a_point_is_the_decimal_point_so_three_digits_after_it_are_too_many(typed: str) -> None:
    # The app writes amounts as 1,234.56, so a lone point is read as the decimal point.
    with pytest.raises(AmountPrecision) as exc:
        parse_amount(typed)
    assert exc.value.es == f"El monto {typed} tiene más de 2 decimales; use centavos exactos."


@pytest.mark.parametrize("typed", ["١٢٣", "１２", "5²", "۵"])
def test_it_refuses_digits_other_than_ascii(typed: str) -> None:
    with pytest.raises(AmountDigits) as exc:
        parse_amount(typed)
    assert exc.value.es == (
        f"«{typed}» lleva cifras que no son 0-9; escriba el monto con las cifras 0 a 9."
    )
    assert exc.value.en == (
        f"“{typed}” has digits other than 0-9; write the amount with the digits 0 to 9."
    )


@pytest.mark.parametrize(
    "typed", ["1e30", "1E5", "nan", "-Infinity", "5,", "1,2,3.5", "18,74.98", "1 874", "$5", "-"]
)
def test_it_refuses_exponents_and_misplaced_separators_saying_how_to_write_it(
    typed: str,
) -> None:
    with pytest.raises(AmountInvalid) as exc:
        parse_amount(typed)
    assert "escriba cifras, p. ej. 1874 o 1874,98" in exc.value.es
    assert "write digits, e.g. 1874 or 1874.98" in exc.value.en


@pytest.mark.parametrize(
    "value",
    ["10000000.01", "12,345,678", "9" * 5000, 10**5000, Decimal("1E+30")],
    ids=["cent-over", "grouped", "5000-digits", "huge-int", "exponent-decimal"],
)
def test_it_refuses_amounts_above_ten_million(value: object) -> None:
    with pytest.raises(AmountTooLarge) as exc:
        parse_amount(value)  # type: ignore[arg-type]
    assert "supera el máximo de 10,000,000.00 USD" in exc.value.es
    assert "is above the maximum of 10,000,000.00 USD" in exc.value.en


@given(st.text(max_size=30))
def test_no_text_makes_it_raise_anything_but_a_rule_violation(text: str) -> None:
    try:
        cents = parse_amount(text, allow_zero=True)
    except RuleViolation:
        return
    assert 0 <= cents <= MAX_AMOUNT_CENTS


def test_the_one_rounding_rule_is_half_up_at_every_tie() -> None:
    """Decision 0001: half-up, never banker's rounding (which sends ties to the even digit)."""
    from decimal import ROUND_HALF_EVEN

    from cajas.core.money import round_cents, round_half_up

    ties = [Decimal("0.005"), Decimal("0.025"), Decimal("2.5"), Decimal("0.125")]
    assert [round_half_up(t, places=2) for t in ties[:2]] == [Decimal("0.01"), Decimal("0.03")]
    assert round_cents(Decimal("2.5")) == 3
    assert round_half_up(Decimal("0.125"), places=2) == Decimal("0.13")
    # What half-even would have given, so this test fails if the rule ever drifts to it.
    assert Decimal("0.005").quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN) == Decimal("0.00")
    assert Decimal("2.5").quantize(Decimal(1), rounding=ROUND_HALF_EVEN) == Decimal(2)


def test_nothing_rounds_outside_core_money() -> None:
    """Decision 0001 has one home: no ``quantize`` and no ROUND_HALF_EVEN anywhere else in
    ``src/`` (the default context of ``quantize`` is banker's rounding)."""
    import pathlib

    src = pathlib.Path(__file__).resolve().parent.parent / "src" / "cajas"
    found = [
        str(path.relative_to(src))
        for path in sorted(src.rglob("*.py"))
        if path.relative_to(src).as_posix() != "core/money.py"
        and ("quantize(" in path.read_text() or "ROUND_HALF_EVEN" in path.read_text())
    ]
    assert found == []
