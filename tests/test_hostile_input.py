"""Every page, as every persona, with hostile input: never a 500, and a refusal writes nothing.

A property test (hypothesis). A small caja A (a closed meeting with a fine, a proposed
correction, an approved loan, an open meeting with an item, a follow-up visit, Alice's API
token) and caja B are built once; each persona (anonymous, a plain member, the treasurer Alice,
caja B's treasurer Charlie, a program admin) opens every URL of ``cajas.web.urls`` once, with
real ids and hostile ones in the path, and the forms each page shows are read from its HTML.
Then hypothesis draws a persona, a page and either a GET with random and hostile query
parameters or a POST of one of the page's forms with random and hostile values in its fields
(the hidden one-time token included; Django's test client does not check CSRF, so the CSRF
field is just another field).

Each request runs inside a transaction rolled back afterwards, so the world stays the same for
every example; before the rollback the test compares the database with what it was when the
answer is a refusal (a 4xx status, or a redirect carrying an error message).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.db import transaction
from django.test import Client
from django.urls import URLPattern
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cajas.api.tokens import token_create
from cajas.corrections.services import correction_propose
from cajas.imports.services import import_start
from cajas.ledger.models import JournalEntry
from cajas.loans.application import loan_apply, loan_decide, loan_vote, voters_for
from cajas.meetings.items import item_record
from cajas.meetings.models import Meeting
from cajas.meetings.opening import meeting_start
from cajas.meetings.selectors import cash_for_lending
from cajas.monitoring.models import ProgramExport
from cajas.monitoring.services import visit_record
from cajas.org.models import Caja
from cajas.web import urls as web_urls
from tests.factories import closed_meeting, db_snapshot, enrol, make_caja, program_admin, user_for
from tests.helpers import force_login

pytestmark = pytest.mark.django_db

HOSTILE = [
    "²",
    "٣",
    "５",
    "١٢",
    "𝟗",
    "1e19",
    "1e30",
    "-0",
    "0.001",
    "-1",
    "+1",
    "10000000000000000000",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999999999",
    "x" * 10_000,
    "1" * 10_000,
    "\x00",
    "1\x00",
    "a\x00b",
    "0001-01-01",
    "9999-12-31",
    "2025-02-30",
    "2025-13-01",
    "20250101",
    '=HYPERLINK("http://example.com","Ver")',
    "@SUM(A1)",
    "\t=1",
    "",
    " ",
    "abc",
    "1,874",
    "NaN",
    "Infinity",
    "0",
    "1",
    "2",
    "5",
    "10",
    "1.00",
    "on",
    "yes",
    "2025-03-17",
    "2026-01-01",
    "<script>alert(1)</script>",
    "../../etc/passwd",
]
QUERY_NAMES = [
    "member",
    "meeting",
    "loan",
    "cycle",
    "from",
    "to",
    "format",
    "program",
    "partner",
    "territory",
    "group",
    "gender",
    "nationality",
    "age",
    "amount",
    "term",
    "purpose",
    "guarantors",
    "reason",
    "next",
]
HOSTILE_IDS = ["0", str(2**63 - 1), str(2**63), str(10**30)]


def log_in(client: Client, user: User | None) -> Client:
    """The one place a persona signs in (adapt here when staff need a second factor)."""
    if user is not None:
        force_login(client, user)
    return client


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str, list[str]]] = field(default_factory=list)  # name, value, options


class _Forms(HTMLParser):
    """The forms of a page: each field's name, its value and, for a select, its options."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, list[str]] | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or self.base
            self._form = Form(action=action, method=(a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input" and a.get("type") not in ("submit", "button", "reset", "image"):
            value = a.get("value", "on" if a.get("type") in ("checkbox", "radio") else "")
            self._form.fields.append((a["name"], value, []))
        elif tag in ("button",) and a.get("value"):
            self._form.fields.append((a["name"], a["value"], [a["value"]]))
        elif tag == "select":
            self._select = (a["name"], [])
            self._form.fields.append((a["name"], "", self._select[1]))
        elif tag == "textarea":
            self._form.fields.append((a["name"], "", []))
        if tag == "option" and self._select is not None:
            self._select[1].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_of(html: str, base: str) -> list[Form]:
    parser = _Forms(base)
    parser.feed(html)
    return [f for f in parser.forms if f.action.startswith("/")]


@dataclass
class World:
    personas: dict[str, User | None]
    paths: list[str]
    hostile_paths: list[str]
    pages: list[tuple[str, str, Form]] = field(default_factory=list)  # persona, page, form
    ok: list[tuple[str, str]] = field(default_factory=list)  # persona, page answered 200
    requests: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # time spent per route
    failures: list[str] = field(default_factory=list)


def _build() -> World:
    today = timezone.localdate()
    caja = make_caja(members=5, code="caja-a")
    alice = user_for(enrol(caja, role="treasurer", given_names="Alice"), "alice")
    enrol(caja, role="president", given_names="Diana")
    marta_member = enrol(caja)
    marta = user_for(marta_member, "marta")
    marta_code = marta_member.person.code
    other = make_caja(members=3, code="caja-b", partner_code="hias", territory="Manta")
    charlie = user_for(enrol(other, role="treasurer", given_names="Charlie"), "charlie")
    admin = program_admin(caja, "admin")
    closed = closed_meeting(caja, fines=[(1, "1.00")])
    entry = JournalEntry.objects.filter(meeting=closed, kind="fine").first()
    assert entry is not None
    correction_propose(caja_id=caja.pk, seq=entry.seq, amount="0.50", reason="error", by="alice")
    loan = loan_apply(
        caja_id=caja.pk,
        member=1,
        amount="10",
        term=2,
        purpose="business",
        on=today,
        cash_available=cash_for_lending(caja_id=caja.pk),
    )
    for voter in voters_for(loan, today):
        loan_vote(loan_id=loan.pk, member=voter.number, vote="yes", on=today)
    loan_decide(loan_id=loan.pk, on=today, cash_available=cash_for_lending(caja_id=caja.pk))
    meeting = meeting_start(caja_id=caja.pk, date=today, opened_by="alice")
    item = item_record(meeting_id=meeting.pk, kind="expense", amount="1.00", description="útiles")
    visit = visit_record(
        caja=caja,
        visitor=admin,
        date=today,
        reason="PAR",
        checklist={},
        findings="",
        actions=[("Revisar", today + dt.timedelta(days=7))],
    )
    upload = import_start(
        caja_id=caja.pk,
        by=alice,
        filename="socias.csv",
        content=b"nombres;apellidos;genero;fecha_nacimiento;nacionalidad\nAna;Mena;mujer;1980-01-01;VE\n",
        attested=False,
    )
    token, _secret = token_create(user=alice, name="script")
    now = timezone.now()
    export = ProgramExport.objects.create(
        id=uuid.uuid4(), requested_by=admin, kind="savix-xlsx", on=now.date(),
        created_at=now, updated_at=now,
    )  # fmt: skip
    real = {
        "caja_id": [str(caja.pk), str(other.pk)],
        "token_id": [str(token.pk)],
        "export_id": [str(export.pk)],
        "import_id": [str(upload.pk)],
        "number": [str(closed.number), str(meeting.number), str(loan.number), "1"],
        "member": ["1", "6"],
        "item_id": [str(item.pk)],
        "loan_id": [str(loan.pk)],
        "seq": [str(entry.seq)],
        "visit_id": [str(visit.pk)],
        "cycle": ["1"],
        "kind": ["passbook", "receipt", "minutes", "statements", "nope"],
        "what": ["book", "statements", "x"],
        "fmt": ["xlsx", "csv", "pdf", "json"],
        "purpose": ["credit_letter", "whatsapp_receipts", "sensitive_data", "nope"],
        "code": [marta_code, "S-XXXXXXXX"],
    }
    paths: set[str] = set()
    hostile_paths: set[str] = set()
    for pattern in web_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        names = re.findall(r"<\w+:(\w+)>", route)
        first = {name: real[name][0] for name in names}
        # the first real value everywhere, then each other value in one place at a time
        for combo in [first] + [{**first, n: v} for n in names for v in real[n][1:]]:
            paths.add("/" + re.sub(r"<\w+:(\w+)>", lambda m, c=combo: c[m.group(1)], route))  # type: ignore[misc]
        for combo in [{**first, n: bad} for n in names for bad in HOSTILE_IDS]:
            if not set(combo.values()) & {"kind", "what", "fmt", "purpose", "code"}:
                hostile_paths.add(
                    "/" + re.sub(r"<\w+:(\w+)>", lambda m, c=combo: c[m.group(1)], route)  # type: ignore[misc]
                )
    personas: dict[str, User | None] = {
        "anonymous": None,
        "member": marta,
        "alice": alice,
        "charlie": charlie,
        "admin": admin,
    }
    return World(
        personas=personas, paths=sorted(paths), hostile_paths=sorted(hostile_paths - paths)
    )


def _state() -> dict[str, Any]:
    """What a refusal must leave as it was: every project table's row count, and the heads
    of the books and of the meetings."""
    state: dict[str, Any] = dict(db_snapshot())
    state["cajas"] = list(Caja.objects.order_by("pk").values_list("pk", "last_seq", "status"))
    state["meetings"] = list(
        Meeting.objects.order_by("pk").values_list("pk", "status", "counted_cash_cents")
    )
    return state


def _send(world: World, persona: str, method: str, path: str, data: dict[str, Any]) -> None:
    client = log_in(Client(), world.personas[persona])
    started = time.perf_counter()
    route = re.sub(r"\d+", "N", path)
    try:
        _checked(world, client, persona, method, path, data)
    finally:
        world.requests += 1
        world.seconds[route] = world.seconds.get(route, 0) + time.perf_counter() - started


def _checked(
    world: World, client: Client, persona: str, method: str, path: str, data: dict[str, Any]
) -> None:
    with transaction.atomic():
        before = _state()
        try:
            send = client.get if method == "get" else client.post
            response = send(path, data)
        except Exception as exc:  # a 500: the test client re-raises the view's exception
            world.failures.append(f"{persona} {method.upper()} {path} {data!r:.300}: {exc!r:.300}")
            transaction.set_rollback(True)
            return
        errors = (
            [m for m in get_messages(response.wsgi_request) if m.level >= messages.ERROR]
            if hasattr(response, "wsgi_request")
            else []
        )
        refused = response.status_code >= 400 or bool(errors)
        if response.status_code >= 500:
            world.failures.append(f"{persona} {method.upper()} {path} {data!r:.300}: 500")
        elif refused and _state() != before:
            world.failures.append(
                f"{persona} {method.upper()} {path} {data!r:.300}: refused "
                f"({response.status_code}) but wrote"
            )
        transaction.set_rollback(True)


def _crawl(world: World) -> None:
    """Every persona opens every path once (Alice also those with hostile ids); the forms they
    see are what the fuzzing posts."""
    for persona in world.personas:
        client = log_in(Client(), world.personas[persona])
        for path in world.paths + (world.hostile_paths if persona == "alice" else []):
            with transaction.atomic():
                try:
                    response = client.get(path)
                except Exception as exc:
                    world.failures.append(f"{persona} GET {path}: {exc!r:.300}")
                    transaction.set_rollback(True)
                    continue
                finally:
                    world.requests += 1
                transaction.set_rollback(True)
            if response.status_code >= 500:
                world.failures.append(f"{persona} GET {path}: 500")
            if response.status_code == 200:
                world.ok.append((persona, path))
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                for form in forms_of(response.content.decode(), path):
                    world.pages.append((persona, path, form))


VALUE = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
# The values every field and every query parameter gets in the sweep.
SWEEP = [
    "²",
    "٣",
    "1e19",
    "10000000000000000000",
    "a\x00b",
    "0001-01-01",
    "2025-02-30",
    "x" * 10_000,
    "-1",
]


def _distinct(world: World) -> tuple[list[tuple[str, str]], list[tuple[str, Form]]]:
    """One persona per page that answers it (200), one per form (its action and fields)."""
    pages: dict[str, tuple[str, str]] = {}
    for persona, path in world.ok:
        pages.setdefault(re.sub(r"\d+", "N", path), (persona, path))
    forms: dict[tuple[str, tuple[str, ...]], tuple[str, Form]] = {}
    for persona, _page, form in world.pages:
        key = (re.sub(r"\d+", "N", form.action), tuple(sorted(n for n, _v, _o in form.fields)))
        forms.setdefault(key, (persona, form))
    return list(pages.values()), list(forms.values())


def _report(world: World) -> None:
    slowest = sorted(world.seconds.items(), key=lambda kv: -kv[1])[:5]
    print("slowest routes (s):", ", ".join(f"{r} {t:.1f}" for r, t in slowest))
    if os.environ.get("CAJAS_HOSTILE_REPORT"):
        with open(os.environ["CAJAS_HOSTILE_REPORT"], "w") as out:
            out.write("\n".join(sorted(set(world.failures))))


def _sweep(world: World) -> None:
    """Each page with every query parameter at once set to each of the sweep's values, and
    each parameter alone set to two of them (in turn, page by page); each form with every field
    set to each value, and each field alone (the others as the page filled them) to one."""
    pages, forms = _distinct(world)
    for p, (persona, path) in enumerate(pages):
        # Documents as HTML: the PDF (WeasyPrint) takes a second a page, the parsing is the same.
        base = {"format": "html"} if "/documents/" in path else {}
        for bad in SWEEP:
            _send(world, persona, "get", path, {**dict.fromkeys(QUERY_NAMES, bad), **base})
        for i, name in enumerate(QUERY_NAMES):
            for k in (0, len(SWEEP) // 2):
                _send(world, persona, "get", path, {**base, name: SWEEP[(i + p + k) % len(SWEEP)]})
    for f, (persona, form) in enumerate(forms):
        kept = {n: v for n, v, _o in form.fields}
        free = [n for n in kept if n not in ("once", "csrfmiddlewaretoken")]
        for bad in SWEEP:
            _send(world, persona, form.method, form.action, {**kept, **dict.fromkeys(free, bad)})
        for i, name in enumerate(free):
            _send(
                world,
                persona,
                form.method,
                form.action,
                {**kept, name: SWEEP[(i + f) % len(SWEEP)]},
            )
    print(f"hostile sweep: {len(pages)} pages, {len(forms)} forms")


def test_no_input_gives_a_500_and_no_refusal_writes() -> None:
    world = _build()
    _crawl(world)
    assert world.pages, "no forms found"
    _sweep(world)
    assert not world.failures, f"{len(world.failures)} failures:\n" + "\n".join(
        sorted(set(world.failures))[:80]
    )

    @settings(
        max_examples=800,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        if data.draw(st.booleans(), label="post a form"):
            persona, _page, form = data.draw(st.sampled_from(world.pages), label="form")
            values: dict[str, Any] = {}
            for name, value, options in form.fields:
                how = data.draw(st.sampled_from(["keep", "keep", "hostile", "option", "drop"]))
                if how == "keep":
                    values[name] = value
                elif how == "option" and options:
                    values[name] = data.draw(st.sampled_from(options))
                elif how != "drop":
                    values[name] = data.draw(VALUE)
            if data.draw(st.booleans(), label="extra field"):
                values[data.draw(st.sampled_from([*QUERY_NAMES, "reinvest_1", "item"]))] = (
                    data.draw(VALUE)
                )
            _send(world, persona, form.method, form.action, values)
        else:
            if data.draw(st.booleans(), label="a page that answers"):
                persona, path = data.draw(st.sampled_from(world.ok), label="page")
            else:
                persona = data.draw(st.sampled_from(list(world.personas)), label="persona")
                path = data.draw(st.sampled_from(world.paths), label="path")
            query = data.draw(
                st.dictionaries(st.sampled_from(QUERY_NAMES), VALUE, min_size=1, max_size=3),
                label="query",
            )
            _send(world, persona, "get", path, query)

    fuzz()
    print(f"hostile input: {world.requests} requests, {len(world.pages)} forms seen")
    _report(world)
    assert not world.failures, f"{len(world.failures)} failures:\n" + "\n".join(
        sorted(set(world.failures))[:60]
    )
