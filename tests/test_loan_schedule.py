"""Loan schedules and TEA (docs/domain.md §7): the worked table, numpy-financial as an independent
oracle for French schedules and IRR, and exact sums for every method."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import numpy_financial as npf
import pytest
from django.core.management import CommandError, call_command
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cajas.loans.schedule import (
    build_schedule,
    equivalent_declining_monthly_rate,
    informal_cost,
    percent,
    tea_of,
)
from cajas.org.terms import InterestMethod, LoanFrequency

D = Decimal

# docs/domain.md §7 reference values: (principal, monthly rate, method, n) → installments, interest, TEA
REFERENCE = [
    (100_000, "0.05", "flat", 3, [38333, 38333, 38334], 15000, "133.63"),
    (100_000, "0.05", "french", 3, [36721] * 3, 10163, "79.59"),
    (100_000, "0.05", "german", 3, [38333, 36666, 35001], 10000, "79.59"),
    (200_000, "0.015", "french", 12, [18336] * 11 + [18335], 20031, "19.56"),
    (50_000, "0.02", "flat", 6, [9333] * 5 + [9335], 6000, "48.28"),
    (50_000, "0.02", "french", 6, [8926] * 5 + [8928], 3558, "26.83"),
]


@pytest.mark.parametrize(
    ("principal", "rate", "method", "n", "payments", "interest", "tea"), REFERENCE
)
def test_design_reference_values(
    principal: int, rate: str, method: str, n: int, payments: list[int], interest: int, tea: str
) -> None:
    s = build_schedule(principal=principal, monthly_rate=D(rate), method=method, term=n)
    assert [i.payment for i in s.installments] == payments
    assert s.total_interest == interest
    assert abs(s.tea() * 100 - D(tea)) <= D("0.01")
    assert s.total_paid == principal + interest
    assert s.installments[-1].balance == 0


@pytest.mark.parametrize(
    ("monthly", "tea"),
    [
        ("0.01", "12.68"),
        ("0.015", "19.56"),
        ("0.02", "26.82"),
        ("0.025", "34.49"),
        ("0.03", "42.58"),
    ],
)
def test_nominal_monthly_rate_to_tea_on_a_declining_balance(monthly: str, tea: str) -> None:
    # For a declining balance TEA = (1 + i)^12 - 1 whatever the term: the IRR of the exact
    # cash flows is i itself.
    exact = [float(x) for x in npf.pmt(float(monthly), 12, -1000) * __import__("numpy").ones(12)]
    r = D(str(npf.irr([-1000.0, *exact])))
    assert abs(percent((1 + r) ** 12 - 1) - D(tea)) <= D("0.01")
    assert percent((1 + D(monthly)) ** 12 - 1) == D(tea)


def test_german_principal_is_equal_and_interest_declines() -> None:
    s = build_schedule(principal=100_000, monthly_rate=D("0.05"), method="german", term=3)
    assert [i.principal for i in s.installments] == [33333, 33333, 33334]
    assert [i.interest for i in s.installments] == [5000, 3333, 1667]


def test_flat_charges_interest_on_the_original_principal() -> None:
    s = build_schedule(principal=50_000, monthly_rate=D("0.02"), method="flat", term=6)
    assert {i.interest for i in s.installments} == {1000}


def test_weekly_and_fortnightly_schedules_use_the_period_rate() -> None:
    weekly = build_schedule(
        principal=52_000, monthly_rate=D("0.02"), method="german", term=4, frequency="weekly"
    )
    # 2 % a month = 24 % a year = 24/52 % a week: 520.00 × 0.4615… % = 2.40
    assert weekly.installments[0].interest == 240
    assert [i.due_offset_days for i in weekly.installments] == [7, 14, 21, 28]
    fortnightly = build_schedule(
        principal=26_000, monthly_rate=D("0.02"), method="flat", term=26, frequency="fortnightly"
    )
    # 26 fortnights are 12 months of flat interest on 260.00 at 2 %
    assert fortnightly.total_interest == 26_000 * 2 * 12 // 100
    assert [i.due_offset_days for i in fortnightly.installments][:2] == [14, 28]


def test_complying_rate_and_informal_cost() -> None:
    assert equivalent_declining_monthly_rate(D("0.2823")) == D("0.0209")
    assert (1 + D("0.0209")) ** 12 - 1 <= D("0.2823") < (1 + D("0.0210")) ** 12 - 1
    assert informal_cost(principal=10_000, term=6, frequency="monthly") == 12_000
    assert informal_cost(principal=10_000, term=26, frequency="weekly") == 12_000


principals = st.integers(min_value=1_000, max_value=500_000)
rates = st.decimals(min_value=D("0.001"), max_value=D("0.10"), places=4)
terms = st.integers(min_value=1, max_value=60)
methods = st.sampled_from(list(InterestMethod))
frequencies = st.sampled_from(list(LoanFrequency))


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(principal=principals, rate=rates, term=terms)
def test_french_schedules_agree_with_numpy_financial(
    principal: int, rate: Decimal, term: int
) -> None:
    # At least 1.00 of principal per installment: below that the half cents of rounding the
    # payment add up to a whole installment and the loan ends early (still exact, tested below).
    assume(principal >= 100 * term)
    s = build_schedule(principal=principal, monthly_rate=rate, method="french", term=term)
    pv, r = principal / 100, float(rate)
    pmt = -float(npf.pmt(r, term, pv))
    for i in s.installments:
        ipmt = -float(npf.ipmt(r, i.number, term, pv))
        ppmt = -float(npf.ppmt(r, i.number, term, pv))
        assert abs(i.interest / 100 - ipmt) <= 0.005 + 1e-9
        if i.number < term:  # the last installment absorbs the rounding of the others
            assert abs(i.payment / 100 - pmt) <= 0.005 + 1e-9
            assert abs(i.principal / 100 - ppmt) < 0.01
    assert s.total_paid == principal + s.total_interest


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(principal=principals, rate=rates, term=terms, method=methods, frequency=frequencies)
def test_every_schedule_adds_up_exactly(
    principal: int, rate: Decimal, term: int, method: InterestMethod, frequency: LoanFrequency
) -> None:
    s = build_schedule(
        principal=principal, monthly_rate=rate, method=method, term=term, frequency=frequency
    )
    assert sum(i.principal for i in s.installments) == principal
    assert s.total_paid == principal + s.total_interest
    assert all(i.payment == i.principal + i.interest for i in s.installments)
    assert all(i.principal >= 0 and i.interest >= 0 for i in s.installments)
    assert s.installments[-1].balance == 0
    balances = [principal] + [i.balance for i in s.installments]
    assert all(
        a - b == i.principal
        for a, b, i in zip(balances, balances[1:], s.installments, strict=False)
    )


@settings(max_examples=300, deadline=None, derandomize=True)
@given(principal=principals, rate=rates, term=terms, method=methods)
def test_tea_matches_numpy_financial_irr(
    principal: int, rate: Decimal, term: int, method: InterestMethod
) -> None:
    s = build_schedule(principal=principal, monthly_rate=rate, method=method, term=term)
    flows = [-principal / 100] + [i.payment / 100 for i in s.installments]
    oracle = (1 + npf.irr(flows)) ** 12 - 1
    assert abs(float(tea_of(principal, [i.payment for i in s.installments], 12)) - oracle) < 1e-6


def test_cli_schedule_json() -> None:
    out = StringIO()
    call_command(
        "loan",
        "schedule",
        "--principal",
        "500",
        "--rate",
        "0.02",
        "--method",
        "french",
        "--term",
        "6",
        "--frequency",
        "monthly",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert [i["payment"] for i in data["installments"]] == ["89.26"] * 5 + ["89.28"]
    assert data["installments"][0] == {
        "number": 1,
        "due_offset_days": 30,
        "payment": "89.26",
        "interest": "10.00",
        "principal": "79.26",
        "balance": "420.74",
    }
    assert data["total_interest"] == "35.58"
    assert data["total_paid"] == "535.58"
    assert data["tea_percent"] == "26.83"
    assert data["cap_percent"] == "28.23"
    assert data["informal_cost"] == "600.00"
    assert data["saved_vs_informal"] == "564.42"


def test_cli_flags_a_flat_two_percent_loan_above_the_cap() -> None:
    out = StringIO()
    call_command(
        "loan",
        "schedule",
        "--principal",
        "500",
        "--rate",
        "0.02",
        "--method",
        "flat",
        "--term",
        "6",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["tea_percent"] == "48.28"
    assert data["above_cap"] is True
    assert data["complying_monthly_rate_percent"] == "2.09"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--principal", "0"], "El monto debe ser mayor que cero"),
        (["--principal", "-5"], "mayor que cero"),
        (["--principal", "1.234"], "más de 2 decimales"),
        (["--rate", "2"], "fracción entre 0 y 1"),
        (["--rate", "abc"], "fracción entre 0 y 1"),
        (["--term", "0"], "número de cuotas"),
    ],
)
def test_cli_rejects_bad_input(args: list[str], message: str) -> None:
    base = {"--principal": "500", "--rate": "0.02", "--method": "french", "--term": "6"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = [x for pair in base.items() for x in pair]
    with pytest.raises(CommandError) as exc:
        call_command("loan", "schedule", *argv)
    assert message in str(exc.value)
