"""Saving the meeting sheet: what the treasurer changed is saved, fines follow attendance,
and the cost does not grow with the number of members."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cajas.core.errors import RuleViolation
from cajas.ledger.verify import verify_caja
from cajas.meetings.close import meeting_close
from cajas.meetings.items import item_record, item_remove
from cajas.meetings.models import ItemKind, MeetingItem, SheetState
from cajas.meetings.opening import meeting_start
from cajas.meetings.sheet import SheetRow, meeting_sheet_save
from tests.factories import db_snapshot, make_caja
from tests.helpers import force_login

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 2, 3)


def _queries_to_save(members: int) -> int:
    caja = make_caja(members=members)
    meeting = meeting_start(caja_id=caja.pk, date=DAY, opened_by="t", today=DAY)
    rows = [
        SheetRow(member=n, status="absent" if n == 1 else "present", late=n == 2, shares=2)
        for n in range(1, members + 1)
    ]
    with CaptureQueriesContext(connection) as queries:
        meeting_sheet_save(meeting_id=meeting.pk, rows=rows)
    return len(queries)


def test_the_sheet_saves_in_the_same_number_of_queries_for_10_and_40_members() -> None:
    ten, forty = _queries_to_save(10), _queries_to_save(40)
    print(f"sheet save: {ten} queries at 10 members, {forty} at 40")
    assert ten == forty
    assert forty <= 16


def test_attendance_proposes_fines_and_a_waived_fine_stays_waived() -> None:
    caja = make_caja(members=3)
    meeting = meeting_start(caja_id=caja.pk, date=DAY, opened_by="t", today=DAY)
    # Member 1 is absent, member 2 arrives late.
    meeting_sheet_save(
        meeting_id=meeting.pk,
        rows=[
            SheetRow(member=1, status="absent"),
            SheetRow(member=2, late=True, shares=1, social_fund=True),
        ],
    )
    fines = MeetingItem.objects.filter(meeting=meeting, kind=ItemKind.FINE)
    assert sorted(fines.values_list("membership__number", "fine_reason", "amount_cents")) == [
        (1, "absence", 100),
        (2, "lateness", 50),
    ]
    # The lateness fine is waived; saving the same line again keeps it waived.
    late = fines.get(fine_reason="lateness")
    item_remove(meeting_id=meeting.pk, item_id=late.pk)
    meeting_sheet_save(
        meeting_id=meeting.pk, rows=[SheetRow(member=2, late=True, shares=1, social_fund=True)]
    )
    late.refresh_from_db()
    assert late.waived
    # Member 1 turns up after all: the absence fine goes.
    meeting_sheet_save(meeting_id=meeting.pk, rows=[SheetRow(member=1, shares=1)])
    assert not fines.filter(fine_reason="absence").exists()


def test_a_line_out_of_range_writes_nothing_and_names_the_member() -> None:
    caja = make_caja(members=3)
    meeting = meeting_start(caja_id=caja.pk, date=DAY, opened_by="t", today=DAY)
    before = db_snapshot()
    with pytest.raises(RuleViolation) as raised:
        meeting_sheet_save(
            meeting_id=meeting.pk,
            rows=[SheetRow(member=1, shares=2), SheetRow(member=3, shares=9)],
        )
    assert raised.value.code == "shares.out_of_range"
    assert raised.value.es == (
        "Se pueden comprar entre 1 y 5 acciones por reunión (socio n.º 3: 9)."
    )
    assert db_snapshot() == before


def test_saving_every_line_confirms_the_sheet_and_a_partial_save_does_not() -> None:
    caja = make_caja(members=2)
    meeting = meeting_start(caja_id=caja.pk, date=DAY, opened_by="t", today=DAY)
    meeting = meeting_sheet_save(meeting_id=meeting.pk, rows=[SheetRow(member=1, shares=1)])
    assert meeting.sheet == SheetState.PROPOSED
    meeting = meeting_sheet_save(
        meeting_id=meeting.pk, rows=[SheetRow(member=n, shares=1) for n in (1, 2)]
    )
    assert meeting.sheet == SheetState.CONFIRMED


def test_an_expense_recorded_before_the_income_never_overdraws_the_box() -> None:
    """The issue's case: an expense larger than the box, recorded first, then the income.
    The close posts collections first, so the cash never goes negative and verify passes."""
    caja = make_caja(members=3)
    meeting = meeting_start(caja_id=caja.pk, date=DAY, opened_by="t", today=DAY)
    item_record(meeting_id=meeting.pk, kind="expense", amount="12.00", description="local")
    meeting_sheet_save(
        meeting_id=meeting.pk, rows=[SheetRow(member=n, shares=1) for n in (1, 2, 3)]
    )
    item_record(meeting_id=meeting.pk, kind="other_income", amount="2.00", description="rifa")
    closed = meeting_close(meeting_id=meeting.pk, counted_cash="5.00", closed_by="t")
    kinds = list(closed.journal_entries.order_by("seq").values_list("kind", flat=True))
    assert kinds[-1] == "expense"
    assert verify_caja(caja) == []


def test_a_payout_the_meeting_cannot_cover_is_refused_naming_it() -> None:
    caja = make_caja(members=2)
    meeting = meeting_start(caja_id=caja.pk, date=DAY, opened_by="t", today=DAY)
    meeting_sheet_save(meeting_id=meeting.pk, rows=[SheetRow(member=n, shares=1) for n in (1, 2)])
    item_record(meeting_id=meeting.pk, kind="expense", amount="30.00", description="alquiler")
    before = db_snapshot()
    with pytest.raises(RuleViolation) as raised:
        meeting_close(meeting_id=meeting.pk, counted_cash="0", closed_by="t")
    assert raised.value.es == (
        "Los pagos de esta reunión superan el efectivo disponible: faltan 20.00 USD al pagar "
        "el gasto (alquiler). Revise los gastos y las entregas de préstamos."
    )
    assert db_snapshot() == before


def _queries_to_edit_a_line_in_place(members: int) -> int:
    from django.test import Client

    from tests.factories import enrol, user_for

    caja = make_caja(members=members - 1)
    alice = user_for(enrol(caja, role="treasurer", given_names="Alice"), f"alice{members}")
    meeting = meeting_start(caja_id=caja.pk, date=DAY, opened_by="t", today=DAY)
    client = Client()
    force_login(client, alice)
    url = f"/cajas/{caja.pk}/meetings/{meeting.number}/rows/3/"
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, {"status_3": "absent"}, HTTP_X_CAJAS_INPLACE="1")
    assert response.status_code == 200
    assert "row-3" in response.json()["fragments"]
    return len(queries)


def test_a_line_changed_in_place_costs_the_same_for_10_and_40_members() -> None:
    ten, forty = _queries_to_edit_a_line_in_place(10), _queries_to_edit_a_line_in_place(40)
    print(f"in-place edit: {ten} queries at 10 members, {forty} at 40")
    assert ten == forty
