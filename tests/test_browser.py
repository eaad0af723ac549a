"""A treasurer records a whole meeting on a phone in real headless Chromium (DESIGN.md §12)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect, sync_playwright

from cajas.ledger.selectors import caja_summary
from cajas.org.models import Caja
from tests.conftest import enrol, make_caja, user_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CAJAS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
SHOTS = Path(os.environ.get("CAJAS_SCREENSHOTS", "var/screenshots"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Never skipped: a missing Chromium is a failure (`make test` installs it).
    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}; run `make system-deps`"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "secreto-123")
    page.click("button.primary")


def test_a_treasurer_records_a_meeting_on_a_phone(live_server, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    caja = make_caja(members=4, code="caja-a")
    user_for(enrol(caja, role="treasurer", given_names="Alice"), "alice")
    other = make_caja(members=2, code="caja-b", partner_code="otro", territory="Loja")
    user_for(enrol(other, role="treasurer", given_names="Charlie"), "charlie")
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server.url, "alice")
    expect(page.locator("h1")).to_have_text(caja.name)
    page.click("text=Abrir una reunión")
    expect(page.locator("h1")).to_contain_text("Reunión n.º 1")
    for n in range(1, 6):
        page.select_option(f"select[name=shares_{n}]", "2")
        page.check(f"input[name=fund_{n}]")
    page.select_option("select[name=status_3]", "absent")
    page.select_option("select[name=shares_3]", "0")
    page.uncheck("input[name=fund_3]")
    page.check("input[name=late_2]")
    page.click("text=Guardar asistencia y ahorro")
    expect(page.locator(".msg.success")).to_contain_text("Asistencia y ahorro guardados.")
    page.screenshot(path=str(SHOTS / "meeting-sheet.png"), full_page=True)
    # 4 × 2 shares × 5.00 + 4 × 1.00 social fund + 1.00 absence + 0.50 lateness = 45.50
    expect(page.get_by_test_id("expected-cash")).to_have_text("45.50")
    page.fill("input[name=counted_cash]", "45.50")
    page.click("text=Cerrar la reunión")
    expect(page.locator(".msg.success")).to_contain_text("Reunión cerrada")
    expect(page.get_by_test_id("savings")).to_have_text("40.00")
    expect(page.get_by_test_id("cash")).to_have_text("45.50")
    expect(page.get_by_test_id("social-fund")).to_have_text("4.00")
    page.screenshot(path=str(SHOTS / "caja-after-close.png"), full_page=True)
    no_overflow = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_overflow, "the caja page scrolls sideways at 360 px"
    page.close()

    summary = caja_summary(caja=Caja.objects.get(pk=caja.pk))
    assert summary["savings"] == 4000 and summary["cash"] == 4550

    intruder = browser.new_page(viewport=PHONE)
    log_in(intruder, live_server.url, "charlie")
    expect(intruder.locator("h1")).to_have_text(other.name)
    response = intruder.goto(f"{live_server.url}/cajas/{caja.pk}/")
    assert response is not None and response.status == 404
    response = intruder.goto(f"{live_server.url}/cajas/{caja.pk}/meetings/1/")
    assert response is not None and response.status == 404
    assert not re.search(r"Alice", intruder.content())
    intruder.close()
    assert User.objects.filter(username="charlie").exists()
