"""Opening a meeting: the date and the kind make sense, and the sheet proposes the usual
meeting (everyone present, the shares each bought last time, the social fund)."""

from __future__ import annotations

import datetime as dt

import pytest

from cajas.core.errors import RuleViolation
from cajas.meetings.close import meeting_close
from cajas.meetings.models import ItemKind, MeetingItem, MeetingKind, SheetState
from cajas.meetings.opening import meeting_start
from cajas.meetings.selectors import meeting_expected_cash
from cajas.meetings.sheet import SheetRow, meeting_sheet_confirm, meeting_sheet_save
from tests.factories import db_snapshot, make_caja
from tests.helpers import run_meeting

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 3)


def _refused(code: str, **kwargs: object) -> RuleViolation:
    before = db_snapshot()
    with pytest.raises(RuleViolation) as raised:
        meeting_start(opened_by="tesorera", today=TODAY, **kwargs)  # type: ignore[arg-type]
    assert raised.value.code == code
    assert db_snapshot() == before
    return raised.value


def test_it_refuses_a_meeting_in_the_future() -> None:
    caja = make_caja(members=3)
    error = _refused("meeting.date_future", caja_id=caja.pk, date=TODAY + dt.timedelta(days=1))
    assert error.es == (
        "La fecha 2025-03-04 es futura; una reunión se registra el día en que se hace."
    )
    assert error.field == "date"


def test_it_refuses_a_date_before_the_last_meeting() -> None:
    caja = make_caja(members=3)
    run_meeting(caja, dt.date(2025, 2, 3), [SheetRow(member=n, shares=1) for n in (1, 2, 3)])
    error = _refused("meeting.date", caja_id=caja.pk, date=dt.date(2025, 2, 1))
    assert error.es == "La fecha 2025-02-01 es anterior a la última reunión (2025-02-03)."


def test_it_refuses_a_second_ordinary_meeting_on_the_same_date() -> None:
    caja = make_caja(members=3)
    run_meeting(caja, dt.date(2025, 2, 3), [SheetRow(member=n, shares=1) for n in (1, 2, 3)])
    error = _refused("meeting.date_taken", caja_id=caja.pk, date=dt.date(2025, 2, 3))
    assert "Ya hay una reunión ordinaria el 2025-02-03 (n.º 1)" in error.es
    # An extraordinary meeting the same day is fine.
    extra = meeting_start(
        caja_id=caja.pk,
        date=dt.date(2025, 2, 3),
        opened_by="tesorera",
        kind=MeetingKind.EXTRAORDINARY,
        today=TODAY,
    )
    assert extra.kind == MeetingKind.EXTRAORDINARY


def test_it_refuses_a_second_open_meeting() -> None:
    caja = make_caja(members=3)
    meeting_start(caja_id=caja.pk, date=dt.date(2025, 2, 3), opened_by="t", today=TODAY)
    _refused("meeting.already_open", caja_id=caja.pk, date=dt.date(2025, 2, 4))


def test_the_first_meeting_proposes_the_minimum_and_the_social_fund() -> None:
    caja = make_caja(members=4, bylaws={"min_shares_per_meeting": 2})
    meeting = meeting_start(caja_id=caja.pk, date=dt.date(2025, 2, 3), opened_by="t", today=TODAY)
    assert meeting.sheet == SheetState.PROPOSED
    assert set(meeting.attendance.values_list("status", flat=True)) == {"present"}
    shares = MeetingItem.objects.filter(meeting=meeting, kind=ItemKind.SHARES)
    assert sorted(shares.values_list("shares", flat=True)) == [2, 2, 2, 2]
    fund = MeetingItem.objects.filter(meeting=meeting, kind=ItemKind.SOCIAL_FUND)
    assert list(fund.values_list("amount_cents", flat=True)) == [100] * 4
    # 4 × (2 × 5.00 + 1.00) = 44.00 expected in the box.
    assert meeting_expected_cash(meeting=meeting) == 4400


def test_the_next_meeting_proposes_what_each_member_bought_last_time() -> None:
    caja = make_caja(members=3)
    run_meeting(
        caja,
        dt.date(2025, 2, 3),
        [SheetRow(member=1, shares=3), SheetRow(member=2, shares=1), SheetRow(member=3, shares=5)],
    )
    meeting = meeting_start(caja_id=caja.pk, date=dt.date(2025, 3, 3), opened_by="t", today=TODAY)
    proposed = dict(
        MeetingItem.objects.filter(meeting=meeting, kind=ItemKind.SHARES).values_list(
            "membership__number", "shares"
        )
    )
    assert proposed == {1: 3, 2: 1, 3: 5}


def test_an_assembly_proposes_attendance_only() -> None:
    caja = make_caja(members=3)
    meeting = meeting_start(
        caja_id=caja.pk, date=dt.date(2025, 2, 3), opened_by="t", kind="assembly", today=TODAY
    )
    assert meeting.attendance.count() == 3
    assert not meeting.items.exists()


def test_a_proposed_sheet_must_be_confirmed_before_the_close() -> None:
    caja = make_caja(members=2)
    meeting = meeting_start(caja_id=caja.pk, date=dt.date(2025, 2, 3), opened_by="t", today=TODAY)
    before = db_snapshot()
    with pytest.raises(RuleViolation) as raised:
        meeting_close(meeting_id=meeting.pk, counted_cash="12.00", closed_by="t")
    assert raised.value.code == "meeting.sheet_unconfirmed"
    assert db_snapshot() == before
    meeting_sheet_confirm(meeting_id=meeting.pk)
    closed = meeting_close(meeting_id=meeting.pk, counted_cash="12.00", closed_by="t")
    assert closed.cash_difference_cents == 0
    assert closed.journal_entries.count() == 4


def test_confirming_asks_first_when_a_present_member_buys_nothing() -> None:
    caja = make_caja(members=3)
    meeting = meeting_start(caja_id=caja.pk, date=dt.date(2025, 2, 3), opened_by="t", today=TODAY)
    meeting_sheet_save(
        meeting_id=meeting.pk,
        rows=[SheetRow(member=2, shares=0, social_fund=True)],
    )
    before = db_snapshot()
    with pytest.raises(RuleViolation) as raised:
        meeting_sheet_confirm(meeting_id=meeting.pk)
    assert raised.value.code == "meeting.zero_shares"
    assert raised.value.es.startswith("Los socios n.º 2 están presentes y no compran")
    assert db_snapshot() == before
    confirmed = meeting_sheet_confirm(meeting_id=meeting.pk, zero_shares_confirmed=True)
    assert confirmed.sheet == SheetState.CONFIRMED
