"""Sofía, a plain member, reads her passbook on a 360 px phone in real headless Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from cajas.members.models import Membership
from tests.factories import caja_with_savings, user_for
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


def test_she_gives_and_withdraws_a_consent_on_her_phone(live_server, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    from cajas.members.models import Consent

    caja = caja_with_savings()
    member = Membership.objects.get(caja=caja, number=4)
    user_for(member, "sofia")
    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server.url, "sofia")
    page.goto(f"{live_server.url}/cajas/{caja.pk}/passbook/#consents")
    card = page.locator("[data-testid=consents] [data-purpose=whatsapp_receipts]")
    expect(card).to_contain_text("No dado")
    card.get_by_role("button", name="Dar el consentimiento").click()
    expect(page.locator("body")).to_contain_text("Consentimiento registrado.")
    card = page.locator("[data-testid=consents] [data-purpose=whatsapp_receipts]")
    expect(card).to_contain_text("Por la socia, con su propio usuario (sofia)")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    card.get_by_role("button", name="Retirar el consentimiento").click()
    expect(page.locator("body")).to_contain_text("Consentimiento retirado.")
    consent = Consent.objects.get(person=member.person, purpose="whatsapp_receipts")
    assert consent.withdrawn_at is not None and consent.withdrawn_by.username == "sofia"
