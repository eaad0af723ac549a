"""Error pages say what happened in the user's language and offer a way back; an expired form
that was in fact already recorded says so instead of failing (DEBUG off, as in production)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from cajas.monitoring.models import Visit
from cajas.org.models import Caja
from tests.helpers import force_login


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


# Used by the 500 test only (pytest.mark.urls): the real routes plus a view that raises.
urlpatterns = [path("boom/", boom), path("", include("cajas.urls"))]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production(settings: Any) -> None:
    settings.DEBUG = False


def _client(user: User, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    force_login(client, user)
    return client


def test_a_caja_charlie_may_not_see_is_not_found_with_a_way_home(
    caja_a: Caja, charlie: User
) -> None:
    response = _client(charlie).get(f"/cajas/{caja_a.pk}/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "No encontramos esta página" in page
    assert "La dirección no existe o usted no tiene acceso a ella." in page
    assert '<a class="button primary" href="/" data-testid="back">Volver al inicio</a>' in page


def test_the_not_found_page_is_in_english_when_the_user_chose_english(charlie: User) -> None:
    client = _client(charlie)
    client.cookies["django_language"] = "en"
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "We could not find this page" in page and "Back to the start page" in page


def test_a_forbidden_page_of_her_caja_leads_alice_back_to_it(caja_a: Caja, alice: User) -> None:
    # Alice is a treasurer, not programme staff: follow-up visits are not hers.
    response = _client(alice).get(f"/cajas/{caja_a.pk}/visits/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "Su rol no permite hacer esto" in page
    assert f'href="/cajas/{caja_a.pk}/" data-testid="back">Volver a {caja_a.name}</a>' in page


def test_an_expired_form_explains_itself_and_leads_back_to_the_caja(
    caja_a: Caja, bob: User
) -> None:
    client = _client(bob, enforce_csrf_checks=True)
    response = client.post(f"/cajas/{caja_a.pk}/visits/", {"date": "2025-03-03"})
    page = response.content.decode()
    assert response.status_code == 403
    assert (
        "La página caducó o se envió dos veces. Vuelva y revise: lo que ya se guardó está "
        "guardado." in page
    )
    assert f'href="/cajas/{caja_a.pk}/" data-testid="back">Volver a {caja_a.name}</a>' in page
    assert not Visit.objects.exists()


def test_an_expired_form_that_was_already_recorded_says_so(caja_a: Caja, bob: User) -> None:
    url = f"/cajas/{caja_a.pk}/visits/"
    form = {"date": "2025-03-03", "reason": "asistencia", "once": "r" * 24}
    first = _client(bob).post(url, form)
    # Bob signed in again on another tab meanwhile: the old page's CSRF token no longer
    # matches, but its one-time token shows the visit was already recorded.
    stale = _client(bob, enforce_csrf_checks=True)
    again = stale.post(url, form)
    assert again.status_code == 302 and again["Location"] == first["Location"]
    page = stale.get(again["Location"]).content.decode()
    assert "Esto ya se registró; no se repitió." in page
    assert Visit.objects.count() == 1


@pytest.mark.urls("tests.test_error_pages")
def test_a_server_error_page_needs_no_database(django_assert_num_queries: Any) -> None:
    client = Client()
    client.raise_request_exception = False
    with django_assert_num_queries(0):
        response = client.get("/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Algo falló de nuestro lado" in page
    assert "No es culpa suya. Lo que ya se guardó está guardado" in page
    assert '<a href="/" data-testid="back">Volver al inicio</a>' in page
