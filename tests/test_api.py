"""The API (docs/api.md): its OpenAPI 3.1 document and docs page, tokens, sessions, the error
shape, idempotency, and a meeting recorded from opening to close.

Who sees what through the API is in ``test_api_access.py``; schemathesis runs against every
operation in ``test_api_schemathesis.py``.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from openapi_spec_validator import validate

from cajas.api.models import ApiToken, IdempotencyKey
from cajas.api.tokens import token_create
from cajas.ledger.models import JournalEntry
from cajas.meetings.models import Meeting, MeetingItem
from cajas.org.models import Caja
from tests.factories import db_snapshot, facilitator
from tests.helpers import force_login

API = "/api/v1"


def bearer(user: User) -> dict[str, str]:
    _row, token = token_create(user=user, name="script")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def key(name: str) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": f"test-{name}-0001"}


def post(client: Client, url: str, body: Any, **headers: str) -> Any:
    return client.post(url, body, content_type="application/json", **headers)


def today() -> str:
    return timezone.localdate().isoformat()


def is_error(answer: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    """The answer is ``{code, message, field}`` with this status, code and field."""
    assert answer.status_code == status, answer.content
    body = answer.json()
    assert set(body) == {"code", "message", "field"}
    assert body["code"] == code
    assert body["field"] == field
    assert body["message"]
    return body


# --- the document and the docs page ----------------------------------------------------------


def test_openapi_document_validates_and_is_3_1(client: Client, db: Any) -> None:
    document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    validate(document)
    assert "/api/v1/cajas/{caja_id}/meetings/{number}/close" in document["paths"]
    assert client.get(f"{API}/openapi.json").json()["paths"] == document["paths"]


def test_every_write_asks_for_an_idempotency_key(client: Client, db: Any) -> None:
    document = client.get("/api/openapi.json").json()
    writes = [
        (path, op)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if method in ("post", "put", "patch", "delete")
    ]
    assert {op["operationId"] for _path, op in writes} >= {
        "meeting_open",
        "meeting_sheet_save",
        "meeting_sheet_confirm",
        "meeting_item_add",
        "meeting_item_remove",
        "meeting_close",
        "loan_apply",
        "loan_vote",
    }
    for path, op in writes:
        headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        if op["operationId"] == "meeting_changes":
            # The offline screen's changes: each change carries its own key (docs/offline.md).
            schemas = document["components"]["schemas"]
            kinds = [n for n in schemas if n.endswith("In") and "key" in schemas[n]["properties"]]
            assert len(kinds) >= 9 and all("key" in schemas[n]["required"] for n in kinds)
            continue
        assert headers == {"Idempotency-Key"}, path


def test_the_docs_page_loads_its_files_from_this_site(client: Client, db: Any) -> None:
    page = client.get(f"{API}/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "/static/ninja/swagger-ui-init.js" in html
    assert "https://" not in html and "http://" not in html
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


# --- who is calling --------------------------------------------------------------------------


def test_a_token_is_kept_as_its_hash_and_works_until_revoked(
    client: Client, alice: User, caja_b: Caja
) -> None:
    row, token = token_create(user=alice, name="Power BI")
    assert token.startswith("cajas_") and row.prefix == token[:12]
    assert not ApiToken.objects.filter(digest=token).exists()
    assert token not in str(list(ApiToken.objects.values()))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    answer = client.get(f"{API}/cajas/", **auth)
    assert answer.status_code == 200
    assert [c["code"] for c in answer.json()] == ["caja-a"]
    row.refresh_from_db()
    assert row.last_used_at is not None
    row.revoked_at = timezone.now()
    row.save()
    is_error(client.get(f"{API}/cajas/", **auth), 401, "auth.token_invalid")
    is_error(
        client.get(f"{API}/cajas/", HTTP_AUTHORIZATION="Bearer nope"), 401, "auth.token_invalid"
    )


def test_no_credentials_is_401_in_the_error_shape(client: Client, db: Any) -> None:
    body = is_error(client.get(f"{API}/cajas/"), 401, "auth.required")
    assert body["message"] == (
        "Inicie sesión, o envíe «Authorization: Bearer <token>» con un token válido."
    )
    english = client.get(f"{API}/cajas/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["message"] == (
        "Log in, or send “Authorization: Bearer <token>” with a valid token."
    )
    is_error(client.get(f"{API}/cajas/", HTTP_ACCEPT="application/json"), 401, "auth.required")


def test_a_session_works_like_the_web(client: Client, alice: User) -> None:
    force_login(client, alice)
    assert [c["code"] for c in client.get(f"{API}/cajas/").json()] == ["caja-a"]


def test_a_session_without_its_second_factor_is_refused(client: Client, caja_a: Caja) -> None:
    """Staff must verify their code first, on the API as on the pages."""
    fabio = facilitator(caja_a, "fabio")
    client.force_login(fabio)  # password only
    is_error(client.get(f"{API}/cajas/"), 401, "auth.second_factor_setup")
    assert client.get("/").status_code == 302  # the web sends them to enrol a phone
    force_login(client, fabio)
    assert client.get(f"{API}/cajas/").status_code == 200


def test_a_session_write_needs_the_csrf_token(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    force_login(client, alice)
    caja = Caja.objects.get(code="caja-a")
    answer = post(client, f"{API}/cajas/{caja.pk}/meetings", {"date": today()}, **key("csrf"))
    is_error(answer, 403, "auth.csrf")
    assert not Meeting.objects.exists()
    client.get(f"{API}/docs")  # any page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    answer = post(
        client,
        f"{API}/cajas/{caja.pk}/meetings",
        {"date": today()},
        HTTP_X_CSRFTOKEN=csrf,
        **key("csrf"),
    )
    assert answer.status_code == 201


def test_a_token_write_needs_no_csrf_token(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    caja = Caja.objects.get(code="caja-a")
    answer = post(
        client, f"{API}/cajas/{caja.pk}/meetings", {"date": today()}, **bearer(alice), **key("t")
    )
    assert answer.status_code == 201


# --- a meeting from opening to close ---------------------------------------------------------


def test_a_treasurer_records_a_meeting_through_the_api(
    client: Client, alice: User, caja_a: Caja
) -> None:
    auth = bearer(alice)
    base = f"{API}/cajas/{caja_a.pk}/meetings"
    opened = post(client, base, {"date": today()}, **auth, **key("open"))
    assert opened.status_code == 201
    meeting = opened.json()
    assert meeting["status"] == "open" and meeting["sheet"] == "proposed"
    assert len(meeting["rows"]) == 6  # five members and Alice
    number = meeting["number"]
    rows = [{"member": r["member"], "shares": 2, "social_fund": False} for r in meeting["rows"]]
    rows[0] = {"member": rows[0]["member"], "status": "absent"}
    saved = client.put(
        f"{base}/{number}/sheet",
        {"rows": rows},
        content_type="application/json",
        **auth,
        **key("sheet"),
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["sheet"] == "confirmed"
    added = post(
        client,
        f"{base}/{number}/items",
        {"kind": "expense", "amount": "3,50", "description": "útiles"},
        **auth,
        **key("item"),
    )
    assert added.status_code == 200
    expense = next(i for i in added.json()["items"] if i["kind"] == "expense")
    assert expense["amount_cents"] == -350 or expense["amount_cents"] == 350
    removed = client.delete(f"{base}/{number}/items/{expense['id']}", **auth, **key("remove"))
    assert removed.status_code == 200
    assert not MeetingItem.objects.filter(pk=expense["id"]).exists()
    expected = removed.json()["expected_cash_cents"]
    counted = f"{expected // 100}.{expected % 100:02d}"
    closed = post(
        client, f"{base}/{number}/close", {"counted_cash": counted}, **auth, **key("close")
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["counted_cash_cents"] == expected
    entries = JournalEntry.objects.filter(caja=caja_a).count()
    again = post(
        client, f"{base}/{number}/close", {"counted_cash": counted}, **auth, **key("close")
    )
    assert again.json() == closed.json()
    assert JournalEntry.objects.filter(caja=caja_a).count() == entries


# --- idempotency -----------------------------------------------------------------------------


def test_the_same_key_twice_writes_once_and_answers_the_same(
    client: Client, alice: User, caja_a: Caja
) -> None:
    auth = bearer(alice)
    url = f"{API}/cajas/{caja_a.pk}/meetings"
    first = post(client, url, {"date": today()}, **auth, **key("same"))
    second = post(client, url, {"date": today()}, **auth, **key("same"))
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Meeting.objects.filter(caja=caja_a).count() == 1
    assert IdempotencyKey.objects.filter(user=alice).count() == 1


def test_the_same_key_for_another_request_is_409(client: Client, alice: User, caja_a: Caja) -> None:
    auth = bearer(alice)
    url = f"{API}/cajas/{caja_a.pk}/meetings"
    post(client, url, {"date": today()}, **auth, **key("reused"))
    before = db_snapshot()
    other = post(client, url, {"date": today(), "kind": "assembly"}, **auth, **key("reused"))
    is_error(other, 409, "idempotency.key_reused", "Idempotency-Key")
    assert db_snapshot() == before


def test_keys_belong_to_their_user(client: Client, alice: User, charlie: User) -> None:
    """Charlie's key of the same name is his own: it neither replays nor blocks Alice's."""
    caja_b = Caja.objects.get(code="caja-b")
    caja_a = Caja.objects.get(code="caja-a")
    a = post(
        client, f"{API}/cajas/{caja_a.pk}/meetings", {"date": today()}, **bearer(alice), **key("k")
    )
    c = post(
        client,
        f"{API}/cajas/{caja_b.pk}/meetings",
        {"date": today()},
        **bearer(charlie),
        **key("k"),
    )
    assert a.status_code == c.status_code == 201
    assert Meeting.objects.count() == 2


def test_a_refused_write_keeps_nothing_and_the_key_can_be_sent_again(
    client: Client, alice: User, caja_a: Caja
) -> None:
    auth = bearer(alice)
    url = f"{API}/cajas/{caja_a.pk}/meetings"
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    before = db_snapshot()
    refused = post(client, url, {"date": future}, **auth, **key("retry"))
    body = is_error(refused, 400, "meeting.date_future", "date")
    assert body["message"] == (
        f"La fecha {future} es futura; una reunión se registra el día en que se hace."
    )
    assert db_snapshot() == before
    assert not IdempotencyKey.objects.exists()
    assert post(client, url, {"date": today()}, **auth, **key("retry")).status_code == 201


def test_a_missing_key_is_refused(client: Client, alice: User, caja_a: Caja) -> None:
    answer = post(client, f"{API}/cajas/{caja_a.pk}/meetings", {"date": today()}, **bearer(alice))
    is_error(answer, 422, "input.schema", "Idempotency-Key")
    assert not Meeting.objects.exists()


# --- errors ----------------------------------------------------------------------------------


def test_a_rule_violation_speaks_english_when_asked(
    client: Client, alice: User, caja_a: Caja
) -> None:
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    answer = post(
        client,
        f"{API}/cajas/{caja_a.pk}/meetings",
        {"date": future},
        HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8",
        **bearer(alice),
        **key("en"),
    )
    body = is_error(answer, 400, "meeting.date_future", "date")
    assert body["message"] == (
        f"The date {future} is in the future; a meeting is recorded on the day it is held."
    )


def test_input_the_parser_cannot_read_is_400_with_its_field(
    client: Client, alice: User, caja_a: Caja
) -> None:
    auth_alice = bearer(alice)
    before = db_snapshot()
    answer = post(
        client,
        f"{API}/cajas/{caja_a.pk}/meetings",
        {"date": "2025-13-45"},
        **auth_alice,
        **key("bad-date"),
    )
    body = is_error(answer, 400, "input.date_invalid", "date")
    assert body["message"] == (
        "«fecha»: «2025-13-45» no es una fecha; escríbala AAAA-MM-DD, p. ej. 2025-03-17."
    )
    assert db_snapshot() == before


def test_a_cash_count_it_cannot_read_names_the_field(
    client: Client, alice: User, caja_a: Caja
) -> None:
    auth = bearer(alice)
    base = f"{API}/cajas/{caja_a.pk}/meetings"
    number = post(client, base, {"date": today()}, **auth, **key("o")).json()["number"]
    before = db_snapshot()
    answer = post(
        client,
        f"{base}/{number}/close",
        {"counted_cash": "1,874"},
        HTTP_ACCEPT_LANGUAGE="en",
        **auth,
        **key("c"),
    )
    body = is_error(answer, 400, "amount.ambiguous", "counted_cash")
    assert body["message"].startswith("“1,874” can be read two ways.")
    assert db_snapshot() == before


def test_a_body_outside_the_schema_is_422_naming_the_field(
    client: Client, alice: User, caja_a: Caja
) -> None:
    auth = bearer(alice)
    base = f"{API}/cajas/{caja_a.pk}/meetings"
    number = post(client, base, {"date": today()}, **auth, **key("o")).json()["number"]
    answer = client.put(
        f"{base}/{number}/sheet",
        {"rows": [{"member": 1, "shares": -2}]},
        content_type="application/json",
        **auth,
        **key("s"),
    )
    is_error(answer, 422, "input.schema", "rows.0.shares")
    is_error(
        client.put(
            f"{base}/{number}/sheet", {}, content_type="application/json", **auth, **key("s")
        ),
        422,
        "input.schema",
        "rows",
    )
    is_error(client.get(f"{API}/cajas/{2**70}", **auth), 422, "input.schema", "caja_id")


def test_not_found_and_forbidden_have_the_shape(client: Client, alice: User, caja_b: Caja) -> None:
    auth = bearer(alice)
    is_error(client.get(f"{API}/cajas/{caja_b.pk}", **auth), 404, "not_found")
    is_error(client.get(f"{API}/nowhere", **auth), 404, "not_found")
    is_error(client.get(f"{API}/program/indicators", **auth), 403, "permission.denied")


# --- the tokens page -------------------------------------------------------------------------


def test_a_member_makes_a_token_on_her_account_page_and_revokes_it(
    client: Client, alice: User
) -> None:
    force_login(client, alice)
    assert "Tokens de la API" in client.get("/accounts/").content.decode()
    made = client.post("/accounts/api-tokens/new/", {"name": "Kobo"}, follow=True)
    token = made.context["new_token"]
    assert token and token in made.content.decode()
    assert token not in client.get("/accounts/api-tokens/").content.decode()  # shown once
    api = Client()
    assert api.get(f"{API}/cajas/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    row = ApiToken.objects.get(user=alice)
    assert row.name == "Kobo"
    client.post(f"/accounts/api-tokens/{row.pk}/revoke/")
    assert api.get(f"{API}/cajas/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_a_token_name_with_a_control_character_is_refused(client: Client, alice: User) -> None:
    force_login(client, alice)
    page = client.post("/accounts/api-tokens/new/", {"name": "a\x00b"}, follow=True)
    assert "caracteres de control" in page.content.decode()
    assert not ApiToken.objects.exists()


def test_the_cli_makes_lists_and_revokes_tokens(client: Client, alice: User) -> None:
    out = StringIO()
    call_command("api", "token", "new", "--user", "alice", "--name", "Kobo", stdout=out)
    token = out.getvalue().strip()
    assert client.get(f"{API}/cajas/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    row = ApiToken.objects.get(user=alice)
    out = StringIO()
    call_command("api", "token", "list", "--user", "alice", stdout=out)
    assert f"{row.pk}\t{row.prefix}…\tKobo" in out.getvalue() and token not in out.getvalue()
    call_command("api", "token", "revoke", "--user", "alice", "--id", str(row.pk), stdout=out)
    assert client.get(f"{API}/cajas/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    with pytest.raises(CommandError, match=r"\[api.token_not_found\]"):
        call_command("api", "token", "revoke", "--user", "alice", "--id", str(row.pk))


def _at_once(*calls: Any) -> list[Any]:
    """Run the calls in threads released together (each with its own connection)."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Any) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one writer at a time by design"
)
def test_the_same_key_sent_twice_at_once_writes_once() -> None:
    """A phone retrying while its first request is still on its way: both answers are the
    first one, and the meeting is opened once."""
    from tests.factories import enrol, make_caja, user_for

    caja = make_caja(members=3)
    tere = user_for(enrol(caja, role="treasurer"), "tere")
    auth = bearer(tere)
    url = f"{API}/cajas/{caja.pk}/meetings"

    def send() -> Any:
        return post(Client(), url, {"date": today()}, **auth, **key("race"))

    first, second = _at_once(send, send)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Meeting.objects.filter(caja=caja).count() == 1
    assert IdempotencyKey.objects.count() == 1
