"""One-time form tokens: a form sent twice (double tap, back button, a retry on a bad
connection) is recorded once, and the repeat lands where the first went (core/once.py)."""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections
from django.test import Client, override_settings

from cajas.access.models import StaffAssignment, StaffRole
from cajas.core.models import OnceToken
from cajas.loans.models import Loan
from cajas.meetings.sheet import SheetRow
from cajas.monitoring.models import Visit
from cajas.org.models import Caja
from tests.factories import FOUNDED, make_caja
from tests.helpers import force_login, run_meeting

ALREADY = "Esto ya se registró; no se repitió."
TEMPLATES = Path(__file__).resolve().parent.parent / "src" / "cajas" / "web" / "templates" / "web"


def _client(user: User) -> Client:
    client = Client()
    force_login(client, user)
    return client


def _token(page: str) -> str:
    found = re.search(r'<input type="hidden" name="once" value="([^"]+)">', page)
    assert found, "the form carries no one-time token"
    return found.group(1)


def _visit_form(caja: Caja, **extra: str) -> dict[str, str]:
    return {"date": "2025-03-03", "reason": "asistencia", "findings": "", **extra}


def _supervisor(caja: Caja, username: str) -> User:
    user = User.objects.create_user(username=username, password="secreto-123")
    StaffAssignment.objects.create(
        user=user, role=StaffRole.PARTNER_SUPERVISOR, program=caja.program, partner=caja.partner
    )
    return user


@pytest.mark.django_db
def test_a_visit_sent_twice_is_recorded_once_and_the_repeat_lands_on_it(
    caja_a: Caja, bob: User
) -> None:
    client = _client(bob)
    url = f"/cajas/{caja_a.pk}/visits/"
    token = _token(client.get(url).content.decode())
    # Bob taps "Guardar la visita"…
    first = client.post(url, _visit_form(caja_a, once=token))
    visit = Visit.objects.get(caja=caja_a)
    assert first.status_code == 302 and first["Location"] == f"{url}{visit.pk}/"
    # … the connection drops, and he taps again: the same form, the same token.
    again = client.post(url, _visit_form(caja_a, once=token), follow=True)
    assert Visit.objects.filter(caja=caja_a).count() == 1
    assert again.redirect_chain == [(f"{url}{visit.pk}/", 302)]
    assert ALREADY in again.content.decode()


@pytest.mark.django_db
def test_an_application_sent_twice_makes_one_loan(caja_a: Caja, alice: User) -> None:
    run_meeting(caja_a, FOUNDED, [SheetRow(member=n, shares=5) for n in range(1, 7)])
    client = _client(alice)
    token = _token(client.get(f"/cajas/{caja_a.pk}/loans/").content.decode())
    form = {"amount": "60", "term": "3", "member": "2", "purpose": "emergency", "once": token}
    first = client.post(f"/cajas/{caja_a.pk}/loans/apply/", form, follow=True)
    assert "Solicitud registrada" in first.content.decode()
    # The back button, and the same form sent again:
    again = client.post(f"/cajas/{caja_a.pk}/loans/apply/", form, follow=True)
    assert Loan.objects.filter(caja=caja_a).count() == 1
    assert again.redirect_chain == first.redirect_chain
    assert ALREADY in again.content.decode()
    assert "Solicitud registrada" not in again.content.decode()


@pytest.mark.django_db
def test_a_refused_form_can_be_corrected_and_sent_again_with_its_token(
    caja_a: Caja, bob: User
) -> None:
    client = _client(bob)
    url = f"/cajas/{caja_a.pk}/visits/"
    token = _token(client.get(url).content.decode())
    # An agreed action due before the visit itself: refused, nothing written.
    late = {"action_1": "arqueo", "due_1": "2025-03-01", "once": token}
    refused = client.post(url, _visit_form(caja_a, **late), follow=True)
    assert ALREADY not in refused.content.decode()
    assert not Visit.objects.exists()
    # Bob fixes the date and sends the same form again: this time it is recorded.
    fixed = {"action_1": "arqueo", "due_1": "2025-03-10", "once": token}
    client.post(url, _visit_form(caja_a, **fixed))
    assert Visit.objects.filter(caja=caja_a).count() == 1


@pytest.mark.django_db
def test_a_token_from_another_user_is_ignored(caja_a: Caja, bob: User) -> None:
    dora = _supervisor(caja_a, "dora")
    url = f"/cajas/{caja_a.pk}/visits/"
    token = _token(_client(bob).get(url).content.decode())
    _client(bob).post(url, _visit_form(caja_a, once=token))
    # Dora's request carries Bob's token: it is not Bob's repeat, so it runs as her own.
    response = _client(dora).post(url, _visit_form(caja_a, once=token), follow=True)
    assert ALREADY not in response.content.decode()
    assert Visit.objects.filter(caja=caja_a).count() == 2


@pytest.mark.django_db
def test_a_token_older_than_a_day_has_expired(caja_a: Caja, bob: User) -> None:
    client = _client(bob)
    url = f"/cajas/{caja_a.pk}/visits/"
    client.post(url, _visit_form(caja_a, once="t" * 24))
    OnceToken.objects.update(created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    client.post(url, _visit_form(caja_a, once="t" * 24))
    assert Visit.objects.filter(caja=caja_a).count() == 2
    assert OnceToken.objects.count() == 1  # the expired one was pruned


@pytest.mark.django_db
@override_settings(CAJAS_ONCE_WAIT_SECONDS=0.2)
def test_a_double_tap_while_the_first_is_still_running_goes_back_without_posting(
    caja_a: Caja, bob: User
) -> None:
    url = f"/cajas/{caja_a.pk}/visits/"
    # The first tap claimed the token and is still being recorded (no answer yet).
    OnceToken.objects.create(user=bob, token="d" * 24, path=url)
    client = _client(bob)
    response = client.post(
        url, _visit_form(caja_a, once="d" * 24), HTTP_REFERER=f"http://testserver{url}"
    )
    assert response.status_code == 302 and response["Location"] == f"http://testserver{url}"
    assert not Visit.objects.exists()
    page = client.get(url).content.decode()
    assert "Esto ya se está registrando; no se repitió." in page


@pytest.mark.django_db
def test_posts_without_a_token_run_as_before(caja_a: Caja, bob: User) -> None:
    client = _client(bob)
    url = f"/cajas/{caja_a.pk}/visits/"
    client.post(url, _visit_form(caja_a))
    client.post(url, _visit_form(caja_a))
    assert Visit.objects.filter(caja=caja_a).count() == 2
    assert not OnceToken.objects.exists()


def test_every_post_form_outside_the_meeting_screen_carries_a_token() -> None:
    # The meeting screen is wired by its own change; the language switch and log out in
    # base.html are harmless to repeat.
    missing = []
    for template in sorted(TEMPLATES.glob("*.html")):
        if template.name == "meeting.html":
            continue
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", template.read_text(), re.S):
            if "{% once_token %}" not in form:
                missing.append(f"{template.name}: {form[:60]}")
    assert missing == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrent requests need PostgreSQL"
)
def test_two_taps_at_the_same_moment_record_one_visit() -> None:
    caja = make_caja(members=2)
    eva = _supervisor(caja, "eva")
    url = f"/cajas/{caja.pk}/visits/"
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def tap() -> None:
        client = _client(eva)
        barrier.wait()
        try:
            answers.append(client.post(url, _visit_form(caja, once="c" * 24)).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert answers == [302, 302]
    assert Visit.objects.filter(caja=caja).count() == 1
