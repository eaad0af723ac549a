"""The health, stage and profile inputs each caja keeps (``FigureHealth``, decision 0008),
recomputed from the records with its other kept figures (``figures.figures_refresh``).

Each input is computed as the records path computes it for a day ``as_of`` (``health.evaluate``,
``stages.stages``, ``profile.profile``, ``survey.informal_credit_use``): a handful of grouped
queries for a chunk of cajas, never one per caja. ``valid_until`` is the first later day on which
one of them would change with no event: a member's birthday that moves her age band, or a
record dated ahead (bylaws, a meeting, a share-out, a loan, a joining or leaving, an answer).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, F, Max, Min, Q, Sum, Window
from django.db.models.functions import RowNumber

from cajas.ledger import chart
from cajas.ledger.models import Account
from cajas.loans.models import Installment, Loan, LoanStatus, RateCap
from cajas.loans.rates import RateCheck
from cajas.meetings.models import Attendance, Meeting, MeetingStatus
from cajas.members.models import Membership
from cajas.monitoring.ages import AGE_BANDS
from cajas.monitoring.health_rules import (
    Health,
    Inputs,
    Terms,
    program_rules,
    score,
    stage_of,
    terms_rate_check,
    turning_points,
)
from cajas.monitoring.models import FigureHealth, FigureRisk, InformalCreditAnswer, SurveyMoment
from cajas.org.models import Bylaws, Caja, Cycle, CycleStatus
from cajas.shareouts.models import ShareOut

BAND_FIELDS = ("age_18", "age_26", "age_36", "age_46", "age_61")
# The ages at which a member enters or leaves a band (``ages.birth_dates``).
BAND_EDGES = sorted({low for low, _high in AGE_BANDS} | {high + 1 for _low, high in AGE_BANDS})


def turns(born: dt.date, age: int) -> dt.date:
    """The first day on which ``ages.years_before(day, age) >= born``: her birthday ``age``
    (1 March for someone born on 29 February, in a year with none)."""
    try:
        return born.replace(year=born.year + age)
    except ValueError:
        return dt.date(born.year + age, 3, 1)


def _band_field(born: dt.date, on: dt.date) -> str | None:
    for field, (low, high) in zip(BAND_FIELDS, AGE_BANDS, strict=True):
        if turns(born, low) <= on < turns(born, high + 1):
            return field
    return None


def health_rows(ids: list[int], as_of: dt.date) -> Iterable[FigureHealth]:
    rows = {caja: FigureHealth(caja_id=caja, as_of=as_of) for caja in ids}
    ahead: dict[int, list[dt.date]] = defaultdict(list)  # dated changes after ``as_of``
    _meetings(rows, ids, as_of, ahead)
    _savings(rows, ids)
    _bylaws(rows, ids, as_of, ahead)
    _members(rows, ids, as_of, ahead)
    _loans(rows, ids, as_of, ahead)
    _answers(rows, ids, as_of, ahead)
    for caja, shareouts, later in (
        ShareOut.objects.filter(caja_id__in=ids)
        .values_list("caja_id")
        .annotate(
            n=Count("pk", filter=Q(date__lte=as_of)), later=Min("date", filter=Q(date__gt=as_of))
        )
        .order_by()
    ):
        rows[caja].shareouts = shareouts
        if later:
            ahead[caja].append(later)
    for caja, dates in health_scores(rows.values(), as_of).items():
        ahead[caja] += dates
    for caja, dates in ahead.items():
        rows[caja].valid_until = min(dates)
    return rows.values()


def health_scores(rows: Iterable[FigureHealth], on: dt.date) -> dict[int, list[dt.date]]:
    """Score, alerts and stage of each kept row on ``on``, under its program's rules (set on
    the rows, with their ``rules_key``), and the later days on which these would change with
    no event: a meeting too long ago, a loan's oldest unpaid installment 30 days late, a
    stage's months reached, a legal cap dated ahead. Reads the caja's kept risks
    (``FigureRisk``, written before these rows)."""
    by_caja = {row.caja_id: row for row in rows}
    cajas = {
        pk: (program, founded)
        for pk, program, founded in Caja.objects.filter(pk__in=by_caja).values_list(
            "pk", "program_id", "founded_on"
        )
    }
    rules = program_rules({program for program, _founded in cajas.values()})
    ahead: dict[int, list[dt.date]] = defaultdict(list)
    at_risk: dict[int, int] = defaultdict(int)
    late = on - dt.timedelta(days=30)
    for caja, oldest_due, owed in FigureRisk.objects.filter(caja_id__in=by_caja).values_list(
        "caja_id", "oldest_due", "owed_cents"
    ):
        if oldest_due < late:  # the dashboard's PAR30 test
            at_risk[caja] += owed
        else:
            ahead[caja].append(oldest_due + dt.timedelta(days=31))
    caps_ahead = defaultdict(list)
    for segment, effective in RateCap.objects.filter(effective_from__gt=on).values_list(
        "segment", "effective_from"
    ):
        caps_ahead[segment].append(effective)
    checks: dict[Terms, RateCheck] = {}
    for caja, row in by_caja.items():
        program, founded = cajas[caja]
        its = rules[program]
        check = None
        if row.bylaws_rate_percent is not None and row.bylaws_max_term_months is not None:
            terms = (
                Decimal(str(row.bylaws_rate_percent)),
                row.bylaws_method,
                row.bylaws_max_term_months,
                row.bylaws_frequency,
                row.bylaws_cap_segment,
            )
            check = terms_rate_check(terms, on, checks)
            ahead[caja] += caps_ahead.get(row.bylaws_cap_segment, [])
        inputs = Inputs(
            row.recent_present, row.recent_listed, row.recent_differences, row.last_meeting_on,
            row.savings_accounts, row.savings_cents, row.top3_cents, row.loans_cents,
            at_risk[caja], check,
        )  # fmt: skip
        health = score(Health(caja, ""), its.ruleset, inputs, on)
        row.score, row.alerts, row.rules_key = health.score, ",".join(health.codes), its.key
        row.stage = stage_of(its.criteria, founded, on, row.shareouts, health.score)
        ahead[caja] += turning_points(its, founded, row.last_meeting_on, on)
    return ahead


def _meetings(
    rows: dict[int, FigureHealth], ids: list[int], as_of: dt.date, ahead: dict[int, list[dt.date]]
) -> None:
    closed = Meeting.objects.filter(caja_id__in=ids, status=MeetingStatus.CLOSED)
    for caja, last, later in (
        closed.values_list("caja_id")
        .annotate(
            last=Max("date", filter=Q(date__lte=as_of)), later=Min("date", filter=Q(date__gt=as_of))
        )
        .order_by()
    ):
        rows[caja].last_meeting_on = last
        if later:
            ahead[caja].append(later)
    recent = closed.filter(date__lte=as_of).annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("caja_id")],
            order_by=[F("date").desc(), F("number").desc()],
        )
    )
    meeting_ids = []
    for caja, meeting_id, difference, rank in recent.values_list(
        "caja_id", "pk", "cash_difference_cents", "rank"
    ):
        if rank <= 4:
            meeting_ids.append(meeting_id)
            rows[caja].recent_differences += difference != 0
    for caja, present, listed in (
        Attendance.objects.filter(meeting_id__in=meeting_ids)
        .values_list("meeting__caja_id")
        .annotate(p=Count("pk", filter=Q(status__in=["present", "represented"])), n=Count("pk"))
        .order_by()
    ):
        rows[caja].recent_present, rows[caja].recent_listed = present, listed


def _savings(rows: dict[int, FigureHealth], ids: list[int]) -> None:
    savings = Account.objects.filter(caja_id__in=ids, code__startswith=chart.MEMBER_SAVINGS + ".")
    by_caja: dict[int, list[int]] = defaultdict(list)
    for caja, balance in savings.order_by("caja_id", "-balance_cents", "pk").values_list(
        "caja_id", "balance_cents"
    ):
        by_caja[caja].append(balance)
    for caja, balances in by_caja.items():
        row = rows[caja]
        row.savings_accounts, row.savings_cents = len(balances), sum(balances)
        row.top3_cents = sum(balances[:3])
    for caja, owed in (
        Account.objects.filter(
            caja_id__in=ids, loan__isnull=False, loan__status=LoanStatus.DISBURSED
        )
        .values_list("caja_id")
        .annotate(v=Sum("balance_cents"))
        .order_by()
    ):
        rows[caja].loans_cents = owed or 0


def _bylaws(
    rows: dict[int, FigureHealth], ids: list[int], as_of: dt.date, ahead: dict[int, list[dt.date]]
) -> None:
    seen: set[int] = set()
    for caja, effective, rate, method, term, frequency, segment in (
        Bylaws.objects.filter(caja_id__in=ids)
        .order_by("caja_id", "-version")
        .values_list(
            "caja_id",
            "effective_from",
            "loan_monthly_rate_percent",
            "loan_interest_method",
            "loan_max_term_months",
            "loan_frequency",
            "loan_rate_cap_segment",
        )
    ):
        if effective > as_of:
            ahead[caja].append(effective)
        elif caja not in seen:  # the newest version in force
            seen.add(caja)
            row = rows[caja]
            row.bylaws_rate_percent, row.bylaws_method = rate, method
            row.bylaws_max_term_months, row.bylaws_frequency = term, frequency
            row.bylaws_cap_segment = segment


def _members(
    rows: dict[int, FigureHealth], ids: list[int], as_of: dt.date, ahead: dict[int, list[dt.date]]
) -> None:
    """Age bands of the members on ``as_of``, and dropouts since the open cycle started and
    members at its start (cajas with an open cycle only, as ``profile`` counts them)."""
    starts = dict(
        Cycle.objects.filter(caja_id__in=ids, status=CycleStatus.OPEN).values_list(
            "caja_id", "started_on"
        )
    )
    for caja, born, joined, left in Membership.objects.filter(caja_id__in=ids).values_list(
        "caja_id", "person__birth_date", "joined_on", "left_on"
    ):
        row = rows[caja]
        ahead[caja] += [d for d in (joined, left) if d is not None and d > as_of]
        if joined <= as_of and (left is None or left > as_of):
            field = _band_field(born, as_of)
            if field:
                setattr(row, field, getattr(row, field) + 1)
            ahead[caja] += [d for d in (turns(born, a) for a in BAND_EDGES) if d > as_of]
        start = starts.get(caja)
        if start is not None:
            row.dropouts += left is not None and start < left <= as_of
            row.at_cycle_start += joined <= start and (left is None or left > start)


def _loans(
    rows: dict[int, FigureHealth], ids: list[int], as_of: dt.date, ahead: dict[int, list[dt.date]]
) -> None:
    granted = Q(disbursed_on__lte=as_of)
    for caja, n, tea, cap, informal, later in (
        Loan.objects.filter(caja_id__in=ids, disbursed_on__isnull=False)
        .values_list("caja_id")
        .annotate(
            n=Count("pk", filter=granted),
            tea=Sum("tea_percent", filter=granted),
            cap=Sum("cap_percent", filter=granted),
            informal=Sum("informal_cost_cents", filter=granted),
            later=Min("disbursed_on", filter=Q(disbursed_on__gt=as_of)),
        )
        .order_by()
    ):
        row = rows[caja]
        row.loans_granted, row.informal_cost_cents = n, informal or 0
        row.tea_sum, row.cap_sum = Decimal(str(tea or 0)), Decimal(str(cap or 0))
        if later:
            ahead[caja].append(later)
    for caja, interest in (
        Installment.objects.filter(loan__caja_id__in=ids, loan__disbursed_on__lte=as_of, version=1)
        .values_list("loan__caja_id")
        .annotate(s=Sum("interest_cents"))
        .order_by()
    ):
        rows[caja].interest_cents = interest or 0


def _answers(
    rows: dict[int, FigureHealth], ids: list[int], as_of: dt.date, ahead: dict[int, list[dt.date]]
) -> None:
    """The informal-credit answers of the members still in: the first on joining, the latest."""
    joining: dict[int, tuple[int, bool]] = {}
    latest: dict[int, tuple[int, bool]] = {}
    for caja, member, asked, moment, used in (
        InformalCreditAnswer.objects.filter(
            membership__caja_id__in=ids, membership__left_on__isnull=True
        )
        .order_by("membership_id", "asked_on", "id")
        .values_list(
            "membership__caja_id", "membership_id", "asked_on", "moment", "used_informal_credit"
        )
    ):
        if asked > as_of:
            ahead[caja].append(asked)
            continue
        if moment == SurveyMoment.JOINING:
            joining.setdefault(member, (caja, used))
        latest[member] = (caja, used)
    for caja, used in joining.values():
        rows[caja].answered_joining += 1
        rows[caja].informal_at_joining += used
    for caja, used in latest.values():
        rows[caja].answered_now += 1
        rows[caja].informal_now += used
