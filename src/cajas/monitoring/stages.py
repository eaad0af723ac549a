"""Sustainability stage of each caja — formation → supervised → independent → graduated — from
criteria kept as data (``StageCriterion``; the defaults of ``health_rules`` when a program has
none): today as each caja keeps it (``FigureHealth.stage``), any other day from the records."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count, QuerySet
from django.utils import timezone

from cajas.monitoring.figures import figures_refresh_stale
from cajas.monitoring.health import evaluate_from_records
from cajas.monitoring.health_rules import STAGE_ORDER, criteria_of, stage_of
from cajas.monitoring.models import FigureHealth
from cajas.org.models import Caja
from cajas.shareouts.models import ShareOut


def _kept(cajas: QuerySet[Caja]) -> QuerySet[FigureHealth]:
    ids = Caja.objects.filter(pk__in=cajas.values("pk")).values("pk")
    figures_refresh_stale(Caja.objects.filter(pk__in=ids))
    return FigureHealth.objects.filter(caja__in=ids)


def stages(cajas: QuerySet[Caja], on: dt.date, *, from_records: bool = False) -> dict[int, str]:
    """Each caja's stage on ``on``: kept for today (unless ``from_records``), a few queries
    for all of them from the records for any other day."""
    if on == timezone.localdate() and not from_records:
        return dict(_kept(cajas).values_list("caja_id", "stage"))
    rows = list(
        Caja.objects.filter(pk__in=cajas.values("pk")).values_list("pk", "program_id", "founded_on")
    )
    health = {h.caja_id: h.score for h in evaluate_from_records(cajas, on)}
    shareouts = dict(
        ShareOut.objects.filter(caja__in=cajas.values("pk"), date__lte=on)
        .values_list("caja_id")
        .annotate(n=Count("pk"))
    )
    criteria = criteria_of({program_id for _pk, program_id, _founded in rows})
    return {
        pk: stage_of(criteria[program_id], founded_on, on, shareouts.get(pk, 0), health[pk])
        for pk, program_id, founded_on in rows
    }


def stage_counts(cajas: QuerySet[Caja], on: dt.date) -> dict[str, int]:
    """How many cajas are at each stage on ``on`` (one grouped query for today)."""
    if on == timezone.localdate():
        counts = dict(_kept(cajas).values_list("stage").annotate(n=Count("pk")).order_by())
    else:
        counts = Counter(stages(cajas, on).values())
    return {str(s): counts.get(str(s), 0) for s in STAGE_ORDER}
