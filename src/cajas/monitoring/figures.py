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
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from cajas.ledger import chart
from cajas.ledger.models import Account, AccountKind
from cajas.loans.models import Loan, LoanStatus
from cajas.loans.selectors import unpaid_installments
from cajas.members.models import Membership
from cajas.monitoring.kept_health import health_rows
from cajas.monitoring.models import (
    FigureCycle,
    FigureFlow,
    FigureHealth,
    FigureRisk,
    FigureState,
)
from cajas.org.models import Caja, Cycle, CycleStatus

CHUNK = 500  # cajas per refresh statement set (well under SQLite's parameter limit)

Cell = tuple[int, str, str]  # caja id, gender, nationality


def figures_refresh_stale(cajas: QuerySet[Caja] | None = None) -> int:
    """Refresh the figures of every stale caja (of ``cajas`` when given); how many. Stale:
    marked so, or with kept health inputs past their ``valid_until``. After a bulk
    refresh the tables' statistics are renewed, as autovacuum would later, so the dashboard's
    queries are planned for what the tables now hold."""
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
    return len(ids)


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
