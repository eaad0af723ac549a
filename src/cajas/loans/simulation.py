"""Crédito digno: a loan's schedule with its true cost beside the legal cap and beside what an
informal lender would charge. Pure computation, shared by the CLI, the web simulator, the loan
application and the contract."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cajas.core.money import decimal_string, round_half_up
from cajas.loans.schedule import (
    DEFAULT_INFORMAL_MONTHLY_RATE,
    Schedule,
    build_schedule,
    equivalent_declining_monthly_rate,
    informal_cost,
    percent,
)
from cajas.org.terms import InterestMethod, LoanFrequency


@dataclass(frozen=True)
class Simulation:
    schedule: Schedule
    tea_percent: Decimal
    cap_percent: Decimal
    informal_monthly_rate: Decimal
    informal_cost: int

    @property
    def above_cap(self) -> bool:
        return self.tea_percent > self.cap_percent

    @property
    def informal_monthly_rate_percent(self) -> Decimal:
        return percent(self.informal_monthly_rate)

    @property
    def saved_vs_informal(self) -> int:
        return self.informal_cost - self.schedule.total_interest

    @property
    def complying_monthly_rate_percent(self) -> Decimal:
        """The highest monthly rate on a declining balance whose TEA stays within the cap."""
        return round_half_up(
            equivalent_declining_monthly_rate(self.cap_percent / 100) * 100, places=2
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "installments": [
                {
                    "number": i.number,
                    "due_offset_days": i.due_offset_days,
                    "payment": decimal_string(i.payment),
                    "interest": decimal_string(i.interest),
                    "principal": decimal_string(i.principal),
                    "balance": decimal_string(i.balance),
                }
                for i in self.schedule.installments
            ],
            "total_interest": decimal_string(self.schedule.total_interest),
            "total_paid": decimal_string(self.schedule.total_paid),
            "tea_percent": str(self.tea_percent),
            "cap_percent": str(self.cap_percent),
            "above_cap": self.above_cap,
            "complying_monthly_rate_percent": str(self.complying_monthly_rate_percent),
            "informal_monthly_rate_percent": str(percent(self.informal_monthly_rate)),
            "informal_cost": decimal_string(self.informal_cost),
            "saved_vs_informal": decimal_string(self.saved_vs_informal),
        }


def simulate(
    *,
    principal: int,
    monthly_rate: Decimal,
    method: InterestMethod | str,
    term: int,
    frequency: LoanFrequency | str,
    cap: Decimal,
    informal_monthly_rate: Decimal = DEFAULT_INFORMAL_MONTHLY_RATE,
) -> Simulation:
    schedule = build_schedule(
        principal=principal,
        monthly_rate=monthly_rate,
        method=method,
        term=term,
        frequency=frequency,
    )
    return Simulation(
        schedule=schedule,
        tea_percent=percent(schedule.tea()),
        cap_percent=cap,
        informal_monthly_rate=informal_monthly_rate,
        informal_cost=informal_cost(
            principal=principal,
            term=term,
            frequency=frequency,
            monthly_rate=informal_monthly_rate,
        ),
    )
