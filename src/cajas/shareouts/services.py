"""Share-out: preview at any time, execute at an assembly meeting (all or nothing, once), then
the next cycle opens with the social fund carried over and the continuing members."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cajas.core.money import format_amount, parse_amount, round_half_up
from cajas.ledger import chart
from cajas.ledger.models import AccountKind, EntryKind
from cajas.ledger.rules import Line
from cajas.ledger.selectors import AccountState, caja_accounts
from cajas.ledger.services import BookRef, EntryDraft, entries_post, entries_post_with_accounts
from cajas.loans.models import Installment, Loan, LoanStatus
from cajas.meetings.models import ItemKind, Meeting, MeetingItem, MeetingStatus
from cajas.meetings.rules import MeetingClosed
from cajas.members.models import LeaveReason, Membership
from cajas.members.selectors import active_membership
from cajas.members.services import membership_end
from cajas.org.models import Bylaws, Caja, Cycle, CycleStatus, ShareOutLoans, ShareOutMethod
from cajas.org.selectors import bylaws_in_force
from cajas.org.services import caja_lock
from cajas.shareouts.models import MemberExit, ShareOut, ShareOutPayout
from cajas.shareouts.rules import (
    LoansToCollectFirst,
    Position,
    ShareOutPlan,
    check_debts_covered,
    plan_shareout,
    settle_exit,
)


@dataclass(frozen=True)
class OpenLoan:
    number: int
    member: int
    owed: int  # principal


@dataclass
class Preview:
    plan: ShareOutPlan
    on: dt.date
    method: str
    loans: list[OpenLoan] = field(default_factory=list)
    collect_first: bool = False


def _profit(accounts: dict[str, AccountState]) -> int:
    income = sum(a.balance_cents for a in accounts.values() if a.kind == AccountKind.INCOME)
    expense = sum(a.balance_cents for a in accounts.values() if a.kind == AccountKind.EXPENSE)
    retained = accounts[chart.RETAINED_EARNINGS].balance_cents
    return income - expense + retained


def _open_loans(caja: Caja, accounts: dict[str, AccountState]) -> list[OpenLoan]:
    loans = Loan.objects.filter(caja=caja, status=LoanStatus.DISBURSED).values_list(
        "number", "membership__number"
    )
    result = []
    for number, member in loans:
        state = accounts.get(chart.loan_account_code(number))
        if state and state.balance_cents > 0:
            result.append(OpenLoan(number, member, state.balance_cents))
    return result


def _weights(
    caja: Caja, cycle: Cycle, on: dt.date, savings: dict[int, int], method: str, share_value: int
) -> dict[int, Decimal]:
    """Shares (savings ÷ share value), or share-time: every purchase of this cycle × the days
    from its meeting to the share-out, plus the savings brought into the cycle × the days since
    the cycle began."""
    if method != ShareOutMethod.SHARE_TIME:
        return {m: Decimal(s) / share_value for m, s in savings.items()}
    bought: dict[int, int] = {}
    weight: dict[int, Decimal] = {}
    for member, cents, day in MeetingItem.objects.filter(
        meeting__caja=caja,
        meeting__cycle=cycle,
        meeting__status=MeetingStatus.CLOSED,
        kind=ItemKind.SHARES,
        waived=False,
    ).values_list("membership__number", "amount_cents", "meeting__date"):
        bought[member] = bought.get(member, 0) + cents
        weight[member] = weight.get(member, Decimal(0)) + Decimal(cents) * max((on - day).days, 1)
    days = max((on - cycle.started_on).days, 1)
    for member, cents in savings.items():
        carried = max(cents - bought.get(member, 0), 0)
        weight[member] = weight.get(member, Decimal(0)) + Decimal(carried) * days
    return {m: weight.get(m, Decimal(0)) / share_value for m in savings}


def shareout_preview(
    *,
    caja: Caja,
    on: dt.date,
    reinvest: dict[int, int] | None = None,
) -> Preview:
    """ "If we shared out today, you would receive…": the whole computation, nothing written."""
    return shareout_computed(
        caja=caja,
        on=on,
        reinvest=reinvest,
        accounts=caja_accounts(caja=caja),
        bylaws=bylaws_in_force(caja, on),
    )


def shareout_computed(
    *,
    caja: Caja,
    on: dt.date,
    reinvest: dict[int, int] | None,
    accounts: dict[str, AccountState],
    bylaws: Bylaws,
) -> Preview:
    """The share-out from ``accounts`` (``caja_accounts()``) and ``bylaws`` as the caller read
    them: the preview reads them itself; the execution reads them under the caja lock."""
    cycle = Cycle.objects.get(caja=caja, status=CycleStatus.OPEN)
    members = {
        m.number: m
        for m in Membership.objects.filter(caja=caja).order_by("number")
        if m.active_on(on)
    }
    savings = {
        n: accounts[chart.savings_account_code(n)].balance_cents
        for n in members
        if chart.savings_account_code(n) in accounts
    }
    loans = _open_loans(caja, accounts)
    debts: dict[int, int] = {}
    for loan in loans:
        debts[loan.member] = debts.get(loan.member, 0) + loan.owed
    weights = _weights(caja, cycle, on, savings, bylaws.shareout_method, bylaws.share_value_cents)
    positions = [
        Position(
            member=n,
            savings=savings.get(n, 0),
            weight=weights.get(n, Decimal(0)),
            shares=round_half_up(Decimal(savings.get(n, 0)) / bylaws.share_value_cents, places=4),
            debt=debts.get(n, 0),
        )
        for n in members
    ]
    netting = bylaws.shareout_loans == ShareOutLoans.NET
    plan = plan_shareout(
        cash=accounts[chart.CASH].balance_cents,
        bank=accounts[chart.BANK].balance_cents,
        loans_outstanding=sum(loan.owed for loan in loans),
        social_fund=accounts[chart.SOCIAL_FUND].balance_cents,
        reserve_kept=accounts[chart.RESERVE].balance_cents,
        profit=_profit(accounts),
        reserve_percent=bylaws.reserve_percent,
        share_value=bylaws.share_value_cents,
        positions=positions,
        netting=netting,
        reinvest=reinvest,
    )
    return Preview(plan, on, bylaws.shareout_method, loans, collect_first=not netting)


def shareout_execute(
    *,
    meeting_id: int,
    executed_by: str,
    reinvest: dict[int, int] | None = None,
    now: dt.datetime | None = None,
) -> ShareOut:
    """Share out at the (open) meeting: close the cycle's income and expenses, set the reserve
    aside, pay every member (deducting loans when the bylaws net them), close the cycle and
    open the next. All or nothing; a second call for the same meeting posts nothing."""
    with transaction.atomic():
        caja_id = Meeting.objects.filter(pk=meeting_id).values_list("caja_id", flat=True).get()
        caja = caja_lock(caja_id=caja_id)
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        done = ShareOut.objects.filter(meeting=meeting).first()
        if done is not None:
            return done
        if meeting.status != MeetingStatus.OPEN:
            raise MeetingClosed(number=meeting.number)
        on = meeting.date
        bylaws = bylaws_in_force(caja, on)
        accounts = caja_accounts(caja=caja)
        preview = shareout_computed(
            caja=caja, on=on, reinvest=reinvest, accounts=accounts, bylaws=bylaws
        )
        plan = preview.plan
        _debts_check(preview)
        cycle = Cycle.objects.select_for_update().get(caja=caja, status=CycleStatus.OPEN)
        drafts = _drafts(caja, cycle, meeting, accounts, plan, preview.loans)
        entries_post(caja=caja, drafts=drafts, recorded_by=executed_by, now=now)
        _loans_settled(caja, preview.loans, on)
        shareout = _shareout_record(caja, cycle, meeting, preview, executed_by, now)
        cycle.status = CycleStatus.CLOSED
        cycle.ended_on = on
        cycle.save(update_fields=["status", "ended_on"])
        Cycle.objects.create(caja=caja, number=cycle.number + 1, started_on=on)
        return shareout


def _debts_check(preview: Preview) -> None:
    """Loans must be collected first when the bylaws do not net them; netted, every member's
    debt must be covered by what she is paid."""
    if preview.collect_first and preview.loans:
        first = preview.loans[0]
        raise LoansToCollectFirst(
            loan=first.number, member=first.member, owed=format_amount(first.owed)
        )
    positions_debt: dict[int, int] = {}
    for loan in preview.loans:
        positions_debt[loan.member] = positions_debt.get(loan.member, 0) + loan.owed
    check_debts_covered(
        preview.plan,
        [
            Position(member=m, savings=0, weight=Decimal(0), shares=Decimal(0), debt=d)
            for m, d in positions_debt.items()
        ],
    )


def _shareout_record(
    caja: Caja,
    cycle: Cycle,
    meeting: Meeting,
    preview: Preview,
    executed_by: str,
    now: dt.datetime | None,
) -> ShareOut:
    """The share-out row and one payout row per member."""
    plan = preview.plan
    shareout = ShareOut.objects.create(
        caja=caja,
        cycle=cycle,
        meeting=meeting,
        date=meeting.date,
        method=preview.method,
        netting=plan.netting,
        cash_cents=plan.cash,
        bank_cents=plan.bank,
        loans_outstanding_cents=plan.loans_outstanding,
        social_fund_cents=plan.social_fund,
        reserve_kept_cents=plan.reserve_kept,
        profit_cents=plan.profit,
        reserve_cents=plan.reserve,
        distributable_cents=plan.distributable,
        value_per_share=plan.value_per_share,
        executed_by=executed_by,
        executed_at=now or timezone.now(),
    )
    memberships = {m.number: m for m in Membership.objects.filter(caja=caja)}
    ShareOutPayout.objects.bulk_create(
        [
            ShareOutPayout(
                shareout=shareout,
                caja_id=shareout.caja_id,
                membership=memberships[p.member],
                shares=p.shares,
                savings_cents=p.savings,
                profit_cents=p.profit,
                deductions_cents=p.deductions,
                reinvested_cents=p.reinvested,
                amount_cents=p.amount,
            )
            for p in plan.payouts
        ]
    )
    return shareout


def _drafts(
    caja: Caja,
    cycle: Cycle,
    meeting: Meeting,
    accounts: dict[str, AccountState],
    plan: ShareOutPlan,
    loans: list[OpenLoan],
) -> list[EntryDraft]:
    """The share-out's entries: the cycle's income and expenses closed into retained earnings,
    the reserve set aside, then every member's payout."""
    at = BookRef(meeting.pk, meeting.number)
    key = f"shareout:cycle:{cycle.number}"
    drafts: list[EntryDraft] = []
    close = _cycle_close_draft(cycle, meeting, accounts, at, key)
    if close is not None:
        drafts.append(close)
    if plan.reserve:
        drafts.append(
            EntryDraft(
                key=f"{key}:reserve",
                kind=EntryKind.RESERVE,
                date=meeting.date,
                lines=(
                    Line(chart.RETAINED_EARNINGS, debit=plan.reserve),
                    Line(chart.RESERVE, credit=plan.reserve),
                ),
                memo=f"cycle {cycle.number}",
                meeting=at,
            )
        )
    drafts.extend(_payout_drafts(caja, cycle, meeting, plan, loans, at, key))
    return drafts


def _cycle_close_draft(
    cycle: Cycle, meeting: Meeting, accounts: dict[str, AccountState], at: BookRef, key: str
) -> EntryDraft | None:
    """The cycle's income and expenses into retained earnings (None when there are none)."""
    lines: list[Line] = []
    net = 0
    for code, state in sorted(accounts.items()):
        if state.balance_cents == 0 or state.kind not in (AccountKind.INCOME, AccountKind.EXPENSE):
            continue
        if state.kind == AccountKind.INCOME:
            lines.append(
                Line(code, debit=state.balance_cents)
                if state.balance_cents > 0
                else Line(code, credit=-state.balance_cents)
            )
            net += state.balance_cents
        else:
            lines.append(
                Line(code, credit=state.balance_cents)
                if state.balance_cents > 0
                else Line(code, debit=-state.balance_cents)
            )
            net -= state.balance_cents
    if net:
        lines.append(
            Line(chart.RETAINED_EARNINGS, credit=net)
            if net > 0
            else Line(chart.RETAINED_EARNINGS, debit=-net)
        )
    if len(lines) < 2:
        return None
    return EntryDraft(
        key=f"{key}:close",
        kind=EntryKind.CYCLE_CLOSE,
        date=meeting.date,
        lines=tuple(lines),
        memo=f"cycle {cycle.number}",
        meeting=at,
    )


def _payout_drafts(
    caja: Caja,
    cycle: Cycle,
    meeting: Meeting,
    plan: ShareOutPlan,
    loans: list[OpenLoan],
    at: BookRef,
    key: str,
) -> list[EntryDraft]:
    """Every member's payout: her savings and profit, less the loans netted, less what she
    reinvests, in cash."""
    drafts: list[EntryDraft] = []
    by_member: dict[int, list[OpenLoan]] = {}
    for loan in loans:
        by_member.setdefault(loan.member, []).append(loan)
    memberships = {
        m.number: m.pk
        for m in Membership.objects.filter(caja=caja, number__in=[p.member for p in plan.payouts])
    }
    for p in plan.payouts:
        savings_code = chart.savings_account_code(p.member)
        lines = []
        if p.savings:
            lines.append(Line(savings_code, debit=p.savings))
        if p.profit > 0:
            lines.append(Line(chart.RETAINED_EARNINGS, debit=p.profit))
        elif p.profit < 0:
            lines.append(Line(chart.RETAINED_EARNINGS, credit=-p.profit))
        deducted = p.deductions
        for loan in sorted(by_member.get(p.member, []), key=lambda x: x.number):
            part = min(deducted, loan.owed)
            if part:
                lines.append(Line(chart.loan_account_code(loan.number), credit=part))
                deducted -= part
        if p.reinvested:
            lines.append(Line(savings_code, credit=p.reinvested))
        if p.amount:
            lines.append(Line(chart.CASH, credit=p.amount))
        if len(lines) >= 2:
            drafts.append(
                EntryDraft(
                    key=f"{key}:member:{p.member}",
                    kind=EntryKind.SHARE_OUT,
                    date=meeting.date,
                    lines=tuple(lines),
                    memo=f"cycle {cycle.number}",
                    member=BookRef(memberships[p.member], p.member),
                    meeting=at,
                )
            )
    return drafts


def _loans_settled(caja: Caja, loans: list[OpenLoan], on: dt.date) -> None:
    """Loans netted at the share-out are repaid: their principal is paid, the interest of
    installments not yet paid is no longer owed."""
    if not loans:
        return
    rows = Loan.objects.filter(caja=caja, number__in=[x.number for x in loans])
    for loan in rows:
        for i in Installment.objects.filter(loan=loan, version=loan.schedule_version):
            i.paid_principal_cents = i.principal_cents
            i.interest_cents = i.paid_interest_cents
            i.late_fee_cents = i.paid_late_fee_cents
            i.save(update_fields=["paid_principal_cents", "interest_cents", "late_fee_cents"])
    rows.update(status=LoanStatus.REPAID, repaid_on=on)


def member_exit(
    *,
    meeting_id: int,
    member: int,
    reason: str,
    recorded_by: str,
    social_fund_help: str | int = 0,
) -> MemberExit:
    """Settle a member's exit at an open meeting: savings back, loans still owed deducted (and
    settled), the social fund's help to the family after a death; the membership ends."""
    reason = LeaveReason(reason)
    help_cents = parse_amount(social_fund_help, field="social_fund_help", allow_zero=True)
    with transaction.atomic():
        caja_id = Meeting.objects.filter(pk=meeting_id).values_list("caja_id", flat=True).get()
        caja = caja_lock(caja_id=caja_id)
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        if meeting.status != MeetingStatus.OPEN:
            raise MeetingClosed(number=meeting.number)
        membership = active_membership(caja.pk, member, meeting.date)
        accounts = caja_accounts(caja=caja)
        savings = accounts[chart.savings_account_code(member)].balance_cents
        loans = [x for x in _open_loans(caja, accounts) if x.member == member]
        debts = sum(x.owed for x in loans)
        paid = settle_exit(
            member=member,
            savings=savings,
            debts=debts,
            help_cents=help_cents,
            fund=accounts[chart.SOCIAL_FUND].balance_cents,
            death=reason == LeaveReason.DEATH,
        )
        lines: list[Line] = []
        if savings:
            lines.append(Line(chart.savings_account_code(member), debit=savings))
        if help_cents:
            lines.append(Line(chart.SOCIAL_FUND, debit=help_cents))
        for loan in loans:
            lines.append(Line(chart.loan_account_code(loan.number), credit=loan.owed))
        if paid:
            lines.append(Line(chart.CASH, credit=paid))
        if len(lines) >= 2:
            entries_post_with_accounts(
                caja=caja,
                drafts=[
                    EntryDraft(
                        key=f"exit:member:{member}:{membership.joined_on.isoformat()}",
                        kind=EntryKind.MEMBER_EXIT,
                        date=meeting.date,
                        lines=tuple(lines),
                        memo=str(reason.value),
                        member=BookRef(membership.pk, member),
                        meeting=BookRef(meeting.pk, meeting.number),
                    )
                ],
                recorded_by=recorded_by,
                accounts=accounts,
            )
        _loans_settled(caja, loans, meeting.date)
        membership = membership_end(
            caja_id=caja.pk, number=member, left_on=meeting.date, reason=reason
        )
        return MemberExit.objects.create(
            membership=membership,
            caja_id=membership.caja_id,
            meeting=meeting,
            date=meeting.date,
            reason=reason,
            savings_cents=savings,
            debts_cents=debts,
            social_fund_help_cents=help_cents,
            paid_cents=paid,
            recorded_by=recorded_by,
        )
