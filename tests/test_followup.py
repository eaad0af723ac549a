"""Caja health rules on hand-checked cajas, and follow-up visits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from cajas.access.models import StaffAssignment, StaffRole
from cajas.meetings.sheet import SheetRow
from cajas.monitoring.health import evaluate
from cajas.monitoring.models import HealthRule, VisitAction
from cajas.monitoring.services import VisitActionsPending, visit_close, visit_record
from cajas.org.models import Caja
from tests.factories import FOUNDED, assert_rejected, enrol, make_caja
from tests.helpers import force_login, run_meeting

pytestmark = pytest.mark.django_db


def _caja(absent: int, short: bool = False, code: str | None = None, **bylaws: object) -> Caja:
    caja = make_caja(code=code, bylaws=bylaws or None)
    for _ in range(10):
        enrol(caja)
    for k in range(4):
        rows = [
            SheetRow(member=n, shares=1, status="absent" if n <= absent else "present")
            for n in range(1, 11)
        ]
        run_meeting(
            caja,
            FOUNDED + dt.timedelta(days=30 * k),
            rows,
            cash_delta_cents=-100 if short and k == 3 else 0,
        )
    return caja


def test_health_rules_on_hand_checked_cajas() -> None:
    healthy = _caja(absent=1, code="sana")
    absent = _caja(absent=3, code="ausente")  # 70 % attendance, under 75 %
    short = _caja(absent=0, short=True, code="faltante")
    on = FOUNDED + dt.timedelta(days=100)  # 10 days after the last meeting
    by_code = {h.caja.code: h for h in evaluate(Caja.objects.all(), on)}
    assert by_code["sana"].alerts == [] and by_code["sana"].score == 100
    assert by_code["ausente"].codes == ["attendance"] and by_code["ausente"].score == 80
    assert by_code["ausente"].alerts == ["Asistencia bajo el 75 % en las últimas 4 reuniones"]
    assert by_code["faltante"].codes == ["cash_differences"]
    late = {h.caja.code: h for h in evaluate(Caja.objects.all(), on + dt.timedelta(days=30))}
    assert "no_meeting" in late["sana"].codes  # 40 days without a meeting
    # the rules are data: a program may switch one off or move its threshold
    HealthRule.objects.create(
        program=absent.program, code="attendance", threshold=Decimal("65"), weight=20
    )
    again = {h.caja.code: h for h in evaluate(Caja.objects.all(), on)}
    assert again["ausente"].alerts == [] and healthy.pk and short.pk
    # Bylaws charging 3 % a month flat cost far more than the legal cap.
    costly = _caja(
        absent=0, code="cara", loan_monthly_rate_percent=Decimal("3"), loan_interest_method="flat"
    )
    by_code = {h.caja.code: h for h in evaluate(Caja.objects.all(), on)}
    assert by_code["cara"].codes == ["rate_cap"] and by_code["cara"].score == 85
    [alert] = by_code["cara"].alerts
    assert alert.startswith("La tasa del reglamento cuesta a los socios una TEA de ")
    assert alert.endswith("sobre el tope legal de 28.23 %") and costly.pk
    assert "rate_cap" not in by_code["sana"].codes  # the default bylaws comply
    # A threshold stored as 30.00 reads "30", not "3E+1".
    HealthRule.objects.create(
        program=absent.program, code="no_meeting", threshold=Decimal("30"), weight=25
    )
    late = {h.caja.code: h for h in evaluate(Caja.objects.all(), on + dt.timedelta(days=30))}
    assert "Sin reunión desde hace más de 30 días" in late["sana"].alerts
    with translation.override("en"):
        late = {h.caja.code: h for h in evaluate(Caja.objects.all(), on + dt.timedelta(days=30))}
    assert "No meeting for more than 30 days" in late["sana"].alerts


def test_a_visit_closes_only_when_its_actions_are_done() -> None:
    caja = _caja(absent=3)
    user = User.objects.create_user(username="fede", password="x")
    visit = visit_record(
        caja=caja,
        visitor=user,
        date=dt.date(2025, 5, 1),
        reason="asistencia baja",
        checklist={"books": True},
        findings="La directiva no avisa las reuniones.",
        actions=[("Avisar las reuniones por WhatsApp", dt.date(2025, 5, 15))],
    )
    assert_rejected(
        VisitActionsPending,
        lambda: visit_close(visit=visit, on=dt.date(2025, 5, 2)),
        es="Quedan 1 acción(es) acordada(s) sin cumplir; ciérrelas antes de cerrar la visita.",
        en="1 agreed action(s) are not done yet; close them before closing the visit.",
    )
    action = VisitAction.objects.get(visit=visit)
    action.done_on = dt.date(2025, 5, 10)
    action.save()
    closed = visit_close(visit=visit, on=dt.date(2025, 5, 20))
    assert closed.status == "closed" and closed.checklist["books"] is True


def test_visits_are_for_staff_of_the_caja(caja_a: Caja, caja_b: Caja) -> None:
    user = User.objects.create_user(username="fede", password="x")
    StaffAssignment.objects.create(
        user=user, role=StaffRole.FACILITATOR, program=caja_a.program, caja=caja_a
    )
    client = Client()
    force_login(client, user)
    assert client.get(f"/cajas/{caja_a.pk}/visits/").status_code == 200
    assert client.get(f"/cajas/{caja_b.pk}/visits/").status_code == 404
    auditor = User.objects.create_user(username="audi", password="x")
    StaffAssignment.objects.create(user=auditor, role=StaffRole.AUDITOR, program=caja_a.program)
    reader = Client()
    force_login(reader, auditor)
    assert reader.get(f"/cajas/{caja_a.pk}/visits/").status_code == 200
    assert reader.post(f"/cajas/{caja_a.pk}/visits/", {}).status_code == 403


def test_sustainability_stages_follow_their_criteria() -> None:
    from cajas.monitoring.models import StageCriterion
    from cajas.monitoring.stages import stage_counts, stages

    young = _caja(absent=0, code="joven")
    on = FOUNDED + dt.timedelta(days=50)
    assert stages(Caja.objects.all(), on)[young.pk] == "formation"
    on = FOUNDED + dt.timedelta(days=100)
    assert stages(Caja.objects.all(), on)[young.pk] == "supervised"
    # a program that wants only two months before supervision
    StageCriterion.objects.create(program=young.program, stage="supervised", min_months=2)
    assert stages(Caja.objects.all(), FOUNDED + dt.timedelta(days=70))[young.pk] == "supervised"
    assert stage_counts(Caja.objects.all(), on) == {
        "formation": 0,
        "supervised": 1,
        "independent": 0,
        "graduated": 0,
    }


def test_informal_credit_at_joining_and_now(caja_a: Caja, alice: User) -> None:
    from cajas.members.models import Membership
    from cajas.monitoring.survey import informal_credit_record, informal_credit_use

    members = list(Membership.objects.filter(caja=caja_a).order_by("number"))
    for m, used in zip(members[:4], [True, True, False, False], strict=True):
        informal_credit_record(membership=m, used=used, on=FOUNDED)
    informal_credit_record(membership=members[0], used=False, on=FOUNDED + dt.timedelta(days=365))
    use = informal_credit_use(Caja.objects.all(), FOUNDED + dt.timedelta(days=400))
    assert use == {
        "answered_joining": 4,
        "informal_at_joining_percent": Decimal("50.00"),
        "answered_now": 4,
        "informal_now_percent": Decimal("25.00"),
    }
    client = Client()
    force_login(client, alice)
    client.post(f"/cajas/{caja_a.pk}/survey/", {"used_2": "no", "used_5": "yes"})
    use = informal_credit_use(Caja.objects.all(), dt.date.today())
    assert use["informal_now_percent"] == Decimal("20.00")  # 1 of 5: member 5


def test_health_flags_concentrated_savings_and_a_late_portfolio() -> None:
    from tests.factories import disbursed_loan, enrol, make_caja
    from tests.factories import loan_caja as caja_with_savings

    concentrated = make_caja(code="concentrada", bylaws={"max_shares_per_meeting": 10})
    for role in ("president", "treasurer", "secretary", *["member"] * 5):
        enrol(concentrated, role=role)
    run_meeting(
        concentrated,
        FOUNDED,
        [SheetRow(member=n, shares=10 if n <= 3 else 1) for n in range(1, 9)],
    )
    lender = caja_with_savings()
    disbursed_loan(lender)  # 120.00 to member 4; the first installment falls due on 2025-04-17

    def health(on: dt.date) -> dict[str, list[str]]:
        return {h.caja.code: h.codes for h in evaluate(Caja.objects.all(), on)}

    # three members hold 150.00 of the 175.00 saved: 85.71 %
    assert health(FOUNDED + dt.timedelta(days=10))["concentrada"] == ["concentration"]
    assert "par30" not in health(dt.date(2025, 5, 1))[lender.code]  # 14 days late
    late = {h.caja.code: h for h in evaluate(Caja.objects.all(), dt.date(2025, 6, 1))}
    assert "par30" in late[lender.code].codes  # 45 days late: all of it at risk
    assert "Cartera en riesgo a más de 30 días sobre el 10 %" in late[lender.code].alerts
