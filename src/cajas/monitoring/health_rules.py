"""The health rules and the sustainability stages as rules: documented checks with their
thresholds and weights (``HealthRule``, these defaults when a program has none), the stage
criteria (``StageCriterion``), and how a caja's inputs on a day give its score, alerts and
stage. Pure but for reading the programs' rules; both paths use them: the kept one
(``kept_health``, at each refresh of a caja's figures) and the records one (``health``,
``stages``, for any other day)."""

from __future__ import annotations

import datetime as dt
import hashlib
from calendar import monthrange
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

from cajas.core.money import percent_of
from cajas.loans.models import RateCap
from cajas.loans.rates import RateCheck, bylaws_rate_check
from cajas.monitoring.models import HealthRule, Stage, StageCriterion
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


def rulesets_of(program_ids: set[int]) -> dict[int, Ruleset]:
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
    health.alerts = alert_texts(ruleset, health.codes, rate)
    health.score = max(health.score, 0)
    return health


Terms = tuple[Decimal, str, int, str, str]  # rate, method, longest term, frequency, segment


def terms_rate_check(terms: Terms, on: dt.date, checks: dict[Terms, RateCheck]) -> RateCheck:
    """The legal-cap check of bylaws with these loan terms on ``on``, worked out once per
    distinct terms in ``checks`` (a program has a handful of distinct bylaws rates)."""
    if terms not in checks:
        checks[terms] = bylaws_rate_check(_terms_bylaws(*terms), on)
    return checks[terms]


def _terms_bylaws(rate: Decimal, method: str, term: int, frequency: str, segment: str) -> Bylaws:
    """Bylaws holding only the loan terms the legal rate cap check reads."""
    return Bylaws(
        loan_monthly_rate_percent=rate,
        loan_interest_method=method,
        loan_max_term_months=term,
        loan_frequency=frequency,
        loan_rate_cap_segment=segment,
    )


# stage → (months since founding, share-outs done, minimum health score)
DEFAULT_CRITERIA = {
    Stage.FORMATION: (0, 0, 0),
    Stage.SUPERVISED: (3, 0, 0),
    Stage.INDEPENDENT: (12, 1, 70),
    Stage.GRADUATED: (24, 2, 85),
}
STAGE_ORDER = [Stage.FORMATION, Stage.SUPERVISED, Stage.INDEPENDENT, Stage.GRADUATED]

Criteria = dict[str, tuple[int, int, int]]


def months_since(founded: dt.date, on: dt.date) -> int:
    """Whole months from ``founded`` to ``on``."""
    return (on.year - founded.year) * 12 + on.month - founded.month - (on.day < founded.day)


def months_reached(founded: dt.date, months: int) -> dt.date:
    """The first day on which ``months_since(founded, day) >= months``: the same day of the
    month ``months`` later, or the first of the month after when that month is shorter."""
    year, month = divmod(founded.month - 1 + months, 12)
    year += founded.year
    if founded.day <= monthrange(year, month + 1)[1]:
        return dt.date(year, month + 1, founded.day)
    return dt.date(year + (month == 11), (month + 1) % 12 + 1, 1)


def stage_of(criteria: Criteria, founded: dt.date, on: dt.date, shareouts: int, score: int) -> str:
    """The highest stage whose criteria the caja meets on ``on``."""
    stage = Stage.FORMATION
    months_old = months_since(founded, on)
    for s in STAGE_ORDER:
        months, done, least = criteria[str(s)]
        if months_old >= months and shareouts >= done and score >= least:
            stage = s
    return str(stage)


def criteria_of(program_ids: set[int]) -> dict[int, Criteria]:
    """Each program's stage criteria, in one query for all of them."""
    criteria: dict[int, Criteria] = {
        pk: {str(s): DEFAULT_CRITERIA[s] for s in STAGE_ORDER} for pk in program_ids
    }
    for c in StageCriterion.objects.filter(program_id__in=program_ids):
        criteria[c.program_id][str(c.stage)] = (c.min_months, c.min_shareouts, c.min_health)
    return criteria


@dataclass(frozen=True)
class ProgramRules:
    """What a program's cajas are scored and staged by, and its fingerprint: a kept score
    made under other rules, criteria or legal caps is made again (``kept_health``)."""

    ruleset: Ruleset
    criteria: Criteria
    key: str


def program_rules(program_ids: set[int]) -> dict[int, ProgramRules]:
    """Each program's rules, criteria and their fingerprint (with the legal caps, which the
    rate rule reads), in three queries for all of them."""
    rulesets = rulesets_of(program_ids)
    criteria = criteria_of(program_ids)
    caps = repr(
        sorted(RateCap.objects.values_list("segment", "effective_from", "tea_percent").order_by())
    )
    result = {}
    for pk in program_ids:
        shape = repr((sorted(rulesets[pk].rules.items()), sorted(criteria[pk].items()), caps))
        key = hashlib.sha256(shape.encode()).hexdigest()[:16]
        result[pk] = ProgramRules(rulesets[pk], criteria[pk], key)
    return result


def turning_points(
    rules: ProgramRules, founded: dt.date, last_meeting: dt.date | None, on: dt.date
) -> list[dt.date]:
    """The later days on which the score or the stage can change with no event: the day a
    caja goes too long without a meeting, and the days it becomes old enough for a stage.
    (Loans falling 30 days late and new legal caps are the caller's: they are other rows.)"""
    days = []
    if last_meeting is not None and "no_meeting" in rules.ruleset.rules:
        # (day − last).days > T from the day (floor T) + 1 days after it.
        days.append(last_meeting + dt.timedelta(days=int(rules.ruleset.t["no_meeting"]) + 1))
    days += [months_reached(founded, months) for months, _d, _s in rules.criteria.values()]
    return [d for d in days if d > on]


def alert_texts(ruleset: Ruleset, codes: list[str], rate: RateCheck | None) -> list[str]:
    """The alerts of the rules a caja triggers, in the active language."""
    texts = []
    for code in codes:
        if code == "rate_cap" and rate is not None:
            texts.append(
                ruleset.texts[code].format(
                    t=ruleset.shown[code], tea=rate.tea_percent, cap=rate.cap_percent
                )
            )
        elif code in ruleset.fixed:
            texts.append(ruleset.fixed[code])
    return texts
