"""`make bench`: the median server time to close the standard meeting (DESIGN.md §11) and its
ratio to the raw-SQL floor, on whatever database DATABASE_URL selects (SQLite by default).

The standard meeting: 40 members each buy shares worth 5.00 and pay 1.00 to the social fund,
20 repay a loan installment (one three-line entry: cash, interest, principal), 10 pay a 0.50
fine: 110 journal entries, 240 lines, one transaction. The loans are applied for, voted,
approved and disbursed through the real services before timing starts; each close falls on the
installments' due date, so every repayment is exactly what is due.
The floor: the same rows inserted with executemany into two plain tables in one transaction.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cajas.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from cajas.core.money import decimal_string  # noqa: E402
from cajas.ledger.models import JournalEntry, JournalLine  # noqa: E402
from cajas.loans.models import Installment, Loan  # noqa: E402
from cajas.loans.services import (  # noqa: E402
    add_period,
    disbursement_record,
    loan_apply,
    loan_decide,
    loan_vote,
    repayment_record,
)
from cajas.meetings.models import (  # noqa: E402
    ItemKind,
    Meeting,
    MeetingItem,
)
from cajas.meetings.services import (  # noqa: E402
    SheetRow,
    meeting_close,
    meeting_expected_cash,
    meeting_open,
    meeting_sheet_save,
)
from cajas.members.models import Membership  # noqa: E402
from cajas.members.services import member_enrol  # noqa: E402
from cajas.org.models import Partner, Program, Territory  # noqa: E402
from cajas.org.services import caja_create  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
START = dt.date(2025, 1, 6)


LOANS = 20


def build_caja() -> int:
    program = Program.objects.create(code=f"bench-{time.time_ns()}", name="Bench")
    partner = Partner.objects.create(program=program, code="p", name="P")
    place = Territory.objects.create(program=program, name="Quito")
    caja = caja_create(
        partner=partner,
        territory=place,
        code=program.code,
        name="Bench",
        founded_on=START,
        bylaws={
            "max_capital_cents": 10**12,
            "loan_min_membership_days": 0,
            "loan_max_term_months": 48,
            "loan_guarantor_above_cents": 10**9,
            "max_shares_per_meeting": 100,
        },
    )
    roles = ["president", "treasurer", "secretary"] + ["member"] * 37
    for i, role in enumerate(roles):
        member_enrol(
            caja_id=caja.pk,
            joined_on=START,
            given_names=f"M{i}",
            family_names="B",
            gender="female",
            birth_date=dt.date(1990, 1, 1),
            nationality="VE",
            role=role,
        )
    # Savings of 250.00 each, then 20 loans of 250.00 disbursed on START.
    setup = meeting_open(caja_id=caja.pk, date=START, opened_by="b")
    meeting_sheet_save(
        meeting_id=setup.pk, rows=[SheetRow(member=n, shares=50) for n in range(1, 41)]
    )
    _close(setup)
    loans = []
    for member in range(4, 4 + LOANS):
        loan = loan_apply(
            caja_id=caja.pk, member=member, amount="250", term=40, purpose="business", on=START
        )
        for voter in (1, 2):
            loan_vote(loan_id=loan.pk, member=voter, vote="yes", on=START)
        loans.append(loan_decide(loan_id=loan.pk, on=START))
    meeting = meeting_open(caja_id=caja.pk, date=START, opened_by="b")
    for loan in loans:
        disbursement_record(meeting_id=meeting.pk, loan_id=loan.pk)
    _close(meeting)
    return caja.pk


def _close(meeting: Meeting) -> None:
    expected = meeting_expected_cash(meeting=meeting)
    meeting_close(meeting_id=meeting.pk, counted_cash=decimal_string(expected), closed_by="b")


def close_one(caja_id: int, n: int) -> float:
    """Meeting n falls on the loans' n-th due date."""
    day = add_period(START, "monthly", n)
    meeting = meeting_open(caja_id=caja_id, date=day, opened_by="b")
    members = list(Membership.objects.filter(caja_id=caja_id).order_by("number"))
    items = []
    for i, m in enumerate(members):
        items.append(
            MeetingItem(
                meeting=meeting, membership=m, kind=ItemKind.SHARES, shares=1, amount_cents=500
            )
        )
        items.append(
            MeetingItem(meeting=meeting, membership=m, kind=ItemKind.SOCIAL_FUND, amount_cents=100)
        )
        if i < 10:
            items.append(
                MeetingItem(
                    meeting=meeting,
                    membership=m,
                    kind=ItemKind.FINE,
                    amount_cents=50,
                    fine_reason="other",
                )
            )
    MeetingItem.objects.bulk_create(items)
    for loan in Loan.objects.filter(caja_id=caja_id).order_by("number"):
        due = Installment.objects.get(loan=loan, version=loan.schedule_version, number=n)
        repayment_record(
            meeting_id=meeting.pk, loan_id=loan.pk, amount=decimal_string(due.payment_cents)
        )
    expected = meeting_expected_cash(meeting=meeting)
    counted = decimal_string(expected)
    started = time.perf_counter()
    meeting_close(meeting_id=meeting.pk, counted_cash=counted, closed_by="b")
    elapsed = time.perf_counter() - started
    assert JournalEntry.objects.filter(meeting=meeting).count() == 110
    assert JournalLine.objects.filter(entry__meeting=meeting).count() == 240
    return elapsed


def raw_floor(n: int) -> float:
    base = n * 1000
    entries = [
        (base + i, 1, base + i, "2025-01-13", "share_purchase", "memo", f"k{base + i}", "0" * 64)
        for i in range(110)
    ]
    lines = [
        (base + i, f"acct{j}", 500 if j == 0 else 0, 0 if j == 0 else 500)
        for i in range(90)
        for j in range(2)
    ]
    lines += [
        (base + i, f"acct{j}", 2700 if j == 0 else 0, [0, 200, 2500][j])
        for i in range(90, 110)
        for j in range(3)
    ]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO bench_entry (id, caja_id, seq, date, kind, memo, ikey, hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            entries,
        )
        cur.executemany(
            "INSERT INTO bench_line (entry_id, account, debit, credit) VALUES (%s, %s, %s, %s)",
            lines,
        )
    return time.perf_counter() - started


def main() -> int:
    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_line")
        cur.execute("DROP TABLE IF EXISTS bench_entry")
        cur.execute(
            "CREATE TABLE bench_entry (id bigint PRIMARY KEY, caja_id bigint, seq integer,"
            " date date, kind varchar(20), memo varchar(200), ikey varchar(120),"
            " hash varchar(64))"
        )
        cur.execute(
            "CREATE TABLE bench_line (id integer PRIMARY KEY "
            + ("AUTOINCREMENT" if connection.vendor == "sqlite" else "GENERATED ALWAYS AS IDENTITY")
            + ", entry_id bigint REFERENCES bench_entry(id), account varchar(20),"
            " debit bigint, credit bigint)"
        )
    caja_id = build_caja()
    close_one(caja_id, 1)  # warm-up
    raw_floor(0)
    closes = [close_one(caja_id, n) for n in range(2, ROUNDS + 2)]
    floors = [raw_floor(n) for n in range(1, ROUNDS + 1)]
    close_ms = statistics.median(closes) * 1000
    floor_ms = statistics.median(floors) * 1000
    print(
        f"{connection.vendor:<10} close standard meeting (110 entries, 240 lines): "
        f"median {close_ms:7.2f} ms over {ROUNDS} | raw-SQL floor {floor_ms:6.2f} ms | "
        f"ratio {close_ms / floor_ms:5.1f}x | budget 150 ms, 3x"
    )
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_line")
        cur.execute("DROP TABLE bench_entry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
