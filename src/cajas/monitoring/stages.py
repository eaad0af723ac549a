"""Sustainability stage of each caja — formation → supervised → independent → graduated — from
criteria kept as data (``StageCriterion``; these defaults when a program has none)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count, QuerySet
from django.utils import timezone

from cajas.monitoring.health import evaluate, evaluate_from_records
from cajas.monitoring.models import Stage, StageCriterion
from cajas.org.models import Caja
from cajas.shareouts.models import ShareOut

# stage → (months since founding, share-outs done, minimum health score)
DEFAULT_CRITERIA = {
    Stage.FORMATION: (0, 0, 0),
    Stage.SUPERVISED: (3, 0, 0),
    Stage.INDEPENDENT: (12, 1, 70),
    Stage.GRADUATED: (24, 2, 85),
}
ORDER = [Stage.FORMATION, Stage.SUPERVISED, Stage.INDEPENDENT, Stage.GRADUATED]


def _months(founded: dt.date, on: dt.date) -> int:
    return (on.year - founded.year) * 12 + on.month - founded.month - (on.day < founded.day)


def stages(cajas: QuerySet[Caja], on: dt.date, *, from_records: bool = False) -> dict[int, str]:
    """Each caja's stage on ``on``: a few queries for all of them (share-outs and the health
    score kept for today, read from the records for any other day or ``from_records``)."""
    kept = on == timezone.localdate() and not from_records
    if kept:  # the score, founding date and share-outs of each caja in one read
        scores = evaluate(cajas, on)
        rows = [(h.caja_id, h.program_id, h.founded_on) for h in scores]
        shareouts = {h.caja_id: h.shareouts for h in scores}
    else:
        rows = list(
            Caja.objects.filter(pk__in=cajas.values("pk")).values_list(
                "pk", "program_id", "founded_on"
            )
        )
        scores = evaluate_from_records(cajas, on)
        shareouts = dict(
            ShareOut.objects.filter(caja__in=cajas.values("pk"), date__lte=on)
            .values_list("caja_id")
            .annotate(n=Count("pk"))
        )
    health = {h.caja_id: h.score for h in scores}
    criteria: dict[int, dict[str, tuple[int, int, int]]] = {
        program_id: {str(s): DEFAULT_CRITERIA[s] for s in ORDER}
        for program_id in {program_id for _pk, program_id, _founded in rows}
    }
    for c in StageCriterion.objects.filter(program_id__in=criteria):
        criteria[c.program_id][str(c.stage)] = (c.min_months, c.min_shareouts, c.min_health)
    result = {}
    for pk, program_id, founded_on in rows:
        rules = criteria[program_id]
        stage = Stage.FORMATION
        months_old = _months(founded_on, on)
        for s in ORDER:
            months, done, score = rules[str(s)]
            if months_old >= months and shareouts.get(pk, 0) >= done and health[pk] >= score:
                stage = s
        result[pk] = str(stage)
    return result


def stage_counts(cajas: QuerySet[Caja], on: dt.date) -> dict[str, int]:
    counts = Counter(stages(cajas, on).values())
    return {str(s): counts.get(str(s), 0) for s in ORDER}
