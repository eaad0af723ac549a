"""Each caja keeps its health score, alerts and stage for today (``FigureHealth``, decision
0008): the program pages count stages and list alerts with one grouped query instead of
applying the rules to every caja at each view. What the kept row says must be what the
records say, on every day: it expires on the day the score or the stage would change with no
event (a meeting too long ago, a stage's months reached), and a change of the rules re-scores
it from the kept inputs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from cajas.meetings.sheet import SheetRow
from cajas.monitoring.health import evaluate, evaluate_from_records
from cajas.monitoring.health_rules import months_reached, months_since
from cajas.monitoring.models import FigureHealth, HealthRule, Stage, StageCriterion
from cajas.monitoring.stages import stage_counts, stages
from cajas.org.models import Caja
from tests.factories import enrol, make_caja
from tests.helpers import run_meeting

pytestmark = pytest.mark.django_db


def _caja_meeting(days_ago: int, *, shortage: bool = False) -> Caja:
    caja = make_caja()
    for role in ("president", "treasurer", "member"):
        enrol(caja, role=role)
    run_meeting(
        caja,
        timezone.localdate() - dt.timedelta(days=days_ago),
        [SheetRow(member=m, shares=1) for m in (1, 2, 3)],
        cash_delta_cents=-100 if shortage else 0,
    )
    return caja


def _kept_and_recounted(on: dt.date) -> tuple[dict[int, tuple[int, list[str]]], ...]:
    cajas = Caja.objects.all()
    kept = {h.caja_id: (h.score, h.codes) for h in evaluate(cajas, on)}
    recount = {h.caja_id: (h.score, h.codes) for h in evaluate_from_records(cajas, on)}
    return kept, recount


def _travel(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    """Today is ``day`` for everything that asks (``timezone.localdate``)."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)


def test_a_caja_without_a_meeting_for_30_days_gets_its_alert_on_the_31st_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caja = _caja_meeting(25)
    today = timezone.localdate()
    kept, recount = _kept_and_recounted(today)
    assert kept == recount and "no_meeting" not in kept[caja.pk][1]
    row = FigureHealth.objects.get(caja=caja)
    assert row.valid_until == today + dt.timedelta(days=6)  # the meeting 31 days ago then
    for later, alert in ((5, False), (6, True)):
        day = today + dt.timedelta(days=later)
        _travel(monkeypatch, day)
        kept, recount = _kept_and_recounted(day)
        assert kept == recount
        assert ("no_meeting" in kept[caja.pk][1]) is alert
        assert stages(Caja.objects.all(), day) == stages(Caja.objects.all(), day, from_records=True)
    assert FigureHealth.objects.get(caja=caja).score == 75  # kept: 100 − the rule's 25


def test_a_changed_threshold_rescores_the_kept_rows_without_recounting_them() -> None:
    caja = _caja_meeting(3, shortage=True)
    today = timezone.localdate()
    kept, _recount = _kept_and_recounted(today)
    assert kept[caja.pk] == (85, ["cash_differences"])
    before = FigureHealth.objects.get(caja=caja)
    # The program tolerates two differences in four meetings now.
    HealthRule.objects.create(
        program=caja.program, code="cash_differences", threshold=Decimal("2"), weight=15
    )
    kept, recount = _kept_and_recounted(today)
    assert kept == recount and kept[caja.pk] == (100, [])
    after = FigureHealth.objects.get(caja=caja)
    assert after.pk == before.pk and after.rules_key != before.rules_key  # re-scored in place
    # And a rule switched off.
    HealthRule.objects.filter(program=caja.program).update(threshold=Decimal("1"), enabled=False)
    kept, recount = _kept_and_recounted(today)
    assert kept == recount and kept[caja.pk] == (100, [])


def test_a_stage_is_reached_on_the_day_its_months_are(monkeypatch: pytest.MonkeyPatch) -> None:
    caja = _caja_meeting(3)
    today = timezone.localdate()
    # Supervised after so many months that it falls ten days from now.
    months = months_since(caja.founded_on, today + dt.timedelta(days=10))
    StageCriterion.objects.create(program=caja.program, stage=Stage.SUPERVISED, min_months=months)
    for criterion in (Stage.INDEPENDENT, Stage.GRADUATED):  # out of reach
        StageCriterion.objects.create(program=caja.program, stage=criterion, min_months=999)
    assert stage_counts(Caja.objects.all(), today)[Stage.SUPERVISED] == 0
    reached = months_reached(caja.founded_on, months)
    assert today < reached <= today + dt.timedelta(days=10)
    assert FigureHealth.objects.get(caja=caja).valid_until <= reached
    _travel(monkeypatch, reached)
    assert stage_counts(Caja.objects.all(), reached) == {
        Stage.FORMATION: 0,
        Stage.SUPERVISED: 1,
        Stage.INDEPENDENT: 0,
        Stage.GRADUATED: 0,
    }
    assert stages(Caja.objects.all(), reached) == stages(
        Caja.objects.all(), reached, from_records=True
    )


@given(
    founded=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)),
    months=st.integers(min_value=0, max_value=60),
)
@settings(max_examples=300, deadline=None)
def test_months_reached_is_the_first_day_with_that_many_months(
    founded: dt.date, months: int
) -> None:
    day = months_reached(founded, months)
    assert months_since(founded, day) >= months
    assert months == 0 or months_since(founded, day - dt.timedelta(days=1)) < months


def test_months_reached_of_a_31st_in_a_shorter_month() -> None:
    assert months_reached(dt.date(2026, 1, 31), 1) == dt.date(2026, 3, 1)
    assert months_reached(dt.date(2026, 11, 30), 1) == dt.date(2026, 12, 30)
    assert months_reached(dt.date(2026, 12, 31), 2) == dt.date(2027, 3, 1)
