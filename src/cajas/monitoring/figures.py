"""Per-caja figures kept for the program dashboard (decision 0006).

The dashboard sums a few rows per caja instead of aggregating every membership, account, loan
and installment of the program at each view. Three tables, each split by cell (gender ×
nationality) so the dashboard's filters still apply:

- ``FigureFlow``: dated changes of members (joined +1, left −1) and credits granted;
- ``FigureState``: savings, loans outstanding and borrowers now;
- ``FigureRisk``: principal owed by the due date of each loan's oldest unpaid installment;
- ``FigureCycle``: the caja's financial figures in its current cycle (whole caja);
- ``FigureHealth``: the inputs of the health rules, the stage and the profile
  (``cajas.monitoring.kept_health``, decision 0008), valid until a dated change.

Every posting (``entries_post``) and every caja lock (``caja_lock``) marks the caja's figures
stale in the same transaction; ``figures_refresh_stale`` recomputes the stale ones from the
records before the dashboard reads, so what it shows is always the books as they are.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from cajas.ledger import chart
from cajas.ledger.models import Account, AccountKind
from cajas.loans.models import Loan, LoanStatus
from cajas.loans.selectors import unpaid_installments
from cajas.members.models import Membership
from cajas.monitoring.health_rules import program_rules
from cajas.monitoring.kept_health import health_rows, health_scores
from cajas.monitoring.models import (
    CycleSum,
    FigureCycle,
    FigureFlow,
    FigureHealth,
    FigureRisk,
    FigureState,
    FlowSum,
    RiskSum,
    StateSum,
)
from cajas.org.models import Caja, Cycle, CycleStatus, Territory

CHUNK = 500  # cajas per refresh statement set (well under SQLite's parameter limit)

Cell = tuple[int, str, str]  # caja id, gender, nationality


_CURRENT: ContextVar[dict[str, Q | None] | None] = ContextVar("figures_current", default=None)
"""Inside ``figures_current``: the scopes whose groups ``whole_groups`` has worked out."""


@contextmanager
def figures_current(cajas: QuerySet[Caja]) -> Iterator[None]:
    """Within the block, the kept figures of ``cajas`` are current: they are refreshed once on
    entering, and the selectors that read them (each of which refreshes its cajas first)
    skip their own refresh. For a page that reads many figures of the same cajas and writes
    nothing; every selector it calls must read a subset of ``cajas``."""
    figures_refresh_stale(cajas)
    token = _CURRENT.set({})
    try:
        yield
    finally:
        _CURRENT.reset(token)


def figures_refresh_stale(cajas: QuerySet[Caja] | None = None) -> int:
    """Refresh the figures of every stale caja (of ``cajas`` when given); how many. Stale:
    marked so, or with kept health inputs past their ``valid_until``. After a bulk
    refresh the tables' statistics are renewed, as autovacuum would later, so the dashboard's
    queries are planned for what the tables now hold. Nothing to do inside
    ``figures_current``."""
    if _CURRENT.get() is not None:
        return 0
    # Every refresh writes the caja's FigureHealth row (migration 0005 marked every caja stale
    # so that each has one): a caja is stale when marked so or past its inputs' validity.
    expired = FigureHealth.objects.filter(valid_until__lte=timezone.localdate())
    stale = Caja.objects.filter(Q(figures_stale=True) | Q(pk__in=expired.values("caja_id")))
    if cajas is not None:
        stale = stale.filter(pk__in=cajas.values("pk"))
    ids = list(stale.values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        figures_refresh(caja_ids=ids[start : start + CHUNK])
    if len(ids) > CHUNK and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (FigureFlow, FigureState, FigureRisk, FigureCycle, FigureHealth):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    _rescore_outdated(stale.model.objects.all() if cajas is None else cajas)
    return len(ids)


def _rescore_outdated(cajas: QuerySet[Caja]) -> None:
    """Kept scores, alerts and stages made under rules, stage criteria or legal caps that have
    changed since are made again for today from the kept inputs (no records read): changing a
    threshold costs one view about 30 µs a caja, not a refresh of every caja's figures."""
    scope = Caja.objects.filter(pk__in=cajas.values("pk"))
    programs = set(scope.order_by().values_list("program_id", flat=True).distinct())
    outdated = Q(pk__in=[])
    for program, rules in program_rules(programs).items():
        outdated |= Q(caja__program_id=program) & ~Q(rules_key=rules.key)
    rows = list(FigureHealth.objects.filter(outdated, caja__in=scope.values("pk")))
    if not rows:
        return
    by_caja = {row.caja_id: row for row in rows}
    for caja, dates in health_scores(rows, timezone.localdate()).items():
        row = by_caja[caja]
        row.valid_until = min(d for d in (row.valid_until, *dates) if d is not None)
    FigureHealth.objects.bulk_update(
        rows, ["score", "alerts", "stage", "rules_key", "valid_until"], batch_size=500
    )


@transaction.atomic
def figures_refresh(*, caja_ids: Sequence[int]) -> None:
    """Recompute the kept figures of ``caja_ids`` from their records.

    The caja rows are locked first: that waits for any posting in progress on those cajas and
    holds them until this transaction commits, so no posting slips in between the reads below
    and the stale flag being cleared."""
    ids = list(caja_ids)
    # Locked in id order: two views refreshing overlapping sets of cajas wait, never deadlock.
    list(Caja.objects.filter(pk__in=ids).order_by("pk").select_for_update().values_list("pk"))
    Caja.objects.filter(pk__in=ids).update(figures_stale=False)
    FigureFlow.objects.filter(caja_id__in=ids).delete()
    FigureState.objects.filter(caja_id__in=ids).delete()
    FigureRisk.objects.filter(caja_id__in=ids).delete()
    FigureCycle.objects.filter(caja_id__in=ids).delete()
    FigureHealth.objects.filter(caja_id__in=ids).delete()
    FigureFlow.objects.bulk_create(_flows(ids), batch_size=1000)
    FigureState.objects.bulk_create(_states(ids), batch_size=1000)
    FigureRisk.objects.bulk_create(_risks(ids), batch_size=1000)
    FigureCycle.objects.bulk_create(_cycles(ids), batch_size=1000)
    FigureHealth.objects.bulk_create(health_rows(ids, timezone.localdate()), batch_size=500)
    group_sums_refresh(
        set(Caja.objects.filter(pk__in=ids).values_list("territory_id", "partner_id"))
    )


Group = tuple[int, int]  # territory id, partner id

CELL = ("gender", "nationality")
CYCLE_SUMMED = (
    "members_at_start",
    "members_now",
    "loan_fund_cash_cents",
    "other_funds_cents",
    "loans_cents",
    "assets_cents",
    "savings_cents",
    "profit_cents",
    "loans_granted",
    "written_off_count",
    "written_off_cents",
)
SUMMED: dict[Any, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {
    # sum → (kept per caja, what a row is per, what is summed)
    FlowSum: (FigureFlow, (*CELL, "on"), ("members", "credits_count", "credits_cents")),
    StateSum: (FigureState, CELL, ("savings_cents", "loans_count", "loans_cents", "borrowers")),
    RiskSum: (FigureRisk, (*CELL, "oldest_due"), ("owed_cents",)),
    CycleSum: (FigureCycle, ("started_on",), CYCLE_SUMMED),
}
SUM_OF = {kept: summed for summed, (kept, _per, _values) in SUMMED.items()}


def group_sums_refresh(groups: set[Group] | None = None) -> None:
    """Sum the kept flows and states of every caja of ``groups`` (all of them when None) into
    ``FlowSum`` and ``StateSum``, in the caller's transaction. The groups' territories are
    locked first, in id order: two refreshes of cajas of one group sum one after the other,
    and the second sees the first's rows. (No service moves a caja to another territory or
    partner; after a move made in the database, ``cajas figures refresh --all`` sums again.)"""
    territories = Territory.objects.order_by("pk").select_for_update()
    if groups is not None:
        if not groups:
            return
        territories = territories.filter(pk__in={t for t, _p in groups})
    list(territories.values_list("pk"))
    for model, (kept, dated, values) in SUMMED.items():
        mine, theirs = Q(), Q()
        if groups is not None:
            mine, theirs = Q(pk__in=[]), Q(pk__in=[])
            for territory, partner in sorted(groups):
                mine |= Q(territory_id=territory, partner_id=partner)
                theirs |= Q(caja__territory_id=territory, caja__partner_id=partner)
        model.objects.filter(mine).delete()
        sums = (
            kept.objects.filter(theirs)
            .values_list("caja__territory_id", "caja__partner_id", *dated)
            .annotate(*map(Sum, values))
        )
        names = ("territory_id", "partner_id", *dated, *values)
        model.objects.bulk_create(
            (model(**dict(zip(names, row, strict=True))) for row in sums.order_by()),
            batch_size=1000,
        )


def whole_groups(cajas: QuerySet[Caja]) -> Q | None:
    """When ``cajas`` holds every caja of each territory-and-partner group it touches (a
    program, a territory, a partner: the sums per group are exact for them), the filter of
    those groups' sums; else None. Two grouped queries over the cajas, once per scope inside
    ``figures_current``."""
    memo = _CURRENT.get()
    try:
        key = str(cajas.query)
    except EmptyResultSet:
        return Q(pk__in=[])
    if memo is not None and key in memo:
        return memo[key]
    per_group = Caja.objects.order_by().values_list("territory_id", "partner_id")
    mine = {
        (t, p): n for t, p, n in per_group.filter(pk__in=cajas.values("pk")).annotate(n=Count("pk"))
    }
    everyone = per_group.filter(
        territory_id__in={t for t, _p in mine}, partner_id__in={p for _t, p in mine}
    ).annotate(n=Count("pk"))
    whole: Q | None = Q(pk__in=[])
    for territory, partner, n in everyone:
        if (territory, partner) not in mine:
            continue
        if mine[territory, partner] != n:
            whole = None
            break
        whole = (whole or Q()) | Q(territory_id=territory, partner_id=partner)
    if memo is not None:
        memo[key] = whole
    return whole


def kept_sums(model: Any, cajas: QuerySet[Caja], *, by_caja: bool = False) -> tuple[Any, str]:
    """The kept rows to sum for ``cajas`` (``FigureFlow``, ``FigureState``, ``FigureRisk``
    or ``FigureCycle``), and the prefix that reaches the caja's territory and partner fields
    from them: the sums per group when the cajas are whole groups and no figure is wanted per
    caja, else the cajas' own rows."""
    groups = None if by_caja else whole_groups(cajas)
    if groups is not None:
        return SUM_OF[model].objects.filter(groups), ""
    return model.objects.filter(caja__in=cajas.values("pk")), "caja__"


def _flows(ids: list[int]) -> Iterable[FigureFlow]:
    flows: dict[tuple[int, str, str, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0])
    members = Membership.objects.filter(caja_id__in=ids)
    cell = ("caja_id", "person__gender", "person__nationality")
    for caja, gender, nationality, on, n in (
        members.values_list(*cell, "joined_on").annotate(n=Count("pk")).order_by()
    ):
        flows[caja, gender, nationality, on][0] += n
    for caja, gender, nationality, on, n in (
        members.filter(left_on__isnull=False)
        .values_list(*cell, "left_on")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        flows[caja, gender, nationality, on][0] -= n
    granted = Loan.objects.filter(caja_id__in=ids, disbursed_on__isnull=False)
    loan_cell = ("caja_id", "membership__person__gender", "membership__person__nationality")
    for caja, gender, nationality, on, n, cents in (
        granted.values_list(*loan_cell, "disbursed_on")
        .annotate(n=Count("pk"), v=Sum("principal_cents"))
        .order_by()
    ):
        flows[caja, gender, nationality, on][1] += n
        flows[caja, gender, nationality, on][2] += cents or 0
    return (
        FigureFlow(
            caja_id=caja,
            gender=gender,
            nationality=nationality,
            on=on,
            members=members_n,
            credits_count=count,
            credits_cents=cents,
        )
        for (caja, gender, nationality, on), (members_n, count, cents) in flows.items()
    )


def _outstanding(ids: list[int]) -> QuerySet[Account]:
    """The receivable accounts of the disbursed loans: each keeps its loan's principal owed."""
    return Account.objects.filter(
        caja_id__in=ids, loan__isnull=False, loan__status=LoanStatus.DISBURSED
    )


def _states(ids: list[int]) -> Iterable[FigureState]:
    states: dict[Cell, FigureState] = {}

    def state(caja: int, gender: str, nationality: str) -> FigureState:
        key = (caja, gender, nationality)
        if key not in states:
            states[key] = FigureState(caja_id=caja, gender=gender, nationality=nationality)
        return states[key]

    for caja, gender, nationality, cents in (
        Account.objects.filter(
            caja_id__in=ids,
            code__startswith=chart.MEMBER_SAVINGS + ".",
            membership__isnull=False,
        )
        .values_list("caja_id", "membership__person__gender", "membership__person__nationality")
        .annotate(s=Sum("balance_cents"))
        .order_by()
    ):
        state(caja, gender, nationality).savings_cents = cents or 0
    for caja, gender, nationality, n, cents, borrowers in (
        _outstanding(ids)
        .values_list(
            "caja_id", "loan__membership__person__gender", "loan__membership__person__nationality"
        )
        .annotate(n=Count("pk"), v=Sum("balance_cents"), b=Count("loan__membership", distinct=True))
        .order_by()
    ):
        row = state(caja, gender, nationality)
        row.loans_count, row.loans_cents, row.borrowers = n, cents or 0, borrowers
    return states.values()


def _risks(ids: list[int]) -> Iterable[FigureRisk]:
    oldest = dict(
        unpaid_installments()
        .filter(loan__caja_id__in=ids, loan__status=LoanStatus.DISBURSED)
        .values_list("loan_id")
        .annotate(oldest=Min("due_date"))
        .order_by()
    )
    risks: dict[tuple[int, str, str, dt.date], int] = defaultdict(int)
    for loan, caja, gender, nationality, owed in _outstanding(ids).values_list(
        "loan_id",
        "caja_id",
        "loan__membership__person__gender",
        "loan__membership__person__nationality",
        "balance_cents",
    ):
        if loan in oldest:  # a loan with nothing unpaid is never at risk
            risks[caja, gender, nationality, oldest[loan]] += owed
    return (
        FigureRisk(caja_id=caja, gender=g, nationality=n, oldest_due=on, owed_cents=owed)
        for (caja, g, n, on), owed in risks.items()
    )


def _cycles(ids: list[int]) -> Iterable[FigureCycle]:
    started = dict(Caja.objects.filter(pk__in=ids).values_list("pk", "founded_on"))
    started.update(
        Cycle.objects.filter(caja_id__in=ids, status=CycleStatus.OPEN).values_list(
            "caja_id", "started_on"
        )
    )
    rows = {caja: FigureCycle(caja_id=caja, started_on=on) for caja, on in sorted(started.items())}
    for caja, joined, left in Membership.objects.filter(caja_id__in=ids).values_list(
        "caja_id", "joined_on", "left_on"
    ):
        row = rows[caja]
        row.members_at_start += joined <= row.started_on and (left is None or left > row.started_on)
        row.members_now += left is None
    by_kind: dict[tuple[int, str], int] = defaultdict(int)
    for caja, code, kind, cents in Account.objects.filter(caja_id__in=ids).values_list(
        "caja_id", "code", "kind", "balance_cents"
    ):
        row = rows[caja]
        by_kind[caja, kind] += cents
        if code in (chart.CASH, chart.BANK):
            row.loan_fund_cash_cents += cents
        elif code == chart.SOCIAL_FUND:
            row.other_funds_cents += cents
            row.loan_fund_cash_cents -= cents  # the social fund's money sits in the same box
        elif code.startswith(chart.LOANS_RECEIVABLE + "."):
            row.loans_cents += cents
        elif code.startswith(chart.MEMBER_SAVINGS + "."):
            row.savings_cents += cents
    for caja, row in rows.items():
        row.assets_cents = by_kind[caja, AccountKind.ASSET]
        # Income and expense accounts are closed into retained earnings at each share-out:
        # their balances are this cycle's.
        row.profit_cents = by_kind[caja, AccountKind.INCOME] - by_kind[caja, AccountKind.EXPENSE]
    for caja, disbursed, written_off_on, written_off in Loan.objects.filter(
        caja_id__in=ids, disbursed_on__isnull=False
    ).values_list("caja_id", "disbursed_on", "written_off_on", "written_off_cents"):
        row = rows[caja]
        row.loans_granted += disbursed is not None and disbursed >= row.started_on
        if written_off_on is not None and written_off_on >= row.started_on:
            row.written_off_count += 1
            row.written_off_cents += written_off
    return rows.values()
