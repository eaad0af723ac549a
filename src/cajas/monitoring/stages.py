"""Sustainability stage of each caja — formation → supervised → independent → graduated — from
criteria kept as data (``StageCriterion``; these defaults when a program has none)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count, QuerySet

from cajas.monitoring.health import evaluate
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


def stages(cajas: QuerySet[Caja], on: dt.date) -> dict[int, str]:
    cajas = Caja.objects.filter(pk__in=cajas.values("pk"))
    shareouts = dict(
        ShareOut.objects.filter(caja__in=cajas.values("pk"), date__lte=on)
        .values_list("caja_id")
        .annotate(n=Count("pk"))
    )
    health = {h.caja.pk: h.score for h in evaluate(cajas, on)}
    criteria: dict[int, dict[str, tuple[int, int, int]]] = {}
    result = {}
    for caja in cajas:
        if caja.program_id not in criteria:
            found = {
                c.stage: (c.min_months, c.min_shareouts, c.min_health)
                for c in StageCriterion.objects.filter(program_id=caja.program_id)
            }
            criteria[caja.program_id] = {str(s): found.get(s, DEFAULT_CRITERIA[s]) for s in ORDER}
        rules = criteria[caja.program_id]
        stage = Stage.FORMATION
        for s in ORDER:
            months, done, score = rules[str(s)]
            if (
                _months(caja.founded_on, on) >= months
                and shareouts.get(caja.pk, 0) >= done
                and health[caja.pk] >= score
            ):
                stage = s
        result[caja.pk] = str(stage)
    return result


def stage_counts(cajas: QuerySet[Caja], on: dt.date) -> dict[str, int]:
    counts = Counter(stages(cajas, on).values())
    return {str(s): counts.get(str(s), 0) for s in ORDER}
