"""The share-out pages through the test client: preview, execution at the open meeting, the
report, and who sees what."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from cajas.ledger import chart
from cajas.ledger.selectors import account_balances
from cajas.meetings.opening import meeting_open
from cajas.meetings.sheet import SheetRow
from cajas.members.models import Consent, Membership
from cajas.org.models import Caja
from cajas.shareouts.models import ShareOut
from tests.factories import FOUNDED, db_snapshot, enrol, user_for
from tests.helpers import force_login, run_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved(caja_a: Caja, alice: User) -> Caja:
    run_meeting(
        caja_a, FOUNDED, [SheetRow(member=n, shares=5, social_fund=True) for n in range(1, 7)]
    )
    return caja_a


def _client(user: User) -> Client:
    client = Client()
    force_login(client, user)
    return client


def test_preview_then_share_out_at_the_open_meeting(saved: Caja, alice: User) -> None:
    client = _client(alice)
    page = client.get(f"/cajas/{saved.pk}/shareout/").content.decode()
    assert "Si la caja repartiera el" in page and "150.00" in page  # 6 × 25.00
    assert "Abra la reunión de asamblea para repartir." in page
    meeting_open(caja_id=saved.pk, date=FOUNDED.replace(month=3), opened_by="t", kind="assembly")
    response = client.post(f"/cajas/{saved.pk}/shareout/", {"reinvest_2": "5"}, follow=True)
    page = response.content.decode()
    assert "Reparto hecho y registrado. Comenzó el siguiente ciclo." in page
    assert "Reparto del ciclo 1" in page
    assert account_balances(caja=saved)[chart.savings_account_code(2)] == 500
    assert ShareOut.objects.filter(caja=saved).count() == 1


def test_a_bad_reinvestment_is_refused_and_writes_nothing(saved: Caja, alice: User) -> None:
    meeting_open(caja_id=saved.pk, date=FOUNDED.replace(month=3), opened_by="t", kind="assembly")
    before = db_snapshot()
    response = _client(alice).post(
        f"/cajas/{saved.pk}/shareout/", {"reinvest_2": "30"}, follow=True
    )
    assert "El socio n.º 2 puede dejar invertidos hasta 25.00 USD, no 30.00 USD." in (
        response.content.decode()
    )
    assert db_snapshot() == before


def test_a_member_sees_only_her_own_line_and_cannot_execute(saved: Caja, charlie: User) -> None:
    rosa = user_for(enrol(saved, given_names="Rosa"), "rosa")
    client = _client(rosa)
    page = client.get(f"/cajas/{saved.pk}/shareout/").content.decode()
    assert 'data-member="1"' not in page and "shareout-fund" not in page
    meeting_open(caja_id=saved.pk, date=FOUNDED.replace(month=3), opened_by="t")
    assert client.post(f"/cajas/{saved.pk}/shareout/", {}).status_code == 403
    assert _client(charlie).get(f"/cajas/{saved.pk}/shareout/").status_code == 404


def test_documents_are_scoped_like_the_pages(saved: Caja, alice: User, charlie: User) -> None:
    rosa_member = enrol(saved, given_names="Rosa")
    rosa = _client(user_for(rosa_member, "rosa"))
    mine = rosa.get(f"/cajas/{saved.pk}/documents/passbook/?member={rosa_member.number}")
    assert mine.status_code == 200 and mine["Content-Type"] == "application/pdf"
    assert rosa.get(f"/cajas/{saved.pk}/documents/passbook/?member=1").status_code == 404
    assert rosa.get(f"/cajas/{saved.pk}/documents/minutes/").status_code == 403
    assert _client(charlie).get(f"/cajas/{saved.pk}/documents/passbook/").status_code == 404
    # the credit letter waits for her consent, which she gives herself
    page = rosa.get(f"/cajas/{saved.pk}/documents/credit-history/", follow=True)
    assert "no ha dado su consentimiento" in page.content.decode()
    rosa.post(f"/cajas/{saved.pk}/members/{rosa_member.number}/consents/credit_letter/give/")
    letter = rosa.get(f"/cajas/{saved.pk}/documents/credit-history/")
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"
    staff = _client(alice)
    printable = staff.get(f"/cajas/{saved.pk}/documents/statements/?format=html")
    assert "Estados financieros" in printable.content.decode()


def test_receipts_by_whatsapp_after_the_meeting(saved: Caja, alice: User) -> None:
    from urllib.parse import unquote

    from cajas.documents.phone import whatsapp_number

    assert whatsapp_number("0991234567") == "593991234567"
    assert whatsapp_number("+58 412-555 1234") == "584125551234"
    assert whatsapp_number("") is None and whatsapp_number("12345") is None
    meeting_page = _client(alice).get(f"/cajas/{saved.pk}/meetings/1/").content.decode()
    # the meeting page links to the receipts, a page of their own
    assert f'href="/cajas/{saved.pk}/meetings/1/receipts/"' in meeting_page
    assert "https://wa.me/" not in meeting_page
    page = _client(alice).get(f"/cajas/{saved.pk}/meetings/1/receipts/").content.decode()
    assert "Recibos por teléfono" in page and "https://wa.me/" not in page  # nobody agreed yet
    assert "Sin consentimiento para recibir recibos por WhatsApp" in page
    for m in Membership.objects.filter(caja=saved):
        Consent.objects.create(
            person=m.person, purpose="whatsapp_receipts", given_at=timezone.now(), how="recorded"
        )
    page = _client(alice).get(f"/cajas/{saved.pk}/meetings/1/receipts/").content.decode()
    link = page.split('href="https://wa.me/')[1].split('"')[0]
    number, text = link.split("?text=")
    assert number == "593990000000"  # the test members' phone 0990000000
    text = unquote(text.replace("&amp;", "&"))
    assert "reunión n.º 1" in text and "Compra de acciones: 25.00" in text
    assert "Ahorro tras esta reunión: 25.00 USD" in text


def test_a_member_leaves_through_the_meeting_page(saved: Caja, alice: User) -> None:

    meeting_open(caja_id=saved.pk, date=FOUNDED.replace(month=3), opened_by="t")
    response = _client(alice).post(
        f"/cajas/{saved.pk}/meetings/2/exit/",
        {"member": "3", "reason": "withdrawal", "social_fund_help": "0"},
        follow=True,
    )
    assert "Salida liquidada: se pagaron 25.00 USD." in response.content.decode()
    assert Membership.objects.get(caja=saved, number=3).left_reason == "withdrawal"
