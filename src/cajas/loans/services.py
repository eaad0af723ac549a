"""Loan workflow: apply → vote → decide → disburse at a meeting → repay at meetings → (late fees,
restructuring, write-off with a second officer, recovery).

Disbursements and repayments are meeting items: recorded while the meeting is open (checked
then), posted when it closes (``meeting_loan_drafts`` / ``meeting_loan_apply``, called by
``meeting_close`` inside its transaction with the caja locked).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import F, Max, Q

from cajas.core.money import format_amount, parse_amount
from cajas.ledger import chart
from cajas.ledger.models import Account, AccountKind, EntryKind
from cajas.ledger.rules import Line
from cajas.ledger.selectors import account_balance, account_balances
from cajas.ledger.services import BookRef, EntryDraft, caja_lock, entries_post, member_ref
from cajas.loans.caps import SEED_CAPS, seed_cap
from cajas.loans.models import (
    Installment,
    Loan,
    LoanGuarantor,
    LoanStatus,
    LoanVote,
    RateCap,
    Restructuring,
    Vote,
)
from cajas.loans.rules import (
    ApplicantCannotVote,
    GuarantorInvalid,
    InstallmentState,
    LoanNotInStatus,
    NotAnOfficer,
    ReasonRequired,
    VoterNotOnCommittee,
    WriteOffNeedsSecondOfficer,
    WriteOffNotRequested,
    allocate_repayment,
    check_eligibility,
    check_rate_cap,
    check_term,
    decide,
    late_fees_to_charge,
)
from cajas.loans.schedule import (
    DAYS_PER_PERIOD,
    PERIODS_PER_YEAR,
    Frequency,
    Method,
    build_schedule,
    period_rate,
)
from cajas.loans.simulation import Simulation, simulate
from cajas.meetings.models import ItemKind, Meeting, MeetingItem, MeetingStatus
from cajas.meetings.rules import MeetingClosed
from cajas.members.models import Membership, Role
from cajas.members.rules import MemberNotActive
from cajas.org.models import Bylaws, Caja, LoanApprovalBy, bylaws_in_force

COMMITTEE_ROLES = (Role.PRESIDENT, Role.TREASURER, Role.SECRETARY, Role.BOARD_MEMBER)
OFFICER_ROLES = COMMITTEE_ROLES

_STATUS_ES = {
    LoanStatus.APPLIED: "solicitado",
    LoanStatus.APPROVED: "aprobado",
    LoanStatus.REJECTED: "rechazado",
    LoanStatus.DISBURSED: "desembolsado",
    LoanStatus.REPAID: "cancelado",
    LoanStatus.WRITTEN_OFF: "castigado",
}
_ACTIONS = {
    "vote": ("votar", "voted on"),
    "decide": ("decidir", "decided"),
    "disburse": ("desembolsar", "disbursed"),
    "repay": ("recibir pagos", "repaid"),
    "restructure": ("reestructurar", "restructured"),
    "write_off": ("castigar", "written off"),
}


def _require_status(loan: Loan, action: str, *allowed: str) -> None:
    if loan.status not in allowed:
        es, en = _ACTIONS[action]
        raise LoanNotInStatus(
            number=loan.number,
            status_es=_STATUS_ES[LoanStatus(loan.status)],
            status_en=LoanStatus(loan.status).label,
            action_es=es,
            action_en=en,
        )


def rate_cap_in_force(segment: str, on: dt.date) -> RateCap | None:
    return (
        RateCap.objects.filter(segment=segment, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )


@transaction.atomic
def rate_cap_set(
    *, segment: str, tea_percent: str, effective_from: dt.date, source: str = ""
) -> RateCap:
    """A new legal cap for a segment from a date on (earlier caps stay for loans and reports
    of their time). Setting the same segment and date again corrects that row."""
    percent = check_rate_cap(tea_percent)
    seeded = {c.segment: c for c in SEED_CAPS}
    known = seeded.get(segment)
    cap, _created = RateCap.objects.update_or_create(
        segment=segment,
        effective_from=effective_from,
        defaults={
            "tea_percent": percent,
            "source": source.strip()[:100],
            "name_es": known.name_es if known else segment,
            "name_en": known.name_en if known else segment,
        },
    )
    return cap


def rate_caps() -> list[RateCap]:
    return list(RateCap.objects.order_by("segment", "-effective_from"))


def cap_percent_in_force(segment: str, on: dt.date) -> Decimal:
    """The legal TEA cap for ``segment`` on ``on``: the program admin's table, or the seeded
    JPRF-F-2022-031 value when the table has no row for the segment."""
    cap = rate_cap_in_force(segment, on)
    if cap is not None:
        return cap.tea_percent
    seeded = seed_cap(segment)
    return seeded.tea_percent


def loan_terms_simulate(
    *, caja: Caja, principal: int, term: int, on: dt.date, bylaws: Bylaws | None = None
) -> Simulation:
    """The bylaws' loan terms for this amount and term, with TEA, cap and informal cost."""
    bylaws = bylaws or bylaws_in_force(caja, on)
    return simulate(
        principal=principal,
        monthly_rate=bylaws.loan_monthly_rate_percent / 100,
        method=bylaws.loan_interest_method,
        term=term,
        frequency=bylaws.loan_frequency,
        cap=cap_percent_in_force(bylaws.loan_rate_cap_segment, on),
        informal_monthly_rate=caja.program.informal_monthly_rate_percent / 100,
    )


@dataclass(frozen=True)
class RateCheck:
    """The bylaws' loan rate as a member would pay it (LOAN-005)."""

    monthly_rate_percent: Decimal
    method: str
    tea_percent: Decimal
    at_term: int
    cap_percent: Decimal
    complying_monthly_rate_percent: Decimal

    @property
    def above_cap(self) -> bool:
        return self.tea_percent > self.cap_percent


def bylaws_rate_check(bylaws: Bylaws, on: dt.date) -> RateCheck:
    """The highest TEA the bylaws' rate and method give over the terms a member may take
    (flat interest costs more the longer the loan), against the legal cap in force. Used to
    flag bylaws, and bylaws changes, above the cap before they are approved."""
    longest = max(
        1, int(months_of_to_installments(bylaws.loan_max_term_months, bylaws.loan_frequency))
    )
    terms = sorted({t for t in (1, 2, 3, 6, 9, 12, 18, 24, longest) if t <= longest})
    cap = cap_percent_in_force(bylaws.loan_rate_cap_segment, on)
    worst: tuple[Decimal, int] = (Decimal(0), 1)
    for term in terms:
        sim = simulate(
            principal=100_000,
            monthly_rate=bylaws.loan_monthly_rate_percent / 100,
            method=bylaws.loan_interest_method,
            term=term,
            frequency=bylaws.loan_frequency,
            cap=cap,
        )
        worst = max(worst, (sim.tea_percent, term))
    probe = simulate(
        principal=100_000,
        monthly_rate=Decimal(0),
        method="french",
        term=1,
        frequency="monthly",
        cap=cap,
    )
    return RateCheck(
        monthly_rate_percent=bylaws.loan_monthly_rate_percent,
        method=bylaws.loan_interest_method,
        tea_percent=worst[0],
        at_term=worst[1],
        cap_percent=cap,
        complying_monthly_rate_percent=probe.complying_monthly_rate_percent,
    )


def bylaws_change_rate_check(caja: Caja, changes: dict[str, object], on: dt.date) -> RateCheck:
    """The same check for a proposed bylaws change, before the assembly approves it."""
    current = bylaws_in_force(caja, on)
    proposed = Bylaws(
        **{
            f.name: changes.get(f.name, getattr(current, f.name))
            for f in Bylaws._meta.concrete_fields
            if f.name not in {"id"}
        }
    )
    proposed.loan_monthly_rate_percent = Decimal(str(proposed.loan_monthly_rate_percent))
    return bylaws_rate_check(proposed, on)


def months_of_to_installments(months: int, frequency: str) -> Decimal:
    return Decimal(months) * PERIODS_PER_YEAR[Frequency(frequency)] / 12


def _member(caja_id: int, number: int, on: dt.date, field: str = "member") -> Membership:
    membership = Membership.objects.filter(caja_id=caja_id, number=number).first()
    if membership is None or not membership.active_on(on):
        raise MemberNotActive(number=number, field=field)
    return membership


def _assets(caja: Caja) -> int:
    balances = account_balances(caja=caja)
    return sum(
        v
        for code, v in balances.items()
        if code in (chart.CASH, chart.BANK) or code.startswith(chart.LOANS_RECEIVABLE + ".")
    )


def _open_loans(membership: Membership, exclude: Loan | None = None) -> int:
    qs = Loan.objects.filter(
        membership=membership,
        status__in=[LoanStatus.APPLIED, LoanStatus.APPROVED, LoanStatus.DISBURSED],
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.count()


def _check_loan_rules(
    *,
    caja: Caja,
    bylaws: Bylaws,
    membership: Membership,
    amount: int,
    term: int,
    guarantors: int,
    on: dt.date,
    exclude: Loan | None = None,
) -> None:
    """LOAN-001…004 and the cash rule. The cash is what the box will hold at the caja's open
    meeting, with what the meeting has collected so far (lending from the day's collections
    is how savings groups work), or the box itself between meetings."""
    savings = account_balance(caja=caja, code=chart.savings_account_code(membership.number))
    check_eligibility(
        member=membership.number,
        amount=amount,
        term=term,
        frequency=bylaws.loan_frequency,
        savings=savings,
        savings_multiple=bylaws.loan_savings_multiple,
        max_term_months=bylaws.loan_max_term_months,
        guarantor_above=bylaws.loan_guarantor_above_cents,
        guarantors=guarantors,
        membership_days=(on - membership.joined_on).days,
        min_membership_days=bylaws.loan_min_membership_days,
        joined_on=membership.joined_on,
        open_loans=_open_loans(membership, exclude),
        max_open=bylaws.loan_max_open_per_member,
        cash=_cash_available(caja),
        assets=_assets(caja),
        max_assets_percent=bylaws.loan_max_assets_percent,
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
    guarantors: Sequence[int] = (),
) -> Loan:
    """A member applies for a loan on the bylaws' terms. Every rule is checked now (and again
    at approval and disbursement); the crédito digno figures are kept with the application."""
    caja = caja_lock(caja_id=caja_id)
    cents = parse_amount(amount)
    membership = _member(caja.pk, member, on)
    bylaws = bylaws_in_force(caja, on)
    backers = []
    for number in dict.fromkeys(guarantors):
        if number == member:
            raise GuarantorInvalid(member=number)
        try:
            backers.append(_member(caja.pk, number, on, field="guarantors"))
        except MemberNotActive:
            raise GuarantorInvalid(member=number) from None
    _check_loan_rules(
        caja=caja,
        bylaws=bylaws,
        membership=membership,
        amount=cents,
        term=term,
        guarantors=len(backers),
        on=on,
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
    LoanGuarantor.objects.bulk_create([LoanGuarantor(loan=loan, membership=g) for g in backers])
    _schedule_write(loan, on, version=0)
    return loan


def add_period(start: dt.date, frequency: str, k: int) -> dt.date:
    if frequency == Frequency.MONTHLY:
        month = start.month - 1 + k
        year, month = start.year + month // 12, month % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return dt.date(year, month, day)
    return start + dt.timedelta(days=DAYS_PER_PERIOD[Frequency(frequency)] * k)


def _schedule_write(
    loan: Loan,
    start: dt.date,
    *,
    version: int,
    principal: int | None = None,
    term: int | None = None,
    monthly_rate_percent: Decimal | None = None,
    carried_fee: int = 0,
) -> None:
    schedule = build_schedule(
        principal=principal or loan.principal_cents,
        monthly_rate=(monthly_rate_percent or loan.monthly_rate_percent) / 100,
        method=loan.method,
        term=term or loan.term,
        frequency=loan.frequency,
    )
    Installment.objects.filter(loan=loan, version=version).delete()
    Installment.objects.bulk_create(
        [
            Installment(
                loan=loan,
                version=version,
                number=i.number,
                due_date=add_period(start, loan.frequency, i.number),
                principal_cents=i.principal,
                interest_cents=i.interest,
                late_fee_cents=carried_fee if i.number == 1 else 0,
            )
            for i in schedule.installments
        ]
    )
    loan.schedule_version = version
    loan.save(update_fields=["schedule_version"])


def _committee(caja_id: int, on: dt.date) -> list[Membership]:
    return [
        m
        for m in Membership.objects.filter(caja_id=caja_id, role__in=COMMITTEE_ROLES)
        if m.active_on(on)
    ]


def _eligible_voters(loan: Loan, bylaws: Bylaws, on: dt.date) -> list[Membership]:
    if bylaws.loan_approval_by == LoanApprovalBy.COMMITTEE:
        voters = _committee(loan.caja_id, on)
    else:
        voters = [m for m in Membership.objects.filter(caja_id=loan.caja_id) if m.active_on(on)]
    return [m for m in voters if m.pk != loan.membership_id]


def voters_for(loan: Loan, on: dt.date) -> list[Membership]:
    """Who may vote on this loan: the committee or the assembly, never the applicant."""
    return _eligible_voters(loan, bylaws_in_force(loan.caja, on), on)


@transaction.atomic
def loan_vote(*, loan_id: int, member: int, vote: str, on: dt.date) -> LoanVote:
    """Record one vote (again: it replaces the earlier one). The applicant never votes."""
    _caja, loan = _loan_locked(loan_id, "caja")
    _require_status(loan, "vote", LoanStatus.APPLIED)
    voter = _member(loan.caja_id, member, on)
    if voter.pk == loan.membership_id:
        raise ApplicantCannotVote(member=member)
    bylaws = bylaws_in_force(loan.caja, on)
    if voter not in _eligible_voters(loan, bylaws, on):
        raise VoterNotOnCommittee(member=member)
    record, _created = LoanVote.objects.update_or_create(
        loan=loan, membership=voter, defaults={"vote": Vote(vote)}
    )
    return record


@transaction.atomic
def loan_decide(*, loan_id: int, on: dt.date) -> Loan:
    """Count the votes: with quorum (GOV-001) the loan is approved when more vote for it than
    against; the loan rules are checked again before an approval stands."""
    caja, loan = _loan_locked(loan_id)
    _require_status(loan, "decide", LoanStatus.APPLIED)
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
        _check_loan_rules(
            caja=caja,
            bylaws=bylaws,
            membership=loan.membership,
            amount=loan.principal_cents,
            term=loan.term,
            guarantors=loan.guarantors.count(),
            on=on,
            exclude=loan,
        )
        Account.objects.get_or_create(
            caja=caja,
            code=chart.loan_account_code(loan.number),
            defaults={"kind": AccountKind.ASSET, "membership": loan.membership, "loan": loan},
        )
    loan.status = LoanStatus.APPROVED if approved else LoanStatus.REJECTED
    loan.decided_on = on
    loan.save(update_fields=["status", "decided_on"])
    return loan


class LoanAlreadyDisbursed(LoanNotInStatus):
    code = "loan.already_disbursed"
    message_es = "El préstamo n.º {number} ya se desembolsó{where_es}; no se entrega dos veces."
    message_en = "Loan #{number} was already disbursed{where_en}; it is never paid out twice."


def _loan_locked(loan_id: int, *related: str) -> tuple[Caja, Loan]:
    """Lock the loan's caja row, then the loan: every service locks the caja first, then
    loans or meetings, as the meeting close does, so two of them never wait on each other in
    opposite orders (a deadlock on PostgreSQL)."""
    caja_id = Loan.objects.filter(pk=loan_id).values_list("caja_id", flat=True).get()
    caja = caja_lock(caja_id=caja_id)
    loan = Loan.objects.select_for_update().select_related(*related).get(pk=loan_id)
    return caja, loan


def _open_meeting(meeting_id: int) -> Meeting:
    caja_id = Meeting.objects.filter(pk=meeting_id).values_list("caja_id", flat=True).get()
    caja_lock(caja_id=caja_id)  # the caja first, as everywhere
    meeting = Meeting.objects.select_for_update().select_related("caja").get(pk=meeting_id)
    if meeting.status != MeetingStatus.OPEN:
        raise MeetingClosed(number=meeting.number)
    return meeting


def _cash_available(caja: Caja) -> int:
    """Cash in the box with everything recorded so far at the caja's open meeting, if any."""
    from cajas.meetings.services import meeting_expected_cash

    meeting = Meeting.objects.filter(caja=caja, status=MeetingStatus.OPEN).first()
    if meeting is None:
        return account_balance(caja=caja, code=chart.CASH)
    return meeting_expected_cash(meeting=meeting)


@transaction.atomic
def disbursement_record(*, meeting_id: int, loan_id: int) -> MeetingItem:
    """Hand an approved loan over at an open meeting (posted when the meeting closes)."""
    meeting = _open_meeting(meeting_id)
    loan = Loan.objects.select_for_update().get(pk=loan_id, caja_id=meeting.caja_id)
    pending = MeetingItem.objects.filter(loan=loan, kind=ItemKind.LOAN_DISBURSEMENT).first()
    if loan.status == LoanStatus.DISBURSED or pending is not None:
        where = pending.meeting.number if pending is not None else None
        raise LoanAlreadyDisbursed(
            number=loan.number,
            where_es=f" en la reunión n.º {where}" if where else "",
            where_en=f" at meeting #{where}" if where else "",
        )
    _require_status(loan, "disburse", LoanStatus.APPROVED)
    bylaws = bylaws_in_force(meeting.caja, meeting.date)
    _check_loan_rules(
        caja=meeting.caja,
        bylaws=bylaws,
        membership=loan.membership,
        amount=loan.principal_cents,
        term=loan.term,
        guarantors=loan.guarantors.count(),
        on=meeting.date,
        exclude=loan,
    )
    return MeetingItem.objects.create(
        meeting=meeting,
        membership=loan.membership,
        loan=loan,
        kind=ItemKind.LOAN_DISBURSEMENT,
        amount_cents=loan.principal_cents,
        description=f"#{loan.number}",
    )


def installment_states(loan: Loan) -> list[InstallmentState]:
    rows = Installment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number")
    return [_state(i) for i in rows]


def _state(i: Installment) -> InstallmentState:
    return InstallmentState(
        number=i.number,
        due_date=i.due_date,
        principal=i.principal_cents,
        interest=i.interest_cents,
        paid_principal=i.paid_principal_cents,
        paid_interest=i.paid_interest_cents,
        late_fee=i.late_fee_cents,
        paid_late_fee=i.paid_late_fee_cents,
    )


class RecoveryExceedsWrittenOff(LoanNotInStatus):
    code = "loan.recovery_exceeds"
    message_es = (
        "Del préstamo castigado n.º {number} quedan {left} USD por recuperar; no se pueden "
        "recibir {amount} USD."
    )
    message_en = (
        "{left} USD of written-off loan #{number} remain to recover; {amount} USD cannot be "
        "received."
    )


def _pending_repayments(
    meeting: Meeting, loan: Loan, exclude: int | None = None
) -> list[MeetingItem]:
    qs = MeetingItem.objects.filter(
        meeting=meeting, loan=loan, kind=ItemKind.LOAN_REPAYMENT, waived=False
    ).order_by("id")
    return [i for i in qs if i.pk != exclude]


@transaction.atomic
def repayment_record(
    *, meeting_id: int, loan_id: int, amount: str | int | Decimal, prepay: bool = False
) -> MeetingItem:
    """Receive a repayment at an open meeting. It is checked against what the loan owes now
    (with the meeting's other payments on it), and allocated when the meeting closes."""
    meeting = _open_meeting(meeting_id)
    cents = parse_amount(amount)
    loan = Loan.objects.select_for_update().get(pk=loan_id, caja_id=meeting.caja_id)
    _require_status(loan, "repay", LoanStatus.DISBURSED, LoanStatus.WRITTEN_OFF)
    earlier = _pending_repayments(meeting, loan)
    if loan.status == LoanStatus.WRITTEN_OFF:
        left = loan.written_off_cents - loan.recovered_cents - sum(i.amount_cents for i in earlier)
        if cents > left:
            raise RecoveryExceedsWrittenOff(
                number=loan.number,
                left=format_amount(left),
                amount=format_amount(cents),
                field="amount",
            )
    else:
        _preview_allocations(
            meeting,
            loan,
            [*(i.amount_cents for i in earlier), cents],
            [*(i.prepay for i in earlier), prepay],
        )
    return MeetingItem.objects.create(
        meeting=meeting,
        membership=loan.membership,
        loan=loan,
        kind=ItemKind.LOAN_REPAYMENT,
        amount_cents=cents,
        prepay=prepay,
        description=f"#{loan.number}",
    )


def _loan_rate(loan: Loan | _LoanRow) -> Decimal:
    return period_rate(loan.monthly_rate_percent / 100, loan.frequency)


def _with_fees(
    states: list[InstallmentState], on: dt.date, bylaws: Bylaws
) -> tuple[list[InstallmentState], dict[int, int]]:
    fees = late_fees_to_charge(
        states,
        on=on,
        grace_days=bylaws.loan_default_interest_after_days,
        percent=bylaws.fine_late_repayment_percent,
    )
    return [replace(s, late_fee=fees[s.number]) if s.number in fees else s for s in states], fees


def states_on(loan: Loan, on: dt.date, bylaws: Bylaws | None = None) -> list[InstallmentState]:
    """The loan's installments as a meeting on ``on`` would see them: with the late fees that
    its close charges (so "due now" includes them)."""
    bylaws = bylaws or bylaws_in_force(loan.caja, on)
    states, _fees = _with_fees(installment_states(loan), on, bylaws)
    return states


def _preview_allocations(
    meeting: Meeting, loan: Loan, amounts: Sequence[int], prepays: Sequence[bool]
) -> list[InstallmentState]:
    bylaws = bylaws_in_force(meeting.caja, meeting.date)
    states, _fees = _with_fees(installment_states(loan), meeting.date, bylaws)
    for amount, prepay in zip(amounts, prepays, strict=True):
        states = list(
            allocate_repayment(
                states,
                amount=amount,
                on=meeting.date,
                prepay=prepay,
                declining=loan.method != Method.FLAT,
                period_rate=_loan_rate(loan),
                loan_number=loan.number,
            ).installments
        )
    return states


# --- posting at meeting close --------------------------------------------------------------


@dataclass
class LoanPostings:
    drafts: list[EntryDraft]
    apply: Callable[[], None]


class _LoanRow(NamedTuple):
    """What a meeting close needs of a loan: plain values, read in one query."""

    id: int
    number: int
    status: str
    method: str
    frequency: str
    monthly_rate_percent: Decimal
    schedule_version: int
    recovered_cents: int
    membership_id: int
    member_number: int


_LOAN_ROW_COLUMNS = (
    "l.id, l.number, l.status, l.method, l.frequency, l.monthly_rate_percent, "
    "l.schedule_version, l.recovered_cents, l.membership_id, m.number"
)


def _loan_rows(caja_id: int) -> dict[int, _LoanRow]:
    """The caja's loans a close can touch, in one plain query (the close's hot path)."""
    statuses = [LoanStatus.DISBURSED, LoanStatus.WRITTEN_OFF, LoanStatus.APPROVED]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_LOAN_ROW_COLUMNS} FROM {Loan._meta.db_table} l "  # noqa: S608
            f"JOIN {Membership._meta.db_table} m ON m.id = l.membership_id "
            "WHERE l.caja_id = %s AND l.status IN (%s, %s, %s)",
            [caja_id, *statuses],
        )
        rows = cursor.fetchall()
    # SQLite hands back the rate as a float or int: read it as the decimal that was stored.
    return {row[0]: _LoanRow._make((*row[:5], Decimal(str(row[5])), *row[6:])) for row in rows}


def _unsettled_installments(
    caja_id: int, on: dt.date, paying: set[int], prepaying: set[int]
) -> dict[int, list[tuple[int, InstallmentState]]]:
    """The unsettled installments of the caja's disbursed loans' current schedules that a close
    on ``on`` needs: those due by then (late fees and repayments), the next one of each loan
    paid at the meeting, every one of a loan prepaid at it. One plain query: its cost follows
    what is due, not the length of the loans."""
    table, loans = Installment._meta.db_table, Loan._meta.db_table
    columns = ", ".join("i." + c for c in _STATE_COLUMNS)
    unsettled = (
        "(i.paid_principal_cents < i.principal_cents OR i.paid_interest_cents < i.interest_cents "
        "OR i.paid_late_fee_cents < i.late_fee_cents)"
    )
    # Installments fall due in the order of their numbers, so "the next one" is the lowest
    # unsettled number not yet due: one index probe per loan (LIMIT 1).
    next_only = sorted(paying - prepaying) or [0]
    prepaid = sorted(prepaying) or [0]
    disbursed = LoanStatus.DISBURSED
    params: list[Any] = [caja_id, disbursed, on, on, disbursed, *next_only, disbursed, *prepaid, on]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT i.id, i.loan_id, {columns} FROM {table} i "  # noqa: S608
            f"JOIN {loans} l ON l.id = i.loan_id "
            "WHERE l.caja_id = %s AND l.status = %s AND i.version = l.schedule_version "
            f"AND i.due_date <= %s AND {unsettled} "
            f"UNION ALL SELECT i.id, i.loan_id, {columns} FROM {table} i WHERE i.id IN ("
            f"SELECT (SELECT i.id FROM {table} i WHERE i.loan_id = l.id "
            f"AND i.version = l.schedule_version AND i.due_date > %s AND {unsettled} "
            f"ORDER BY i.number LIMIT 1) FROM {loans} l WHERE l.status = %s "
            f"AND l.id IN ({', '.join(['%s'] * len(next_only))})) "
            f"UNION ALL SELECT i.id, i.loan_id, {columns} FROM {table} i "
            f"JOIN {loans} l ON l.id = i.loan_id WHERE l.status = %s "
            f"AND l.id IN ({', '.join(['%s'] * len(prepaid))}) "
            f"AND i.version = l.schedule_version AND i.due_date > %s AND {unsettled} "
            "ORDER BY 2, 3",
            params,
        )
        rows = cursor.fetchall()
    loaded: dict[int, list[tuple[int, InstallmentState]]] = {}
    for row_id, loan_id, number, due, *amounts in rows:
        due_date = due if isinstance(due, dt.date) else dt.date.fromisoformat(due)
        loaded.setdefault(loan_id, []).append(
            (row_id, InstallmentState(number, due_date, *amounts))
        )
    return loaded


def meeting_loan_postings(
    meeting: Meeting, items: Sequence[tuple[int, str, int, int, bool]], bylaws: Bylaws
) -> LoanPostings:
    """Drafts for a closing meeting's loan items ``(item id, kind, loan id, amount, prepay)``
    and the schedule updates to save once they are posted. Late fees due by the meeting date
    are charged first, on every disbursed loan of the caja."""
    at = BookRef(meeting.pk, meeting.number)
    loans = _loan_rows(meeting.caja_id)
    paying = {loan_id for _i, kind, loan_id, _a, _p in items if kind == ItemKind.LOAN_REPAYMENT}
    prepaying = {
        loan_id for _i, kind, loan_id, _a, pre in items if kind == ItemKind.LOAN_REPAYMENT and pre
    }
    loaded: dict[int, list[tuple[int, InstallmentState]]] = {}
    if any(loan.status == LoanStatus.DISBURSED for loan in loans.values()):
        loaded = _unsettled_installments(meeting.caja_id, meeting.date, paying, prepaying)
    states: dict[int, list[InstallmentState]] = {}
    for loan_id, pairs in loaded.items():
        states[loan_id], _fees = _with_fees([st for _id, st in pairs], meeting.date, bylaws)
    drafts: list[EntryDraft] = []
    disbursed: list[int] = []
    recovered: dict[int, int] = {}
    for item_id, kind, loan_id, amount, prepay in items:
        loan = loans[loan_id]
        key = f"meeting:{meeting.number}:item:{item_id}"
        member = BookRef(loan.membership_id, loan.member_number)
        receivable = chart.loan_account_code(loan.number)
        if kind == ItemKind.LOAN_DISBURSEMENT:
            drafts.append(
                EntryDraft(
                    key=key,
                    kind=EntryKind.LOAN_DISBURSEMENT,
                    date=meeting.date,
                    lines=(Line(receivable, debit=amount), Line(chart.CASH, credit=amount)),
                    memo=f"#{loan.number}",
                    member=member,
                    meeting=at,
                )
            )
            disbursed.append(loan.id)
            continue
        if loan.status == LoanStatus.WRITTEN_OFF:
            drafts.append(
                EntryDraft(
                    key=key,
                    kind=EntryKind.LOAN_RECOVERY,
                    date=meeting.date,
                    lines=(Line(chart.CASH, debit=amount), Line(chart.RECOVERIES, credit=amount)),
                    memo=f"#{loan.number}",
                    member=member,
                    meeting=at,
                )
            )
            recovered[loan.id] = recovered.get(loan.id, 0) + amount
            continue
        allocation = allocate_repayment(
            states[loan.id],
            amount=amount,
            on=meeting.date,
            prepay=prepay,
            declining=loan.method != Method.FLAT,
            period_rate=_loan_rate(loan),
            loan_number=loan.number,
        )
        states[loan.id] = list(allocation.installments)
        lines = [Line(chart.CASH, debit=amount)]
        if allocation.late_fee:
            lines.append(Line(chart.LATE_FEE_INCOME, credit=allocation.late_fee))
        if allocation.interest:
            lines.append(Line(chart.INTEREST_INCOME, credit=allocation.interest))
        if allocation.principal:
            lines.append(Line(receivable, credit=allocation.principal))
        drafts.append(
            EntryDraft(
                key=key,
                kind=EntryKind.LOAN_REPAYMENT,
                date=meeting.date,
                lines=tuple(lines),
                memo=f"#{loan.number}",
                member=member,
                meeting=at,
            )
        )

    def apply() -> None:
        for loan in Loan.objects.filter(pk__in=disbursed) if disbursed else []:
            loan.status = LoanStatus.DISBURSED
            loan.disbursed_on = meeting.date
            loan.disbursed_at = meeting
            loan.save(update_fields=["status", "disbursed_on", "disbursed_at"])
            _schedule_write(loan, meeting.date, version=loan.schedule_version + 1)
        _states_save(paying, loaded, states, meeting.date)
        for loan_id, cents in recovered.items():
            Loan.objects.filter(pk=loan_id).update(
                recovered_cents=loans[loan_id].recovered_cents + cents
            )

    return LoanPostings(drafts, apply)


_STATE_COLUMNS = (
    "number",
    "due_date",
    "principal_cents",
    "interest_cents",
    "paid_principal_cents",
    "paid_interest_cents",
    "late_fee_cents",
    "paid_late_fee_cents",
)
_CHANGING = ("interest", "paid_principal", "paid_interest", "late_fee", "paid_late_fee")


def _states_save(
    paying: set[int],
    loaded: dict[int, list[tuple[int, InstallmentState]]],
    states: dict[int, list[InstallmentState]],
    on: dt.date,
) -> None:
    """Write back what changed, for every loan at once (one ``UPDATE … CASE`` per column set).
    A loan paid at this meeting (all its unsettled installments were loaded) whose
    installments are now all settled is repaid."""
    changed: list[tuple[int, InstallmentState]] = []
    settled: dict[int, int] = {}  # loan id → the last installment number loaded
    for loan_id, loan_states in states.items():
        for (row_id, before), after in zip(loaded[loan_id], loan_states, strict=True):
            if after != before:
                changed.append((row_id, after))
        if loan_id in paying and all(st.unpaid == 0 and st.unpaid_fee == 0 for st in loan_states):
            settled[loan_id] = max(st.number for st in loan_states)
    repaid = []
    if settled:  # settled what was loaded; repaid when nothing later is left unsettled
        later = set(
            Installment.objects.filter(
                Q(paid_principal_cents__lt=F("principal_cents"))
                | Q(paid_interest_cents__lt=F("interest_cents"))
                | Q(paid_late_fee_cents__lt=F("late_fee_cents")),
                loan_id__in=list(settled),
                version=F("loan__schedule_version"),
            ).values_list("loan_id", "number")
        )
        repaid = [
            loan_id
            for loan_id, last in settled.items()
            if not any(lid == loan_id and n > last for lid, n in later)
        ]
    for start in range(0, len(changed), 200):
        chunk = changed[start : start + 200]
        table = Installment._meta.db_table
        sets = []
        params: list[int] = []
        for name in _CHANGING:
            column = "late_fee_cents" if name == "late_fee" else f"{name}_cents"
            sets.append(
                f"{column} = CASE id " + " ".join(["WHEN %s THEN %s"] * len(chunk)) + " END"
            )
            for row_id, st in chunk:
                params += [row_id, getattr(st, name)]
        ids = [row_id for row_id, _st in chunk]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {', '.join(sets)} "  # noqa: S608
                f"WHERE id IN ({', '.join(['%s'] * len(ids))})",
                [*params, *ids],
            )
    if repaid:
        Loan.objects.filter(pk__in=repaid).update(status=LoanStatus.REPAID, repaid_on=on)


# --- restructuring and write-off ---------------------------------------------------------


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
    caja, loan = _loan_locked(loan_id)
    _require_status(loan, "restructure", LoanStatus.DISBURSED)
    states = installment_states(loan)
    outstanding = sum(s.unpaid_principal for s in states)
    fees = sum(s.unpaid_fee for s in states)
    bylaws = bylaws_in_force(caja, on)
    check_term(term=term, frequency=loan.frequency, max_term_months=bylaws.loan_max_term_months)
    rate = monthly_rate_percent if monthly_rate_percent is not None else loan.monthly_rate_percent
    old = loan.schedule_version
    _schedule_write(
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
    m = _member(loan.caja_id, member, on)
    if m.role not in OFFICER_ROLES:
        raise NotAnOfficer(member=member, action_es=action[0], action_en=action[1])
    return m


@transaction.atomic
def loan_write_off_request(*, loan_id: int, member: int, reason: str, on: dt.date) -> Loan:
    """An officer asks to write off a loan that will not be repaid; a second officer approves."""
    if not reason.strip():
        raise ReasonRequired()
    _caja, loan = _loan_locked(loan_id)
    _require_status(loan, "write_off", LoanStatus.DISBURSED)
    officer = _officer(loan, member, on, ("pedir un castigo", "ask for a write-off"))
    loan.write_off_requested_by = officer
    loan.write_off_reason = reason.strip()
    loan.save(update_fields=["write_off_requested_by", "write_off_reason"])
    return loan


@transaction.atomic
def loan_write_off_approve(*, loan_id: int, member: int, on: dt.date, recorded_by: str) -> Loan:
    """A second officer approves: the principal still owed moves to losses (posted now)."""
    caja, loan = _loan_locked(loan_id, "membership")
    _require_status(loan, "write_off", LoanStatus.DISBURSED)
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
