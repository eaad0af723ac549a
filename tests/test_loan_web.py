"""Loan pages through the Django test client: who sees and does what, and rule errors that
show in the page and write nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from cajas.loans.application import loan_apply
from cajas.loans.models import Loan
from cajas.meetings.selectors import cash_for_lending
from cajas.meetings.sheet import SheetRow
from cajas.org.models import Caja
from tests.factories import APPLY, FOUNDED, db_snapshot, enrol, user_for
from tests.helpers import force_login, run_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved(caja_a: Caja, alice: User) -> Caja:
    """Members 1–6 of caja A (Alice is #6) each saved 25.00."""
    run_meeting(caja_a, FOUNDED, [SheetRow(member=n, shares=5) for n in range(1, 7)])
    return caja_a


def _client(user: User) -> Client:
    client = Client()
    force_login(client, user)
    return client


def test_the_treasurer_records_an_application_and_sees_the_fair_credit_figures(
    saved: Caja, alice: User
) -> None:
    client = _client(alice)
    response = client.post(
        f"/cajas/{saved.pk}/loans/apply/",
        {"amount": "60", "term": "3", "member": "2", "purpose": "emergency"},
        follow=True,
    )
    page = response.content.decode()
    assert "Solicitud registrada: ahora pasa a votación." in page
    assert "Crédito digno: lo que de verdad cuesta este préstamo" in page
    assert "28.23 %" in page  # the legal cap, next to the loan's TEA
    loan = Loan.objects.get(caja=saved)
    assert loan.membership.number == 2 and loan.principal_cents == 6000


def test_an_application_over_the_limit_shows_the_rule_and_writes_nothing(
    saved: Caja, alice: User
) -> None:
    before = db_snapshot()
    response = _client(alice).post(
        f"/cajas/{saved.pk}/loans/apply/",
        {"amount": "80", "term": "3", "member": "2", "purpose": "business"},
        follow=True,
    )
    page = response.content.decode()
    assert "supera 3 veces los ahorros" in page and "puede pedir hasta 75.00 USD" in page
    assert db_snapshot() == before


def test_a_member_sees_only_her_own_loans(saved: Caja, alice: User) -> None:
    rosa = user_for(enrol(saved, given_names="Rosa"), "rosa")  # member #7, no savings
    mine = loan_apply(
        caja_id=saved.pk,
        member=2,
        amount="30",
        term=3,
        purpose="business",
        on=APPLY,
        cash_available=cash_for_lending(caja_id=saved.pk),
    )
    client = _client(rosa)
    assert client.get(f"/cajas/{saved.pk}/loans/{mine.number}/").status_code == 404
    listing = client.get(f"/cajas/{saved.pk}/loans/").content.decode()
    assert "Préstamo n.º 1" not in listing and "Todavía no hay préstamos." in listing
    simulator = client.get(f"/cajas/{saved.pk}/loans/simulator/?amount=10&term=2").content.decode()
    assert "Socio/a 7." in simulator  # her own limit, never someone else's
    # and she cannot apply in another member's name
    assert (
        client.post(
            f"/cajas/{saved.pk}/loans/apply/",
            {"amount": "10", "term": "2", "member": "2", "purpose": "business"},
        ).status_code
        == 403
    )


def test_other_cajas_and_supervisors(saved: Caja, alice: User, charlie: User, bob: User) -> None:
    loan = loan_apply(
        caja_id=saved.pk,
        member=2,
        amount="30",
        term=3,
        purpose="business",
        on=APPLY,
        cash_available=cash_for_lending(caja_id=saved.pk),
    )
    outsider = _client(charlie)
    for url in ("loans/", f"loans/{loan.number}/", "loans/simulator/"):
        assert outsider.get(f"/cajas/{saved.pk}/{url}").status_code == 404
    supervisor = _client(bob)
    assert supervisor.get(f"/cajas/{saved.pk}/loans/{loan.number}/").status_code == 200
    assert (
        supervisor.post(f"/cajas/{saved.pk}/loans/{loan.number}/", {"action": "decide"}).status_code
        == 403
    )


def test_program_admins_keep_the_rate_caps(saved: Caja, alice: User) -> None:
    from cajas.access.models import StaffAssignment, StaffRole
    from cajas.loans.rates import cap_percent_in_force

    admin = User.objects.create_user(username="ana", password="x")
    StaffAssignment.objects.create(user=admin, role=StaffRole.PROGRAM_ADMIN, program=saved.program)
    page = _client(alice).get("/rate-caps/").content.decode()
    assert "Microcrédito minorista" in page and "28.23 %" in page
    assert _client(alice).post("/rate-caps/", {}).status_code == 403
    client = _client(admin)
    before = db_snapshot()
    bad = client.post(
        "/rate-caps/",
        {"segment": "microcredito_minorista", "tea_percent": "0", "effective_from": "2027-01-01"},
        follow=True,
    ).content.decode()
    assert "La tasa máxima debe ser un porcentaje mayor que 0 y hasta 100 (se recibió 0)." in bad
    assert db_snapshot() == before
    client.post(
        "/rate-caps/",
        {
            "segment": "microcredito_minorista",
            "tea_percent": "26.50",
            "effective_from": "2027-01-01",
            "source": "JPRF-F-2026-999",
        },
    )
    import datetime as dt
    from decimal import Decimal

    assert cap_percent_in_force("microcredito_minorista", dt.date(2026, 12, 31)) == Decimal("28.23")
    assert cap_percent_in_force("microcredito_minorista", dt.date(2027, 1, 1)) == Decimal("26.50")


def test_a_refused_application_keeps_what_was_typed_and_no_token_in_the_address(
    saved: Caja, alice: User
) -> None:
    client = _client(alice)
    response = client.post(
        f"/cajas/{saved.pk}/loans/apply/",
        {
            "amount": "80",
            "term": "3",
            "member": "2",
            "purpose": "business",
            "guarantors": "1",
            "csrfmiddlewaretoken": "x" * 32,
            "once": "y" * 16,
        },
    )
    assert response.status_code == 302
    address = response["Location"]
    assert "csrfmiddlewaretoken" not in address and "once=" not in address
    assert "guarantors=1" in address and "purpose=business" in address
    # «Calcular» again keeps the guarantor and the purpose for the application below it.
    page = client.get(address).content.decode()
    assert '<input type="hidden" name="guarantors" value="1">' in page
    assert 'name="guarantors" value="1"' in page.split("loans/apply/")[-1]


def test_an_approval_at_an_open_meeting_says_once_where_to_hand_the_money_over(
    saved: Caja, alice: User
) -> None:
    """Approved while meeting #2 is open: one message, and a link to that meeting instead of
    «Abra una reunión»; with no meeting open the page asks for one."""
    from cajas.meetings.opening import meeting_open

    def approve(member: int) -> str:
        loan = loan_apply(
            caja_id=saved.pk,
            member=member,
            amount="20",
            term=2,
            purpose="business",
            on=APPLY,
            cash_available=cash_for_lending(caja_id=saved.pk),
        )
        votes = {f"vote_{n}": "yes" for n in range(1, 7)}
        response = _client(alice).post(
            f"/cajas/{saved.pk}/loans/{loan.number}/", {"action": "decide", **votes}, follow=True
        )
        return response.content.decode()

    page = approve(2)
    assert page.count("Préstamo aprobado.") == 1
    assert "Abra una reunión para entregar el dinero" in page
    meeting = meeting_open(caja_id=saved.pk, date=APPLY, opened_by="t")
    page = approve(3)
    assert page.count("Préstamo aprobado.") == 1
    assert f"La reunión n.º {meeting.number} está abierta: entregue el dinero allí." in page
    assert f'href="/cajas/{saved.pk}/meetings/{meeting.number}/#loan-' in page
    assert "Abra una reunión" not in page
