"""Loans end to end through the services, the rule violations, and worked examples of
allocation, arrears aging, late fees and PAR (docs/domain.md §6–§7)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy_financial as npf
import pytest

from cajas.core.errors import AmountNotPositive
from cajas.ledger import chart
from cajas.ledger.selectors import account_balances, trial_balance
from cajas.ledger.verify import verify_caja
from cajas.loans.application import loan_apply, loan_decide, loan_vote
from cajas.loans.models import Installment, LoanStatus
from cajas.loans.recovery import loan_restructure, loan_write_off_approve, loan_write_off_request
from cajas.loans.repayment import (
    InstallmentState,
    aging_bucket,
    allocate_repayment,
    days_past_due,
    late_fees_to_charge,
    par,
)
from cajas.loans.rules import (
    ApplicantCannotVote,
    LoanAlreadyDisbursed,
    LoanGuarantorRequired,
    LoanOverCashAvailable,
    LoanOverSavingsMultiple,
    QuorumNotReached,
    RepaymentExceedsDue,
    WriteOffNeedsSecondOfficer,
)
from cajas.meetings.items import disbursement_record, repayment_record
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import cash_for_lending
from tests.factories import (
    APPLY,
    M2,
    approved_loan,
    assert_rejected,
    disbursed_loan,
    loan_caja,
    loan_meeting,
    make_caja,
)

pytestmark = pytest.mark.django_db

D = Decimal


def test_apply_vote_disburse_and_repay_over_two_meetings() -> None:
    caja = loan_caja()
    cash_before = account_balances(caja=caja)[chart.CASH]
    loan = approved_loan(caja)
    assert loan.status == LoanStatus.APPROVED
    # crédito digno, shown from the application on: 1.5 % a month declining is 19.56 % TEA;
    # the real cash flows (−120.00, 41.21, 41.21, 41.20) are a little dearer once rounded to the cent
    flows = [-120.0, 41.21, 41.21, 41.20]
    oracle = D(str((1 + npf.irr(flows)) ** 12 - 1)) * 100
    assert loan.tea_percent == oracle.quantize(D("0.01")) == D("19.58")
    assert loan.cap_percent == D("28.23")
    assert not loan.above_cap
    assert loan.informal_cost_cents == 12000 * 20 * 3 // 100  # 20 % a month flat, 3 months
    loan_meeting(caja, APPLY, loans=[lambda m: disbursement_record(meeting_id=m, loan_id=loan.pk)])
    loan.refresh_from_db()
    assert loan.status == LoanStatus.DISBURSED and loan.disbursed_on == APPLY
    balances = account_balances(caja=caja)
    assert balances[chart.CASH] == cash_before - 12000
    assert balances[chart.loan_account_code(1)] == 12000
    rows = list(Installment.objects.filter(loan=loan, version=loan.schedule_version))
    assert [r.due_date for r in rows] == [
        dt.date(2025, 4, 17),
        dt.date(2025, 5, 17),
        dt.date(2025, 6, 17),
    ]
    # French at 1.5 %: 41.21 a month; first interest 1.80 on 120.00
    assert [(r.principal_cents, r.interest_cents) for r in rows] == [
        (3941, 180),
        (4000, 121),
        (4059, 61),
    ]
    first, second = dt.date(2025, 4, 15), dt.date(2025, 5, 20)
    loan_meeting(
        caja,
        first,
        loans=[lambda m: repayment_record(meeting_id=m, loan_id=loan.pk, amount="41.21")],
    )
    loan_meeting(
        caja,
        second,
        loans=[lambda m: repayment_record(meeting_id=m, loan_id=loan.pk, amount="41.21")],
    )
    balances = account_balances(caja=caja)
    assert balances[chart.loan_account_code(1)] == 12000 - 3941 - 4000
    assert balances[chart.INTEREST_INCOME] == 180 + 121
    assert trial_balance(caja=caja) == 0
    assert verify_caja(caja) == []


def test_prepayment_pays_off_the_loan_and_drops_future_interest() -> None:
    caja = loan_caja()
    loan = disbursed_loan(caja)
    on = dt.date(2025, 4, 15)
    # installment 1 (41.21) now, plus the 80.59 of principal still to come
    loan_meeting(
        caja,
        on,
        loans=[
            lambda m: repayment_record(meeting_id=m, loan_id=loan.pk, amount="121.80", prepay=True)
        ],
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REPAID
    balances = account_balances(caja=caja)
    assert balances[chart.loan_account_code(1)] == 0
    assert balances[chart.INTEREST_INCOME] == 180
    assert verify_caja(caja) == []


def test_late_installment_pays_a_late_fee_first() -> None:
    caja = loan_caja()
    loan = disbursed_loan(caja)
    # due 2025-04-17, grace 5 days, 1 % of the late 41.21 = 0.41
    late = dt.date(2025, 4, 30)
    loan_meeting(
        caja,
        late,
        loans=[lambda m: repayment_record(meeting_id=m, loan_id=loan.pk, amount="41.62")],
    )
    balances = account_balances(caja=caja)
    assert balances[chart.LATE_FEE_INCOME] == 41
    assert balances[chart.INTEREST_INCOME] == 180
    assert balances[chart.loan_account_code(1)] == 12000 - 3941
    assert verify_caja(caja) == []


def test_restructuring_keeps_the_old_schedule() -> None:
    caja = loan_caja()
    loan = disbursed_loan(caja)
    loan_restructure(
        loan_id=loan.pk,
        term=6,
        on=dt.date(2025, 5, 1),
        reason="pérdida de empleo",
        recorded_by="tesorera",
    )
    loan.refresh_from_db()
    assert loan.schedule_version == 2
    assert Installment.objects.filter(loan=loan, version=1).count() == 3
    new = list(Installment.objects.filter(loan=loan, version=2))
    assert len(new) == 6 and sum(r.principal_cents for r in new) == 12000
    assert loan.restructurings.get().outstanding_cents == 12000


def test_write_off_needs_a_second_officer_then_recovery() -> None:
    caja = loan_caja()
    loan = disbursed_loan(caja)
    loan_write_off_request(
        loan_id=loan.pk, member=1, reason="se fue del país", on=M2 + dt.timedelta(days=200)
    )
    assert_rejected(
        WriteOffNeedsSecondOfficer,
        lambda: loan_write_off_approve(
            loan_id=loan.pk, member=1, on=APPLY + dt.timedelta(days=200), recorded_by="presidenta"
        ),
        es="El castigo del préstamo n.º 1 lo pidió el socio n.º 1; debe aprobarlo otro directivo.",
        en="Member #1 asked to write off loan #1; another officer must approve it.",
    )
    loan_write_off_approve(
        loan_id=loan.pk, member=2, on=APPLY + dt.timedelta(days=200), recorded_by="tesorera"
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.WRITTEN_OFF and loan.written_off_cents == 12000
    balances = account_balances(caja=caja)
    assert balances[chart.LOAN_LOSSES] == 12000 and balances[chart.loan_account_code(1)] == 0
    loan_meeting(
        caja,
        APPLY + dt.timedelta(days=230),
        loans=[lambda m: repayment_record(meeting_id=m, loan_id=loan.pk, amount="20")],
    )
    assert account_balances(caja=caja)[chart.RECOVERIES] == 2000
    assert verify_caja(caja) == []


# --- every rule violation: exact message, nothing written ---------------------------------


def test_it_rejects_a_loan_over_the_savings_multiple() -> None:
    caja = loan_caja()
    assert_rejected(
        LoanOverSavingsMultiple,
        lambda: loan_apply(
            caja_id=caja.pk,
            member=4,
            amount="150.01",
            term=3,
            purpose="business",
            on=APPLY,
            cash_available=cash_for_lending(caja_id=caja.pk),
        ),
        es="El préstamo de 150.01 USD supera 3 veces los ahorros de la socia o socio "
        "(50.00 USD): puede pedir hasta 150.00 USD.",
        en="The loan of 150.01 USD is more than 3 times the member's savings (50.00 USD): "
        "they may borrow up to 150.00 USD.",
    )


def test_it_rejects_a_loan_over_the_cash_available() -> None:
    caja = loan_caja(loan_savings_multiple=D("10"), loan_guarantor_above_cents=10**9)
    # cash: 6 members × 2 meetings × (25.00 + 1.00) = 312.00
    assert_rejected(
        LoanOverCashAvailable,
        lambda: loan_apply(
            caja_id=caja.pk,
            member=4,
            amount="400",
            term=3,
            purpose="housing",
            on=APPLY,
            cash_available=cash_for_lending(caja_id=caja.pk),
        ),
        es="La caja tiene 312.00 USD disponibles; no puede prestar 400.00 USD.",
        en="The caja has 312.00 USD available; it cannot lend 400.00 USD.",
    )


def test_it_rejects_a_loan_without_the_guarantor_it_needs() -> None:
    caja = loan_caja(loan_guarantor_above_cents=10000)
    assert_rejected(
        LoanGuarantorRequired,
        lambda: loan_apply(
            caja_id=caja.pk,
            member=4,
            amount="120",
            term=3,
            purpose="business",
            on=APPLY,
            cash_available=cash_for_lending(caja_id=caja.pk),
        ),
        es="Un préstamo de más de 100.00 USD necesita al menos un garante.",
        en="A loan above 100.00 USD needs at least one guarantor.",
    )
    loan = loan_apply(
        caja_id=caja.pk,
        member=4,
        amount="120",
        term=3,
        purpose="business",
        on=APPLY,
        guarantors=[5],
        cash_available=cash_for_lending(caja_id=caja.pk),
    )
    assert [g.membership.number for g in loan.guarantors.all()] == [5]


def test_the_applicant_never_votes_on_their_own_loan() -> None:
    caja = loan_caja()
    loan = loan_apply(
        caja_id=caja.pk,
        member=1,
        amount="100",
        term=3,
        purpose="business",
        on=APPLY,
        cash_available=cash_for_lending(caja_id=caja.pk),
    )
    assert_rejected(
        ApplicantCannotVote,
        lambda: loan_vote(loan_id=loan.pk, member=1, vote="yes", on=APPLY),
        es="El socio n.º 1 pidió este préstamo y no puede votar sobre él.",
        en="Member #1 applied for this loan and cannot vote on it.",
    )


def test_it_rejects_an_approval_without_quorum() -> None:
    caja = loan_caja()
    loan = loan_apply(
        caja_id=caja.pk,
        member=4,
        amount="100",
        term=3,
        purpose="business",
        on=APPLY,
        cash_available=cash_for_lending(caja_id=caja.pk),
    )
    loan_vote(loan_id=loan.pk, member=1, vote="yes", on=APPLY)
    assert_rejected(
        QuorumNotReached,
        lambda: loan_decide(
            loan_id=loan.pk, on=APPLY, cash_available=cash_for_lending(caja_id=loan.caja_id)
        ),
        es="Votaron 1 de 3; hacen falta al menos 2 para decidir.",
        en="1 of 3 voted; at least 2 are needed to decide.",
    )


def test_it_rejects_repaying_more_than_is_due_without_prepayment() -> None:
    caja = loan_caja()
    loan = disbursed_loan(caja)
    meeting = meeting_open(caja_id=caja.pk, date=dt.date(2025, 4, 15), opened_by="t")
    assert_rejected(
        RepaymentExceedsDue,
        lambda: repayment_record(meeting_id=meeting.pk, loan_id=loan.pk, amount="50"),
        es="El pago de 50.00 USD supera lo que vence ahora (41.21 USD) en el préstamo n.º 1; "
        "márquelo como pago anticipado para abonar a capital.",
        en="The payment of 50.00 USD is more than is due now (41.21 USD) on loan #1; "
        "mark it as a prepayment to pay principal ahead.",
    )


def test_it_rejects_disbursing_twice() -> None:
    caja = loan_caja()
    loan = approved_loan(caja)
    meeting = meeting_open(caja_id=caja.pk, date=APPLY, opened_by="t")
    disbursement_record(meeting_id=meeting.pk, loan_id=loan.pk)
    assert_rejected(
        LoanAlreadyDisbursed,
        lambda: disbursement_record(meeting_id=meeting.pk, loan_id=loan.pk),
        es="El préstamo n.º 1 ya se desembolsó en la reunión n.º 3; no se entrega dos veces.",
        en="Loan #1 was already disbursed at meeting #3; it is never paid out twice.",
    )


@pytest.mark.parametrize("amount", ["0", "-10"])
def test_it_rejects_zero_and_negative_loan_amounts(amount: str) -> None:
    caja = loan_caja()
    assert_rejected(
        AmountNotPositive,
        lambda: loan_apply(
            caja_id=caja.pk,
            member=4,
            amount=amount,
            term=3,
            purpose="business",
            on=APPLY,
            cash_available=cash_for_lending(caja_id=caja.pk),
        ),
        es=f"El monto debe ser mayor que cero (se recibió {amount}).",
        en=f"The amount must be greater than zero (got {amount}).",
    )


def test_it_rejects_zero_repayments() -> None:
    caja = loan_caja()
    loan = disbursed_loan(caja)
    meeting = meeting_open(caja_id=caja.pk, date=dt.date(2025, 4, 15), opened_by="t")
    assert_rejected(
        AmountNotPositive,
        lambda: repayment_record(meeting_id=meeting.pk, loan_id=loan.pk, amount="0"),
        es="El monto debe ser mayor que cero (se recibió 0).",
        en="The amount must be greater than zero (got 0).",
    )


# --- worked examples (pure rules) -----------------------------------------------------------

DUE = [dt.date(2025, 2, 1), dt.date(2025, 3, 1), dt.date(2025, 4, 1)]


def _three(**first: int) -> list[InstallmentState]:
    rows = [InstallmentState(n + 1, DUE[n], 10000, 1000) for n in range(3)]
    rows[0] = InstallmentState(1, DUE[0], 10000, 1000, **first)
    return rows


def test_allocation_pays_fees_then_interest_then_principal() -> None:
    rows = _three(late_fee=200)
    # on 2025-03-05 installments 1 and 2 are due and 3 is the current one
    a = allocate_repayment(
        rows,
        amount=2500,
        on=dt.date(2025, 3, 5),
        prepay=False,
        declining=False,
        period_rate=D("0.01"),
        loan_number=1,
    )
    # 2.00 of fee, 10.00 + 10.00 of interest on the two installments due, 3.00 of principal
    assert (a.late_fee, a.interest, a.principal) == (200, 2000, 300)
    b = allocate_repayment(
        rows,
        amount=12200,
        on=dt.date(2025, 3, 5),
        prepay=False,
        declining=False,
        period_rate=D("0.01"),
        loan_number=1,
    )
    # … then the overdue principal, oldest first; the current installment is untouched
    assert (b.late_fee, b.interest, b.principal) == (200, 2000, 10000)
    assert b.installments[0].paid_principal == 10000 and b.installments[1].paid_principal == 0
    assert b.installments[2].paid_interest == 0


def test_prepayment_pays_the_last_installments_first_and_recomputes_declining_interest() -> None:
    rows = [InstallmentState(n + 1, DUE[n], 10000, [300, 200, 100][n]) for n in range(3)]
    a = allocate_repayment(
        rows,
        amount=10300 + 10000,
        on=dt.date(2025, 1, 20),
        prepay=True,
        declining=True,
        period_rate=D("0.01"),
        loan_number=1,
    )
    assert (a.interest, a.principal) == (300, 20000)
    assert a.installments[2].interest == 0  # paid ahead: no interest
    assert a.installments[1].interest == 100  # 1 % of the 100.00 still owed


def test_arrears_aging_late_fees_and_par() -> None:
    rows = _three()
    assert days_past_due(rows, dt.date(2025, 2, 1)) == 0
    assert days_past_due(rows, dt.date(2025, 3, 15)) == 42
    assert [aging_bucket(d) for d in (0, 1, 30, 31, 61, 91)] == [
        "current",
        "1-30",
        "1-30",
        "31-60",
        "61-90",
        "90+",
    ]
    fees = late_fees_to_charge(rows, on=dt.date(2025, 2, 6), grace_days=5, percent=D("1"))
    assert fees == {}
    fees = late_fees_to_charge(rows, on=dt.date(2025, 2, 7), grace_days=5, percent=D("1"))
    assert fees == {1: 110}  # 1 % of the unpaid 110.00
    # loans: 300.00 current, 200.00 at 10 days, 100.00 at 45 days, 100.00 at 120 days
    book = [(30000, 0), (20000, 10), (10000, 45), (10000, 120)]
    assert par(book, 1) == D("57.14")
    assert par(book, 30) == D("28.57")
    assert par(book, 90) == D("14.29")


def test_bylaws_above_the_cap_are_flagged_with_the_rate_that_would_comply() -> None:
    from cajas.loans.rates import bylaws_change_rate_check, bylaws_rate_check
    from cajas.org.selectors import bylaws_newest

    caja = make_caja(bylaws={"loan_interest_method": "flat", "loan_monthly_rate_percent": D("2")})
    check = bylaws_rate_check(bylaws_newest(caja), APPLY)
    # flat 2 % a month costs more the longer the loan: 48.28 % over 6 months, more over 12
    assert check.above_cap and check.tea_percent > D("48.28") and check.at_term == 12
    assert check.cap_percent == D("28.23") and check.complying_monthly_rate_percent == D("2.09")
    change = bylaws_change_rate_check(
        caja, {"loan_interest_method": "french", "loan_monthly_rate_percent": "2"}, APPLY
    )
    # 2 % a month declining is 26.82 % a year; cent rounding of the installments adds up to 0.01
    assert not change.above_cap and D("26.82") <= change.tea_percent <= D("26.83")
    fine = bylaws_rate_check(bylaws_newest(make_caja()), APPLY)  # 1.5 % French by default
    assert not fine.above_cap
