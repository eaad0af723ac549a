"""Shared fixtures and personas.

Alice is the treasurer of caja A. Bob is a partner supervisor of caja A's partner.
Charlie is the treasurer of caja B, in another partner: he must never see caja A.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.test import override_settings

from cajas.access.models import StaffAssignment, StaffRole
from cajas.ledger.services import caja_found
from cajas.members.models import Membership
from cajas.members.services import ConsentGiven, member_enrol
from cajas.org.models import Caja, Partner, Program, Territory
from tests.helpers import CHROMIUM, CHROMIUM_ARGS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

FOUNDED = dt.date(2025, 1, 6)
_counter = itertools.count(1)


def make_program(code: str = "oim-ec") -> Program:
    program, _ = Program.objects.get_or_create(
        code=code, defaults={"name": "OIM Ecuador", "target_members": 1500, "target_territories": 8}
    )
    return program


def make_caja(
    *,
    members: int = 0,
    code: str | None = None,
    partner_code: str = "fudela",
    territory: str = "Quito",
    bylaws: dict[str, Any] | None = None,
    program: Program | None = None,
) -> Caja:
    program = program or make_program()
    partner, _ = Partner.objects.get_or_create(
        program=program, code=partner_code, defaults={"name": partner_code.title()}
    )
    place, _ = Territory.objects.get_or_create(program=program, name=territory)
    n = next(_counter)
    caja = caja_found(
        partner=partner,
        territory=place,
        code=code or f"caja-{n}",
        name=f"Caja {n}",
        founded_on=FOUNDED,
        bylaws=bylaws,
    )
    for _ in range(members):
        enrol(caja)
    return caja


def enrol(caja: Caja, *, role: str = "member", **overrides: Any) -> Membership:
    n = next(_counter)
    fields: dict[str, Any] = {
        "given_names": f"Socia{n}",
        "family_names": "Pérez",
        "gender": "female" if n % 2 else "male",
        "birth_date": dt.date(1990, 5, 17),
        "nationality": "VE",
        "phone": "0990000000",
        "document_type": "passport",
        "document_number": f"P{n:07d}",
        "mobility_status": "in_process",
        # Recorded on enrolment (members.services.person_create: no status without it).
        "sensitive_data_consent": ConsentGiven(),
    }
    fields.update(overrides)
    return member_enrol(caja_id=caja.pk, joined_on=FOUNDED, role=role, **fields)


def db_snapshot() -> dict[str, int]:
    """Row counts of every project table: 'writes nothing' means this does not change. The
    access log is left out: it records reads (a refused form's page is still read)."""
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label
        in {"org", "members", "access", "ledger", "meetings", "loans", "corrections"}
        and m._meta.label != "access.AccessLog"
    }


def user_for(membership: Membership, username: str) -> User:
    user = User.objects.create_user(username=username, password="secreto-123")
    membership.person.user = user
    membership.person.save(update_fields=["user"])
    return user


@pytest.fixture(scope="session", autouse=True)
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An empty STATIC_ROOT: a manifest left in ./var by `cajas demo` could name an older
    stylesheet. Uncollected, static URLs are the plain names, served from the app folders."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root):
        yield root


@pytest.fixture
def caja_a(db: Any) -> Caja:
    return make_caja(members=5, code="caja-a")


@pytest.fixture
def alice(caja_a: Caja) -> User:
    """Alice is the treasurer of caja A."""
    return user_for(enrol(caja_a, role="treasurer", given_names="Alice"), "alice")


@pytest.fixture
def caja_b(db: Any) -> Caja:
    return make_caja(members=3, code="caja-b", partner_code="hias", territory="Manta")


@pytest.fixture
def charlie(caja_b: Caja) -> User:
    """Charlie is the treasurer of caja B: no access to caja A."""
    return user_for(enrol(caja_b, role="treasurer", given_names="Charlie"), "charlie")


@pytest.fixture
def bob(caja_a: Caja) -> User:
    """Bob supervises caja A's partner."""
    user = User.objects.create_user(username="bob", password="secreto-123")
    StaffAssignment.objects.create(
        user=user,
        role=StaffRole.PARTNER_SUPERVISOR,
        program=caja_a.program,
        partner=caja_a.partner,
    )
    return user


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Real headless Chromium. Never skipped: a missing Chromium is a failure (`make test`
    installs it)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}; run `make system-deps`"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
