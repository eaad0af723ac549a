"""Helpers shared by tests: running a whole meeting through the services."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence

from playwright.sync_api import Page

from cajas.core.money import decimal_string
from cajas.meetings.close import meeting_close
from cajas.meetings.items import item_record
from cajas.meetings.models import Meeting
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import meeting_expected_cash
from cajas.meetings.sheet import SheetRow, meeting_sheet_save
from cajas.org.models import Caja


def run_meeting(
    caja: Caja,
    day: dt.date,
    rows: Sequence[SheetRow],
    *,
    expenses: Sequence[str] = (),
    cash_delta_cents: int = 0,
) -> Meeting:
    meeting = meeting_open(caja_id=caja.pk, date=day, opened_by="tesorera")
    meeting_sheet_save(meeting_id=meeting.pk, rows=rows)
    for amount in expenses:
        item_record(meeting_id=meeting.pk, kind="expense", amount=amount, description="útiles")
    counted = max(meeting_expected_cash(meeting=meeting) + cash_delta_cents, 0)
    return meeting_close(
        meeting_id=meeting.pk,
        counted_cash=decimal_string(counted),
        closed_by="tesorera",
    )


# Browser tests: Debian's Chromium driven by Playwright at a phone's width (DESIGN.md §12).
CHROMIUM = os.environ.get("CAJAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
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


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "secreto-123")
    page.click("button.primary")
