"""Sofía, a plain member, reads her passbook on a 360 px phone in real headless Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from cajas.members.models import Membership
from tests.conftest import user_for
from tests.factories import caja_with_savings
from tests.helpers import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("CAJAS_SCREENSHOTS", "var/screenshots"))


def test_a_member_reads_her_passbook_on_a_phone(live_server, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    caja = caja_with_savings()
    user_for(Membership.objects.get(caja=caja, number=4), "sofia")
    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server.url, "sofia")
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
