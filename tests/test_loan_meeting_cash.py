"""Lending from the day's collections: at an open meeting, a loan's application, approval and
hand-over are checked against the cash the box will hold with what the meeting collected."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cajas.core.errors import RuleViolation
from cajas.core.money import decimal_string
from cajas.ledger import chart
from cajas.ledger.selectors import account_balance
from cajas.ledger.verify import verify_caja
from cajas.loans.application import loan_apply, loan_decide, loan_vote
from cajas.loans.models import LoanStatus
from cajas.meetings.close import meeting_close
from cajas.meetings.items import disbursement_record, item_record
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import cash_for_lending, meeting_expected_cash
from cajas.meetings.sheet import SheetRow, meeting_sheet_save
from cajas.org.models import Caja
from tests.factories import FOUNDED, db_snapshot, enrol, make_caja

pytestmark = pytest.mark.django_db

DAY = FOUNDED + dt.timedelta(days=70)  # past the 60 days of membership


def _caja_with_80_in_the_box() -> Caja:
    """President 1, treasurer 2, members 3–5; 16.00 each saved at the first meeting."""
    caja = make_caja(bylaws={"loan_savings_multiple": Decimal("10"), "max_shares_per_meeting": 10})
    enrol(caja, role="president")
    enrol(caja, role="treasurer")
    for _ in range(3):
        enrol(caja)
    first = meeting_open(caja_id=caja.pk, date=FOUNDED, opened_by="t")
    meeting_sheet_save(
        meeting_id=first.pk,
        rows=[SheetRow(member=n, shares=3, social_fund=True) for n in range(1, 6)],
    )
    meeting_close(meeting_id=first.pk, counted_cash="80.00", closed_by="t")
    assert account_balance(caja=caja, code=chart.CASH) == 8000
    return caja


def test_a_loan_is_approved_and_handed_over_from_the_meetings_own_collections() -> None:
    caja = _caja_with_80_in_the_box()
    # The meeting collects 130.00: five members buy 5 shares (25.00) and pay 1.00 each.
    meeting = meeting_open(caja_id=caja.pk, date=DAY, opened_by="t")
    meeting_sheet_save(
        meeting_id=meeting.pk,
        rows=[SheetRow(member=n, shares=5, social_fund=True) for n in range(1, 6)],
    )
    assert meeting_expected_cash(meeting=meeting) == 21000
    # Member 3 asks for 100.00, more than the 80.00 in the box before the meeting.
    loan = loan_apply(
        caja_id=caja.pk,
        member=3,
        amount="100",
        term=3,
        purpose="business",
        on=DAY,
        cash_available=cash_for_lending(caja_id=caja.pk),
    )
    loan_vote(loan_id=loan.pk, member=1, vote="yes", on=DAY)
    loan_vote(loan_id=loan.pk, member=2, vote="yes", on=DAY)
    loan = loan_decide(
        loan_id=loan.pk, on=DAY, cash_available=cash_for_lending(caja_id=loan.caja_id)
    )
    assert loan.status == LoanStatus.APPROVED
    disbursement_record(meeting_id=meeting.pk, loan_id=loan.pk)
    assert meeting_expected_cash(meeting=meeting) == 11000
    meeting_close(meeting_id=meeting.pk, counted_cash="110.00", closed_by="t")
    loan.refresh_from_db()
    assert loan.status == LoanStatus.DISBURSED
    assert account_balance(caja=caja, code=chart.CASH) == 11000
    assert verify_caja(caja) == []


def test_an_application_counts_the_expenses_the_meeting_will_pay() -> None:
    caja = _caja_with_80_in_the_box()
    meeting = meeting_open(caja_id=caja.pk, date=DAY, opened_by="t")
    item_record(meeting_id=meeting.pk, kind="expense", amount="50.00", description="alquiler")
    before = db_snapshot()
    with pytest.raises(RuleViolation) as raised:
        loan_apply(
            caja_id=caja.pk,
            member=3,
            amount="40",
            term=3,
            purpose="business",
            on=DAY,
            cash_available=cash_for_lending(caja_id=caja.pk),
        )
    assert raised.value.code == "loan.over_cash"
    assert raised.value.es == "La caja tiene 30.00 USD disponibles; no puede prestar 40.00 USD."
    assert db_snapshot() == before
    assert decimal_string(meeting_expected_cash(meeting=meeting)) == "30.00"


def test_a_loan_handed_over_today_owes_nothing_until_its_first_installment() -> None:
    """Handed over at today's meeting: the loan page shows nothing due now (its first
    installment is a month away) and the principal as what pays it off; at the next meeting,
    the first installment is due."""
    from cajas.loans.selectors import loan_lines

    caja = _caja_with_80_in_the_box()
    meeting = meeting_open(caja_id=caja.pk, date=DAY, opened_by="t")
    meeting_sheet_save(
        meeting_id=meeting.pk,
        rows=[SheetRow(member=n, shares=3, social_fund=True) for n in range(1, 6)],
    )
    loan = loan_apply(
        caja_id=caja.pk,
        member=3,
        amount="30",
        term=3,
        purpose="business",
        on=DAY,
        cash_available=cash_for_lending(caja_id=caja.pk),
    )
    loan_vote(loan_id=loan.pk, member=1, vote="yes", on=DAY)
    loan_vote(loan_id=loan.pk, member=2, vote="yes", on=DAY)
    loan_decide(loan_id=loan.pk, on=DAY, cash_available=cash_for_lending(caja_id=caja.pk))
    disbursement_record(meeting_id=meeting.pk, loan_id=loan.pk)
    meeting_close(
        meeting_id=meeting.pk,
        counted_cash=decimal_string(meeting_expected_cash(meeting=meeting)),
        closed_by="t",
    )
    (today,) = loan_lines(caja, DAY)
    assert (today.due_now, today.payoff, today.days_past_due) == (0, 3000, 0)
    (next_month,) = loan_lines(caja, DAY + dt.timedelta(days=28))
    assert next_month.due_now > 0
    assert next_month.payoff > 3000 - next_month.due_now
