"""Caja health: documented rules, evaluated with SQL aggregates, giving a score and alerts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Count, F, Max, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cajas.ledger import chart
from cajas.ledger.models import Account
from cajas.loans.rates import RateCheck, bylaws_rate_check
from cajas.meetings.models import ATTENDING, Attendance, Meeting, MeetingStatus
from cajas.monitoring.figures import figures_refresh_stale
from cajas.monitoring.indicators import percent_of
from cajas.monitoring.models import FigureHealth, FigureRisk, FigureState, HealthRule
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


class Health:
    """One caja's score and alerts. ``caja`` is read when first asked for, unless the caller
    gave it (``evaluate`` over thousands of cajas builds no model instances)."""

    def __init__(self, caja_id: int, code: str, caja: Caja | None = None) -> None:
        self.caja_id, self.code, self._caja = caja_id, code, caja
        # For the stage, from the kept inputs (left empty on the records path).
        self.program_id = 0
        self.founded_on = dt.date.min
        self.shareouts = 0
        self.score = 100
        self.alerts: list[str] = []
        self.codes: list[str] = []

    @property
    def caja(self) -> Caja:
        if self._caja is None:
            self._caja = Caja.objects.select_related("territory", "partner").get(pk=self.caja_id)
        return self._caja

    @caja.setter
    def caja(self, caja: Caja) -> None:
        self._caja = caja


class Inputs(NamedTuple):
    """What the rules read of one caja on the day they are evaluated."""

    present: int = 0  # present or represented, over the last four closed meetings
    listed: int = 0
    differences: int = 0  # of those meetings, how many had a cash difference
    last_meeting: dt.date | None = None
    savings_accounts: int = 0
    savings: int = 0
    top3: int = 0
    owed: int = 0
    at_risk: int = 0  # owed on loans with an unpaid installment due over 30 days ago
    rate: RateCheck | None = None


def rules_for(program: Program) -> dict[str, tuple[Decimal, int]]:
    rules = {code: (t, w) for code, (t, w, _text) in DEFAULT_RULES.items()}
    for rule in HealthRule.objects.filter(program=program):
        if rule.enabled:
            rules[rule.code] = (rule.threshold, rule.weight)
        else:
            rules.pop(rule.code, None)
    return rules


class Ruleset:
    """A program's rules made ready to apply to thousands of cajas: thresholds, weights and
    alert texts (in the active language) worked out once."""

    def __init__(self, rules: dict[str, tuple[Decimal, int]]) -> None:
        self.rules = rules
        self.t = {code: default[0] for code, default in DEFAULT_RULES.items()}
        self.t.update({code: v[0] for code, v in rules.items()})
        self.texts = {code: str(DEFAULT_RULES[code][2]) for code in rules if code in DEFAULT_RULES}
        self.shown = {code: f"{threshold.normalize():f}" for code, (threshold, _w) in rules.items()}
        # Thresholds in hundredths, for comparing percentages in integers (``_above``).
        self.hundredths = {
            code: int(t * 100) if (t * 100) == int(t * 100) else None for code, t in self.t.items()
        }
        self.fixed = {
            code: self.texts[code].format(t=self.shown[code])
            for code in self.texts
            if code != "rate_cap"
        }


def _rules_of(program_ids: set[int]) -> dict[int, Ruleset]:
    """Each program's rules, in one query for all of them."""
    rules = {
        pk: {code: (t, w) for code, (t, w, _text) in DEFAULT_RULES.items()} for pk in program_ids
    }
    for rule in HealthRule.objects.filter(program_id__in=program_ids):
        if rule.enabled:
            rules[rule.program_id][rule.code] = (rule.threshold, rule.weight)
        else:
            rules[rule.program_id].pop(rule.code, None)
    return {pk: Ruleset(r) for pk, r in rules.items()}


def _above(part: int, whole: int, ruleset: Ruleset, code: str) -> bool:
    """``percent_of(part, whole) > threshold`` in integers: with T the threshold in hundredths,
    the percentage rounded half up to hundredths is above it exactly when
    20,000 × part ≥ (2T + 1) × whole (part, whole ≥ 0; 0.00 when whole is 0)."""
    hundredths = ruleset.hundredths[code]
    if hundredths is None or part < 0 or whole < 0:
        return percent_of(part, whole) > ruleset.t[code]
    if not whole:
        return hundredths < 0
    return 20_000 * part >= (2 * hundredths + 1) * whole


def _below(part: int, whole: int, ruleset: Ruleset, code: str) -> bool:
    """``percent_of(part, whole) < threshold`` in integers: 20,000 × part < (2T − 1) × whole."""
    hundredths = ruleset.hundredths[code]
    if hundredths is None or part < 0 or whole < 0:
        return percent_of(part, whole) < ruleset.t[code]
    if not whole:
        return hundredths > 0
    return 20_000 * part < (2 * hundredths - 1) * whole


def score(health: Health, ruleset: Ruleset, x: Inputs, on: dt.date) -> Health:
    """Apply the rules to one caja's inputs: the score and the alerts, in rule order."""
    t, rules, rate = ruleset.t, ruleset.rules, x.rate
    hits = (
        ("par30", _above(x.at_risk, x.owed, ruleset, "par30")),
        ("attendance", x.listed > 0 and _below(x.present, x.listed, ruleset, "attendance")),
        ("cash_differences", x.differences >= t["cash_differences"]),
        ("no_meeting", x.last_meeting is None or (on - x.last_meeting).days > t["no_meeting"]),
        (
            "concentration",
            x.savings_accounts > 6 and _above(x.top3, x.savings or 0, ruleset, "concentration"),
        ),
        ("rate_cap", rate is not None and rate.tea_percent > rate.cap_percent + t["rate_cap"]),
    )
    for code, hit in hits:
        if hit and code in rules:
            health.score -= rules[code][1]
            health.codes.append(code)
            if code == "rate_cap" and rate is not None:
                text = ruleset.texts[code].format(
                    t=ruleset.shown[code], tea=rate.tea_percent, cap=rate.cap_percent
                )
            else:
                text = ruleset.fixed[code]
            health.alerts.append(text)
    health.score = max(health.score, 0)
    return health


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
    kept = list(
        FigureHealth.objects.filter(caja__in=ids).values_list(
            "caja_id",
            "caja__code",
            "caja__program_id",
            "recent_present",
            "recent_listed",
            "recent_differences",
            "last_meeting_on",
            "savings_accounts",
            "savings_cents",
            "top3_cents",
            "loans_cents",
            "bylaws_rate_percent",
            "bylaws_method",
            "bylaws_max_term_months",
            "bylaws_frequency",
            "bylaws_cap_segment",
            "caja__founded_on",
            "shareouts",
        )
    )
    at_risk = _at_risk(ids, on)
    rules = _rules_of({row[2] for row in kept})
    checks: dict[tuple[Any, ...], RateCheck] = {}
    result = []
    for row in kept:
        caja_id, code, program_id = row[:3]
        rate, method, term, frequency, segment = row[11:16]
        check = None
        if rate is not None and term is not None:
            terms = (Decimal(str(rate)), method, term, frequency, segment)
            if terms not in checks:  # a program has a handful of distinct bylaws rates
                checks[terms] = bylaws_rate_check(_terms_bylaws(*terms), on)
            check = checks[terms]
        present, listed, differences, last, accounts, saved, top3, owed = row[3:11]
        inputs = Inputs(
            present, listed, differences, last, accounts, saved, top3, owed,
            at_risk.get(caja_id, 0), check,
        )  # fmt: skip
        health = Health(caja_id, code)
        health.program_id, health.founded_on, health.shareouts = program_id, row[16], row[17]
        result.append(score(health, rules[program_id], inputs, on))
    return result


def _terms_bylaws(rate: Decimal, method: str, term: int, frequency: str, segment: str) -> Bylaws:
    """Bylaws holding only the loan terms the legal rate cap check reads."""
    return Bylaws(
        loan_monthly_rate_percent=rate,
        loan_interest_method=method,
        loan_max_term_months=term,
        loan_frequency=frequency,
        loan_rate_cap_segment=segment,
    )


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
