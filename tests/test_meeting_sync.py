"""Changes sent from a phone (docs/offline.md): each applied once, in order, with every rule
checked again on the server; two phones' edits to one meeting merge field by field, and a real
conflict is left for the treasurer.

Caja A (``caja_with_savings``): members 1–6 bought 3 shares of 5.00 and paid the social fund
of 1.00 at two meetings. A third meeting is opened as the treasurer's screen opens it, with the
usual sheet proposed: everyone present, 3 shares, social fund.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from cajas.core.money import decimal_string
from cajas.meetings.merge import row_merge
from cajas.meetings.models import MeetingChange, MeetingStatus
from cajas.meetings.opening import meeting_start
from cajas.meetings.rules import SharesOutOfRange, SheetNotConfirmed
from cajas.meetings.selectors import meeting_expected_cash
from cajas.meetings.sync import (
    CloseChange,
    ItemAmountChange,
    ItemRemoveChange,
    Keyed,
    RowChange,
    UsualChange,
    change_apply,
    changes_apply,
    sheet_now,
)
from tests.factories import M2, assert_rejected, caja_with_savings

pytestmark = pytest.mark.django_db

USUAL = {"status": "present", "late": False, "shares": 3, "fund": True}


@pytest.fixture
def meeting():  # type: ignore[no-untyped-def]
    caja = caja_with_savings()
    day = M2 + dt.timedelta(days=28)
    return meeting_start(caja_id=caja.pk, date=day, opened_by="tesorera", today=day)


def send(meeting, change, *, key=None, device="phone-1"):  # type: ignore[no-untyped-def]
    return change_apply(
        meeting_id=meeting.pk,
        key=key or uuid.uuid4().hex,
        change=change,
        device=device,
        recorded_by="tesorera",
        now=timezone.now(),
    )


# The merge rule, on plain values.


def test_a_field_nobody_else_changed_is_written():
    merged = row_merge(current=USUAL, base={"shares": 3}, mine={"shares": 5})
    assert merged.written == ["shares"]
    assert merged.values == {**USUAL, "shares": 5}
    assert merged.conflicts == []


def test_the_same_field_changed_to_another_value_is_a_conflict():
    current = {**USUAL, "shares": 4}  # the other phone wrote 4
    merged = row_merge(current=current, base={"shares": 3}, mine={"shares": 5})
    assert merged.written == []
    assert [c.as_dict() for c in merged.conflicts] == [{"field": "shares", "theirs": 4, "mine": 5}]
    assert merged.values == current  # the server's value stays until the treasurer chooses


def test_the_same_value_from_both_phones_is_no_conflict():
    merged = row_merge(current={**USUAL, "shares": 5}, base={"shares": 3}, mine={"shares": 5})
    assert merged.written == [] and merged.conflicts == []


def test_a_change_without_its_base_is_never_written_over_another_value():
    merged = row_merge(current=USUAL, base={}, mine={"shares": 5})
    assert [c.field for c in merged.conflicts] == ["shares"]


def test_different_fields_of_one_line_merge():
    # Phone 1 marked member 4 late; phone 2, who had not seen that, sets her shares to 5.
    after_phone_1 = {**USUAL, "late": True}
    merged = row_merge(current=after_phone_1, base={"shares": 3}, mine={"shares": 5})
    assert merged.values == {**USUAL, "late": True, "shares": 5}


# Applied to a meeting.


def test_a_change_sent_twice_is_applied_once(meeting):
    change = RowChange(member=4, values={"shares": 5}, base={"shares": 3})
    first = send(meeting, change, key="k-1")
    again = send(meeting, change, key="k-1")
    assert not first.repeated and again.repeated
    assert again.outcome == first.outcome
    assert sheet_now(meeting)[4]["shares"] == 5
    assert MeetingChange.objects.filter(meeting=meeting).count() == 1


def test_two_phones_editing_different_members_merge(meeting):
    send(meeting, RowChange(member=4, values={"status": "absent"}, base={"status": "present"}))
    send(
        meeting,
        RowChange(member=5, values={"shares": 2}, base={"shares": 3}),
        device="phone-2",
    )
    sheet = sheet_now(meeting)
    assert sheet[4]["status"] == "absent" and sheet[5]["shares"] == 2
    assert sheet[6] == USUAL


def test_a_conflict_is_reported_and_the_first_value_kept(meeting):
    send(meeting, RowChange(member=4, values={"shares": 4}, base={"shares": 3}))
    second = send(
        meeting,
        RowChange(member=4, values={"shares": 5, "late": True}, base={"shares": 3, "late": False}),
        device="phone-2",
    )
    assert second.conflicts == [{"field": "shares", "theirs": 4, "mine": 5}]
    assert second.outcome["written"] == ["late"]  # the rest of the line merged
    assert sheet_now(meeting)[4] == {**USUAL, "shares": 4, "late": True}
    # The treasurer keeps 5: the phone sends it again, now knowing the server held 4.
    send(meeting, RowChange(member=4, values={"shares": 5}, base={"shares": 4}))
    assert sheet_now(meeting)[4]["shares"] == 5


def test_a_refused_change_writes_nothing_not_even_its_record(meeting):
    change = RowChange(member=4, values={"shares": 9}, base={"shares": 3})
    assert_rejected(
        SharesOutOfRange,
        lambda: send(meeting, change, key="k-9"),
        es="Se pueden comprar entre 1 y 5 acciones por reunión (socio n.º 4: 9).",
        en="Members may buy between 1 and 5 shares per meeting (member #4: 9).",
    )
    assert not MeetingChange.objects.filter(key="k-9").exists()


def test_removing_an_item_the_other_phone_removed_is_no_error(meeting):
    outcome = send(meeting, ItemRemoveChange(item_id=999_999)).outcome
    assert outcome == {"item": 999_999, "already": True}


def test_a_close_prepared_offline_is_posted_once(meeting):
    send(meeting, RowChange(member=6, values={"status": "absent"}, base={"status": "present"}))
    send(meeting, UsualChange(zero_shares_confirmed=False))
    close = CloseChange(counted_cash=decimal_string(meeting_expected_cash(meeting=meeting)))
    first = send(meeting, close, key="close-1")
    posted = meeting.journal_entries.count()
    again = send(meeting, close, key="close-1")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    assert first.outcome["difference"] == 0 and posted > 0
    assert again.repeated and again.outcome == first.outcome
    assert meeting.journal_entries.count() == posted


def test_the_close_is_checked_again_on_the_server(meeting):
    # The phone prepared the close, but the sheet was never confirmed (SHEET-001).
    with pytest.raises(SheetNotConfirmed):
        send(meeting, CloseChange(counted_cash="100"))
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.OPEN


# A phone back from an hour without signal sends its lines together.


def send_all(meeting, changes):  # type: ignore[no-untyped-def]
    return changes_apply(
        meeting_id=meeting.pk,
        changes=[Keyed(key=uuid.uuid4().hex, change=c) for c in changes],
        device="phone-1",
        recorded_by="tesorera",
        now=timezone.now(),
    )


def test_lines_sent_together_are_each_applied_once_and_the_sheet_stays_proposed(meeting):
    lines = [RowChange(member=n, values={"shares": 4}, base={"shares": 3}) for n in range(1, 7)]
    results = send_all(meeting, lines)
    assert [r.status for r in results] == ["applied"] * 6
    assert {n: line["shares"] for n, line in sheet_now(meeting).items()} == dict.fromkeys(
        range(1, 7), 4
    )
    meeting.refresh_from_db()
    assert meeting.sheet == "proposed"  # only «todo como de costumbre» confirms it
    assert MeetingChange.objects.filter(meeting=meeting).count() == 6


def test_one_refused_line_among_many_is_refused_alone(meeting):
    before = sheet_now(meeting)
    results = send_all(
        meeting,
        [
            RowChange(member=1, values={"shares": 4}, base={"shares": 3}),
            RowChange(member=2, values={"shares": 9}, base={"shares": 3}),
            RowChange(member=3, values={"status": "absent"}, base={"status": "present"}),
            CloseChange(counted_cash="1"),
        ],
    )
    assert [r.status for r in results] == ["applied", "refused", "applied", "held"]
    assert results[1].refusal is not None and results[1].refusal.rule_id == "SAV-001"
    after = sheet_now(meeting)
    assert after[1]["shares"] == 4 and after[3]["status"] == "absent"
    assert after[2] == before[2]
    assert not MeetingChange.objects.filter(meeting=meeting, member=2).exists()


def test_the_same_lines_sent_together_again_are_repeated(meeting):
    keyed = [
        Keyed(
            key=f"line-{n}", change=RowChange(member=n, values={"late": True}, base={"late": False})
        )
        for n in (4, 5)
    ]
    first = changes_apply(
        meeting_id=meeting.pk, changes=keyed, device="a", recorded_by="t", now=timezone.now()
    )
    again = changes_apply(
        meeting_id=meeting.pk, changes=keyed, device="a", recorded_by="t", now=timezone.now()
    )
    assert [r.status for r in again] == ["repeated", "repeated"]
    assert [r.outcome for r in again] == [r.outcome for r in first]
    assert MeetingChange.objects.filter(meeting=meeting).count() == 2


def test_an_item_that_is_gone_is_refused_by_name(meeting):
    results = send_all(meeting, [ItemAmountChange(item_id=999_999, amount="2")])
    assert results[0].status == "refused"
    assert results[0].refusal is not None
    assert results[0].refusal.es == (
        "Este cambio ya no se puede hacer en la reunión n.º 3: revise la partida."
    )


def test_the_same_key_twice_in_one_request_counts_once(meeting):
    change = RowChange(member=4, values={"shares": 4}, base={"shares": 3})
    twice = [Keyed(key="same-key", change=change), Keyed(key="same-key", change=change)]
    results = changes_apply(
        meeting_id=meeting.pk, changes=twice, device="a", recorded_by="t", now=timezone.now()
    )
    assert [r.status for r in results] == ["applied", "repeated"]
    assert MeetingChange.objects.filter(meeting=meeting, key="same-key").count() == 1
