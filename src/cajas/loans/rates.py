"""Rate caps and the bylaws' loan rate against them (LOAN-005, crédito digno): the legal cap
in force for a segment, a simulation of the bylaws' terms, and the check that flags bylaws (or
a proposed change) whose TEA would exceed the cap."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from cajas.loans.caps import SEED_CAPS, seed_cap
from cajas.loans.models import RateCap
from cajas.loans.rules import check_rate_cap
from cajas.loans.schedule import PERIODS_PER_YEAR
from cajas.loans.simulation import Simulation, simulate
from cajas.org.models import Bylaws, Caja
from cajas.org.selectors import bylaws_in_force
from cajas.org.terms import LoanFrequency


def rate_cap_in_force(segment: str, on: dt.date) -> RateCap | None:
    return (
        RateCap.objects.filter(segment=segment, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )


@transaction.atomic
def rate_cap_set(
    *, segment: str, tea_percent: str, effective_from: dt.date, source: str = ""
) -> RateCap:
    """A new legal cap for a segment from a date on (earlier caps stay for loans and reports
    of their time). Setting the same segment and date again corrects that row."""
    percent = check_rate_cap(tea_percent)
    seeded = {c.segment: c for c in SEED_CAPS}
    known = seeded.get(segment)
    cap, _created = RateCap.objects.update_or_create(
        segment=segment,
        effective_from=effective_from,
        defaults={
            "tea_percent": percent,
            "source": source.strip()[:100],
            "name_es": known.name_es if known else segment,
            "name_en": known.name_en if known else segment,
        },
    )
    return cap


def rate_caps() -> list[RateCap]:
    return list(RateCap.objects.order_by("segment", "-effective_from"))


def cap_percent_in_force(segment: str, on: dt.date) -> Decimal:
    """The legal TEA cap for ``segment`` on ``on``: the program admin's table, or the seeded
    JPRF-F-2022-031 value when the table has no row for the segment."""
    cap = rate_cap_in_force(segment, on)
    if cap is not None:
        return cap.tea_percent
    seeded = seed_cap(segment)
    return seeded.tea_percent


def loan_terms_simulate(
    *, caja: Caja, principal: int, term: int, on: dt.date, bylaws: Bylaws
) -> Simulation:
    """The bylaws' loan terms for this amount and term, with TEA, cap and informal cost."""
    return simulate(
        principal=principal,
        monthly_rate=bylaws.loan_monthly_rate_percent / 100,
        method=bylaws.loan_interest_method,
        term=term,
        frequency=bylaws.loan_frequency,
        cap=cap_percent_in_force(bylaws.loan_rate_cap_segment, on),
        informal_monthly_rate=caja.program.informal_monthly_rate_percent / 100,
    )


@dataclass(frozen=True)
class RateCheck:
    """The bylaws' loan rate as a member would pay it (LOAN-005)."""

    monthly_rate_percent: Decimal
    method: str
    tea_percent: Decimal
    at_term: int
    cap_percent: Decimal
    complying_monthly_rate_percent: Decimal

    @property
    def above_cap(self) -> bool:
        return self.tea_percent > self.cap_percent


def bylaws_rate_check(bylaws: Bylaws, on: dt.date) -> RateCheck:
    """The highest TEA the bylaws' rate and method give over the terms a member may take
    (flat interest costs more the longer the loan), against the legal cap in force. Used to
    flag bylaws, and bylaws changes, above the cap before they are approved."""
    longest = max(
        1, int(months_of_to_installments(bylaws.loan_max_term_months, bylaws.loan_frequency))
    )
    terms = sorted({t for t in (1, 2, 3, 6, 9, 12, 18, 24, longest) if t <= longest})
    cap = cap_percent_in_force(bylaws.loan_rate_cap_segment, on)
    worst: tuple[Decimal, int] = (Decimal(0), 1)
    for term in terms:
        sim = simulate(
            principal=100_000,
            monthly_rate=bylaws.loan_monthly_rate_percent / 100,
            method=bylaws.loan_interest_method,
            term=term,
            frequency=bylaws.loan_frequency,
            cap=cap,
        )
        worst = max(worst, (sim.tea_percent, term))
    probe = simulate(
        principal=100_000,
        monthly_rate=Decimal(0),
        method="french",
        term=1,
        frequency="monthly",
        cap=cap,
    )
    return RateCheck(
        monthly_rate_percent=bylaws.loan_monthly_rate_percent,
        method=bylaws.loan_interest_method,
        tea_percent=worst[0],
        at_term=worst[1],
        cap_percent=cap,
        complying_monthly_rate_percent=probe.complying_monthly_rate_percent,
    )


def bylaws_change_rate_check(caja: Caja, changes: dict[str, object], on: dt.date) -> RateCheck:
    """The same check for a proposed bylaws change, before the assembly approves it."""
    current = bylaws_in_force(caja, on)
    proposed = Bylaws(
        **{
            f.name: changes.get(f.name, getattr(current, f.name))
            for f in Bylaws._meta.concrete_fields
            if f.name not in {"id"}
        }
    )
    proposed.loan_monthly_rate_percent = Decimal(str(proposed.loan_monthly_rate_percent))
    return bylaws_rate_check(proposed, on)


def months_of_to_installments(months: int, frequency: str) -> Decimal:
    return Decimal(months) * PERIODS_PER_YEAR[LoanFrequency(frequency)] / 12
