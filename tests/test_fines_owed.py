"""A fine for an absence is the member's debt, not cash at the meeting she missed: she pays it
at a later meeting, or the meeting waives it (FINE-001)."""

from __future__ import annotations

import datetime as dt

import pytest

from cajas.core.errors import RuleViolation
from cajas.ledger import chart
from cajas.ledger.selectors import account_balance, fines_owed_by_member
from cajas.ledger.verify import verify_caja
from cajas.meetings.close import meeting_close
from cajas.meetings.items import fine_owed_pay, fine_owed_waive
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import meeting_expected_cash
from cajas.meetings.sheet import SheetRow, meeting_sheet_save
from tests.factories import db_snapshot, make_caja
from tests.helpers import force_login

pytestmark = pytest.mark.django_db

FIRST, SECOND = dt.date(2025, 2, 3), dt.date(2025, 3, 3)


def _first_meeting_with_member_3_absent():  # type: ignore[no-untyped-def]
    caja = make_caja(members=3)
    meeting = meeting_open(caja_id=caja.pk, date=FIRST, opened_by="t")
    meeting_sheet_save(
        meeting_id=meeting.pk,
        rows=[
            SheetRow(member=1, shares=1),
            SheetRow(member=2, shares=1),
            SheetRow(member=3, status="absent"),
        ],
    )
    # Two shares of 5.00 come in; member 3's 1.00 fine does not.
    assert meeting_expected_cash(meeting=meeting) == 1000
    meeting_close(meeting_id=meeting.pk, counted_cash="10.00", closed_by="t")
    return caja


def test_an_absent_members_fine_becomes_her_debt() -> None:
    caja = _first_meeting_with_member_3_absent()
    assert account_balance(caja=caja, code=chart.CASH) == 1000
    assert account_balance(caja=caja, code=chart.FINES_RECEIVABLE) == 100
    assert account_balance(caja=caja, code=chart.FINE_INCOME) == 100
    assert fines_owed_by_member(caja=caja) == {3: 100}
    assert verify_caja(caja) == []


def test_she_pays_it_at_the_next_meeting() -> None:
    caja = _first_meeting_with_member_3_absent()
    meeting = meeting_open(caja_id=caja.pk, date=SECOND, opened_by="t")
    fine_owed_pay(meeting_id=meeting.pk, member=3, amount="1.00")
    assert meeting_expected_cash(meeting=meeting) == 1100
    meeting_close(meeting_id=meeting.pk, counted_cash="11.00", closed_by="t")
    assert fines_owed_by_member(caja=caja) == {}
    assert account_balance(caja=caja, code=chart.CASH) == 1100
    assert verify_caja(caja) == []


def test_the_meeting_may_waive_it_instead() -> None:
    caja = _first_meeting_with_member_3_absent()
    meeting = meeting_open(caja_id=caja.pk, date=SECOND, opened_by="t")
    fine_owed_waive(meeting_id=meeting.pk, member=3, amount="1.00", reason="enfermedad")
    assert meeting_expected_cash(meeting=meeting) == 1000
    meeting_close(meeting_id=meeting.pk, counted_cash="10.00", closed_by="t")
    assert fines_owed_by_member(caja=caja) == {}
    assert account_balance(caja=caja, code=chart.FINE_INCOME) == 0
    assert verify_caja(caja) == []


def test_it_refuses_to_settle_more_than_she_owes() -> None:
    caja = _first_meeting_with_member_3_absent()
    meeting = meeting_open(caja_id=caja.pk, date=SECOND, opened_by="t")
    fine_owed_pay(meeting_id=meeting.pk, member=3, amount="0.60")
    before = db_snapshot()
    with pytest.raises(RuleViolation) as raised:
        fine_owed_pay(meeting_id=meeting.pk, member=3, amount="0.50")
    assert raised.value.code == "fine.owed_exceeded"
    assert raised.value.rule_id == "FINE-001"
    assert raised.value.es == (
        "El socio n.º 3 debe 0.40 USD de multas; no se pueden cobrar ni condonar 0.50 USD."
    )
    with pytest.raises(RuleViolation):
        fine_owed_waive(meeting_id=meeting.pk, member=1, amount="0.10", reason="x")
    assert db_snapshot() == before


def test_the_next_meeting_screen_offers_to_collect_or_waive_it() -> None:
    from django.test import Client

    from tests.factories import enrol, user_for

    caja = _first_meeting_with_member_3_absent()
    alice = user_for(enrol(caja, role="treasurer", given_names="Alice"), "alice")
    client = Client()
    force_login(client, alice)
    meeting = meeting_open(caja_id=caja.pk, date=SECOND, opened_by="t")
    url = f"/cajas/{caja.pk}/meetings/{meeting.number}/"
    page = client.get(url).content.decode()
    assert "Multas pendientes de reuniones anteriores" in page
    assert "debe <strong>1.00</strong> USD" in page
    # Too much: refused next to the line, nothing written.
    before = db_snapshot()
    response = client.post(f"{url}fines/3/pay/", {"amount": "5"})
    assert response.status_code == 400
    assert "debe 1.00 USD de multas" in response.content.decode()
    assert db_snapshot() == before
    response = client.post(f"{url}fines/3/pay/", {"amount": "1"}, follow=True)
    assert "Multa cobrada." in response.content.decode()
    assert meeting_expected_cash(meeting=meeting) == 1100
