"""The access matrix: for each persona, every API endpoint gives what the same persona gets
on the web page for it — the same cajas, the same members with or without names, the same
loans, and 404 or 403 where the page gives 404 or 403 (an anonymous caller: the page sends her
to log in, the API answers 401).

The world: caja A (``loan_caja``: president 1, treasurer 2, secretary 3, members 4–6, two
closed meetings, member 4's loan approved), and caja B in another partner with one member and one closed meeting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from cajas.access.models import StaffAssignment, StaffRole
from cajas.api.tokens import token_create
from cajas.members.models import Membership
from cajas.org.models import Caja
from tests.factories import (
    approved_loan,
    closed_meeting,
    enrol,
    facilitator,
    loan_caja,
    make_caja,
    program_admin,
    user_for,
)
from tests.helpers import force_login

API = "/api/v1"
PERSONAS = [
    "treasurer",
    "member",
    "other_member",
    "member_of_b",
    "facilitator",
    "supervisor",
    "admin",
    "anonymous",
]


@dataclass
class World:
    a: Caja
    b: Caja
    users: dict[str, User | None]


def _member_user(caja: Caja, number: int, username: str) -> User:
    return user_for(Membership.objects.get(caja=caja, number=number), username)


@pytest.fixture
def world(db: Any) -> World:
    a = loan_caja()
    approved_loan(a)  # member 4's
    b = make_caja(partner_code="hias", territory="Manta")
    bea = user_for(enrol(b), "bea")
    closed_meeting(b, members=(1,))
    supervisor = User.objects.create_user(username="sara", password="secreto-123")
    StaffAssignment.objects.create(
        user=supervisor, role=StaffRole.PARTNER_SUPERVISOR, program=a.program, partner=a.partner
    )
    users: dict[str, User | None] = {
        "treasurer": _member_user(a, 2, "tere"),
        "member": _member_user(a, 4, "marta"),  # the borrower
        "other_member": _member_user(a, 5, "nora"),
        "member_of_b": bea,
        "facilitator": facilitator(a, "fabio"),
        "supervisor": supervisor,
        "admin": program_admin(a, "pam"),
        "anonymous": None,
    }
    return World(a=a, b=b, users=users)


def _clients(user: User | None) -> tuple[Client, Client]:
    """The persona on the web (a logged-in session) and on the API (her token)."""
    web, api = Client(), Client()
    if user is not None:
        force_login(web, user)
        _row, token = token_create(user=user, name="matrix")
        api.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return web, api


def web_status(answer: Any) -> int:
    """What the page says: 200, 403, 404; a redirect to log in counts as 401."""
    if answer.status_code == 302 and "/accounts/login/" in answer["Location"]:
        return 401
    return int(answer.status_code)


def _numbers(html: str, attribute: str) -> list[int]:
    return [int(n) for n in re.findall(rf'{attribute}="(\d+)"', html)]


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_endpoint_gives_what_the_web_gives(world: World, persona: str) -> None:
    web, api = _clients(world.users[persona])
    a, b = world.a, world.b

    # The cajas: the API lists exactly those whose page opens.
    listed = api.get(f"{API}/cajas/")
    opens = {c.code for c in (a, b) if web.get(f"/cajas/{c.pk}/").status_code == 200}
    if persona == "anonymous":
        assert listed.status_code == 401
    else:
        assert {c["code"] for c in listed.json()} == opens

    for caja in (a, b):
        page = web.get(f"/cajas/{caja.pk}/")
        status = web_status(page)
        assert api.get(f"{API}/cajas/{caja.pk}").status_code == status
        members = api.get(f"{API}/cajas/{caja.pk}/members")
        balances = api.get(f"{API}/cajas/{caja.pk}/balances")
        assert members.status_code == balances.status_code == status
        if status == 200:
            html = page.content.decode()
            shown = _numbers(html, "data-member")
            assert [m["number"] for m in members.json()] == shown
            assert [m["number"] for m in balances.json()["members"]] == shown
            for m in members.json():  # the name the page shows, and nothing else about her
                assert m["name"] and m["name"] in html
                assert set(m) == {
                    "number",
                    "code",
                    "name",
                    "role",
                    "joined_on",
                    "savings_cents",
                    "shares_this_cycle",
                }
            assert (balances.json()["summary"] is not None) == ('data-testid="cash"' in html)

        # Meetings: the page of meeting 1, and opening one (a write: refused alike).
        assert api.get(f"{API}/cajas/{caja.pk}/meetings/1").status_code == web_status(
            web.get(f"/cajas/{caja.pk}/meetings/1/")
        )
        assert api.get(f"{API}/cajas/{caja.pk}/meetings").status_code == web_status(
            web.get(f"/cajas/{caja.pk}/meetings/1/")
        )

        # Loans: the list with the same loans, and member 4's loan.
        loans_page = web.get(f"/cajas/{caja.pk}/loans/")
        loans = api.get(f"{API}/cajas/{caja.pk}/loans")
        assert loans.status_code == web_status(loans_page)
        if loans.status_code == 200:
            shown_loans = _numbers(loans_page.content.decode(), "data-loan")
            assert [x["number"] for x in loans.json()] == shown_loans
        assert api.get(f"{API}/cajas/{caja.pk}/loans/1").status_code == web_status(
            web.get(f"/cajas/{caja.pk}/loans/1/")
        )

        # The book: as its download on the caja page.
        assert api.get(f"{API}/cajas/{caja.pk}/book").status_code == web_status(
            web.get(f"/cajas/{caja.pk}/export/book.xlsx")
        )

    # The program's indicators: as the dashboard.
    assert api.get(f"{API}/program/indicators").status_code == web_status(web.get("/program/"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_opening_a_meeting_is_refused_as_on_the_web(world: World, persona: str) -> None:
    """Those who may not record meetings are refused by the API as by the page (403, 404,
    or log in); those who may, open it either way."""
    web, api = _clients(world.users[persona])
    for caja in (world.a, world.b):
        day = timezone.localdate().isoformat()
        answer = api.post(
            f"{API}/cajas/{caja.pk}/meetings",
            {"date": day},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"matrix-{persona}-{caja.pk}",
        )
        page = web.post(f"/cajas/{caja.pk}/meetings/open/", {"date": day, "kind": "ordinary"})
        if web_status(page) == 302:  # done (or already open: the screen carries on)
            assert answer.status_code in (200, 201)
        else:
            assert answer.status_code == web_status(page)


@pytest.mark.parametrize("persona", PERSONAS)
def test_voting_a_loan_is_refused_as_on_the_web(world: World, persona: str) -> None:
    web, api = _clients(world.users[persona])
    caja = world.a
    answer = api.post(
        f"{API}/cajas/{caja.pk}/loans/1/votes",
        {"votes": []},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=f"vote-{persona}-0001",
    )
    page = web.post(f"/cajas/{caja.pk}/loans/1/", {"action": "votes"})
    if web_status(page) == 302:
        assert answer.status_code == 200
    else:
        assert answer.status_code == web_status(page)


def test_a_member_sees_her_own_line_and_loan_only(world: World) -> None:
    _web, api = _clients(world.users["member"])
    a = world.a
    assert [m["number"] for m in api.get(f"{API}/cajas/{a.pk}/members").json()] == [4]
    balances = api.get(f"{API}/cajas/{a.pk}/balances").json()
    assert balances["summary"] is None and [m["number"] for m in balances["members"]] == [4]
    assert [x["member"] for x in api.get(f"{API}/cajas/{a.pk}/loans").json()] == [4]
    assert api.get(f"{API}/cajas/{a.pk}/loans/1").json()["member"] == 4


def test_program_staff_get_figures_and_no_person(world: World) -> None:
    _web, api = _clients(world.users["admin"])
    answer = api.get(f"{API}/program/indicators", {"group": "caja"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["overall"]["members"] == 7
    assert set(body["groups"]) == {world.a.code, world.b.code}
    text = answer.content.decode()
    for person in Membership.objects.select_related("person"):
        assert person.person.given_names not in text
        assert person.person.code not in text
