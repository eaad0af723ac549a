"""A deterministic demo program (seeded): IOM Ecuador's cajas in the seed's 8 cities.

3 fictional implementing partners, 40 cajas, about 1,500 adult members (mostly Venezuelan,
some Ecuadorian host-community members), 12 monthly meetings each posted through the real
``meeting_close`` service, a few cajas in visible trouble, and a login for each role.
Every figure comes from ``random.Random(SEED)``: the same program every time.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import transaction

from cajas.core.errors import RuleViolation
from cajas.core.money import decimal_string
from cajas.demo.followup import TODAY, TROUBLE, follow_up_visits, informal_credit_answers
from cajas.demo.logins import DemoLogin, logins_create
from cajas.demo.names import CAJA_NAMES, FAMILY, MEN, WOMEN
from cajas.ledger.services import caja_found
from cajas.loans.application import loan_apply, loan_decide, loan_vote
from cajas.loans.models import Loan, LoanGuarantor, LoanStatus
from cajas.loans.recovery import loan_write_off_approve, loan_write_off_request
from cajas.loans.repayment import amount_due_now, amount_owed, days_past_due
from cajas.loans.selectors import borrowing_limit, states_on
from cajas.meetings.close import meeting_close
from cajas.meetings.items import disbursement_record, item_record, repayment_record
from cajas.meetings.models import (
    ATTENDING,
    Attendance,
    AttendanceStatus,
    ItemKind,
    Meeting,
    MeetingKind,
)
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import cash_for_lending, meeting_expected_cash
from cajas.meetings.sheet import SheetRow, meeting_sheet_save
from cajas.members.models import Membership, Role
from cajas.members.selectors import membership_by_number
from cajas.members.services import ConsentGiven, member_code_new, member_enrol
from cajas.org.models import Bylaws, Caja, Partner, Program, Territory
from cajas.org.selectors import bylaws_in_force, bylaws_newest
from cajas.shareouts.services import member_exit, shareout_execute, shareout_preview

SEED = 2026
TERRITORIES = ["Ambato", "Cuenca", "Guayaquil", "Latacunga", "Loja", "Manta", "Quito", "Riobamba"]
PARTNERS = [
    ("manos-unidas", "Fundación Manos Unidas"),
    ("camino-solidario", "Asociación Camino Solidario"),
    ("red-puentes", "Red Puentes de Integración"),
]
CAJAS_PER_TERRITORY = 5
MEETINGS = 12

# Cajas whose bylaws still charge more than the legal cap (the rest were advised to comply).
ABOVE_CAP = {6: ("2.5", "french"), 17: ("2", "flat")}
# The first caja closed its first cycle with a share-out after its 9th meeting.
SHARE_OUT_AFTER = 9


@dataclass
class DemoResult:
    program: Program
    logins: list[DemoLogin] = field(default_factory=list)


def demo_exists() -> bool:
    return Program.objects.filter(code="oim-ecuador").exists()


def demo_build(*, cajas: int | None = None, meetings: int = MEETINGS) -> DemoResult:
    """Build the demo program. ``cajas`` limits how many (tests build a small one)."""
    rng = random.Random(SEED)
    program = Program.objects.create(
        code="oim-ecuador",
        name="OIM Ecuador — Cajas de ahorro comunitarias",
        target_members=1500,
        target_territories=8,
    )
    partners = [Partner.objects.create(program=program, code=c, name=n) for c, n in PARTNERS]
    places = [Territory.objects.create(program=program, name=t) for t in TERRITORIES]
    total = cajas if cajas is not None else CAJAS_PER_TERRITORY * len(TERRITORIES)
    built: list[Caja] = []
    for index in range(total):
        place = places[index % len(places)]
        partner = partners[(index // len(places) + index) % len(partners)]
        founded = TODAY - dt.timedelta(days=30 * (meetings - 1) + 7 + rng.randint(1, 25))
        share_value = rng.choice([200, 300, 500, 500, 500])
        caja = caja_found(
            partner=partner,
            territory=place,
            code=f"{place.name.lower()}-{index // len(places) + 1:02d}",
            name=f"Caja {CAJA_NAMES[index % len(CAJA_NAMES)]}",
            founded_on=founded,
            bylaws={
                "share_value_cents": share_value,
                "max_shares_per_meeting": 5 if share_value < 500 else 3,
                "entry_fee_cents": rng.choice([500, 1000]),
                **_loan_terms(rng, index),
            },
        )
        _enrol_members(caja, rng, founded, size=rng.randint(34, 41))
        _hold_meetings(
            caja,
            rng,
            founded,
            meetings,
            TROUBLE.get(index),
            writes_off=index == 11,
            share_out_after=SHARE_OUT_AFTER if index == 0 else None,
        )
        built.append(caja)
    result = DemoResult(program=program, logins=logins_create(program, partners, built))
    follow_up_visits(rng, built)
    informal_credit_answers(rng, built)
    return result


def _loan_terms(rng: random.Random, index: int) -> dict[str, str]:
    rate = rng.choice(["1.5", "2", "2", "1", "1.75"])
    method = rng.choice(["french", "french", "german", "german"])
    rate, method = ABOVE_CAP.get(index, (rate, method))
    return {"loan_monthly_rate_percent": rate, "loan_interest_method": method}


def _enrol_members(caja: Caja, rng: random.Random, founded: dt.date, size: int) -> None:
    size = min(size, 40)
    roles = ["president", "treasurer", "secretary"] + ["member"] * (size - 3)
    for role in roles:
        _enrol_one(caja, rng, founded, role)


def _enrol_one(caja: Caja, rng: random.Random, joined: dt.date, role: str = "member") -> Membership:
    woman = rng.random() < 0.66
    nationality = rng.choices(["VE", "EC", "CO"], weights=[78, 17, 5])[0]
    age = rng.randint(19, 64)
    birth = joined - dt.timedelta(days=age * 365 + rng.randint(0, 364))
    if nationality == "EC":
        doc, status = "cedula", "host_community"
    else:
        doc = rng.choices(["passport", "foreign_id", "refugee_id", "none"], [40, 25, 10, 25])[0]
        status = rng.choices(
            ["regular", "in_process", "irregular", "refugee", "asylum_seeker"],
            [35, 30, 20, 10, 5],
        )[0]
    return member_enrol(
        caja_id=caja.pk,
        joined_on=joined,
        role=role,
        code=member_code_new(rng),
        given_names=rng.choice(WOMEN if woman else MEN),
        family_names=f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}",
        gender="female" if woman else "male",
        birth_date=birth,
        nationality=nationality,
        phone=f"09{rng.randint(10_000_000, 99_999_999)}",
        document_type=doc,
        document_number="" if doc == "none" else f"{rng.randint(10**8, 10**9 - 1)}",
        mobility_status=status,
        # The demo's members agreed on enrolment (who recorded it is not kept: «recorded»).
        sensitive_data_consent=ConsentGiven(),
    )


def _newcomers(caja: Caja, churn: random.Random, day: dt.date, n: int) -> set[int]:
    """Now and then a neighbour joins (before the meeting opens, so she is on its list)."""
    if not 2 <= n <= 8 or churn.random() >= 0.15:
        return set()
    active = Membership.objects.filter(caja=caja, left_on__isnull=True).count()
    if active >= bylaws_in_force(caja, day).max_members:
        return set()
    return {_enrol_one(caja, churn, day).pk}


def _leavers(meeting: Meeting, churn: random.Random, n: int, trouble: str | None) -> set[int]:
    """Now and then a member leaves (more often where attendance is poor): her savings are
    paid back at the meeting. Only members with no loan and no guarantee open."""
    if n < 2 or churn.random() >= (0.45 if trouble == "low_attendance" else 0.2):
        return set()
    open_statuses = [LoanStatus.APPLIED, LoanStatus.APPROVED, LoanStatus.DISBURSED]
    tied = set(
        Loan.objects.filter(caja=meeting.caja_id, status__in=open_statuses).values_list(
            "membership_id", flat=True
        )
    ) | set(
        LoanGuarantor.objects.filter(
            loan__caja=meeting.caja_id, loan__status__in=open_statuses
        ).values_list("membership_id", flat=True)
    )
    free = [
        m
        for m in Membership.objects.filter(
            caja=meeting.caja_id, left_on__isnull=True, role=Role.MEMBER
        ).order_by("number")
        if m.pk not in tied and m.joined_on < meeting.date
    ]
    if not free:
        return set()
    leaving = churn.choice(free)
    try:
        member_exit(
            meeting_id=meeting.pk,
            member=leaving.number,
            reason=churn.choice(["withdrawal", "withdrawal", "withdrawal", "transfer"]),
            recorded_by="tesoreria",
        )
    except RuleViolation:
        return set()
    Attendance.objects.filter(meeting=meeting, membership=leaving).delete()
    return {leaving.pk}


def _hold_meetings(
    caja: Caja,
    rng: random.Random,
    founded: dt.date,
    meetings: int,
    trouble: str | None,
    *,
    writes_off: bool = False,
    share_out_after: int | None = None,
) -> None:
    bylaws = bylaws_newest(caja)
    churn = random.Random(f"{SEED}:{caja.code}")  # members joining and leaving
    habits: dict[int, str] = {}  # loan id → "good", "late" or "default"
    savings = 0
    held = meetings - 3 if trouble == "stopped_meeting" else meetings
    absent_p = 0.35 if trouble == "low_attendance" else 0.07
    for n in range(held):
        day = founded + dt.timedelta(days=30 * n + 7)
        with transaction.atomic():
            joined = _newcomers(caja, churn, day, n) if n < held - 1 else set()
            meeting = meeting_open(caja_id=caja.pk, date=day, opened_by="tesoreria")
            left = _leavers(meeting, churn, n, trouble) if n < held - 1 else set()
            rows = [
                row
                for row in Attendance.objects.filter(meeting=meeting).select_related("membership")
                if row.membership_id not in left
            ]
            sheet, bought = _sheet(rows, rng, bylaws, absent_p, bylaws.max_capital_cents - savings)
            savings += bought
            meeting_sheet_save(meeting_id=meeting.pk, rows=sheet)
            for row in rows:
                if bylaws.entry_fee_cents and (n == 0 or row.membership_id in joined):
                    item_record(
                        meeting_id=meeting.pk,
                        kind=ItemKind.ENTRY_FEE,
                        amount=decimal_string(bylaws.entry_fee_cents),
                        member=row.membership.number,
                    )
            if rng.random() < 0.3:
                item_record(
                    meeting_id=meeting.pk,
                    kind=ItemKind.EXPENSE,
                    amount=decimal_string(rng.choice([150, 250, 400, 600])),
                    description="Libreta, copias y útiles",
                )
            quiet = share_out_after is not None and share_out_after - 3 <= n < share_out_after
            _loan_activity(caja, meeting, rng, habits, n, held, writes_off, no_new_loans=quiet)
            expected = meeting_expected_cash(meeting=meeting)
            counted = expected
            if trouble == "cash_shortages" and n % 3 == 2:
                counted -= rng.choice([500, 1250, 2000])
            elif rng.random() < 0.01:  # a rare slip in a well-run caja
                counted -= rng.choice([10, 25, 100])
            meeting_close(
                meeting_id=meeting.pk,
                counted_cash=decimal_string(counted),
                closed_by="tesoreria",
                now=dt.datetime.combine(day, dt.time(19, 30), tzinfo=dt.UTC),
            )
        if share_out_after is not None and n + 1 == share_out_after:
            savings = _share_out(caja, rng, day + dt.timedelta(days=3))


def _sheet(
    rows: list[Attendance], rng: random.Random, bylaws: Bylaws, absent_p: float, room: int
) -> tuple[list[SheetRow], int]:
    """Who comes and what each buys, within the ``room`` left under the caja's capital cap.
    Returns the sheet and the cents of shares bought."""
    sheet: list[SheetRow] = []
    bought = 0
    for row in rows:
        status = rng.choices(
            [
                AttendanceStatus.PRESENT,
                AttendanceStatus.ABSENT,
                AttendanceStatus.EXCUSED,
                AttendanceStatus.REPRESENTED,
            ],
            [1 - absent_p - 0.05, absent_p, 0.03, 0.02],
        )[0]
        late = status == AttendanceStatus.PRESENT and rng.random() < 0.08
        shares = 0
        if status in ATTENDING:
            shares = rng.randint(bylaws.min_shares_per_meeting, bylaws.max_shares_per_meeting)
            while shares and shares * bylaws.share_value_cents > room:
                shares -= 1
            if shares < bylaws.min_shares_per_meeting:
                shares = 0
            room -= shares * bylaws.share_value_cents
            bought += shares * bylaws.share_value_cents
        sheet.append(
            SheetRow(
                member=row.membership.number,
                status=status,
                late=late,
                shares=shares,
                social_fund=status in ATTENDING,
            )
        )
    return sheet, bought


PURPOSES = [
    "business",
    "business",
    "business",
    "emergency",
    "education",
    "consumption",
    "housing",
    "informal_payoff",
]


def _loan_activity(
    caja: Caja,
    meeting: Meeting,
    rng: random.Random,
    habits: dict[int, str],
    n: int,
    held: int,
    writes_off: bool,
    *,
    no_new_loans: bool = False,
) -> None:
    """Repayments on the caja's loans (most on time, some late, one never), a write-off after
    90 days, and new loans applied for, voted, approved and handed over at the meeting."""
    day = meeting.date
    for loan in Loan.objects.filter(caja=caja, status=LoanStatus.DISBURSED).order_by("number"):
        habit = habits.get(loan.pk, "good")
        states = states_on(loan, day, bylaws_in_force(caja, day))
        due = amount_due_now(states, day)
        if habit == "default":
            if days_past_due(states, day) > 90 and loan.write_off_requested_by_id is None:
                loan_write_off_request(
                    loan_id=loan.pk,
                    member=1,
                    reason="Dejó de pagar y de asistir; no se la encuentra.",
                    on=day,
                )
                loan_write_off_approve(loan_id=loan.pk, member=2, on=day, recorded_by="tesoreria")
            continue
        if due and not (habit == "late" and rng.random() < 0.4):
            repayment_record(meeting_id=meeting.pk, loan_id=loan.pk, amount=decimal_string(due))
    if n < 2 or n >= held - 2 or no_new_loans:
        return
    busy = set(
        Loan.objects.filter(
            caja=caja, status__in=[LoanStatus.APPLIED, LoanStatus.APPROVED, LoanStatus.DISBURSED]
        ).values_list("membership__number", flat=True)
    )
    candidates = [
        m.number
        for m in Membership.objects.filter(caja=caja, number__gte=4).order_by("number")
        if m.number not in busy and m.active_on(day)
    ]
    for number in rng.sample(candidates, k=min(len(candidates), rng.choice([0, 1, 1, 2, 3]))):
        membership = membership_by_number(caja.pk, number)
        assert membership is not None
        limit = borrowing_limit(caja, membership, day, cash_for_lending(caja_id=caja.pk))
        cash = meeting_expected_cash(meeting=meeting)
        cents = min(
            rng.choice([50, 80, 100, 150, 200, 250, 300, 400]) * 100, limit.by_savings, cash // 2
        )
        cents -= cents % 1000
        if cents < 2000:
            continue
        bylaws = bylaws_in_force(caja, day)
        guarantors = [rng.choice([c for c in candidates if c != number] or [1])]
        try:
            loan = loan_apply(
                caja_id=caja.pk,
                member=number,
                amount=decimal_string(cents),
                term=rng.choice([3, 3, 4, 4, 6, 6, 8]),
                purpose=rng.choice(PURPOSES),
                on=day,
                guarantors=guarantors if cents > bylaws.loan_guarantor_above_cents else [],
                cash_available=cash_for_lending(caja_id=caja.pk),
            )
            for voter, vote in ((1, "yes"), (2, "yes"), (3, rng.choice(["yes", "yes", "no"]))):
                loan_vote(loan_id=loan.pk, member=voter, vote=vote, on=day)
            loan = loan_decide(
                loan_id=loan.pk, on=day, cash_available=cash_for_lending(caja_id=loan.caja_id)
            )
            if loan.status == LoanStatus.APPROVED:
                disbursement_record(meeting_id=meeting.pk, loan_id=loan.pk)
        except RuleViolation:
            continue
        first = writes_off and not habits
        habits[loan.pk] = "default" if first else ("late" if rng.random() < 0.08 else "good")


def _share_out(caja: Caja, rng: random.Random, day: dt.date) -> int:
    """The end-of-cycle assembly: loans still owed are settled, everyone is paid out, some
    members leave part invested, and the next cycle opens. Returns the savings left in."""
    with transaction.atomic():
        meeting = meeting_open(
            caja_id=caja.pk, date=day, opened_by="tesoreria", kind=MeetingKind.ASSEMBLY
        )
        for loan in Loan.objects.filter(caja=caja, status=LoanStatus.DISBURSED):
            owed = amount_owed(states_on(loan, day, bylaws_in_force(caja, day)), day)
            if owed:
                repayment_record(
                    meeting_id=meeting.pk,
                    loan_id=loan.pk,
                    amount=decimal_string(owed),
                    prepay=True,
                )
        meeting_close(
            meeting_id=meeting.pk,
            counted_cash=decimal_string(meeting_expected_cash(meeting=meeting)),
            closed_by="tesoreria",
            now=dt.datetime.combine(day, dt.time(18, 0), tzinfo=dt.UTC),
        )
        assembly = meeting_open(
            caja_id=caja.pk, date=day, opened_by="tesoreria", kind=MeetingKind.ASSEMBLY
        )
        plan = shareout_preview(caja=caja, on=day).plan
        reinvest = {
            p.member: min(2000, p.amount) for p in plan.payouts if p.amount and rng.random() < 0.3
        }
        shareout_execute(
            meeting_id=assembly.pk,
            executed_by="tesoreria",
            reinvest=reinvest,
            now=dt.datetime.combine(day, dt.time(19, 0), tzinfo=dt.UTC),
        )
        meeting_close(
            meeting_id=assembly.pk,
            counted_cash=decimal_string(meeting_expected_cash(meeting=assembly)),
            closed_by="tesoreria",
            now=dt.datetime.combine(day, dt.time(19, 30), tzinfo=dt.UTC),
        )
    return sum(reinvest.values())
