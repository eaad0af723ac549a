"""Program indicators (docs/domain.md §9), computed with SQL aggregates over the cajas, their
meetings and the figures each caja keeps (``cajas.monitoring.figures``: a few rows per caja,
refreshed from the records when stale) — never by looping over transactions, so the cost grows
with the number of cajas, not with members, loans or the journal.

Every figure has its definition next to it (``DEFINITIONS``), shown on the dashboard.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cajas.core.money import percent_of, round_cents, round_half_up, to_decimal
from cajas.ledger import chart
from cajas.ledger.models import Account
from cajas.loans.models import Loan, LoanStatus
from cajas.loans.selectors import unpaid_installments
from cajas.meetings.models import Meeting, MeetingStatus
from cajas.members.models import Membership
from cajas.monitoring.ages import birth_dates
from cajas.monitoring.figures import figures_refresh_stale, kept_sums
from cajas.monitoring.models import FigureCycle, FigureFlow, FigureHealth, FigureRisk, FigureState
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
    "average_loan": _("Principal still owed ÷ loans outstanding (USD)."),
    "membership_growth_percent": _(
        "(Members now − members when the cycle started) ÷ members when the cycle started. "
        "Whole cajas, current cycle."
    ),
    "loan_fund_utilisation_percent": _(
        "Loans outstanding ÷ (loans outstanding + loan-fund cash: box and bank, less the social "
        "fund). Whole cajas."
    ),
    "assets": _(
        "Cash in the box and the bank (social fund included) + loans outstanding (USD). "
        "Whole cajas."
    ),
    "profit": _(
        "Income − expenses since the cycle started: interest, fines, fees and other income, "
        "less expenses and loans written off (USD). Whole cajas."
    ),
    "return_on_savings_percent": _("Profit of the cycle ÷ members' savings. Whole cajas."),
    "roa_percent": _("Profit of the cycle ÷ assets. Whole cajas."),
    "roa_annualised_percent": _(
        "Return on assets × 52 ÷ weeks since each caja's cycle started. Whole cajas."
    ),
    "write_offs_value": _("Principal written off this cycle (USD). Whole cajas."),
    "write_offs_count": _("Loans written off this cycle. Whole cajas."),
    "write_offs_percent": _(
        "Loans written off this cycle ÷ loans handed over this cycle. Whole cajas."
    ),
}


CYCLE_FIELDS = (
    "members_at_start",
    "members_now",
    "loan_fund_cash_cents",
    "loans_cents",
    "assets_cents",
    "savings_cents",
    "profit_cents",
    "loans_granted",
    "written_off_count",
    "written_off_cents",
)


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    gender: str | None = None
    nationality: str | None = None
    age_band: tuple[int, int] | None = None  # one of ``ages.AGE_BANDS``, on the end date


def _usd(cents: int) -> Decimal:
    return to_decimal(cents)


GROUPS = {"territory": "territory__name", "partner": "partner__name", "caja": "code"}


def _blank() -> dict[str, int]:
    """One group's sums before any are added."""
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
        **dict.fromkeys(CYCLE_FIELDS, 0),
        "profit_annualised": 0,
    }


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
    names = cajas.order_by().values_list(key, flat=True).distinct()
    totals: dict[str, dict[str, int]] = {t: _blank() for t in sorted(names)}
    figures_refresh_stale(cajas)
    _cajas_counted(totals, cajas, caja_ids, key, end)
    if filters.age_band:
        _member_figures_from_records(totals, caja_ids, key, filters, end)
    else:
        _member_figures_kept(totals, caja_ids, key, filters, end)
    _cycle_figures(totals, caja_ids, key, end)
    overall = _blank()
    for t in totals.values():
        for name, value in t.items():
            overall[name] += value
    return {
        **_figures(overall),
        f"by_{group}": {name: _figures(t) for name, t in sorted(totals.items())},
    }


def _cajas_counted(
    totals: dict[str, dict[str, int]], cajas: Any, caja_ids: Any, key: str, end: dt.date
) -> None:
    """Cajas implemented (founded by ``end``) and active (a closed meeting in the last
    ``ACTIVE_DAYS``), per group."""
    for territory, founded_n in (
        cajas.filter(founded_on__lte=end).values_list(key).annotate(n=Count("pk"))
    ):
        totals[territory]["implemented"] = founded_n
    recent = end - dt.timedelta(days=ACTIVE_DAYS)
    active: QuerySet[Any]
    if end == timezone.localdate():  # each caja keeps its last closed meeting's date
        active = (
            FigureHealth.objects.filter(caja__in=caja_ids, last_meeting_on__gt=recent)
            .values_list(f"caja__{key}")
            .annotate(n=Count("pk"))
            .order_by()
        )
    else:
        active = (
            Meeting.objects.filter(
                caja__in=caja_ids, status=MeetingStatus.CLOSED, date__gt=recent, date__lte=end
            )
            .values_list(f"caja__{key}")
            .annotate(n=Count("caja", distinct=True))
        )
    for territory, active_n in active:
        totals[territory]["active"] = active_n


def _cycle_figures(
    totals: dict[str, dict[str, int]], caja_ids: Any, key: str, end: dt.date
) -> None:
    """Financial performance in each caja's current cycle (whole cajas: not split by gender or
    nationality). Annualised: profit × 52 ÷ weeks since the cycle started, caja by caja.
    Summed in SQL per group and cycle start date (cajas founded or shared out on the same day
    share one row), so the rows fetched follow the calendar, not the number of cajas."""
    cycles, prefix = kept_sums(
        FigureCycle, Caja.objects.filter(pk__in=caja_ids), by_caja=key == GROUPS["caja"]
    )
    for territory, started, *values in (
        cycles.values_list(f"{prefix}{key}", "started_on")
        .annotate(*(Sum(field) for field in CYCLE_FIELDS))
        .order_by()
    ):
        t = totals[territory]
        for field, value in zip(CYCLE_FIELDS, values, strict=True):
            t[field] += value or 0
        profit = values[CYCLE_FIELDS.index("profit_cents")] or 0
        days = max((end - started).days, 7)
        t["profit_annualised"] += round_cents(Decimal(profit) * 364 / days)


def _figures(t: dict[str, int]) -> dict[str, Any]:
    """A group's indicators from its sums."""
    return {
        "credits_granted_count": t["credits_count"],
        "credits_granted_value": _usd(t["credits_value"]),
        "cajas_implemented": t["implemented"],
        "cajas_active": t["active"],
        "members": t["members"],
        "migrant_members": t["migrants"],
        "women_percent": percent_of(t["women"], t["members"]),
        "savings": _usd(t["savings"]),
        "savings_per_member": round_half_up(_usd(t["savings"]) / t["members"], places=2)
        if t["members"]
        else Decimal("0.00"),
        "loans_outstanding_count": t["loans_count"],
        "loans_outstanding_value": _usd(t["loans_value"]),
        "members_with_loans_percent": percent_of(t["borrowers"], t["members"]),
        "par30_percent": percent_of(t["at_risk"], t["loans_value"]),
        "average_loan": round_half_up(_usd(t["loans_value"]) / t["loans_count"], places=2)
        if t["loans_count"]
        else Decimal("0.00"),
        "membership_growth_percent": percent_of(
            t["members_now"] - t["members_at_start"], t["members_at_start"]
        ),
        "loan_fund_utilisation_percent": percent_of(
            t["loans_cents"], t["loans_cents"] + t["loan_fund_cash_cents"]
        ),
        "assets": _usd(t["assets_cents"]),
        "profit": _usd(t["profit_cents"]),
        "return_on_savings_percent": percent_of(t["profit_cents"], t["savings_cents"]),
        "roa_percent": percent_of(t["profit_cents"], t["assets_cents"]),
        "roa_annualised_percent": percent_of(t["profit_annualised"], t["assets_cents"]),
        "write_offs_value": _usd(t["written_off_cents"]),
        "write_offs_count": t["written_off_count"],
        "write_offs_percent": percent_of(t["written_off_count"], t["loans_granted"]),
    }


def _member_figures_kept(
    totals: dict[str, dict[str, int]], caja_ids: Any, key: str, filters: Filters, end: dt.date
) -> None:
    """Members, credits, savings, loans and PAR30 from the figures each caja keeps: a few rows
    per caja, whatever the number of members, loans and entries behind them."""
    cell = Q()
    if filters.gender:
        cell &= Q(gender=filters.gender)
    if filters.nationality:
        cell &= Q(nationality=filters.nationality)

    # Members (N), migrants and women on the end date; credits granted in the period.
    granted = Q(on__gte=filters.date_from) if filters.date_from else Q()
    cajas = Caja.objects.filter(pk__in=caja_ids)
    flows, prefix = kept_sums(FigureFlow, cajas, by_caja=key == GROUPS["caja"])
    for territory, n, migrants, women, credits_n, credits_v in (
        flows.filter(cell, on__lte=end)
        .values_list(f"{prefix}{key}")
        .annotate(
            n=Sum("members"),
            migrants=Sum("members", filter=~Q(nationality="EC")),
            women=Sum("members", filter=Q(gender="female")),
            credits_n=Sum("credits_count", filter=granted),
            credits_v=Sum("credits_cents", filter=granted),
        )
    ):
        totals[territory].update(
            members=n or 0,
            migrants=migrants or 0,
            women=women or 0,
            credits_count=credits_n or 0,
            credits_value=credits_v or 0,
        )

    # Savings and loans outstanding now.
    states, prefix = kept_sums(FigureState, cajas, by_caja=key == GROUPS["caja"])
    for territory, savings, n, value, borrowers in (
        states.filter(cell)
        .values_list(f"{prefix}{key}")
        .annotate(
            s=Sum("savings_cents"), n=Sum("loans_count"), v=Sum("loans_cents"), b=Sum("borrowers")
        )
    ):
        totals[territory].update(
            savings=savings or 0,
            loans_count=n or 0,
            loans_value=value or 0,
            borrowers=borrowers or 0,
        )

    # PAR30: principal owed on loans whose oldest unpaid installment fell due more than 30
    # days before the end date.
    risks, prefix = kept_sums(FigureRisk, cajas, by_caja=key == GROUPS["caja"])
    for territory, at_risk in (
        risks.filter(cell, oldest_due__lt=end - dt.timedelta(days=30))
        .values_list(f"{prefix}{key}")
        .annotate(r=Sum("owed_cents"))
    ):
        totals[territory]["at_risk"] = at_risk or 0


def _member_figures_from_records(
    totals: dict[str, dict[str, int]], caja_ids: Any, key: str, filters: Filters, end: dt.date
) -> None:
    """The same figures for members of one age band, straight from the records. A member's
    band moves with the calendar, so the kept figures are not split by it; this path is exact
    on any end date and costs what the records cost (``make bench`` times the default view)."""
    assert filters.age_band is not None
    after, up_to = birth_dates(filters.age_band, end)
    who = Q(person__birth_date__gt=after, person__birth_date__lte=up_to)
    if filters.gender:
        who &= Q(person__gender=filters.gender)
    if filters.nationality:
        who &= Q(person__nationality=filters.nationality)
    people = Membership.objects.filter(who, caja__in=caja_ids)
    members = people.filter(joined_on__lte=end).filter(Q(left_on__isnull=True) | Q(left_on__gt=end))
    for territory, n, migrants, women in members.values_list(f"caja__{key}").annotate(
        n=Count("pk"),
        migrants=Count("pk", filter=~Q(person__nationality="EC")),
        women=Count("pk", filter=Q(person__gender="female")),
    ):
        totals[territory].update(members=n, migrants=migrants, women=women)
    savings = Account.objects.filter(
        caja__in=caja_ids, code__startswith=chart.MEMBER_SAVINGS + ".", membership__in=people
    )
    for territory, cents in savings.values_list(f"caja__{key}").annotate(s=Sum("balance_cents")):
        totals[territory]["savings"] = cents or 0
    granted = Loan.objects.filter(
        caja__in=caja_ids, disbursed_on__isnull=False, disbursed_on__lte=end, membership__in=people
    )
    if filters.date_from:
        granted = granted.filter(disbursed_on__gte=filters.date_from)
    for territory, n, value in granted.values_list(f"caja__{key}").annotate(
        n=Count("pk"), v=Sum("principal_cents")
    ):
        totals[territory].update(credits_count=n, credits_value=value or 0)
    late = unpaid_installments().filter(
        loan_id=OuterRef("loan_id"), due_date__lt=end - dt.timedelta(days=30)
    )
    for territory, n, value, at_risk, borrowers in (
        Account.objects.filter(
            caja__in=caja_ids, loan__status=LoanStatus.DISBURSED, loan__membership__in=people
        )
        .annotate(is_late=Exists(late))
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
