"""A facilitator enrols their phone at a phone's width; a treasurer whose session ended during
a meeting logs in again and comes back to the meeting (real headless Chromium)."""

from __future__ import annotations

import datetime as dt
from base64 import b32decode

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django_otp.oath import TOTP
from playwright.sync_api import Browser, expect

from cajas.access.models import StaffAssignment, StaffRole
from cajas.meetings.opening import meeting_open
from tests.factories import enrol, make_caja, user_for
from tests.helpers import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_facilitator_enrols_a_phone_and_reaches_the_caja(live_server, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    caja = make_caja(members=2, code="caja-f")
    user = User.objects.create_user(username="fede", password="secreto-123")
    StaffAssignment.objects.create(
        user=user, role=StaffRole.FACILITATOR, program=caja.program, caja=caja
    )
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/cajas/{caja.pk}/")
    page.fill("input[name=username]", "fede")
    page.fill("input[name=password]", "secreto-123")
    page.click("button.primary")
    page.wait_for_url("**/accounts/two-factor/setup/**")
    expect(page.get_by_test_id("qr")).to_be_visible()
    key = page.get_by_test_id("otp-key").inner_text().replace(" ", "")
    secret = b32decode(key + "=" * (-len(key) % 8))
    page.fill("input[name=token]", f"{TOTP(secret).token():06d}")
    page.click("button.primary")
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.click("text=Ya los anoté")
    expect(page.locator("h1")).to_have_text(caja.name)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_session_that_ended_mid_meeting_comes_back_to_the_meeting(
    live_server, browser: Browser
) -> None:  # type: ignore[no-untyped-def]
    caja = make_caja(members=3, code="caja-s")
    user_for(enrol(caja, role="treasurer", given_names="Tesa"), "tesa")
    meeting = meeting_open(caja_id=caja.pk, date=dt.date(2025, 2, 1), opened_by="tesa")
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "tesa")
    page.fill("input[name=password]", "secreto-123")
    page.click("button.primary")
    meeting_url = f"{live_server.url}/cajas/{caja.pk}/meetings/{meeting.number}/"
    page.goto(meeting_url)
    Session.objects.all().delete()  # the session ended while the page was open
    page.locator("input[name=fund_1]").click()  # its answer sends the page on at once
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", "tesa")
    page.fill("input[name=password]", "secreto-123")
    page.click("button.primary")
    page.wait_for_url(meeting_url)
