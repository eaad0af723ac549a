"""A loan that is not being repaid as agreed: a new schedule (restructuring), or a write-off
asked for by one officer and approved by a second, posted at approval. Money later received
on a written-off loan is a recovery, recorded at a meeting (``at_meeting``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from cajas.ledger import chart
from cajas.ledger.models import EntryKind
from cajas.ledger.rules import Line
from cajas.ledger.selectors import account_balance
from cajas.ledger.services import EntryDraft, entries_post, member_ref
from cajas.loans.models import Loan, LoanStatus, Restructuring
from cajas.loans.records import loan_locked, require_status, schedule_write
from cajas.loans.rules import (
    NotAnOfficer,
    ReasonRequired,
    WriteOffNeedsSecondOfficer,
    WriteOffNotRequested,
    check_term,
)
from cajas.loans.selectors import installment_states
from cajas.members.models import COMMITTEE_ROLES, Membership
from cajas.members.selectors import active_membership
from cajas.org.selectors import bylaws_in_force


@transaction.atomic
def loan_restructure(
    *,
    loan_id: int,
    term: int,
    on: dt.date,
    reason: str,
    recorded_by: str,
    monthly_rate_percent: Decimal | None = None,
) -> Loan:
    """A new schedule for the principal still owed, from ``on``; unpaid late fees carry over to
    its first installment; the old schedule is kept as history."""
    if not reason.strip():
        raise ReasonRequired()
    caja, loan = loan_locked(loan_id)
    require_status(loan, "restructure", LoanStatus.DISBURSED)
    states = installment_states(loan)
    outstanding = sum(s.unpaid_principal for s in states)
    fees = sum(s.unpaid_fee for s in states)
    bylaws = bylaws_in_force(caja, on)
    check_term(term=term, frequency=loan.frequency, max_term_months=bylaws.loan_max_term_months)
    rate = monthly_rate_percent if monthly_rate_percent is not None else loan.monthly_rate_percent
    old = loan.schedule_version
    schedule_write(
        loan,
        on,
        version=old + 1,
        principal=outstanding,
        term=term,
        monthly_rate_percent=rate,
        carried_fee=fees,
    )
    Restructuring.objects.create(
        loan=loan,
        caja_id=loan.caja_id,
        from_version=old,
        to_version=old + 1,
        on=on,
        reason=reason.strip(),
        outstanding_cents=outstanding,
        term=term,
        monthly_rate_percent=rate,
        recorded_by=recorded_by,
    )
    return loan


def _officer(loan: Loan, member: int, on: dt.date, action: tuple[str, str]) -> Membership:
    m = active_membership(loan.caja_id, member, on)
    if m.role not in COMMITTEE_ROLES:
        raise NotAnOfficer(member=member, action_es=action[0], action_en=action[1])
    return m


@transaction.atomic
def loan_write_off_request(*, loan_id: int, member: int, reason: str, on: dt.date) -> Loan:
    """An officer asks to write off a loan that will not be repaid; a second officer approves."""
    if not reason.strip():
        raise ReasonRequired()
    _caja, loan = loan_locked(loan_id)
    require_status(loan, "write_off", LoanStatus.DISBURSED)
    officer = _officer(loan, member, on, ("pedir un castigo", "ask for a write-off"))
    loan.write_off_requested_by = officer
    loan.write_off_reason = reason.strip()
    loan.save(update_fields=["write_off_requested_by", "write_off_reason"])
    return loan


@transaction.atomic
def loan_write_off_approve(*, loan_id: int, member: int, on: dt.date, recorded_by: str) -> Loan:
    """A second officer approves: the principal still owed moves to losses (posted now)."""
    caja, loan = loan_locked(loan_id, "membership")
    require_status(loan, "write_off", LoanStatus.DISBURSED)
    if loan.write_off_requested_by_id is None:
        raise WriteOffNotRequested(number=loan.number)
    officer = _officer(loan, member, on, ("aprobar un castigo", "approve a write-off"))
    if officer.pk == loan.write_off_requested_by_id:
        raise WriteOffNeedsSecondOfficer(number=loan.number, member=member)
    code = chart.loan_account_code(loan.number)
    outstanding = account_balance(caja=caja, code=code)
    if outstanding > 0:
        entries_post(
            caja=caja,
            drafts=[
                EntryDraft(
                    key=f"loan:{loan.number}:write-off",
                    kind=EntryKind.LOAN_WRITE_OFF,
                    date=on,
                    lines=(
                        Line(chart.LOAN_LOSSES, debit=outstanding),
                        Line(code, credit=outstanding),
                    ),
                    memo=f"#{loan.number}",
                    member=member_ref(loan.membership),
                    reason=loan.write_off_reason,
                )
            ],
            recorded_by=recorded_by,
        )
    loan.status = LoanStatus.WRITTEN_OFF
    loan.written_off_by = officer
    loan.written_off_on = on
    loan.written_off_cents = outstanding
    loan.save(update_fields=["status", "written_off_by", "written_off_on", "written_off_cents"])
    return loan
