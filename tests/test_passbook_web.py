"""The member's passbook on her phone (``/cajas/<id>/passbook/``) and an officer's view of one
member's (``/cajas/<id>/members/<n>/passbook/``).

Sofía is a plain member (number 4) of the caja; Marta (number 5) is another member. Luis is
its treasurer (number 2). Charlie is the treasurer of caja B and must never see this caja.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from cajas.ledger.models import EntryKind, JournalEntry
from cajas.ledger.services import entry_reverse
from cajas.meetings.items import disbursement_record, repayment_record
from cajas.meetings.opening import meeting_open
from cajas.members.models import Membership
from cajas.org.models import Caja
from tests.factories import APPLY, M2, caja_with_savings, run, user_for, voted_loan
from tests.helpers import force_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def caja() -> Caja:
    return caja_with_savings()


def _member(caja: Caja, number: int) -> Membership:
    return Membership.objects.select_related("person").get(caja=caja, number=number)


@pytest.fixture
def sofia(caja: Caja) -> User:
    """Sofía is a plain member of the caja (number 4)."""
    return user_for(_member(caja, 4), "sofia")


@pytest.fixture
def luis(caja: Caja) -> User:
    """Luis is the caja's treasurer (number 2)."""
    return user_for(_member(caja, 2), "luis")


def _get(user: User, url: str, lang: str = "es") -> tuple[int, str]:
    client = Client()
    force_login(client, user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = client.get(url)
    return response.status_code, response.content.decode()


def _text(html: str) -> str:
    """The page's words with the markup and the line breaks out, to read like a sentence."""
    import re

    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_member_sees_her_share_purchases_in_usd_not_cents(caja: Caja, sofia: User) -> None:
    status, page = _get(sofia, f"/cajas/{caja.pk}/passbook/")
    assert status == 200
    text = _text(page)
    assert "Mi libreta" in text and _member(caja, 4).person.full_name in text
    assert text.count("3 acciones × 5.00 USD = 15.00 USD") == 2
    assert "× 500" not in text
    assert "Saldo 30.00" in text  # two purchases of 15.00
    assert "Aporte al fondo social" in text and "Saldo 2.00" in text


def test_the_passbook_reads_in_english_too(caja: Caja, sofia: User) -> None:
    _status, page = _get(sofia, f"/cajas/{caja.pk}/passbook/", lang="en")
    text = _text(page)
    assert "My passbook" in text and "3 shares × 5.00 USD = 15.00 USD" in text


def test_a_member_never_sees_another_members_passbook(caja: Caja, sofia: User) -> None:
    status, page = _get(sofia, f"/cajas/{caja.pk}/members/5/passbook/")
    assert status == 404
    assert _member(caja, 5).person.full_name not in page
    assert _get(sofia, f"/cajas/{caja.pk}/members/99/passbook/")[0] == 404
    # her own number at the officers' address is simply her own passbook
    status, page = _get(sofia, f"/cajas/{caja.pk}/members/4/passbook/")
    assert status == 200 and "Mi libreta" in page


def test_charlie_of_another_caja_sees_no_passbook_here(
    caja: Caja, caja_b: Caja, charlie: User
) -> None:
    assert _get(charlie, f"/cajas/{caja.pk}/passbook/")[0] == 404
    assert _get(charlie, f"/cajas/{caja.pk}/members/4/passbook/")[0] == 404
    # in his own caja he has his own passbook
    assert _get(charlie, f"/cajas/{caja_b.pk}/passbook/")[0] == 200


def test_an_officer_sees_any_members_passbook(caja: Caja, luis: User) -> None:
    status, page = _get(luis, f"/cajas/{caja.pk}/members/5/passbook/")
    assert status == 200
    text = _text(page)
    assert "Libreta" in text and "Mi libreta" not in text
    assert _member(caja, 5).person.full_name in text and "Saldo 30.00" in text


def test_the_caja_page_links_to_the_passbooks(caja: Caja, sofia: User, luis: User) -> None:
    _status, page = _get(sofia, f"/cajas/{caja.pk}/")
    assert f'href="/cajas/{caja.pk}/passbook/"' in page and "Mi libreta" in page
    assert f"/cajas/{caja.pk}/members/5/passbook/" not in page
    _status, page = _get(luis, f"/cajas/{caja.pk}/")
    for n in range(1, 7):
        assert f'href="/cajas/{caja.pk}/members/{n}/passbook/"' in page


def test_a_reversal_shows_as_a_correction_with_its_reason(caja: Caja, sofia: User) -> None:
    first = JournalEntry.objects.get(
        caja=caja, membership__number=4, kind=EntryKind.SHARE_PURCHASE, date=dt.date(2025, 1, 6)
    )
    entry_reverse(
        caja_id=caja.pk,
        seq=first.seq,
        reason="Se anotó a la socia equivocada",
        recorded_by="tesorera",
        on=dt.date(2025, 2, 20),
    )
    text = _text(_get(sofia, f"/cajas/{caja.pk}/passbook/")[1])
    assert "Corrección" in text and "Motivo: Se anotó a la socia equivocada" in text
    assert f"anula el asiento n.º {first.seq} del 06/01/2025" in text
    assert "Saldo 15.00" in text  # 30.00 less the 15.00 corrected
    assert "−15.00" in text
    assert "Reversal of" not in text


def test_the_loan_with_each_payment_and_what_remains_owed(caja: Caja, sofia: User) -> None:
    loan = voted_loan(caja)
    run(caja, APPLY, during=[lambda m: disbursement_record(meeting_id=m.pk, loan_id=loan.pk)])
    run(
        caja,
        dt.date(2025, 4, 15),
        during=[
            lambda m: repayment_record(meeting_id=m.pk, loan_id=loan.pk, amount="20.60"),
        ],
    )
    text = _text(_get(sofia, f"/cajas/{caja.pk}/passbook/")[1])
    assert "Préstamo n.º 1 · 60.00 USD" in text
    assert "prestado 60.00" in text and "pagado 20.60" in text
    assert "capital 19.70 · interés 0.90" in text
    assert "Capital por pagar: 40.30 USD" in text
    assert "Próxima cuota: 20.60 USD el 17/05/2025." in text


def test_the_next_meeting_is_estimated_from_the_bylaws(caja: Caja, sofia: User) -> None:
    # the last meeting was on 10/02/2025 and the caja meets monthly
    text = _text(_get(sofia, f"/cajas/{caja.pk}/passbook/")[1])
    assert "Próxima reunión: aprox." in text


def test_the_estimate_is_the_last_meeting_plus_the_bylaws_frequency(caja: Caja) -> None:
    from cajas.documents.passbook import NextMeeting, next_meeting

    assert next_meeting(caja, dt.date(2025, 2, 20)) == NextMeeting(dt.date(2025, 3, 10), True)
    # meetings missed: the estimate moves on to the first date not yet past
    assert next_meeting(caja, dt.date(2025, 4, 11)) == NextMeeting(dt.date(2025, 5, 10), True)


def test_the_next_meeting_is_the_open_one(caja: Caja, sofia: User) -> None:
    meeting_open(caja_id=caja.pk, date=M2 + dt.timedelta(days=28), opened_by="t")
    text = _text(_get(sofia, f"/cajas/{caja.pk}/passbook/")[1])
    assert "Próxima reunión: 10/03/2025" in text and "aprox." not in text


def test_a_correction_moves_shares_to_the_right_member_with_a_replacement_entry(
    caja: Caja, sofia: User
) -> None:
    """As the corrections app does it: reverse the entry, post a replacement whose memo starts
    "Corrección"; Sofía (4) sees the reversal, Marta (5) the replacement, each in USD."""
    from django.db import transaction

    from cajas.ledger import chart
    from cajas.ledger.services import EntryDraft, Line, entries_post, member_ref
    from cajas.org.services import caja_lock

    wrong = JournalEntry.objects.get(
        caja=caja, membership__number=4, kind=EntryKind.SHARE_PURCHASE, date=M2
    )
    entry_reverse(
        caja_id=caja.pk,
        seq=wrong.seq,
        reason="Las acciones eran de Marta",
        recorded_by="tesorera",
        on=dt.date(2025, 2, 20),
    )
    with transaction.atomic():
        locked = caja_lock(caja_id=caja.pk)
        entries_post(
            caja=locked,
            drafts=[
                EntryDraft(
                    key=f"correction:{wrong.seq}:replacement",
                    kind=EntryKind.SHARE_PURCHASE,
                    date=dt.date(2025, 2, 20),
                    lines=(
                        Line(chart.CASH, debit=1500),
                        Line(chart.savings_account_code(5), credit=1500),
                    ),
                    memo=f"Corrección de #{wrong.seq}: 3 × 500",
                    member=member_ref(_member(caja, 5)),
                )
            ],
            recorded_by="tesorera",
        )
    mine = _text(_get(sofia, f"/cajas/{caja.pk}/passbook/")[1])
    assert "Motivo: Las acciones eran de Marta" in mine and "Saldo 15.00" in mine
    assert "Corrección de #" not in mine  # Marta's replacement is hers, not Sofía's
    marta = _text(_get(user_for(_member(caja, 5), "marta"), f"/cajas/{caja.pk}/passbook/")[1])
    assert f"Corrección de #{wrong.seq}: 3 acciones × 5.00 USD = 15.00 USD" in marta
    assert "Asiento de reemplazo" in marta and "Saldo 45.00" in marta
    assert "× 500" not in marta
