"""Share-out (docs/domain.md §8): the worked examples exactly, properties over random cycles, and
execution through the ledger (once, all or nothing)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cajas.ledger import chart
from cajas.ledger.selectors import account_balances, trial_balance
from cajas.ledger.verify import verify_caja
from cajas.loans.models import LoanStatus
from cajas.meetings.items import disbursement_record, item_record, repayment_record
from cajas.meetings.opening import meeting_open
from cajas.meetings.sheet import SheetRow
from cajas.monitoring.indicators import Filters, indicators
from cajas.org.models import Caja, Cycle, CycleStatus
from cajas.shareouts.models import ShareOut
from cajas.shareouts.rules import (
    DebtAbovePayout,
    LoansToCollectFirst,
    Position,
    check_debts_covered,
    plan_shareout,
)
from cajas.shareouts.services import shareout_execute, shareout_preview
from tests.factories import (
    APPLY,
    approved_loan,
    assert_rejected,
    db_snapshot,
    loan_caja,
    loan_meeting,
    make_caja,
)

D = Decimal


def _pos(member: int, shares: int, share_value: int, debt: int = 0) -> Position:
    return Position(member, shares * share_value, D(shares), D(shares), debt)


def test_design_example_one_share_value_5() -> None:
    # 900 shares of 5.00 (4,500.00 saved), profit 900.00; she holds 45 shares.
    others = [_pos(n, 45, 500) for n in range(2, 21)]  # 19 × 45 = 855 shares
    plan = plan_shareout(
        cash=540_000,
        bank=0,
        loans_outstanding=0,
        social_fund=0,
        reserve_kept=0,
        profit=90_000,
        reserve_percent=D(0),
        share_value=500,
        positions=[_pos(1, 45, 500), *others],
        netting=True,
    )
    her = plan.payouts[0]
    assert (her.savings, her.profit, her.gross) == (22_500, 4_500, 27_000)


def test_design_example_two_share_value_10() -> None:
    positions = [_pos(1, 60, 1000), _pos(2, 40, 1000), _pos(3, 30, 1000), _pos(4, 20, 1000)]
    # savings 1,500 + interest 180 + fines 20 + social fund 75 in the box
    plan = plan_shareout(
        cash=177_500,
        bank=0,
        loans_outstanding=0,
        social_fund=7_500,
        reserve_kept=0,
        profit=20_000,
        reserve_percent=D(0),
        share_value=1000,
        positions=positions,
        netting=True,
    )
    assert plan.distributable == 170_000
    assert plan.value_per_share == D("11.3333")
    assert [p.gross for p in plan.payouts] == [68_000, 45_333, 34_000, 22_667]
    assert sum(p.amount for p in plan.payouts) == 170_000
    # with a write-off of 50.00 the box holds 50.00 less and the profit is 150.00
    plan = plan_shareout(
        cash=172_500,
        bank=0,
        loans_outstanding=0,
        social_fund=7_500,
        reserve_kept=0,
        profit=15_000,
        reserve_percent=D(0),
        share_value=1000,
        positions=positions,
        netting=True,
    )
    assert plan.distributable == 165_000 and plan.value_per_share == D("11.0000")
    assert [p.gross for p in plan.payouts] == [66_000, 44_000, 33_000, 22_000]


members = st.lists(
    st.tuples(st.integers(0, 200), st.integers(0, 40_000)), min_size=1, max_size=40
).filter(lambda xs: any(s for s, _d in xs))


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(
    members=members,
    profit=st.integers(-5_000, 500_000),
    reserve=st.sampled_from([0, 5, 10]),
    netting=st.booleans(),
    time_weighted=st.booleans(),
    social=st.integers(0, 50_000),
)
def test_payouts_add_up_exactly_and_nothing_is_hidden(
    members: list[tuple[int, int]],
    profit: int,
    reserve: int,
    netting: bool,
    time_weighted: bool,
    social: int,
) -> None:
    share_value = 500
    positions = [
        Position(n + 1, s * share_value, D(s * (n % 7 + 1) if time_weighted else s), D(s), debt)
        for n, (s, debt) in enumerate(members)
    ]
    savings = sum(p.savings for p in positions)
    debts = sum(p.debt for p in positions)
    profit = max(profit, -savings // 2)
    # the box holds savings + profit + social fund, less what is lent out
    cash = savings + profit + social - debts
    try:
        plan = plan_shareout(
            cash=cash,
            bank=0,
            loans_outstanding=debts,
            social_fund=social,
            reserve_kept=0,
            profit=profit,
            reserve_percent=D(reserve),
            share_value=share_value,
            positions=positions,
            netting=netting,
        )
    except Exception as exc:  # a loss larger than one member's savings is refused by name
        assert type(exc).__name__ in {"LossAboveSavings", "NothingToShare"}
        return
    assert sum(p.gross for p in plan.payouts) == plan.distributable
    assert sum(p.amount + p.deductions + p.reinvested for p in plan.payouts) == plan.distributable
    if profit == 0:
        assert all(p.gross == p.savings for p in plan.payouts)
    by_member = {p.member: p for p in positions}
    if not netting:
        return  # collect-first bylaws refuse execution while any loan is owed (tested below)
    hidden = [x for x in plan.payouts if by_member[x.member].debt > x.deductions]
    if hidden:
        with pytest.raises(DebtAbovePayout):
            check_debts_covered(plan, positions)
    else:
        check_debts_covered(plan, positions)


# --- through the ledger -----------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def test_execution_pays_everyone_closes_the_cycle_and_never_pays_twice() -> None:
    caja = loan_caja(reserve_percent=D("10"))  # six members saved 50.00 each, social fund 12.00
    loan = approved_loan(caja, amount="60", term=3)
    loan_meeting(caja, APPLY, loans=[lambda m: disbursement_record(meeting_id=m, loan_id=loan.pk)])
    day = dt.date(2025, 4, 15)
    loan_meeting(
        caja, day, loans=[lambda m: repayment_record(meeting_id=m, loan_id=loan.pk, amount="20.60")]
    )
    assembly = meeting_open(
        caja_id=caja.pk, date=day + dt.timedelta(days=20), opened_by="t", kind="assembly"
    )
    item_record(meeting_id=assembly.pk, kind="fine", amount="1", member=2)  # not yet posted
    preview = shareout_preview(caja=caja, on=assembly.date)
    plan = preview.plan
    # interest 0.90 earned, 10 % reserve 0.09; member 4 still owes 40.30 of principal
    assert plan.profit == 90 and plan.reserve == 9
    assert [(x.number, x.member, x.owed) for x in preview.loans] == [(1, 4, 6000 - 1970)]
    four = next(p for p in plan.payouts if p.member == 4)
    assert four.deductions == 4030 and four.amount == four.gross - 4030
    cash_before = account_balances(caja=caja)[chart.CASH]
    figures = indicators(Caja.objects.all(), Filters(), assembly.date)
    assert figures["profit"] == D("0.90")
    shareout = shareout_execute(meeting_id=assembly.pk, executed_by="tesorera", reinvest={1: 1000})
    figures = indicators(Caja.objects.all(), Filters(), assembly.date)
    assert figures["profit"] == D("0.00")  # the new cycle has earned nothing yet
    from cajas.web.selectors import member_lines

    lines = {line.membership.number: line for line in member_lines(caja=caja)}
    assert all(line.shares == 0 for line in lines.values())  # paid out: the cycle starts over
    assert lines[1].savings == 1000 and lines[2].savings == 0
    assert figures["assets"] == D(cash_before - sum(p.amount for p in plan.payouts) + 1000) / 100
    balances = account_balances(caja=caja)
    paid = sum(p.amount for p in plan.payouts) - 1000  # member 1 left 10.00 invested
    assert balances[chart.CASH] == cash_before - paid
    assert balances[chart.savings_account_code(1)] == 1000  # left invested
    assert all(balances[chart.savings_account_code(n)] == 0 for n in range(2, 7))
    assert balances[chart.RESERVE] == 9 and balances[chart.RETAINED_EARNINGS] == 0
    assert balances[chart.INTEREST_INCOME] == 0
    assert balances[chart.SOCIAL_FUND] == 12 * 100  # carried over, never shared
    assert balances[chart.loan_account_code(1)] == 0
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REPAID
    assert trial_balance(caja=caja) == 0 and verify_caja(caja) == []
    cycles = list(Cycle.objects.filter(caja=caja).order_by("number"))
    assert [c.status for c in cycles] == [CycleStatus.CLOSED, CycleStatus.OPEN]
    assert shareout.distributable_cents == plan.distributable
    before = db_snapshot()
    again = shareout_execute(meeting_id=assembly.pk, executed_by="tesorera")
    assert again.pk == shareout.pk and db_snapshot() == before


def test_collect_first_bylaws_refuse_a_share_out_with_loans_owed() -> None:
    caja = loan_caja(shareout_loans="collect")
    loan = approved_loan(caja, amount="60", term=3)
    loan_meeting(caja, APPLY, loans=[lambda m: disbursement_record(meeting_id=m, loan_id=loan.pk)])
    assembly = meeting_open(caja_id=caja.pk, date=APPLY + dt.timedelta(days=30), opened_by="t")
    assert_rejected(
        LoansToCollectFirst,
        lambda: shareout_execute(meeting_id=assembly.pk, executed_by="t"),
        es="El reglamento pide cobrar los préstamos antes del reparto: el préstamo n.º 1 "
        "(socio n.º 4) debe 60.00 USD.",
        en="The bylaws have loans collected before the share-out: loan #1 (member #4) still "
        "owes 60.00 USD.",
    )


def test_a_debt_larger_than_the_payout_blocks_the_share_out() -> None:
    caja = loan_caja(loan_savings_multiple=D("3"))
    loan = approved_loan(caja, amount="150", term=3)  # member 4 saved 50.00
    loan_meeting(caja, APPLY, loans=[lambda m: disbursement_record(meeting_id=m, loan_id=loan.pk)])
    assembly = meeting_open(caja_id=caja.pk, date=APPLY + dt.timedelta(days=5), opened_by="t")
    error = assert_rejected(
        DebtAbovePayout,
        lambda: shareout_execute(meeting_id=assembly.pk, executed_by="t"),
        es="El socio n.º 4 debe 150.00 USD, más que lo que le toca en el reparto (50.00 USD): "
        "cobre la diferencia (100.00 USD) antes de repartir.",
        en="Member #4 owes 150.00 USD, more than their share-out (50.00 USD): collect the "
        "difference (100.00 USD) before sharing out.",
    )
    assert error.code == "shareout.debt_above_payout"
    assert not ShareOut.objects.exists()


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=st.lists(st.lists(st.integers(0, 5), min_size=4, max_size=4), min_size=1, max_size=4),
    fines=st.lists(st.integers(0, 300), min_size=0, max_size=3),
    reserve=st.sampled_from([D("0"), D("10")]),
    method=st.sampled_from(["shares", "share_time"]),
)
def test_any_cycle_history_shares_out_exactly(
    history: list[list[int]], fines: list[int], reserve: Decimal, method: str
) -> None:
    from tests.factories import enrol

    caja = make_caja(
        bylaws={"reserve_percent": reserve, "shareout_method": method, "min_shares_per_meeting": 0}
    )
    for _ in range(4):
        enrol(caja)
    day = dt.date(2025, 2, 3)
    for k, shares in enumerate(history):

        def fine(m: int, k: int = k) -> None:
            if k < len(fines) and fines[k]:
                item_record(meeting_id=m, kind="fine", amount=str(fines[k] / 100), member=1)

        loan_meeting(
            caja,
            day + dt.timedelta(days=30 * k),
            [SheetRow(member=n + 1, shares=s, social_fund=True) for n, s in enumerate(shares)],
            loans=[fine],
        )
    if not any(any(s) for s in history):
        return
    assembly = meeting_open(
        caja_id=caja.pk, date=day + dt.timedelta(days=30 * len(history)), opened_by="t"
    )
    plan = shareout_preview(caja=caja, on=assembly.date).plan
    shareout_execute(meeting_id=assembly.pk, executed_by="t")
    assert sum(p.amount for p in plan.payouts) == plan.distributable
    if plan.profit == 0:
        assert all(p.amount == p.savings for p in plan.payouts)
    balances = account_balances(caja=caja)
    assert all(balances[chart.savings_account_code(n)] == 0 for n in range(1, 5))
    assert verify_caja(caja) == [] and trial_balance(caja=caja) == 0


def test_cli_preview_json_and_execute() -> None:
    import json
    from io import StringIO

    from django.core.management import CommandError, call_command

    caja = loan_caja()
    out = StringIO()
    call_command("shareout", "preview", "--caja", str(caja.pk), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["distributable"] == "300.00"  # six members × 50.00, no profit yet
    assert data["payouts"][0] == {
        "member": 1,
        "shares": "10.0000",
        "savings": "50.00",
        "profit": "0.00",
        "deductions": "0.00",
        "reinvested": "0.00",
        "amount": "50.00",
    }
    with pytest.raises(CommandError) as exc:
        call_command("shareout", "execute", "--caja", caja.code)
    assert "Abra la reunión" in str(exc.value)
    meeting_open(caja_id=caja.pk, date=APPLY, opened_by="t", kind="assembly")
    call_command("shareout", "execute", "--caja", caja.code, "--reinvest", "2=25")
    assert account_balances(caja=caja)[chart.savings_account_code(2)] == 2500


# --- member exit ------------------------------------------------------------------------------


def test_a_member_leaving_gets_savings_back_less_loans_and_the_books_show_it() -> None:
    from cajas.members.models import Membership
    from cajas.shareouts.services import member_exit

    caja = loan_caja()
    loan = approved_loan(caja, amount="30", term=3)  # member 4
    loan_meeting(caja, APPLY, loans=[lambda m: disbursement_record(meeting_id=m, loan_id=loan.pk)])
    meeting = meeting_open(caja_id=caja.pk, date=APPLY + dt.timedelta(days=10), opened_by="t")
    cash = account_balances(caja=caja)[chart.CASH]
    row = member_exit(meeting_id=meeting.pk, member=4, reason="withdrawal", recorded_by="t")
    assert (row.savings_cents, row.debts_cents, row.paid_cents) == (5000, 3000, 2000)
    balances = account_balances(caja=caja)
    assert balances[chart.CASH] == cash - 2000
    assert balances[chart.savings_account_code(4)] == 0
    assert balances[chart.loan_account_code(1)] == 0
    assert Membership.objects.get(caja=caja, number=4).left_on == meeting.date
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REPAID
    assert verify_caja(caja) == []
    # and the settlement prints
    from cajas.documents.services import document_render, document_sections

    pdf = document_render(
        "exit-settlement",
        document_sections("exit-settlement", caja=caja, on=meeting.date),
        lang="es",
        fmt="pdf",
    )
    assert pdf.startswith(b"%PDF")


def test_after_a_death_the_social_fund_may_help_the_family() -> None:
    from cajas.shareouts.rules import SocialFundHelpOnlyForDeath, SocialFundHelpTooHigh
    from cajas.shareouts.services import member_exit

    caja = loan_caja()  # social fund 12.00
    meeting = meeting_open(caja_id=caja.pk, date=APPLY, opened_by="t")
    assert_rejected(
        SocialFundHelpOnlyForDeath,
        lambda: member_exit(
            meeting_id=meeting.pk,
            member=5,
            reason="withdrawal",
            recorded_by="t",
            social_fund_help="5",
        ),
        es="La ayuda del fondo social a la familia es solo por fallecimiento.",
        en="Social fund help to the family is only for a death.",
    )
    assert_rejected(
        SocialFundHelpTooHigh,
        lambda: member_exit(
            meeting_id=meeting.pk, member=5, reason="death", recorded_by="t", social_fund_help="20"
        ),
        es="El fondo social tiene 12.00 USD; no puede dar 20.00 USD.",
        en="The social fund holds 12.00 USD; it cannot give 20.00 USD.",
    )
    row = member_exit(
        meeting_id=meeting.pk, member=5, reason="death", recorded_by="t", social_fund_help="10"
    )
    assert row.paid_cents == 5000 + 1000
    assert account_balances(caja=caja)[chart.SOCIAL_FUND] == 200


def test_a_debt_above_the_savings_is_never_hidden_at_exit() -> None:
    from cajas.shareouts.rules import DebtAboveSavings
    from cajas.shareouts.services import member_exit

    caja = loan_caja()
    loan = approved_loan(caja, amount="120", term=3)
    loan_meeting(caja, APPLY, loans=[lambda m: disbursement_record(meeting_id=m, loan_id=loan.pk)])
    meeting = meeting_open(caja_id=caja.pk, date=APPLY + dt.timedelta(days=3), opened_by="t")
    assert_rejected(
        DebtAboveSavings,
        lambda: member_exit(meeting_id=meeting.pk, member=4, reason="exclusion", recorded_by="t"),
        es="El socio n.º 4 debe 120.00 USD y tiene 50.00 USD de ahorro: cobre la diferencia "
        "(70.00 USD) o acuerde con sus garantes antes de liquidar su salida.",
        en="Member #4 owes 120.00 USD and has 50.00 USD of savings: collect the difference "
        "(70.00 USD), or agree with the guarantors, before settling the exit.",
    )
