"""Corrections through the Django test client: Alice (treasurer of caja A) proposes from the
closed meeting, Diana (president) approves, and the meeting page shows it. Marta, a plain
member, gets 403; Charlie, treasurer of caja B, gets 404."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from cajas.corrections.models import Correction, CorrectionStatus
from cajas.ledger import chart
from cajas.ledger.models import EntryKind
from cajas.ledger.selectors import account_balances
from cajas.ledger.verify import verify_caja
from cajas.meetings.models import Meeting
from cajas.org.models import Caja
from tests.factories import (
    closed_meeting,
    db_snapshot,
    entry_of,
    facilitator,
    officer,
    plain_member,
)
from tests.helpers import force_login

pytestmark = pytest.mark.django_db

REASON = "Compró 2 acciones, no 3"


@pytest.fixture
def diana(caja_a: Caja) -> User:
    """Diana is the president of caja A."""
    return officer(caja_a, "president", "diana")


@pytest.fixture
def meeting_1(caja_a: Caja, alice: User, diana: User) -> Meeting:
    """Member 1 bought 3 shares (15.00) at meeting 1 but paid for 2."""
    return closed_meeting(caja_a, shares={1: 3})


def login(user: User) -> Client:
    client = Client()
    force_login(client, user)
    return client


def test_alice_proposes_from_the_meeting_diana_approves_and_the_page_shows_it(
    caja_a: Caja, alice: User, diana: User, meeting_1: Meeting
) -> None:
    purchase = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1)
    meeting_url = f"/cajas/{caja_a.pk}/meetings/1/"
    entries_url = f"/cajas/{caja_a.pk}/meetings/1/entries/"
    propose_url = f"{entries_url}{purchase.seq}/correct/"

    # Alice opens the closed meeting, follows "Entries and corrections", then "Correct".
    as_alice = login(alice)
    page = as_alice.get(meeting_url).content.decode()
    assert entries_url in page and "Correcciones" in page
    entries = as_alice.get(entries_url).content.decode()
    assert propose_url in entries and "Corregir" in entries
    form = as_alice.get(propose_url).content.decode()
    assert 'value="15.00"' in form and "csrfmiddlewaretoken" in form
    response = as_alice.post(propose_url, {"amount": "10.00", "reason": REASON}, follow=True)
    assert "Corrección n.º 1 propuesta" in response.content.decode()
    assert account_balances(caja=caja_a)[chart.savings_account_code(1)] == 1500

    # Alice sees her own proposal but no "Approve" button for it.
    pending = as_alice.get(f"/cajas/{caja_a.pk}/corrections/").content.decode()
    assert REASON in pending and "/corrections/1/approve/" not in pending

    # Diana approves.
    as_diana = login(diana)
    assert (
        "/corrections/1/approve/"
        in as_diana.get(f"/cajas/{caja_a.pk}/corrections/").content.decode()
    )
    response = as_diana.post(f"/cajas/{caja_a.pk}/corrections/1/approve/", follow=True)
    assert "Corrección n.º 1 aprobada y registrada en los libros." in response.content.decode()
    assert Correction.objects.get().status == CorrectionStatus.APPROVED
    assert account_balances(caja=caja_a)[chart.savings_account_code(1)] == 1000
    assert verify_caja(caja_a) == []

    # The closed meeting page shows what was corrected, old → new, the reason and who.
    page = as_alice.get(meeting_url).content.decode()
    assert "Corrección n.º 1" in page and "Aprobada" in page
    assert '<s>15.00</s> → <strong data-testid="right-amount">10.00</strong>' in page
    assert REASON in page
    assert "Propuesta por Alice" in page and "Aprobada por Diana" in page
    assert "corregido" in as_alice.get(entries_url).content.decode()


def test_diana_rejects_and_the_books_are_unchanged(
    caja_a: Caja, alice: User, diana: User, meeting_1: Meeting
) -> None:
    purchase = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1)
    login(alice).post(
        f"/cajas/{caja_a.pk}/meetings/1/entries/{purchase.seq}/correct/",
        {"amount": "10.00", "reason": REASON},
    )
    before = account_balances(caja=caja_a)
    response = login(diana).post(
        f"/cajas/{caja_a.pk}/corrections/1/reject/", {"note": "Sí compró 3"}, follow=True
    )
    assert "Corrección n.º 1 rechazada; los libros no cambian." in response.content.decode()
    assert account_balances(caja=caja_a) == before
    page = login(alice).get(f"/cajas/{caja_a.pk}/meetings/1/").content.decode()
    assert "Rechazada" in page and "Sí compró 3" in page


def test_a_wrong_amount_shows_next_to_the_field_keeps_the_input_and_writes_nothing(
    caja_a: Caja, alice: User, meeting_1: Meeting
) -> None:
    purchase = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1)
    url = f"/cajas/{caja_a.pk}/meetings/1/entries/{purchase.seq}/correct/"
    before = db_snapshot()
    response = login(alice).post(url, {"amount": "10.1234", "reason": REASON})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="amount-error">El monto 10.1234 tiene más de 2 decimales' in page
    assert 'value="10.1234"' in page and REASON in page
    assert db_snapshot() == before


def test_a_missing_reason_shows_next_to_the_field_in_english_too(
    caja_a: Caja, alice: User, meeting_1: Meeting
) -> None:
    purchase = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1)
    url = f"/cajas/{caja_a.pk}/meetings/1/entries/{purchase.seq}/correct/"
    client = login(alice)
    before = db_snapshot()
    response = client.post(url, {"amount": "10.00", "reason": "  "})
    assert response.status_code == 400
    assert 'id="reason-error">Indique el motivo de la corrección.' in response.content.decode()
    client.post("/i18n/setlang/", {"language": "en"})
    response = client.post(url, {"amount": "10.00", "reason": ""})
    assert response.status_code == 400
    assert 'id="reason-error">Give the reason for the correction.' in response.content.decode()
    assert 'value="10.00"' in response.content.decode()
    assert db_snapshot() == before


def test_alice_approving_her_own_correction_is_refused_in_the_page(
    caja_a: Caja, alice: User, meeting_1: Meeting
) -> None:
    purchase = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1)
    client = login(alice)
    client.post(
        f"/cajas/{caja_a.pk}/meetings/1/entries/{purchase.seq}/correct/",
        {"amount": "10.00", "reason": REASON},
    )
    before = db_snapshot()
    response = client.post(f"/cajas/{caja_a.pk}/corrections/1/approve/")
    assert response.status_code == 400
    assert "La corrección n.º 1 la propuso alice; debe aprobarla otro directivo" in (
        response.content.decode()
    )
    assert db_snapshot() == before
    assert Correction.objects.get().status == CorrectionStatus.PROPOSED


def test_fabio_the_facilitator_approves_but_cannot_propose(
    caja_a: Caja, alice: User, meeting_1: Meeting
) -> None:
    fabio = facilitator(caja_a, "fabio")
    purchase = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1)
    url = f"/cajas/{caja_a.pk}/meetings/1/entries/{purchase.seq}/correct/"
    as_fabio = login(fabio)
    assert as_fabio.get(url).status_code == 403
    assert as_fabio.post(url, {"amount": "10.00", "reason": REASON}).status_code == 403
    assert (
        "Corregir" not in as_fabio.get(f"/cajas/{caja_a.pk}/meetings/1/entries/").content.decode()
    )
    login(alice).post(url, {"amount": "10.00", "reason": REASON})
    response = as_fabio.post(f"/cajas/{caja_a.pk}/corrections/1/approve/")
    assert response.status_code == 302
    assert Correction.objects.get().decided_by == "fabio"


def test_marta_a_plain_member_gets_403_and_charlie_of_caja_b_gets_404(
    caja_a: Caja, alice: User, meeting_1: Meeting, charlie: User
) -> None:
    marta = plain_member(caja_a, "marta")
    purchase = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1)
    propose_url = f"/cajas/{caja_a.pk}/meetings/1/entries/{purchase.seq}/correct/"
    login(alice).post(propose_url, {"amount": "10.00", "reason": REASON})
    before = db_snapshot()
    for user, status in ((marta, 403), (charlie, 404)):
        client = login(user)
        assert client.get(f"/cajas/{caja_a.pk}/meetings/1/entries/").status_code == status
        assert client.get(propose_url).status_code == status
        assert client.post(propose_url, {"amount": "5.00", "reason": "x"}).status_code == status
        assert client.get(f"/cajas/{caja_a.pk}/corrections/").status_code == status
        assert client.post(f"/cajas/{caja_a.pk}/corrections/1/approve/").status_code == status
        assert client.post(f"/cajas/{caja_a.pk}/corrections/1/reject/").status_code == status
    assert db_snapshot() == before
    assert Correction.objects.get().status == CorrectionStatus.PROPOSED


def test_approving_needs_a_post_and_an_unknown_correction_is_404(
    caja_a: Caja, diana: User, meeting_1: Meeting
) -> None:
    client = login(diana)
    assert client.get(f"/cajas/{caja_a.pk}/corrections/1/approve/").status_code == 405
    assert client.post(f"/cajas/{caja_a.pk}/corrections/9/approve/").status_code == 404
    assert client.get(f"/cajas/{caja_a.pk}/meetings/1/entries/999/correct/").status_code == 404
