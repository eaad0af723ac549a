"""Program indicators (DESIGN.md §9), computed with SQL aggregates over cajas, memberships,
loans and the balances each account keeps — never by looping over transactions, so the cost
grows with the number of cajas and members, not with the journal.

Every figure has its definition next to it (``DEFINITIONS``), shown on the dashboard.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from cajas.ledger import chart
from cajas.ledger.models import Account
from cajas.loans.models import Installment, Loan, LoanStatus
from cajas.meetings.models import Meeting, MeetingStatus
from cajas.members.models import Membership
from cajas.org.models import Caja

ACTIVE_DAYS = 60  # a caja is active when it held a meeting in the last 60 days

DEFINITIONS = {
    "credits_granted_count": _("Loans handed over in the period."),
    "credits_granted_value": _("Their total amount (USD)."),
    "cajas_implemented": _("Cajas founded up to the end of the period."),
    "cajas_active": _("Cajas that held a meeting in the 60 days before the end of the period."),
    "members": _("Registered members now (N): joined and not left by the end of the period."),
    "migrant_members": _("Members whose nationality is not Ecuadorian."),
    "women_percent": _("Women ÷ N."),
    "savings": _("Members' savings now (USD)."),
    "savings_per_member": _("Savings ÷ N."),
    "loans_outstanding_count": _("Loans disbursed and not yet repaid or written off."),
    "loans_outstanding_value": _("Principal still owed on them (USD)."),
    "members_with_loans_percent": _("Members with a loan outstanding ÷ N."),
    "par30_percent": _(
        "Principal still owed on loans with an installment more than 30 days late ÷ all "
        "principal still owed."
    ),
}


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    gender: str | None = None
    nationality: str | None = None


def percent_of(part: int | Decimal, whole: int | Decimal) -> Decimal:
    """``part`` as a percentage of ``whole``, two decimals, half up; 0.00 when ``whole`` is 0."""
    if not whole:
        return Decimal("0.00")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _usd(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


GROUPS = {"territory": "territory__name", "partner": "partner__name", "caja": "code"}


def indicators(
    cajas: QuerySet[Caja], filters: Filters, on: dt.date, group: str = "territory"
) -> dict[str, Any]:
    """The figures for ``cajas`` (already scoped to the user), overall and by ``group``
    (territory, partner or caja), in ``by_<group>``."""
    end = filters.date_to or on
    # A plain queryset of the cajas (the caller's may join memberships to scope them).
    cajas = Caja.objects.filter(pk__in=cajas.values("pk"))
    caja_ids = cajas.values("pk")
    key = GROUPS[group]
    by_caja_territory = dict(cajas.values_list("pk", key))
    territories = sorted(set(by_caja_territory.values()))

    def blank() -> dict[str, int]:
        return {
            "credits_count": 0,
            "credits_value": 0,
            "implemented": 0,
            "active": 0,
            "members": 0,
            "migrants": 0,
            "women": 0,
            "savings": 0,
            "loans_count": 0,
            "loans_value": 0,
            "borrowers": 0,
            "at_risk": 0,
        }

    totals: dict[str, dict[str, int]] = {t: blank() for t in territories}

    # Cajas implemented and active.
    for territory, founded_n in (
        cajas.filter(founded_on__lte=end).values_list(key).annotate(n=Count("pk"))
    ):
        totals[territory]["implemented"] = founded_n
    recent = end - dt.timedelta(days=ACTIVE_DAYS)
    for territory, active_n in (
        Meeting.objects.filter(
            caja__in=caja_ids, status=MeetingStatus.CLOSED, date__gt=recent, date__lte=end
        )
        .values_list(f"caja__{key}")
        .annotate(n=Count("caja", distinct=True))
    ):
        totals[territory]["active"] = active_n

    # Members (N), migrants, women.
    members = Membership.objects.filter(caja__in=caja_ids, joined_on__lte=end).filter(
        Q(left_on__isnull=True) | Q(left_on__gt=end)
    )
    if filters.gender:
        members = members.filter(person__gender=filters.gender)
    if filters.nationality:
        members = members.filter(person__nationality=filters.nationality)
    for territory, n, migrants, women in members.values_list(f"caja__{key}").annotate(
        n=Count("pk"),
        migrants=Count("pk", filter=~Q(person__nationality="EC")),
        women=Count("pk", filter=Q(person__gender="female")),
    ):
        totals[territory].update(members=n, migrants=migrants, women=women)

    # Savings now, from the balances the accounts keep.
    savings = Account.objects.filter(caja__in=caja_ids, code__startswith=chart.MEMBER_SAVINGS + ".")
    if filters.gender or filters.nationality:
        savings = savings.filter(membership__in=members.values("pk"))
    for territory, cents in savings.values_list(f"caja__{key}").annotate(s=Sum("balance_cents")):
        totals[territory]["savings"] = cents or 0

    # Credits granted in the period.
    granted = Loan.objects.filter(
        caja__in=caja_ids, disbursed_on__isnull=False, disbursed_on__lte=end
    )
    if filters.date_from:
        granted = granted.filter(disbursed_on__gte=filters.date_from)
    if filters.gender:
        granted = granted.filter(membership__person__gender=filters.gender)
    if filters.nationality:
        granted = granted.filter(membership__person__nationality=filters.nationality)
    for territory, n, value in granted.values_list(f"caja__{key}").annotate(
        n=Count("pk"), v=Sum("principal_cents")
    ):
        totals[territory]["credits_count"] = n
        totals[territory]["credits_value"] = value or 0

    # Loans outstanding and PAR30: each loan's receivable account keeps its principal owed.
    receivables = Account.objects.filter(
        caja__in=caja_ids, loan__isnull=False, loan__status=LoanStatus.DISBURSED
    )
    if filters.gender:
        receivables = receivables.filter(loan__membership__person__gender=filters.gender)
    if filters.nationality:
        receivables = receivables.filter(loan__membership__person__nationality=filters.nationality)
    late = Installment.objects.filter(
        loan_id=OuterRef("loan_id"),
        version=OuterRef("loan__schedule_version"),
        due_date__lt=end - dt.timedelta(days=30),
    ).filter(
        Q(paid_principal_cents__lt=F("principal_cents"))
        | Q(paid_interest_cents__lt=F("interest_cents"))
    )
    for territory, n, value, at_risk, borrowers in (
        receivables.annotate(is_late=Exists(late))
        .values_list(f"caja__{key}")
        .annotate(
            n=Count("pk"),
            v=Sum("balance_cents"),
            r=Sum("balance_cents", filter=Q(is_late=True)),
            b=Count("loan__membership", distinct=True),
        )
    ):
        totals[territory].update(
            loans_count=n, loans_value=value or 0, at_risk=at_risk or 0, borrowers=borrowers
        )

    def figures(t: dict[str, int]) -> dict[str, Any]:
        return {
            "credits_granted_count": t["credits_count"],
            "credits_granted_value": _usd(t["credits_value"]),
            "cajas_implemented": t["implemented"],
            "cajas_active": t["active"],
            "members": t["members"],
            "migrant_members": t["migrants"],
            "women_percent": percent_of(t["women"], t["members"]),
            "savings": _usd(t["savings"]),
            "savings_per_member": (_usd(t["savings"]) / t["members"]).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
            if t["members"]
            else Decimal("0.00"),
            "loans_outstanding_count": t["loans_count"],
            "loans_outstanding_value": _usd(t["loans_value"]),
            "members_with_loans_percent": percent_of(t["borrowers"], t["members"]),
            "par30_percent": percent_of(t["at_risk"], t["loans_value"]),
        }

    overall = blank()
    for t in totals.values():
        for key, value in t.items():
            overall[key] += value
    return {
        **figures(overall),
        f"by_{group}": {name: figures(t) for name, t in sorted(totals.items())},
    }
