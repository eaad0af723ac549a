"""The meeting screen through the Django test client: rule errors show in the page and
write nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from cajas.ledger.selectors import caja_summary, fines_owed_by_member
from cajas.meetings.models import Meeting
from cajas.org.models import Caja
from tests.factories import db_snapshot
from tests.helpers import force_login

pytestmark = pytest.mark.django_db


def test_a_treasurer_records_and_closes_a_meeting(caja_a: Caja, alice: User) -> None:
    client = Client()
    force_login(client, alice)
    client.post(f"/cajas/{caja_a.pk}/meetings/open/", {"date": "2025-02-03"})
    meeting = Meeting.objects.get(caja=caja_a)
    url = f"/cajas/{caja_a.pk}/meetings/{meeting.number}/"
    form: dict[str, str] = {}
    for n in range(1, 7):
        form |= {f"status_{n}": "present", f"shares_{n}": "2", f"fund_{n}": "on"}
    form["status_6"] = "absent"
    form["shares_6"] = "0"
    form.pop("fund_6")
    assert client.post(f"{url}sheet/", form).status_code == 302
    page = client.get(url).content.decode()
    assert "Inasistencia" in page  # the proposed absence fine
    # Member 6's absence fine is her debt, not cash: 5 × (2 × 5.00 + 1.00) = 55.00 in the box.
    response = client.post(f"{url}close/", {"counted_cash": "55.00"}, follow=True)
    assert "Reunión cerrada y registrada en los libros." in response.content.decode()
    summary = caja_summary(caja=caja_a)
    assert summary["savings"] == 5 * 2 * 500
    assert summary["cash"] == 5500
    assert fines_owed_by_member(caja=caja_a) == {6: 100}
    assert summary["social_fund"] == 500


def test_a_rule_violation_shows_in_the_page_and_writes_nothing(caja_a: Caja, alice: User) -> None:
    client = Client()
    force_login(client, alice)
    client.post(f"/cajas/{caja_a.pk}/meetings/open/", {"date": "2025-02-03"})
    url = f"/cajas/{caja_a.pk}/meetings/1/"
    before = db_snapshot()
    response = client.post(f"{url}items/", {"kind": "expense", "amount": "1.234"}, follow=True)
    assert (
        "El monto 1.234 tiene más de 2 decimales; use centavos exactos."
        in response.content.decode()
    )
    assert db_snapshot() == before
