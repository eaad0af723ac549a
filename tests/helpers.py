"""Helpers shared by tests: running a whole meeting through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cajas.core.money import decimal_string
from cajas.meetings.models import Meeting
from cajas.meetings.services import (
    SheetRow,
    item_record,
    meeting_close,
    meeting_expected_cash,
    meeting_open,
    meeting_sheet_save,
)
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
