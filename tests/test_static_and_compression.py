"""Pages travel compressed, static files are cached for a year under hashed names, and the
browser's /favicon.ico finds ours."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client

from cajas.org.models import Caja
from tests.helpers import force_login

pytestmark = pytest.mark.django_db


def test_a_page_is_gzip_compressed_for_a_browser_that_accepts_it(caja_a: Caja, alice: User) -> None:
    client = Client()
    force_login(client, alice)
    response = client.get(f"/cajas/{caja_a.pk}/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert caja_a.name in gzip.decompress(response.content).decode()


def test_collected_static_files_have_hashed_names_cached_for_a_year(
    settings: Any, tmp_path: Path
) -> None:
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    url = static("cajas/app.css")
    assert url.startswith("/static/cajas/app.") and url != "/static/cajas/app.css"
    response = Client().get(url)  # a new client: whitenoise reads the collected files
    assert response.status_code == 200
    cache = response["Cache-Control"]
    assert "immutable" in cache
    max_age = int(cache.split("max-age=")[1].split(",")[0])
    assert max_age >= 31536000
    compressed = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert compressed["Content-Encoding"] == "gzip"


def test_without_collectstatic_pages_still_work_and_link_the_plain_names(
    caja_a: Caja, alice: User
) -> None:
    client = Client()
    force_login(client, alice)
    page = client.get(f"/cajas/{caja_a.pk}/").content.decode()
    assert '<link rel="stylesheet" href="/static/cajas/app.css">' in page
    assert client.get("/static/cajas/app.css").status_code == 200


def test_the_favicon_is_ours_and_never_a_404() -> None:
    response = Client().get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0] == static("cajas/favicon.svg")
    assert b"<svg" in b"".join(response.streaming_content)  # type: ignore[attr-defined]
