"""Caja health: the documented rules (``health_rules``) applied to every caja, giving a score
and alerts: today as each caja keeps them (``kept_health``), any other day from the records
with SQL aggregates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from cajas.ledger import chart
from cajas.ledger.models import Account
from cajas.loans.rates import RateCheck, bylaws_rate_check
from cajas.meetings.models import ATTENDING, Attendance, Meeting, MeetingStatus
from cajas.monitoring.figures import figures_refresh_stale
from cajas.monitoring.health_rules import (
    Health,
    Inputs,
    Ruleset,
    Terms,
    alert_texts,
    rules_for,
    rulesets_of,
    score,
    terms_rate_check,
)
from cajas.monitoring.models import FigureHealth, FigureRisk, FigureState
from cajas.monitoring.profile import last_meetings
from cajas.org.models import Bylaws, Caja


def evaluate(cajas: QuerySet[Caja], on: dt.date) -> list[Health]:
    """Every caja's score and alerts, a handful of aggregate queries for all of them. For
    today, from the inputs each caja keeps (``FigureHealth``, refreshed first when stale);
    for any other day, from the records."""
    if on == timezone.localdate():
        return _evaluate_kept(cajas, on)
    return evaluate_from_records(cajas, on)


def _at_risk(ids: Any, on: dt.date) -> dict[int, int]:
    """PAR30 from the figures each caja keeps (the same test as the dashboard's)."""
    return dict(
        FigureRisk.objects.filter(caja__in=ids, oldest_due__lt=on - dt.timedelta(days=30))
        .values_list("caja_id")
        .annotate(r=Sum("owed_cents"))
        .order_by()
    )


def _evaluate_kept(cajas: QuerySet[Caja], on: dt.date) -> list[Health]:
    ids = Caja.objects.filter(pk__in=cajas.values("pk")).values("pk")
    figures_refresh_stale(Caja.objects.filter(pk__in=ids))
    return kept_health(FigureHealth.objects.filter(caja__in=ids), on)


def alerted(cajas: QuerySet[Caja]) -> tuple[QuerySet[FigureHealth], int]:
    """Today's kept health of the cajas with an alert, worst first, and how many cajas there
    are in all (their kept figures refreshed first): a page of them is read with
    ``kept_health``."""
    ids = Caja.objects.filter(pk__in=cajas.values("pk")).values("pk")
    figures_refresh_stale(Caja.objects.filter(pk__in=ids))
    kept = FigureHealth.objects.filter(caja__in=ids)
    return kept.exclude(alerts="").order_by("score", "caja__code"), kept.count()


def kept_health(rows: QuerySet[FigureHealth], on: dt.date) -> list[Health]:
    """The score, alerts and stage each of ``rows`` keeps for today (``kept_health``), with
    the alerts' texts in the active language."""
    kept = list(
        rows.values_list(
            "caja_id",
            "caja__code",
            "caja__program_id",
            "caja__founded_on",
            "shareouts",
            "score",
            "alerts",
            "bylaws_rate_percent",
            "bylaws_method",
            "bylaws_max_term_months",
            "bylaws_frequency",
            "bylaws_cap_segment",
        )
    )
    rules = rulesets_of({row[2] for row in kept})
    checks: dict[Terms, RateCheck] = {}
    result = []
    for caja_id, code, program_id, founded, shareouts, kept_score, codes, *terms in kept:
        health = Health(caja_id, code)
        health.program_id, health.founded_on, health.shareouts = program_id, founded, shareouts
        health.score, health.codes = kept_score, codes.split(",") if codes else []
        check = None
        if "rate_cap" in health.codes:
            rate, method, term, frequency, segment = terms
            its = (Decimal(str(rate)), str(method), int(str(term)), str(frequency), str(segment))
            check = terms_rate_check(its, on, checks)
        health.alerts = alert_texts(rules[program_id], health.codes, check)
        result.append(health)
    return result


def evaluate_from_records(cajas: QuerySet[Caja], on: dt.date) -> list[Health]:
    """``evaluate`` on any day, from the meetings, attendance, accounts and bylaws."""
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
    figures_refresh_stale(cajas)
    owed = dict(
        FigureState.objects.filter(caja__in=ids)
        .values_list("caja_id")
        .annotate(v=Sum("loans_cents"))
        .order_by()
    )
    at_risk = _at_risk(ids, on)
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
    rules_by_program: dict[int, Ruleset] = {}
    result = []
    for caja in cajas:
        if caja.program_id not in rules_by_program:  # once per program, not per caja
            rules_by_program[caja.program_id] = Ruleset(rules_for(caja.program))
        rows = recent.get(caja.pk, [])
        accounts, saved = totals.get(caja.pk, (0, 0))
        inputs = Inputs(
            present=sum(attendance.get(m, (0, 0))[0] for m in rows),
            listed=sum(attendance.get(m, (0, 0))[1] for m in rows),
            differences=sum(1 for m in rows if m in differences),
            last_meeting=last_meeting.get(caja.pk),
            savings_accounts=accounts,
            savings=saved or 0,
            top3=top3.get(caja.pk, 0),
            owed=owed.get(caja.pk, 0) or 0,
            at_risk=at_risk.get(caja.pk, 0) or 0,
            rate=rate_checks.get(caja.pk),
        )
        health = Health(caja.pk, caja.code, caja)
        result.append(score(health, rules_by_program[caja.program_id], inputs, on))
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
