"""Indicators: a hand-checked example, and on a demo program every figure equals an
independent recount from the ledger's lines."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from cajas.ledger.models import EntryKind, JournalEntry, JournalLine
from cajas.loans.models import Loan, LoanStatus
from cajas.loans.repayment import days_past_due
from cajas.loans.selectors import installment_states
from cajas.meetings.items import disbursement_record
from cajas.meetings.sheet import SheetRow
from cajas.members.models import Membership
from cajas.monitoring.indicators import Filters, indicators
from cajas.org.models import Caja
from tests.factories import APPLY, FOUNDED, approved_loan, enrol, loan_meeting, make_caja
from tests.helpers import run_meeting

pytestmark = pytest.mark.django_db
D = Decimal


def pct(part: int, whole: int) -> Decimal:
    return (D(part) * 100 / D(whole)).quantize(D("0.01"), "ROUND_HALF_UP") if whole else D("0.00")


def test_a_hand_checked_program() -> None:
    quito = make_caja(territory="Quito")
    enrol(quito, role="president", gender="female", nationality="VE")
    enrol(quito, role="treasurer", gender="female", nationality="EC")
    enrol(quito, role="secretary", gender="male", nationality="VE")
    enrol(quito, gender="male", nationality="CO")
    loja = make_caja(territory="Loja", partner_code="otro")
    enrol(loja, gender="male", nationality="VE")
    enrol(loja, gender="male", nationality="VE")
    run_meeting(quito, FOUNDED, [SheetRow(member=n, shares=5) for n in range(1, 5)])
    run_meeting(
        quito, FOUNDED + dt.timedelta(days=35), [SheetRow(member=n, shares=5) for n in range(1, 5)]
    )
    run_meeting(loja, FOUNDED, [SheetRow(member=n, shares=2) for n in (1, 2)])
    loan = approved_loan(quito, amount="60", term=3)  # member 4, after 70 days
    loan_meeting(
        quito,
        APPLY,
        [SheetRow(member=n) for n in range(1, 5)],
        loans=[lambda m: disbursement_record(meeting_id=m, loan_id=loan.pk)],
    )
    # 2025-06-01: the first installment (due 2025-04-17) is 45 days late, never paid
    on = dt.date(2025, 6, 1)
    figures = indicators(Caja.objects.all(), Filters(), on)
    assert figures["members"] == 6
    assert figures["migrant_members"] == 5
    assert figures["women_percent"] == D("33.33")
    assert figures["savings"] == D("220.00")  # Quito 4 × 50.00, Loja 2 × 10.00
    assert figures["savings_per_member"] == D("36.67")
    assert figures["credits_granted_count"] == 1 and figures["credits_granted_value"] == D("60.00")
    assert figures["loans_outstanding_count"] == 1
    assert figures["members_with_loans_percent"] == D("16.67")
    assert figures["par30_percent"] == D("100.00")
    assert figures["cajas_implemented"] == 2
    assert figures["cajas_active"] == 0  # no meeting in the 60 days before June 1st
    quito_only = figures["by_territory"]["Quito"]
    assert quito_only["members"] == 4 and quito_only["par30_percent"] == D("100.00")
    assert figures["by_territory"]["Loja"]["par30_percent"] == D("0.00")
    women = indicators(Caja.objects.all(), Filters(gender="female"), on)
    assert women["members"] == 2 and women["savings"] == D("100.00")
    assert women["credits_granted_count"] == 0
    before = indicators(Caja.objects.all(), Filters(date_to=dt.date(2025, 3, 1)), on)
    assert before["credits_granted_count"] == 0 and before["cajas_active"] == 2
    from cajas.monitoring.profile import profile

    picture = profile(Caja.objects.all(), on)
    assert picture["age_bands"] == {"18-25": 0, "26-35": 6, "36-45": 0, "46-60": 0, "61+": 0}
    assert picture["nationality"] == {"VE": 4, "EC": 1, "CO": 1}
    assert picture["attendance_percent"] == D("100.00")
    assert picture["dropouts"] == 0 and picture["retention_percent"] == D("100.00")
    assert picture["loans_granted"] == 1
    assert picture["average_tea_percent"] == D("19.46") and picture["average_cap_percent"] == D(
        "28.23"
    )
    assert picture["saved_vs_informal"] == D("34.20")  # 36.00 informal − 1.80 interest
    assert picture["survival"]["6_months"] == {"cajas": 0, "still_active": 0, "percent": D("0")}
    later = profile(Caja.objects.all(), dt.date(2025, 9, 1))
    assert later["survival"]["6_months"]["cajas"] == 2
    assert later["survival"]["6_months"]["still_active"] == 0  # no meeting since April
    out = StringIO()
    call_command("indicators", "--age-band", "18-25", "--json", stdout=out)
    assert json.loads(out.getvalue())["members"] == 0  # all born in 1990
    out = StringIO()
    call_command("indicators", "--territory", "Quito", "--json", stdout=out)
    data = json.loads(out.getvalue())
    for key in (
        "credits_granted_count",
        "credits_granted_value",
        "cajas_implemented",
        "cajas_active",
        "migrant_members",
        "members",
        "women_percent",
        "par30_percent",
    ):
        assert key in data and key in data["by_territory"]["Quito"]


def test_on_a_demo_program_every_figure_equals_a_recount_from_the_ledger() -> None:
    from cajas.demo.build import TODAY, demo_build

    demo_build(cajas=4, meetings=8)
    on = TODAY
    figures = indicators(Caja.objects.all(), Filters(), on)
    members = [m for m in Membership.objects.select_related("person") if m.active_on(on)]
    assert figures["members"] == len(members)
    assert figures["migrant_members"] == sum(m.person.nationality != "EC" for m in members)

    def lines(prefix: str) -> int:
        t = JournalLine.objects.filter(account__code__startswith=prefix).aggregate(
            d=Sum("debit"), c=Sum("credit")
        )
        return (t["d"] or 0) - (t["c"] or 0)

    assert figures["savings"] == D(-lines("2101.")) / 100
    assert figures["loans_outstanding_value"] == D(lines("1301.")) / 100
    granted = JournalLine.objects.filter(
        entry__kind=EntryKind.LOAN_DISBURSEMENT, account__code__startswith="1301."
    )
    assert figures["credits_granted_count"] == granted.count()
    assert figures["credits_granted_value"] == D(granted.aggregate(s=Sum("debit"))["s"]) / 100
    at_risk = owed = 0
    for loan in Loan.objects.filter(status=LoanStatus.DISBURSED):
        principal = sum(s.unpaid_principal for s in installment_states(loan))
        owed += principal
        if days_past_due(installment_states(loan), on) > 30:
            at_risk += principal
    expected = (D(at_risk) * 100 / owed).quantize(D("0.01"), "ROUND_HALF_UP") if owed else D("0.00")
    assert figures["par30_percent"] == expected

    # Assets and the profit of the cycle, recounted from the lines: the cycle's profit is what
    # income and expense accounts took in after each caja's last cycle close.
    assets = JournalLine.objects.filter(account__kind="asset").aggregate(
        d=Sum("debit"), c=Sum("credit")
    )
    assert figures["assets"] == D(assets["d"] - assets["c"]) / 100
    profit = 0
    for caja in Caja.objects.all():
        closes = JournalEntry.objects.filter(caja=caja, kind=EntryKind.CYCLE_CLOSE)
        after = max(closes.values_list("seq", flat=True), default=0)
        # income − expenses = (credits − debits) over both kinds of account
        t = JournalLine.objects.filter(
            entry__caja=caja, entry__seq__gt=after, account__kind__in=["income", "expense"]
        ).aggregate(d=Sum("debit"), c=Sum("credit"))
        profit += (t["c"] or 0) - (t["d"] or 0)
    assert figures["profit"] == D(profit) / 100

    # The rest of the dashboard's figures, recounted from the records one caja at a time.
    from cajas.meetings.models import Meeting
    from cajas.org.models import Cycle

    assert figures["women_percent"] == pct(
        sum(m.person.gender == "female" for m in members), len(members)
    )
    borrowers = {loan.membership_id for loan in Loan.objects.filter(status=LoanStatus.DISBURSED)}
    outstanding = Loan.objects.filter(status=LoanStatus.DISBURSED).count()
    assert figures["loans_outstanding_count"] == outstanding
    assert figures["members_with_loans_percent"] == pct(len(borrowers), len(members))
    assert figures["average_loan"] == (D(lines("1301.")) / 100 / outstanding).quantize(D("0.01"))
    assert figures["cajas_implemented"] == Caja.objects.filter(founded_on__lte=on).count()
    assert figures["cajas_active"] == sum(
        Meeting.objects.filter(
            caja=caja, status="closed", date__gt=on - dt.timedelta(days=60), date__lte=on
        ).exists()
        for caja in Caja.objects.all()
    )
    fund_cash = lines("1101") + lines("1102") + lines("2201")  # the fund is a credit balance
    assert figures["loan_fund_utilisation_percent"] == pct(
        lines("1301."), lines("1301.") + fund_cash
    )
    assert figures["return_on_savings_percent"] == pct(profit, -lines("2101."))
    assert figures["roa_percent"] == pct(profit, assets["d"] - assets["c"])
    at_start = now = written_off = written_off_n = granted_in_cycle = 0
    for caja in Caja.objects.all():
        cycle = Cycle.objects.get(caja=caja, status="open")
        people = Membership.objects.filter(caja=caja)
        at_start += sum(m.active_on(cycle.started_on) for m in people)
        now += sum(m.left_on is None for m in people)
        losses = JournalLine.objects.filter(
            entry__caja=caja,
            entry__kind=EntryKind.LOAN_WRITE_OFF,
            entry__date__gte=cycle.started_on,
            account__code="5103",
        )
        written_off += losses.aggregate(s=Sum("debit"))["s"] or 0
        written_off_n += losses.count()
        granted_in_cycle += Loan.objects.filter(
            caja=caja, disbursed_on__gte=cycle.started_on
        ).count()
    assert figures["membership_growth_percent"] == pct(now - at_start, at_start)
    assert figures["write_offs_value"] == D(written_off) / 100
    assert figures["write_offs_count"] == written_off_n
    assert figures["write_offs_percent"] == pct(written_off_n, granted_in_cycle)

    # An age band, on the end date, straight from the records.
    def age(born: dt.date) -> int:
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    band = indicators(Caja.objects.all(), Filters(age_band=(26, 35)), on)
    young = [m for m in members if 26 <= age(m.person.birth_date) <= 35]
    assert 0 < band["members"] == len(young) < len(members)
    in_band = [
        m
        for m in Membership.objects.select_related("person")
        if 26 <= age(m.person.birth_date) <= 35
    ]
    theirs = JournalLine.objects.filter(
        account__membership__in=in_band, account__code__startswith="2101."
    ).aggregate(d=Sum("debit"), c=Sum("credit"))
    assert band["savings"] == D((theirs["c"] or 0) - (theirs["d"] or 0)) / 100
    assert (
        band["credits_granted_count"]
        == granted.filter(account__loan__membership__in=in_band).count()
    )
    band_loans = Loan.objects.filter(status=LoanStatus.DISBURSED, membership__in=in_band)
    assert band["loans_outstanding_count"] == band_loans.count()

    # The same through the filters: Venezuelan women, credits granted in the last 90 days.
    since = on - dt.timedelta(days=90)
    cut = indicators(
        Caja.objects.all(), Filters(gender="female", nationality="VE", date_from=since), on
    )
    chosen = [m for m in members if m.person.gender == "female" and m.person.nationality == "VE"]
    assert cut["members"] == cut["migrant_members"] == len(chosen)
    assert cut["women_percent"] == D("100.00")
    theirs = JournalLine.objects.filter(
        account__membership__person__gender="female",
        account__membership__person__nationality="VE",
        account__code__startswith="2101.",
    ).aggregate(d=Sum("debit"), c=Sum("credit"))
    assert cut["savings"] == D((theirs["c"] or 0) - (theirs["d"] or 0)) / 100
    recent = granted.filter(
        entry__date__gte=since,
        account__loan__membership__person__gender="female",
        account__loan__membership__person__nationality="VE",
    )
    assert cut["credits_granted_count"] == recent.count()
    assert cut["credits_granted_value"] == D(recent.aggregate(s=Sum("debit"))["s"] or 0) / 100


def test_kept_figures_go_stale_with_every_change_and_are_refreshed_before_reading() -> None:
    from cajas.loans.recovery import loan_restructure
    from cajas.members.services import membership_end
    from cajas.monitoring.figures import figures_refresh_stale

    caja = make_caja()
    for role in ("president", "treasurer", "secretary", "member"):
        enrol(caja, role=role)

    def stale() -> bool:
        caja.refresh_from_db(fields=["figures_stale"])
        return caja.figures_stale

    assert stale()  # a new caja has no figures yet
    assert figures_refresh_stale() == 1 and not stale()
    run_meeting(caja, FOUNDED, [SheetRow(member=n, shares=5) for n in range(1, 5)])
    assert stale()  # the close posted
    on = FOUNDED + dt.timedelta(days=1)
    assert indicators(Caja.objects.all(), Filters(), on)["savings"] == D("100.00")
    assert not stale()
    enrol(caja)
    assert stale()  # a member joined
    assert indicators(Caja.objects.all(), Filters(), on)["members"] == 5
    membership_end(caja_id=caja.pk, number=5, left_on=on, reason="moved")
    assert stale()
    assert indicators(Caja.objects.all(), Filters(), on)["members"] == 4
    loan = approved_loan(caja, amount="60", term=3)
    loan_meeting(
        caja,
        APPLY,
        [SheetRow(member=n) for n in range(1, 5)],
        loans=[lambda m: disbursement_record(meeting_id=m, loan_id=loan.pk)],
    )
    figures = indicators(Caja.objects.all(), Filters(), APPLY)
    assert figures["loans_outstanding_count"] == 1 and figures["par30_percent"] == D("0.00")
    # Time alone makes the loan late: no event, no refresh, the figure moves.
    assert not stale()
    late = dt.date(2025, 6, 1)  # the first installment fell due on 2025-04-17
    assert indicators(Caja.objects.all(), Filters(), late)["par30_percent"] == D("100.00")
    loan_restructure(
        loan_id=loan.pk, on=late, term=6, reason="lost her job", recorded_by="facilitator"
    )
    assert stale()  # the new schedule starts over
    assert indicators(Caja.objects.all(), Filters(), late)["par30_percent"] == D("0.00")
    out = StringIO()
    call_command("figures", "refresh", "--all", stdout=out)
    assert out.getvalue().startswith("OK: figures of 1 caja(s) refreshed") and not stale()


def test_monthly_series_of_credits_and_members() -> None:
    from cajas.monitoring.profile import monthly_series

    caja = make_caja()
    for _ in range(4):
        enrol(caja)
    run_meeting(caja, FOUNDED, [SheetRow(member=n, shares=5) for n in range(1, 5)])
    run_meeting(
        caja, FOUNDED + dt.timedelta(days=35), [SheetRow(member=n, shares=5) for n in range(1, 5)]
    )
    series = monthly_series(Caja.objects.all(), dt.date(2024, 12, 1), dt.date(2025, 3, 31))
    assert [r["month"] for r in series] == ["2024-12", "2025-01", "2025-02", "2025-03"]
    assert [r["members"] for r in series] == [0, 4, 4, 4]
    assert all(r["credits"] == 0 for r in series)


def test_on_a_demo_program_the_profile_figures_equal_a_recount() -> None:
    from cajas.demo.build import TODAY, demo_build
    from cajas.loans.models import Installment
    from cajas.meetings.models import Attendance, Meeting
    from cajas.monitoring.profile import profile

    demo_build(cajas=3, meetings=6)
    on = TODAY
    picture = profile(Caja.objects.all(), on)
    present = listed = 0
    for caja in Caja.objects.all():
        last_four = list(
            Meeting.objects.filter(caja=caja, status="closed", date__lte=on).order_by(
                "-date", "-number"
            )[:4]
        )
        for meeting in last_four:
            rows = list(Attendance.objects.filter(meeting=meeting))
            listed += len(rows)
            present += sum(1 for a in rows if a.status in ("present", "represented"))
    assert picture["attendance_percent"] == (D(present) * 100 / listed).quantize(
        D("0.01"), "ROUND_HALF_UP"
    )
    granted = [loan for loan in Loan.objects.all() if loan.disbursed_on and loan.disbursed_on <= on]
    assert picture["loans_granted"] == len(granted)
    average = sum(loan.tea_percent for loan in granted) / len(granted)
    assert picture["average_tea_percent"] == average.quantize(D("0.01"))
    interest = sum(
        i.interest_cents for i in Installment.objects.filter(loan__in=granted, version=1)
    )
    informal = sum(loan.informal_cost_cents for loan in granted)
    assert picture["saved_vs_informal"] == (D(informal - interest) / 100).quantize(D("0.01"))
    ages = sum(picture["age_bands"].values())
    assert (
        ages
        == sum(picture["nationality"].values())
        == len([m for m in Membership.objects.all() if m.active_on(on)])
    )
    # Dropouts this cycle and members at its start, one caja at a time.
    from cajas.org.models import Cycle

    dropouts = at_start = 0
    for caja in Caja.objects.all():
        start = Cycle.objects.get(caja=caja, status="open").started_on
        for m in Membership.objects.filter(caja=caja):
            dropouts += m.left_on is not None and start < m.left_on <= on
            at_start += m.active_on(start)
    assert 0 < picture["dropouts"] == dropouts  # the demo's members come and go
    n = len([m for m in Membership.objects.all() if m.active_on(on)])
    assert picture["dropout_percent"] == (D(dropouts) * 100 / n).quantize(
        D("0.01"), "ROUND_HALF_UP"
    )
    assert picture["dropout_percent_of_start"] == (D(dropouts) * 100 / at_start).quantize(
        D("0.01"), "ROUND_HALF_UP"
    )


def test_financial_performance_of_the_cycle_by_hand() -> None:
    """Six members save 50.00 each and pay 1.00 twice to the social fund (cash 312.00). A loan
    of 120.00 at 1.5 % a month (French, 3 months) pays its first installment, 39.41 principal
    + 1.80 interest; later the 80.59 left is written off and a seventh member joins."""
    from cajas.loans.recovery import loan_write_off_approve, loan_write_off_request
    from cajas.meetings.items import repayment_record
    from cajas.members.services import member_enrol
    from tests.factories import disbursed_loan, loan_caja

    caja = loan_caja()
    loan = disbursed_loan(caja)
    first_due = dt.date(2025, 4, 17)
    loan_meeting(
        caja,
        first_due,
        loans=[lambda m: repayment_record(meeting_id=m, loan_id=loan.pk, amount="41.21")],
    )
    # Cash 312.00 − 120.00 + 41.21 = 233.21, of which 12.00 is the social fund's.
    f = indicators(Caja.objects.all(), Filters(), first_due)
    assert f["average_loan"] == D("80.59")
    assert f["loan_fund_utilisation_percent"] == D("26.70")  # 80.59 ÷ (80.59 + 221.21)
    assert f["assets"] == D("313.80")  # 233.21 + 80.59
    assert f["profit"] == D("1.80")
    assert f["return_on_savings_percent"] == D("0.60")  # 1.80 ÷ 300.00
    assert f["roa_percent"] == D("0.57")  # 1.80 ÷ 313.80
    # 101 days since the cycle started: 1.80 × 364 ÷ 101 = 6.49 a year ÷ 313.80
    assert f["roa_annualised_percent"] == D("2.07")
    assert f["membership_growth_percent"] == D("0.00")
    assert f["write_offs_count"] == 0 and f["write_offs_percent"] == D("0.00")

    off = first_due + dt.timedelta(days=120)
    loan_write_off_request(loan_id=loan.pk, member=1, reason="se fue del país", on=off)
    loan_write_off_approve(loan_id=loan.pk, member=2, on=off, recorded_by="tesorera")
    member_enrol(
        caja_id=caja.pk,
        joined_on=off,
        given_names="Nueva",
        family_names="Socia",
        gender="female",
        birth_date=dt.date(1990, 1, 1),
        nationality="VE",
    )
    f = indicators(Caja.objects.all(), Filters(), FOUNDED + dt.timedelta(days=364))
    assert f["average_loan"] == D("0.00") and f["loan_fund_utilisation_percent"] == D("0.00")
    assert f["assets"] == D("233.21")
    assert f["profit"] == D("-78.79")  # 1.80 interest − 80.59 written off
    assert f["return_on_savings_percent"] == D("-26.26")
    assert f["roa_percent"] == f["roa_annualised_percent"] == D("-33.79")  # 52 weeks in
    assert f["write_offs_value"] == D("80.59") and f["write_offs_count"] == 1
    assert f["write_offs_percent"] == D("100.00")  # 1 of the 1 loan handed over this cycle
    assert f["membership_growth_percent"] == D("16.67")  # 6 at the start, 7 now
    assert f["by_territory"]["Quito"]["profit"] == D("-78.79")
