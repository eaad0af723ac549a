"""Loans: the list (the caja's portfolio, or a member's own loans), one loan with its
schedule and votes, the application and the committee's votes, through the same services as
the loan pages (``web/loan_views.py``) and with the same checks: a plain member sees and
applies for her own loans only; votes are recorded by those who record meetings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from cajas.access.selectors import (
    membership_of_user,
    user_can_record_meetings,
    user_sees_all_members,
)
from cajas.api.errors import errors, forbidden, not_found
from cajas.api.idempotency import KeyHeader, idempotent
from cajas.api.scope import CajaId, Number, caja_for
from cajas.loans.application import loan_apply, loan_decide, loan_vote, voters_for
from cajas.loans.models import Loan, LoanStatus
from cajas.loans.selectors import LoanLine, loan_lines, loan_lines_of, schedule_rows
from cajas.meetings.selectors import cash_for_lending
from cajas.members.models import Membership
from cajas.org.models import Caja

router = Router(tags=["loans"])

WRITE_ERRORS = errors(400, 403, 404, 409, 422)
Purpose = Literal["business", "consumption", "emergency", "education", "housing", "informal_payoff"]


class LoanRowOut(Schema):
    number: int
    member: int
    member_name: str
    status: str
    purpose: str
    principal_cents: int
    term: int
    applied_on: dt.date
    disbursed_on: dt.date | None
    outstanding_cents: int
    days_past_due: int
    due_now_cents: int
    payoff_cents: int


class InstallmentOut(Schema):
    number: int
    due_date: dt.date
    principal_cents: int
    interest_cents: int
    paid_principal_cents: int
    paid_interest_cents: int
    late_fee_cents: int
    paid_late_fee_cents: int


class VoteOut(Schema):
    member: int
    vote: str


class LoanOut(LoanRowOut):
    frequency: str
    method: str
    monthly_rate_percent: Decimal
    tea_percent: Decimal
    cap_percent: Decimal
    schedule_version: int
    schedule: list[InstallmentOut]
    voters: list[VoteOut]
    guarantors: list[int]


class ApplyIn(Schema):
    amount: str = Field(min_length=1, max_length=20, description="USD, e.g. 120 or 120.50")
    term: int = Field(ge=1, le=520, description="Number of installments")
    purpose: Purpose
    member: int | None = Field(
        default=None, ge=1, le=9999, description="Whose loan (officers); yours if left out"
    )
    guarantors: list[int] = Field(default_factory=list, max_length=20)


class VoteIn(Schema):
    member: int = Field(ge=1, le=9999)
    vote: Literal["yes", "no", "abstain"]


class VotesIn(Schema):
    votes: list[VoteIn] = Field(max_length=200)
    decide: bool = Field(default=False, description="Count the votes and decide the loan")


def row_fields(line: LoanLine) -> dict[str, object]:
    loan = line.loan
    return {
        "number": loan.number,
        "member": loan.membership.number,
        "member_name": loan.membership.person.full_name,
        "status": loan.status,
        "purpose": loan.purpose,
        "principal_cents": loan.principal_cents,
        "term": loan.term,
        "applied_on": loan.applied_on,
        "disbursed_on": loan.disbursed_on,
        "outstanding_cents": line.outstanding,
        "days_past_due": line.days_past_due,
        "due_now_cents": line.due_now,
        "payoff_cents": line.payoff,
    }


def _viewer(request: HttpRequest, caja: Caja) -> tuple[bool, Membership | None]:
    sees_all = user_sees_all_members(user=request.user, caja=caja)
    own = membership_of_user(user=request.user, caja=caja)
    if not sees_all and own is None:
        raise forbidden()
    return sees_all, own


def _loan(caja: Caja, number: int, sees_all: bool, own: Membership | None) -> Loan:
    loan = Loan.objects.filter(caja=caja, number=number).select_related("membership__person")
    found = loan.first()
    if found is None or (not sees_all and found.membership != own):
        raise not_found()
    return found


def loan_out(caja: Caja, loan: Loan) -> LoanOut:
    on = timezone.localdate()
    line = next(x for x in loan_lines_of(caja, on, loan.membership) if x.loan.pk == loan.pk)
    votes = {v.membership_id: v.vote for v in loan.votes.all()}
    voters = voters_for(loan, on) if loan.status == LoanStatus.APPLIED else []
    return LoanOut(
        **row_fields(line),  # type: ignore[arg-type]
        frequency=loan.frequency,
        method=loan.method,
        monthly_rate_percent=loan.monthly_rate_percent,
        tea_percent=loan.tea_percent,
        cap_percent=loan.cap_percent,
        schedule_version=loan.schedule_version,
        schedule=[InstallmentOut.from_orm(r) for r in schedule_rows(loan)],
        voters=[VoteOut(member=m.number, vote=votes.get(m.pk, "")) for m in voters],
        guarantors=sorted(
            g.membership.number for g in loan.guarantors.select_related("membership")
        ),
    )


@router.get(
    "/{caja_id}/loans",
    response={200: list[LoanRowOut], **errors(403, 404, 422)},
    operation_id="loans_list",
)
def loans_list(request: HttpRequest, caja_id: CajaId) -> list[LoanRowOut]:
    """The caja's loans with what each owes today (a plain member: her own)."""
    caja = caja_for(request, caja_id)
    sees_all, own = _viewer(request, caja)
    on = timezone.localdate()
    if sees_all:
        lines = loan_lines(caja, on)
    else:
        lines = loan_lines_of(caja, on, own) if own is not None else []
    return [LoanRowOut(**row_fields(line)) for line in lines]  # type: ignore[arg-type]


@router.get(
    "/{caja_id}/loans/{number}",
    response={200: LoanOut, **errors(403, 404, 422)},
    operation_id="loan_detail",
)
def loan_detail(request: HttpRequest, caja_id: CajaId, number: Number) -> LoanOut:
    """One loan: its terms, its current schedule, the committee's votes while it is applied."""
    caja = caja_for(request, caja_id)
    sees_all, own = _viewer(request, caja)
    return loan_out(caja, _loan(caja, number, sees_all, own))


def _applicant(request: HttpRequest, caja: Caja, number: int | None) -> Membership:
    """A member applies for herself; whoever records meetings may apply for any member."""
    own = membership_of_user(user=request.user, caja=caja)
    if user_can_record_meetings(user=request.user, caja=caja) and number:
        member = Membership.objects.filter(caja=caja, number=number).first()
    elif own is not None and (not number or number == own.number):
        member = own
    else:
        member = None
    if member is None:
        raise forbidden()
    return member


@router.post("/{caja_id}/loans", response={201: LoanOut, **WRITE_ERRORS}, operation_id="loan_apply")
def apply(
    request: HttpRequest, caja_id: CajaId, payload: ApplyIn, idempotency_key: KeyHeader
) -> Status[Any]:
    """Apply for a loan (``loan_apply``): checked against the bylaws, the member's limit and
    the cash the caja can lend; it then goes to the committee's vote."""
    caja = caja_for(request, caja_id)
    member = _applicant(request, caja, payload.member)

    def write() -> tuple[int, LoanOut]:
        loan = loan_apply(
            caja_id=caja.pk,
            member=member.number,
            amount=payload.amount,
            term=payload.term,
            purpose=payload.purpose,
            on=timezone.localdate(),
            guarantors=payload.guarantors,
            cash_available=cash_for_lending(caja_id=caja.pk),
        )
        return 201, loan_out(caja, Loan.objects.get(pk=loan.pk))

    return idempotent(request, idempotency_key, payload, write)


@router.post(
    "/{caja_id}/loans/{number}/votes",
    response={200: LoanOut, **WRITE_ERRORS},
    operation_id="loan_vote",
)
def votes(
    request: HttpRequest,
    caja_id: CajaId,
    number: Number,
    payload: VotesIn,
    idempotency_key: KeyHeader,
) -> Status[Any]:
    """Record the committee's votes (``loan_vote``) and, with ``decide``, count them
    (``loan_decide``): approved or rejected."""
    caja = caja_for(request, caja_id)
    sees_all, own = _viewer(request, caja)
    loan = _loan(caja, number, sees_all, own)
    if not user_can_record_meetings(user=request.user, caja=caja):
        raise forbidden()

    def write() -> tuple[int, LoanOut]:
        on = timezone.localdate()
        for v in payload.votes:
            loan_vote(loan_id=loan.pk, member=v.member, vote=v.vote, on=on)
        if payload.decide:
            loan_decide(loan_id=loan.pk, on=on, cash_available=cash_for_lending(caja_id=caja.pk))
        return 200, loan_out(caja, Loan.objects.get(pk=loan.pk))

    return idempotent(request, idempotency_key, payload, write)
