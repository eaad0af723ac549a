"""Shared fixtures and personas (the builders they use are in ``factories.py``).

Alice is the treasurer of caja A. Bob is a partner supervisor of caja A's partner.
Charlie is the treasurer of caja B, in another partner: he must never see caja A.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.test import override_settings

from cajas.access.models import StaffAssignment, StaffRole
from cajas.org.models import Caja
from tests.factories import enrol, make_caja, user_for
from tests.helpers import CHROMIUM, CHROMIUM_ARGS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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


class _Requests:
    """Requests the test server is answering (the live server answers in its own threads)."""

    lock = threading.Lock()
    running = 0

    @classmethod
    def started(cls, **_kwargs: Any) -> None:
        with cls.lock:
            cls.running += 1

    @classmethod
    def finished(cls, **_kwargs: Any) -> None:
        with cls.lock:
            cls.running -= 1


request_started.connect(_Requests.started, dispatch_uid="tests-requests-started")
request_finished.connect(_Requests.finished, dispatch_uid="tests-requests-finished")


@pytest.fixture(autouse=True)
def _pages_closed_after_each_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """A browser test's pages are closed when it ends, and the server is let finish what they
    asked: the meeting screen keeps talking to the server (it syncs, its service worker keeps
    the screen), and the test's database goes away after this."""
    yield
    if "browser" in request.fixturenames:
        for context in request.getfixturevalue("browser").contexts:
            context.close()
        deadline = time.monotonic() + 5
        while _Requests.running > 0 and time.monotonic() < deadline:
            time.sleep(0.02)
