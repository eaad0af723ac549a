"""Sofía, a plain member, reads her passbook on a 360 px phone in real headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from cajas.members.models import Membership
from tests.conftest import user_for
from tests.factories import caja_with_savings

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
    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}; run `make system-deps`"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def test_a_member_reads_her_passbook_on_a_phone(live_server, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    caja = caja_with_savings()
    user_for(Membership.objects.get(caja=caja, number=4), "sofia")
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "sofia")
    page.fill("input[name=password]", "secreto-123")
    page.click("button.primary")
    page.click("[data-testid=my-passbook-page]")
    expect(page.locator("h1")).to_contain_text("Mi libreta")
    expect(page.locator("[data-testid=savings]")).to_have_text("30.00")
    expect(page.locator("[data-testid=savings-lines] li").first).to_contain_text(
        "3 acciones × 5.00 USD = 15.00 USD"
    )
    expect(page.locator("[data-testid=next-meeting]")).to_contain_text("Próxima reunión: aprox.")
    # nothing wider than the phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "passbook-360.png"), full_page=True)
