"""``POST /api/v1/cajas/{caja}/meetings/{n}/changes``: what the offline meeting screen sends
(docs/offline.md). Each change has its own result; a key already applied is repeated, not
applied again; a refusal names its rule and writes nothing; a close after a refusal waits.

Caja A's treasurer Alice (member 6, after members 1–5) opens meeting #1 today with the usual
sheet proposed: everyone present with the bylaws' minimum of 1 share of 5.00.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from cajas.core.money import decimal_string
from cajas.meetings.models import Meeting, MeetingChange, MeetingStatus
from cajas.meetings.opening import meeting_start
from cajas.meetings.selectors import meeting_expected_cash
from cajas.org.models import Caja
from tests.factories import db_snapshot, plain_member
from tests.helpers import force_login


@pytest.fixture
def meeting(caja_a: Caja, alice: User) -> Meeting:
    today = timezone.localdate()
    return meeting_start(caja_id=caja_a.pk, date=today, opened_by="alice", today=today)


def url(meeting: Meeting) -> str:
    return f"/api/v1/cajas/{meeting.caja_id}/meetings/{meeting.number}/changes"


def send(client: Client, meeting: Meeting, *changes: dict[str, Any]) -> Any:
    return client.post(
        url(meeting),
        {"device": "phone-1", "changes": list(changes)},
        content_type="application/json",
    )


def row(key: str, member: int, **values: Any) -> dict[str, Any]:
    """A change of member's line from the usual sheet (present, on time, 1 share, fund)."""
    usual = {"status": "present", "late": False, "shares": 1, "fund": True}
    base = {k: usual[k] for k in values}
    return {"key": key, "kind": "row", "member": member, "values": values, "base": base}


@pytest.fixture
def phone(client: Client, alice: User) -> Client:
    return force_login(client, alice)


def test_changes_are_applied_in_order_and_the_sheet_comes_back(phone: Client, meeting: Meeting):
    answer = send(
        phone,
        meeting,
        row("key-00001", 2, status="absent"),
        row("key-00002", 3, shares=3),
        {"key": "key-00003", "kind": "usual"},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert [r["status"] for r in body["results"]] == ["applied"] * 3
    assert body["sheet"]["2"]["status"] == "absent"
    assert body["sheet"]["3"] == {"status": "present", "late": False, "shares": 3, "fund": True}
    meeting.refresh_from_db()
    assert meeting.sheet == "confirmed"
    assert MeetingChange.objects.filter(meeting=meeting).count() == 3


def test_the_same_changes_sent_again_write_nothing(phone: Client, meeting: Meeting):
    changes = [row("key-00001", 2, status="absent"), row("key-00002", 3, shares=3)]
    first = send(phone, meeting, *changes).json()
    before = db_snapshot()
    again = send(phone, meeting, *changes).json()
    assert [r["status"] for r in again["results"]] == ["repeated", "repeated"]
    assert [r["outcome"] for r in again["results"]] == [r["outcome"] for r in first["results"]]
    assert db_snapshot() == before


def test_a_refusal_names_its_rule_and_the_close_after_it_waits(phone: Client, meeting: Meeting):
    before = db_snapshot()
    counted = decimal_string(meeting_expected_cash(meeting=meeting))
    body = send(
        phone,
        meeting,
        row("key-00001", 2, shares=9),
        {"key": "key-00002", "kind": "close", "counted_cash": counted},
    ).json()
    refused, held = body["results"]
    assert refused["status"] == "refused"
    assert refused["error"] == {
        "code": "shares.out_of_range",
        "message": "Se pueden comprar entre 1 y 5 acciones por reunión (socio n.º 2: 9).",
        "field": "shares",
    }
    assert held == {"key": "key-00002", "status": "held", "outcome": None, "error": None}
    assert db_snapshot() == before
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.OPEN


def test_the_refusal_is_in_the_language_the_user_chose(phone: Client, meeting: Meeting):
    phone.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = send(phone, meeting, row("key-00001", 2, shares=9)).json()
    assert body["results"][0]["error"]["message"] == (
        "Members may buy between 1 and 5 shares per meeting (member #2: 9)."
    )


def test_a_close_prepared_on_the_phone_is_posted_once(phone: Client, meeting: Meeting):
    counted = decimal_string(meeting_expected_cash(meeting=meeting))
    close = {"key": "close-0001", "kind": "close", "counted_cash": counted}
    first = send(phone, meeting, {"key": "key-00001", "kind": "usual"}, close).json()
    assert [r["status"] for r in first["results"]] == ["applied", "applied"]
    assert first["redirect"] == f"/cajas/{meeting.caja_id}/"
    entries = meeting.journal_entries.count()
    again = send(phone, meeting, close).json()
    assert again["results"][0]["status"] == "repeated"
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    assert meeting.journal_entries.count() == entries


def test_a_change_after_the_close_is_refused(phone: Client, meeting: Meeting):
    counted = decimal_string(meeting_expected_cash(meeting=meeting))
    send(
        phone,
        meeting,
        {"key": "key-00001", "kind": "usual"},
        {"key": "key-00002", "kind": "close", "counted_cash": counted},
    )
    body = send(phone, meeting, row("key-00003", 2, shares=2)).json()
    assert body["results"][0]["status"] == "refused"
    assert body["results"][0]["error"]["code"] == "meeting.closed"


def test_an_item_typed_wrong_is_refused_by_the_forms_rules(phone: Client, meeting: Meeting):
    before = db_snapshot()
    body = send(
        phone,
        meeting,
        {"key": "key-00001", "kind": "item_add", "item_kind": "expense", "amount": "12,345"},
        {"key": "key-00002", "kind": "item_add", "item_kind": "fine", "amount": "1", "member": "x"},
    ).json()
    assert [r["status"] for r in body["results"]] == ["refused", "refused"]
    assert body["results"][0]["error"]["code"].startswith("amount.")
    assert body["results"][1]["error"]["field"] == "member"
    assert db_snapshot() == before


def test_a_request_that_does_not_fit_the_schema_is_422_and_writes_nothing(
    phone: Client, meeting: Meeting
):
    before = db_snapshot()
    answer = send(phone, meeting, {"key": "short", "kind": "row", "member": 2})
    assert answer.status_code == 422
    assert set(answer.json()) == {"code", "message", "field"}
    assert db_snapshot() == before


@pytest.mark.parametrize("who", ["charlie", "member", "bob", "nobody"])
def test_only_those_who_record_the_meeting_may_send_changes(
    who: str, client: Client, meeting: Meeting, caja_a: Caja, request: Any
):
    expected = {"charlie": 404, "member": 403, "bob": 403, "nobody": 401}[who]
    if who == "member":
        force_login(client, plain_member(caja_a, "marta"))
    elif who != "nobody":
        force_login(client, request.getfixturevalue(who))
    before = db_snapshot()
    answer = send(client, meeting, row("key-00001", 2, status="absent"))
    assert answer.status_code == expected
    assert set(answer.json()) == {"code", "message", "field"}
    assert db_snapshot() == before
