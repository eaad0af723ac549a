"""Every page is scoped: a user sees only the cajas their role allows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from cajas.access.selectors import caja_list_for_user, user_can_record_meetings
from cajas.org.models import Caja
from tests.factories import enrol, user_for
from tests.helpers import force_login

pytestmark = pytest.mark.django_db


def login(user: User) -> Client:
    client = Client()
    force_login(client, user)
    return client


def test_alice_sees_her_caja_and_charlie_does_not(caja_a: Caja, alice: User, charlie: User) -> None:
    assert list(caja_list_for_user(user=alice)) == [caja_a]
    assert login(alice).get(f"/cajas/{caja_a.pk}/").status_code == 200
    assert login(charlie).get(f"/cajas/{caja_a.pk}/").status_code == 404
    assert login(charlie).get(f"/cajas/{caja_a.pk}/meetings/1/").status_code == 404
    assert (
        login(charlie)
        .post(f"/cajas/{caja_a.pk}/meetings/open/", {"date": "2025-02-01"})
        .status_code
        == 404
    )


def test_bob_supervises_his_partner_read_only(caja_a: Caja, caja_b: Caja, bob: User) -> None:
    assert list(caja_list_for_user(user=bob)) == [caja_a]
    assert not user_can_record_meetings(user=bob, caja=caja_a)
    response = login(bob).post(f"/cajas/{caja_a.pk}/meetings/open/", {"date": "2025-02-01"})
    assert response.status_code == 403


def test_a_plain_member_sees_only_her_own_savings(caja_a: Caja) -> None:
    socia = user_for(enrol(caja_a, given_names="Dora"), "dora")
    page = login(socia).get(f"/cajas/{caja_a.pk}/").content.decode()
    assert "Dora" in page
    assert "Socia1 " not in page and "Mi ahorro" in page
    assert login(socia).get(f"/cajas/{caja_a.pk}/meetings/1/").status_code in (403, 404)


def test_anonymous_visitors_are_sent_to_login(caja_a: Caja) -> None:
    response = Client().get(f"/cajas/{caja_a.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_pages_are_spanish_by_default_and_english_on_request(caja_a: Caja, alice: User) -> None:
    client = login(alice)
    assert "Abrir una reunión" in client.get(f"/cajas/{caja_a.pk}/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Open a meeting" in client.get(f"/cajas/{caja_a.pk}/").content.decode()
