"""The API (docs/api.md): its OpenAPI 3.1 document, tokens, the error shape, idempotency.

Who sees what through the API is in ``test_api_access.py``; schemathesis runs against every
operation in ``test_api_schemathesis.py``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from openapi_spec_validator import validate

from cajas.api.tokens import token_create
from cajas.org.models import Caja
from tests.helpers import force_login


def bearer(user: User) -> dict[str, str]:
    _, token = token_create(user=user, name="script")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_openapi_document_validates_and_is_3_1(client: Client, db: Any) -> None:
    document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    validate(document)
    assert "/api/v1/cajas/" in document["paths"]
    assert client.get("/api/v1/openapi.json").json()["paths"] == document["paths"]


def test_the_docs_page_loads_its_files_from_this_site(client: Client, db: Any) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "https://" not in html
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_a_token_lists_the_users_cajas(client: Client, alice: User, caja_b: Caja) -> None:
    answer = client.get("/api/v1/cajas/", **bearer(alice))
    assert answer.status_code == 200
    assert [c["code"] for c in answer.json()] == ["caja-a"]


def test_no_credentials_is_401_in_the_error_shape(client: Client, db: Any) -> None:
    answer = client.get("/api/v1/cajas/")
    assert answer.status_code == 401
    assert set(answer.json()) == {"code", "message", "field"}
    assert answer.json()["code"] == "auth.required"


def test_a_session_works_like_the_web(client: Client, alice: User) -> None:
    force_login(client, alice)
    assert client.get("/api/v1/cajas/").status_code == 200
