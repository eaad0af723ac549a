"""Accounts that resist attack: lockout after failed logins, strong passwords hashed with
Argon2, a second factor required of program staff, idle sessions that end, and safe headers
(CSP, no-store, HSTS and Secure cookies behind CAJAS_HTTPS)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import URLPattern, include, path, reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cajas.org.models import Caja
from cajas.settings import https_settings
from cajas.web import urls as web_urls
from cajas.web.account_middleware import LAST_SEEN
from tests.factories import db_snapshot, enrol, user_for
from tests.helpers import force_login, phone_of, totp_code

pytestmark = pytest.mark.django_db


def _boom(request: object) -> None:
    raise RuntimeError("a bug")


# Used by the 500 test only (pytest.mark.urls): the real routes plus a view that raises.
urlpatterns = [path("boom/", _boom), path("", include("cajas.urls"))]
handler500 = "cajas.web.errors.server_error"

LOGIN = "/accounts/login/"


def _try(client: Client, username: str, password: str) -> object:
    return client.post(LOGIN, {"username": username, "password": password})


# --- Lockout ---------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_for_15_minutes_even_with_the_right_one(
    alice: User,
) -> None:
    client = Client()
    for _ in range(4):
        assert _try(client, "alice", "no-es-esta").status_code == 200
    assert _try(client, "alice", "no-es-esta").status_code == 429  # the fifth locks
    locked = _try(client, "alice", "secreto-123")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "bloqueado por 15 minutos" in page
    assert "_auth_user_id" not in client.session
    # From another address the username is still locked (per user) …
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert _try(other, "alice", "secreto-123").status_code == 429
    # … and in English it says so too.
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.cookies["django_language"] = "en"
    assert "locked for 15 minutes" in _try(english, "alice", "x").content.decode()


def test_the_lock_ends_after_the_cool_off_and_a_success_resets_the_count(alice: User) -> None:
    client = Client()
    for _ in range(5):
        _try(client, "alice", "mal")
    assert _try(client, "alice", "secreto-123").status_code == 429
    # Sixteen minutes later (the attempts are aged: no sleeping).
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    ok = _try(client, "alice", "secreto-123")
    assert ok.status_code == 302 and client.session["_auth_user_id"] == str(alice.pk)
    assert not AccessAttempt.objects.filter(username="alice").exists()


def test_one_address_trying_many_usernames_is_locked(caja_a: Caja, alice: User) -> None:
    client = Client(REMOTE_ADDR="10.1.1.1")
    for name in ["ana", "beto", "carla", "dani", "eva"]:
        _try(client, name, "adivina")
    assert _try(client, "alice", "secreto-123").status_code == 429
    assert _try(Client(REMOTE_ADDR="10.1.1.2"), "alice", "secreto-123").status_code == 302


# --- Passwords ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("12345678", "La contraseña es demasiado corta. Debe contener por lo menos 10 caracteres."),
        ("1234567890", "Esta contraseña es completamente numérica."),
        ("password123", "Esta contraseña es demasiado común."),
        ("alice.tesorera", "La contraseña es demasiado similar a la de"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(alice: User, new: str, message: str) -> None:
    User.objects.filter(pk=alice.pk).update(email="alice.tesorera@example.org")
    client = force_login(Client(), alice)
    before, hashed = db_snapshot(), User.objects.get(pk=alice.pk).password
    response = client.post(
        reverse("password_change"),
        {"old_password": "secreto-123", "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.get(pk=alice.pk).password == hashed
    assert db_snapshot() == before


def test_a_new_password_is_hashed_with_argon2_and_the_session_goes_on(
    caja_a: Caja, alice: User
) -> None:
    client = force_login(Client(), alice)
    assert "Mi cuenta" in client.get(f"/cajas/{caja_a.pk}/").content.decode()
    assert "Cambiar mi contraseña" in client.get(reverse("account")).content.decode()
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "secreto-123",
            "new_password1": "caja-de-ahorro-2026",
            "new_password2": "caja-de-ahorro-2026",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.password.startswith("argon2")
    assert alice.check_password("caja-de-ahorro-2026")
    assert client.get(reverse("account")).status_code == 200


def test_pbkdf2_hashes_already_stored_still_log_in() -> None:
    from django.contrib.auth.hashers import make_password

    User.objects.create(
        username="vieja", password=make_password("secreto-123", hasher="pbkdf2_sha256")
    )
    assert _try(Client(), "vieja", "secreto-123").status_code == 302
    assert User.objects.get(username="vieja").password.startswith("argon2")


# --- Second factor -----------------------------------------------------------------------


def _sample(pattern: URLPattern) -> str:
    sample = {"StringConverter": "x", "UUIDConverter": "00000000-0000-4000-8000-000000000000"}
    args = {
        name: sample.get(conv.__class__.__name__, 1)
        for name, conv in pattern.pattern.converters.items()
    }
    return reverse(pattern.name, kwargs=args) if pattern.name else "/"


OPEN = {"login", "logout", "second_factor_setup", "second_factor_verify"}


def test_staff_reach_no_page_before_the_second_factor_and_every_page_after(
    caja_a: Caja, bob: User
) -> None:
    client = Client()
    client.force_login(bob)  # password only
    urls = [_sample(p) for p in web_urls.urlpatterns if p.name not in OPEN]
    assert len(urls) >= 40
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/two-factor/setup/?next="), url
        inplace = client.post(
            url, HTTP_X_CAJAS_INPLACE="1", HTTP_REFERER=f"http://testserver/cajas/{caja_a.pk}/"
        )
        assert inplace.status_code == 403 and inplace["Content-Type"] == "application/json"
        assert json.loads(inplace.content)["redirect"].startswith("/accounts/two-factor/setup/")
    # Enrol: QR code and key shown; a wrong code refused; the right one gives recovery codes.
    setup = client.get("/accounts/two-factor/setup/?next=/program/")
    page = setup.content.decode()
    assert 'src="data:image/svg+xml' in page and 'data-testid="otp-key"' in page
    device = TOTPDevice.objects.get(user=bob, confirmed=False)
    before = db_snapshot()
    wrong = client.post("/accounts/two-factor/setup/", {"token": "000000", "next": "/program/"})
    assert wrong.status_code == 400 and "El código no es correcto" in wrong.content.decode()
    assert db_snapshot() == before and not TOTPDevice.objects.filter(confirmed=True).exists()
    done = client.post(
        "/accounts/two-factor/setup/", {"token": totp_code(device), "next": "/program/"}
    )
    assert done.status_code == 200
    assert StaticToken.objects.filter(device__user=bob).count() == 10
    assert 'data-testid="recovery-codes"' in done.content.decode()
    for url in urls:
        response = client.get(url)
        location = response.get("Location", "")
        assert "/two-factor/" not in location, url


def test_staff_with_a_phone_type_a_code_or_a_recovery_code_after_the_password(bob: User) -> None:
    device = phone_of(bob)
    client = Client()
    response = _try(client, "bob", "secreto-123")
    assert response.status_code == 302
    assert client.get("/").headers["Location"].startswith("/accounts/two-factor/verify/")
    refused = client.post("/accounts/two-factor/verify/", {"token": "123456"})
    assert refused.status_code == 400 and "El código no es correcto" in refused.content.decode()
    device = phone_of(bob)  # a failure makes the next try wait a second: that second passes
    ok = client.post(
        "/accounts/two-factor/verify/", {"token": totp_code(device), "next": "/program/"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/program/"
    assert client.get("/program/").status_code == 200
    # A recovery code works once.
    from django_otp.plugins.otp_static.models import StaticDevice

    static = StaticDevice.objects.create(user=bob, name="recovery")
    static.token_set.create(token="abcd1234")
    for expected in (302, 400):
        other = Client()
        other.force_login(bob)
        assert (
            other.post("/accounts/two-factor/verify/", {"token": "abcd1234"}).status_code
            == expected
        )


def test_officers_without_a_phone_are_not_asked_and_may_turn_it_on(
    caja_a: Caja, alice: User
) -> None:
    client = Client()
    client.force_login(alice)
    assert client.get(f"/cajas/{caja_a.pk}/").status_code == 200
    assert "Activar la verificación en dos pasos" in client.get(reverse("account")).content.decode()
    client.get("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user=alice)
    client.post("/accounts/two-factor/setup/", {"token": totp_code(device)})
    # Once on, a new session asks for it.
    later = Client()
    later.force_login(alice)
    assert later.get(f"/cajas/{caja_a.pk}/")["Location"].startswith("/accounts/two-factor/verify/")


# --- Sessions ----------------------------------------------------------------------------


def test_an_idle_session_ends_and_an_in_place_request_is_sent_to_log_in_and_back(
    caja_a: Caja, alice: User, bob: User
) -> None:
    client = force_login(Client(), alice)
    client.get("/")
    session = client.session
    session[LAST_SEEN] -= 59 * 60  # 59 minutes ago: still on
    session.save()
    assert client.get(f"/cajas/{caja_a.pk}/").status_code == 200
    session = client.session
    session[LAST_SEEN] -= 61 * 60
    session.save()
    response = client.post(
        f"/cajas/{caja_a.pk}/meetings/1/rows/1/",
        HTTP_X_CAJAS_INPLACE="1",
        HTTP_REFERER=f"http://testserver/cajas/{caja_a.pk}/meetings/1/",
    )
    assert response.status_code == 401
    data = json.loads(response.content)
    assert data["redirect"] == f"/accounts/login/?next=%2Fcajas%2F{caja_a.pk}%2Fmeetings%2F1%2F"
    assert client.get(f"/cajas/{caja_a.pk}/").status_code == 302
    # Staff: 30 minutes.
    staff = force_login(Client(), bob)
    staff.get("/program/")
    session = staff.session
    session[LAST_SEEN] -= 31 * 60
    session.save()
    assert staff.get("/program/")["Location"].startswith("/accounts/login/")


# --- Headers -----------------------------------------------------------------------------


def test_csp_and_no_store_on_pages_documents_and_the_login_page(caja_a: Caja, alice: User) -> None:
    anonymous = Client().get(LOGIN)
    client = force_login(Client(), alice)
    pages = {
        "login": anonymous,
        "caja": client.get(f"/cajas/{caja_a.pk}/"),
        "pdf": client.get(f"/cajas/{caja_a.pk}/documents/members/"),
        "csv": client.get(f"/cajas/{caja_a.pk}/export/book.csv"),
        "xlsx": client.get(f"/cajas/{caja_a.pk}/export/book.xlsx"),
        "404": client.get("/no-such-page/"),
    }
    for name, response in pages.items():
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, name
        assert "unsafe-eval" not in csp, name
        assert "no-store" in response["Cache-Control"], (name, response.status_code)
        assert response["Referrer-Policy"] == "same-origin", name
        assert "Strict-Transport-Security" not in response, name
    assert "'unsafe-inline'" not in pages["caja"]["Content-Security-Policy"]
    assert "sessionid" in client.cookies and not client.cookies["sessionid"]["secure"]


def test_no_template_has_inline_script_or_event_handler_attributes() -> None:
    import re
    from pathlib import Path

    import cajas

    root = Path(cajas.__file__).parent
    for template in root.rglob("templates/**/*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\son[a-z]+=", text), template
        if "documents/" not in str(template) and template.name != "500.html":
            assert 'style="' not in text, template


def test_https_turns_on_hsts_and_secure_cookies() -> None:
    assert https_settings(False)["SECURE_HSTS_SECONDS"] == 0
    code = "from django.conf import settings as s; import json; print(json.dumps([s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER]))"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cajas.settings"}
    off = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    on = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env={**env, "CAJAS_HTTPS": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(off.stdout) == [0, False, False, None]
    assert json.loads(on.stdout) == [31536000, True, True, ["HTTP_X_FORWARDED_PROTO", "https"]]


def test_behind_https_pages_carry_hsts_and_secure_cookies(alice: User) -> None:
    with override_settings(**https_settings(True)):
        client = Client()
        response = _try(client, "alice", "secreto-123")
        assert response.status_code == 301  # X-Forwarded-Proto missing: sent to https
        assert response["Location"].startswith("https://")
        response = client.post(
            LOGIN, {"username": "alice", "password": "secreto-123"}, HTTP_X_FORWARDED_PROTO="https"
        )
        assert response.status_code == 302
        assert response["Strict-Transport-Security"] == "max-age=31536000"
        assert client.cookies["sessionid"]["secure"]


def test_code_set_passwords_stay_allowed(caja_a: Caja) -> None:
    user = user_for(enrol(caja_a), "socia")
    assert user.check_password("secreto-123")


@pytest.mark.urls("tests.test_accounts_security")
def test_the_server_error_page_keeps_its_inline_style_and_no_other_page_does(
    settings: object,
) -> None:
    settings.DEBUG = False  # type: ignore[attr-defined]
    client = Client()
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "style-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_an_over_long_username_is_refused_at_the_form_not_by_the_database(db: None) -> None:
    """PostgreSQL refused the lockout's record of a 300-character name (a 500): the form now
    says how long a username may be, and nothing is tried or recorded."""
    from axes.models import AccessAttempt

    response = Client().post("/accounts/login/", {"username": "x" * 300, "password": "p"})
    assert response.status_code == 200
    assert "Un nombre de usuario tiene como máximo 150 caracteres." in response.content.decode()
    assert AccessAttempt.objects.count() == 0
