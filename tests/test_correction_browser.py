"""A correction on phones: Alice (treasurer) proposes it from the closed meeting, Diana
(president) approves it on her own phone, and it shows in the meeting, the next meeting's
minutes and the member's passbook."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Browser, expect

from cajas.ledger.verify import verify_caja
from cajas.meetings.sheet import SheetRow
from cajas.members.models import Membership
from cajas.org.models import Caja
from tests.factories import FOUNDED, enrol, make_caja, user_for
from tests.helpers import PHONE, log_in, run_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_correction_proposed_by_one_officer_and_approved_by_another(
    live_server,  # type: ignore[no-untyped-def]
    browser: Browser,
) -> None:
    caja = make_caja(code="caja-correcciones")
    user_for(enrol(caja, role="president", given_names="Diana"), "diana")
    user_for(enrol(caja, role="treasurer", given_names="Alice"), "alice")
    sofia = enrol(caja, given_names="Sofía")
    user_for(sofia, "sofia")
    # Meeting 1: Sofía (3) was written down as buying 3 shares; she bought 2.
    run_meeting(caja, FOUNDED, [SheetRow(member=n, shares=3 if n == 3 else 1) for n in (1, 2, 3)])
    base = live_server.url

    alice = browser.new_context(viewport=PHONE).new_page()
    log_in(alice, base, "alice")
    alice.goto(f"{base}/cajas/{caja.pk}/meetings/1/")
    alice.get_by_role("link", name="Asientos y correcciones").click()
    row = alice.locator("li, tr", has_text="Sofía").filter(has_text="15.00").first
    row.get_by_role("link", name="Corregir").click()
    alice.fill("input[name=amount]", "10,00")
    alice.fill("textarea[name=reason], input[name=reason]", "Compró 2 acciones, no 3")
    alice.get_by_role("button", name="Proponer la corrección").click()
    expect(alice.locator(".msg.success")).to_be_visible()

    diana = browser.new_context(viewport=PHONE).new_page()
    log_in(diana, base, "diana")
    diana.goto(f"{base}/cajas/{caja.pk}/corrections/")
    diana.get_by_role("button", name="Aprobar y registrar").click()
    expect(diana.locator(".msg.success")).to_be_visible()

    alice.goto(f"{base}/cajas/{caja.pk}/meetings/1/")
    expect(alice.get_by_test_id("corrections")).to_contain_text("Compró 2 acciones, no 3")

    # The next meeting's minutes list it.
    run_meeting(caja, dt.date.today(), [SheetRow(member=n, shares=1) for n in (1, 2, 3)])
    alice.goto(f"{base}/cajas/{caja.pk}/documents/minutes/?meeting=2&format=html")
    expect(alice.locator("body")).to_contain_text("Compró 2 acciones, no 3")

    # Sofía sees it in her passbook on her phone.
    mine = browser.new_context(viewport=PHONE).new_page()
    log_in(mine, base, "sofia")
    mine.goto(f"{base}/cajas/{caja.pk}/passbook/")
    expect(mine.locator("main")).to_contain_text("Corrección")
    expect(mine.locator("main")).to_contain_text("Compró 2 acciones, no 3")
    assert Membership.objects.get(pk=sofia.pk).number == 3
    assert verify_caja(Caja.objects.get(pk=caja.pk)) == []
