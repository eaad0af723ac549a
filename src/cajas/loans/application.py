"""A loan from application to approval: apply → vote → decide; and the check made again when
the approved loan is handed over at a meeting (``disbursement_check``).

Every rule is checked against ``cash_available``: what the caja can lend from now. Between
meetings that is the cash box; while a meeting is open it is that meeting's expected cash, with
what it has collected so far (lending from the day's collections is how savings groups work).
The caller reads it with ``cajas.meetings.selectors.cash_for_lending`` — loans sit below
meetings and never read them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.db.models import Max

from cajas.core.money import parse_amount
from cajas.ledger import chart
from cajas.ledger.models import Account, AccountKind
from cajas.ledger.selectors import account_balances
from cajas.loans.models import Loan, LoanGuarantor, LoanStatus, LoanVote, Vote
from cajas.loans.rates import loan_terms_simulate
from cajas.loans.records import loan_locked, require_status, schedule_write
from cajas.loans.rules import (
    ApplicantCannotVote,
    GuarantorInvalid,
    LoanAlreadyDisbursed,
    VoterNotOnCommittee,
    check_eligibility,
    decide,
)
from cajas.members.models import COMMITTEE_ROLES, Membership
from cajas.members.rules import MemberNotActive
from cajas.members.selectors import active_membership
from cajas.org.models import Bylaws, Caja, LoanApprovalBy
from cajas.org.selectors import bylaws_in_force
from cajas.org.services import caja_lock


def _assets(balances: dict[str, int]) -> int:
    return sum(
        v
        for code, v in balances.items()
        if code in (chart.CASH, chart.BANK) or code.startswith(chart.LOANS_RECEIVABLE + ".")
    )


def _open_loans(membership: Membership, exclude: Loan | None) -> int:
    qs = Loan.objects.filter(
        membership=membership,
        status__in=[LoanStatus.APPLIED, LoanStatus.APPROVED, LoanStatus.DISBURSED],
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.count()


def _lending_check(
    *,
    caja: Caja,
    bylaws: Bylaws,
    membership: Membership,
    amount: int,
    term: int,
    guarantors: int,
    on: dt.date,
    cash_available: int,
    exclude: Loan | None,
) -> None:
    """LOAN-001…004 and the cash rule, for a new application (``exclude`` None) or for the
    loan ``exclude`` itself at approval or disbursement."""
    balances = account_balances(caja=caja)
    check_eligibility(
        member=membership.number,
        amount=amount,
        term=term,
        frequency=bylaws.loan_frequency,
        savings=balances.get(chart.savings_account_code(membership.number), 0),
        savings_multiple=bylaws.loan_savings_multiple,
        max_term_months=bylaws.loan_max_term_months,
        guarantor_above=bylaws.loan_guarantor_above_cents,
        guarantors=guarantors,
        membership_days=(on - membership.joined_on).days,
        min_membership_days=bylaws.loan_min_membership_days,
        joined_on=membership.joined_on,
        open_loans=_open_loans(membership, exclude),
        max_open=bylaws.loan_max_open_per_member,
        cash=cash_available,
        assets=_assets(balances),
        max_assets_percent=bylaws.loan_max_assets_percent,
    )


def _loan_recheck(
    loan: Loan, *, caja: Caja, bylaws: Bylaws, on: dt.date, cash_available: int
) -> None:
    """The rules again for an existing loan, at approval or hand-over."""
    _lending_check(
        caja=caja,
        bylaws=bylaws,
        membership=loan.membership,
        amount=loan.principal_cents,
        term=loan.term,
        guarantors=loan.guarantors.count(),
        on=on,
        cash_available=cash_available,
        exclude=loan,
    )


@transaction.atomic
def loan_apply(
    *,
    caja_id: int,
    member: int,
    amount: str | int | Decimal,
    term: int,
    purpose: str,
    on: dt.date,
    cash_available: int,
    guarantors: Sequence[int] = (),
) -> Loan:
    """A member applies for a loan on the bylaws' terms. Every rule is checked now (and again
    at approval and disbursement); the crédito digno figures are kept with the application."""
    caja = caja_lock(caja_id=caja_id)
    cents = parse_amount(amount)
    membership = active_membership(caja.pk, member, on)
    bylaws = bylaws_in_force(caja, on)
    backers = []
    for number in dict.fromkeys(guarantors):
        if number == member:
            raise GuarantorInvalid(member=number)
        try:
            backers.append(active_membership(caja.pk, number, on, field="guarantors"))
        except MemberNotActive:
            raise GuarantorInvalid(member=number) from None
    _lending_check(
        caja=caja,
        bylaws=bylaws,
        membership=membership,
        amount=cents,
        term=term,
        guarantors=len(backers),
        on=on,
        cash_available=cash_available,
        exclude=None,
    )
    sim = loan_terms_simulate(caja=caja, principal=cents, term=term, on=on, bylaws=bylaws)
    number = (Loan.objects.filter(caja=caja).aggregate(m=Max("number"))["m"] or 0) + 1
    loan = Loan.objects.create(
        caja=caja,
        number=number,
        membership=membership,
        purpose=purpose,
        principal_cents=cents,
        term=term,
        frequency=bylaws.loan_frequency,
        method=bylaws.loan_interest_method,
        monthly_rate_percent=bylaws.loan_monthly_rate_percent,
        applied_on=on,
        tea_percent=sim.tea_percent,
        cap_percent=sim.cap_percent,
        cap_segment=bylaws.loan_rate_cap_segment,
        informal_cost_cents=sim.informal_cost,
    )
    LoanGuarantor.objects.bulk_create(
        [LoanGuarantor(loan=loan, caja_id=loan.caja_id, membership=g) for g in backers]
    )
    schedule_write(
        loan,
        on,
        version=0,
        principal=loan.principal_cents,
        term=loan.term,
        monthly_rate_percent=loan.monthly_rate_percent,
    )
    return loan


def _eligible_voters(loan: Loan, bylaws: Bylaws, on: dt.date) -> list[Membership]:
    members = Membership.objects.filter(caja_id=loan.caja_id)
    if bylaws.loan_approval_by == LoanApprovalBy.COMMITTEE:
        members = members.filter(role__in=COMMITTEE_ROLES)
    return [m for m in members if m.active_on(on) and m.pk != loan.membership_id]


def voters_for(loan: Loan, on: dt.date) -> list[Membership]:
    """Who may vote on this loan: the committee or the assembly, never the applicant."""
    return _eligible_voters(loan, bylaws_in_force(loan.caja, on), on)


@transaction.atomic
def loan_vote(*, loan_id: int, member: int, vote: str, on: dt.date) -> LoanVote:
    """Record one vote (again: it replaces the earlier one). The applicant never votes."""
    _caja, loan = loan_locked(loan_id, "caja")
    require_status(loan, "vote", LoanStatus.APPLIED)
    voter = active_membership(loan.caja_id, member, on)
    if voter.pk == loan.membership_id:
        raise ApplicantCannotVote(member=member)
    bylaws = bylaws_in_force(loan.caja, on)
    if voter not in _eligible_voters(loan, bylaws, on):
        raise VoterNotOnCommittee(member=member)
    record, _created = LoanVote.objects.update_or_create(
        loan=loan, membership=voter, defaults={"vote": Vote(vote), "caja_id": loan.caja_id}
    )
    return record


@transaction.atomic
def loan_decide(*, loan_id: int, on: dt.date, cash_available: int) -> Loan:
    """Count the votes: with quorum (GOV-001) the loan is approved when more vote for it than
    against; the loan rules are checked again before an approval stands."""
    caja, loan = loan_locked(loan_id)
    require_status(loan, "decide", LoanStatus.APPLIED)
    bylaws = bylaws_in_force(caja, on)
    eligible = _eligible_voters(loan, bylaws, on)
    eligible_ids = {m.pk for m in eligible}
    counts = dict.fromkeys(Vote, 0)
    for record in loan.votes.all():
        if record.membership_id in eligible_ids:
            counts[Vote(record.vote)] += 1
    approved = decide(
        yes=counts[Vote.YES],
        no=counts[Vote.NO],
        abstain=counts[Vote.ABSTAIN],
        eligible=len(eligible),
        quorum_percent=bylaws.quorum_percent
        if bylaws.loan_approval_by == LoanApprovalBy.ASSEMBLY
        else Decimal("50"),
    )
    if approved:
        _loan_recheck(loan, caja=caja, bylaws=bylaws, on=on, cash_available=cash_available)
        Account.objects.get_or_create(
            caja=caja,
            code=chart.loan_account_code(loan.number),
            defaults={"kind": AccountKind.ASSET, "membership": loan.membership, "loan": loan},
        )
    loan.status = LoanStatus.APPROVED if approved else LoanStatus.REJECTED
    loan.decided_on = on
    loan.save(update_fields=["status", "decided_on"])
    return loan


def disbursement_check(
    *, loan: Loan, on: dt.date, cash_available: int, pending_at: int | None
) -> None:
    """May this approved loan be handed over on ``on``? ``pending_at`` is the number of the
    meeting where its hand-over is already recorded, if any. Called with the caja locked."""
    if loan.status == LoanStatus.DISBURSED or pending_at is not None:
        raise LoanAlreadyDisbursed(
            number=loan.number,
            where_es=f" en la reunión n.º {pending_at}" if pending_at else "",
            where_en=f" at meeting #{pending_at}" if pending_at else "",
        )
    require_status(loan, "disburse", LoanStatus.APPROVED)
    bylaws = bylaws_in_force(loan.caja, on)
    _loan_recheck(loan, caja=loan.caja, bylaws=bylaws, on=on, cash_available=cash_available)
