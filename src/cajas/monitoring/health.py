"""Caja health: documented rules, evaluated with SQL aggregates, giving a score and alerts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

from cajas.ledger import chart
from cajas.ledger.models import Account
from cajas.loans.rates import RateCheck, bylaws_rate_check
from cajas.meetings.models import ATTENDING, Attendance, Meeting, MeetingStatus
from cajas.monitoring.figures import figures_refresh_stale
from cajas.monitoring.indicators import percent_of
from cajas.monitoring.models import FigureRisk, FigureState, HealthRule
from cajas.monitoring.profile import last_meetings
from cajas.org.models import Bylaws, Caja, Program

# code → (default threshold, weight, what it checks)
DEFAULT_RULES = {
    "par30": (Decimal("10"), 25, _("Portfolio at risk over 30 days above {t} %")),
    "attendance": (Decimal("75"), 20, _("Attendance under {t} % over the last 4 meetings")),
    "cash_differences": (
        Decimal("1"),
        15,
        _("{t} or more cash-count differences in the last 4 meetings"),
    ),
    "no_meeting": (Decimal("30"), 25, _("No meeting for more than {t} days")),
    "concentration": (Decimal("50"), 15, _("Three members hold more than {t} % of the savings")),
    # threshold: TEA points over the legal cap tolerated (0: none)
    "rate_cap": (
        Decimal("0"),
        15,
        _("The bylaws' loan rate costs members a TEA of {tea} %, above the legal cap of {cap} %"),
    ),
}


@dataclass
class Health:
    caja: Caja
    score: int = 100
    alerts: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)


def rules_for(program: Program) -> dict[str, tuple[Decimal, int]]:
    rules = {code: (t, w) for code, (t, w, _text) in DEFAULT_RULES.items()}
    for rule in HealthRule.objects.filter(program=program):
        if rule.enabled:
            rules[rule.code] = (rule.threshold, rule.weight)
        else:
            rules.pop(rule.code, None)
    return rules


def evaluate(cajas: QuerySet[Caja], on: dt.date) -> list[Health]:
    """Every caja's score and alerts, a handful of aggregate queries for all of them."""
    cajas = Caja.objects.filter(pk__in=cajas.values("pk")).select_related("program")
    ids = cajas.values("pk")  # a subquery: no list of thousands of ids to send
    last_meeting = dict(
        Meeting.objects.filter(caja_id__in=ids, status=MeetingStatus.CLOSED, date__lte=on)
        .values_list("caja_id")
        .annotate(d=Max("date"))
    )
    # The last four closed meetings of each caja.
    recent: dict[int, list[int]] = {}
    for caja_id, meeting_id in Meeting.objects.filter(pk__in=last_meetings(ids, on)).values_list(
        "caja_id", "pk"
    ):
        recent.setdefault(caja_id, []).append(meeting_id)
    meeting_ids = last_meetings(ids, on)
    attendance = {
        meeting_id: (present, listed)
        for meeting_id, present, listed in Attendance.objects.filter(meeting_id__in=meeting_ids)
        .values_list("meeting_id")
        .annotate(p=Count("pk", filter=Q(status__in=ATTENDING)), n=Count("pk"))
    }
    differences = set(
        Meeting.objects.filter(pk__in=meeting_ids)
        .exclude(cash_difference_cents=0)
        .values_list("pk", flat=True)
    )
    # PAR30 from the figures each caja keeps (the same test as the dashboard's).
    figures_refresh_stale(cajas)
    owed = dict(
        FigureState.objects.filter(caja__in=ids)
        .values_list("caja_id")
        .annotate(v=Sum("loans_cents"))
        .order_by()
    )
    at_risk = dict(
        FigureRisk.objects.filter(caja__in=ids, oldest_due__lt=on - dt.timedelta(days=30))
        .values_list("caja_id")
        .annotate(r=Sum("owed_cents"))
        .order_by()
    )
    # Concentration: each caja's three largest savings against all of them, in SQL.
    savings = Account.objects.filter(caja__in=ids, code__startswith=chart.MEMBER_SAVINGS + ".")
    totals = {
        caja_id: (n, total)
        for caja_id, n, total in savings.values_list("caja_id")
        .annotate(n=Count("pk"), s=Sum("balance_cents"))
        .order_by()
    }
    top3: dict[int, int] = {}
    for caja_id, balance in (
        savings.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("caja_id")],
                order_by=[F("balance_cents").desc(), F("pk")],
            )
        )
        .filter(rank__lte=3)
        .values_list("caja_id", "balance_cents")
    ):
        top3[caja_id] = top3.get(caja_id, 0) + balance
    rate_checks = _bylaws_rate_checks(ids, on)
    rules_by_program: dict[int, dict[str, tuple[Decimal, int]]] = {}
    result = []
    for caja in cajas:
        if caja.program_id not in rules_by_program:  # once per program, not per caja
            rules_by_program[caja.program_id] = rules_for(caja.program)
        rules = rules_by_program[caja.program_id]
        health = Health(caja)
        t = {code: default[0] for code, default in DEFAULT_RULES.items()}
        t.update({code: v[0] for code, v in rules.items()})
        rows = recent.get(caja.pk, [])
        present = sum(attendance.get(m, (0, 0))[0] for m in rows)
        listed = sum(attendance.get(m, (0, 0))[1] for m in rows)
        last = last_meeting.get(caja.pk)
        accounts, saved = totals.get(caja.pk, (0, 0))
        hits = {
            "par30": percent_of(at_risk.get(caja.pk, 0), owed.get(caja.pk, 0)) > t["par30"],
            "attendance": listed > 0 and percent_of(present, listed) < t["attendance"],
            "cash_differences": sum(1 for m in rows if m in differences) >= t["cash_differences"],
            "no_meeting": last is None or (on - last).days > t["no_meeting"],
            "concentration": accounts > 6
            and percent_of(top3.get(caja.pk, 0), saved or 0) > t["concentration"],
            "rate_cap": caja.pk in rate_checks
            and rate_checks[caja.pk].tea_percent > rate_checks[caja.pk].cap_percent + t["rate_cap"],
        }
        rate = rate_checks.get(caja.pk)
        values = {"tea": rate.tea_percent, "cap": rate.cap_percent} if rate else {}
        for code, hit in hits.items():
            if code in rules and hit:
                threshold, weight = rules[code]
                health.score -= weight
                health.codes.append(code)
                health.alerts.append(
                    str(DEFAULT_RULES[code][2]).format(t=f"{threshold.normalize():f}", **values)
                )
        health.score = max(health.score, 0)
        result.append(health)
    return result


def _bylaws_rate_checks(ids: Any, on: dt.date) -> dict[int, RateCheck]:
    """Each caja's bylaws in force against the legal cap (LOAN-005). Cajas with the same loan
    terms share one computation: a program has a handful of distinct bylaws rates."""
    newest: dict[int, Bylaws] = {}
    for bylaws in Bylaws.objects.filter(caja_id__in=ids, effective_from__lte=on).order_by(
        "caja_id", "-version"
    ):
        newest.setdefault(bylaws.caja_id, bylaws)
    checks: dict[tuple[object, ...], RateCheck] = {}
    result = {}
    for caja_id, bylaws in newest.items():
        terms = (
            bylaws.loan_monthly_rate_percent,
            bylaws.loan_interest_method,
            bylaws.loan_max_term_months,
            bylaws.loan_frequency,
            bylaws.loan_rate_cap_segment,
        )
        if terms not in checks:
            checks[terms] = bylaws_rate_check(bylaws, on)
        result[caja_id] = checks[terms]
    return result
