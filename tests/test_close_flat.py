"""A meeting's close costs the same after 3 meetings as after 12 with loans handed over and
repaid in between: the same queries and the same rows fetched, because it reads the loans
open now (their unsettled installments, their receivables), never the caja's past."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.backends import utils
from django.test.utils import CaptureQueriesContext

from cajas.core.money import decimal_string
from cajas.loans.application import loan_apply, loan_decide, loan_vote
from cajas.loans.models import Loan, LoanStatus
from cajas.loans.repayment import amount_due_now
from cajas.loans.schedule import add_period
from cajas.loans.selectors import states_on
from cajas.meetings.close import meeting_close
from cajas.meetings.items import disbursement_record, repayment_record
from cajas.meetings.models import Meeting
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import cash_for_lending, meeting_expected_cash
from cajas.meetings.sheet import SheetRow, meeting_sheet_save
from cajas.org.models import Caja
from cajas.org.selectors import bylaws_in_force
from tests.factories import FOUNDED, enrol, make_caja

pytestmark = pytest.mark.django_db

BYLAWS = {"loan_min_membership_days": 0, "max_shares_per_meeting": 10}


class _Rows:
    """Counts the rows every cursor hands back (fetchone, fetchmany, fetchall)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        for name in ("fetchone", "fetchmany", "fetchall"):
            monkeypatch.setattr(utils.CursorWrapper, name, self._counting(name), raising=False)

    def _counting(self, name: str) -> Any:
        rows = self

        def fetch(cursor: utils.CursorWrapper, *args: Any) -> Any:
            result = getattr(cursor.cursor, name)(*args)
            if name == "fetchone":
                rows.count += result is not None
            else:
                rows.count += len(result)
            return result

        return fetch


def _lend(caja: Caja, member: int, on: dt.date) -> Loan:
    loan = loan_apply(
        caja_id=caja.pk, member=member, amount="20", term=1, purpose="business", on=on,
        cash_available=cash_for_lending(caja_id=caja.pk),
    )  # fmt: skip
    for voter in (1, 2):
        loan_vote(loan_id=loan.pk, member=voter, vote="yes", on=on)
    return loan_decide(loan_id=loan.pk, on=on, cash_available=cash_for_lending(caja_id=caja.pk))


def _meeting(caja: Caja, on: dt.date, *, hand_over: Loan | None, repay: Loan | None) -> int:
    """Open a meeting on ``on`` where everyone buys two shares, hand one loan over and repay
    what another owes now; return the meeting's id, ready to close."""
    meeting = meeting_open(caja_id=caja.pk, date=on, opened_by="tesorera")
    meeting_sheet_save(
        meeting_id=meeting.pk, rows=[SheetRow(member=n, shares=2) for n in range(1, 7)]
    )
    if repay is not None:
        due = amount_due_now(states_on(repay, on, bylaws_in_force(caja, on)), on)
        repayment_record(meeting_id=meeting.pk, loan_id=repay.pk, amount=decimal_string(due))
    if hand_over is not None:
        disbursement_record(meeting_id=meeting.pk, loan_id=hand_over.pk)
    return meeting.pk


def _close(meeting_id: int) -> None:
    meeting = Meeting.objects.get(pk=meeting_id)
    expected = meeting_expected_cash(meeting=meeting)
    meeting_close(meeting_id=meeting_id, counted_cash=decimal_string(expected), closed_by="t")


def _caja_after(meetings: int) -> tuple[Caja, int]:
    """A caja of six members after ``meetings`` monthly meetings; from the third on, each one
    hands a one-month loan over and repays the one handed over at the one before (settled).
    Then the meeting whose close is measured: it repays the last loan and hands a new one over,
    as the third meeting of a younger caja does."""
    caja = make_caja(bylaws=BYLAWS)
    for role in ("president", "treasurer", "secretary", "member", "member", "member"):
        enrol(caja, role=role)
    day, lent = FOUNDED, None
    for n in range(meetings):
        hand_over = _lend(caja, 4 + n % 3, day) if n >= 1 else None
        _close(_meeting(caja, day, hand_over=hand_over, repay=lent))
        lent = Loan.objects.get(pk=hand_over.pk) if hand_over else None
        day = add_period(day, "monthly", 1)
    member = 4 + meetings % 3
    return caja, _meeting(caja, day, hand_over=_lend(caja, member, day), repay=lent)


def _cost(meeting_id: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    with monkeypatch.context() as patch:
        rows = _Rows(patch)
        with CaptureQueriesContext(connection) as queries:
            _close(meeting_id)
    return len(queries.captured_queries), rows.count


def test_the_close_reads_the_same_after_3_meetings_as_after_12(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    young, young_meeting = _caja_after(3)
    old, old_meeting = _caja_after(12)
    assert Loan.objects.filter(caja=old, status=LoanStatus.REPAID).count() == 10
    assert Loan.objects.filter(caja=young, status=LoanStatus.REPAID).count() == 1
    young_cost = _cost(young_meeting, monkeypatch)
    old_cost = _cost(old_meeting, monkeypatch)
    assert old_cost == young_cost
    # The loan repaid at the measured close is settled; the one handed over is open.
    assert Loan.objects.filter(caja=old, status=LoanStatus.DISBURSED).count() == 1
