"""`make bench`: the median server time to close the standard meeting (docs/domain.md §11) and its
ratio to the raw-SQL floor, on whatever database DATABASE_URL selects (SQLite by default).

The standard meeting: 40 members each buy shares worth 5.00 and pay 1.00 to the social fund,
20 repay a loan installment (one three-line entry: cash, interest, principal), 10 pay a 0.50
fine: 110 journal entries, 240 lines, one transaction. The loans are applied for, voted,
approved and disbursed through the real services before timing starts; each close falls on the
installments' due date, so every repayment is exactly what is due.
Two floors, both one transaction of `executemany`:
- schema floor: the very rows the close wrote (every column, real values) inserted into the real
  journal tables, with their indexes, constraints and triggers, for a mirror caja;
- bare floor: rows of the same count inserted into two plain tables with 8 and 4 columns and no
  index but the primary key (the floor earlier sessions reported).
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
from cajas.ledger.services import caja_found  # noqa: E402
from cajas.loans.application import loan_apply, loan_decide, loan_vote  # noqa: E402
from cajas.loans.models import Installment, Loan  # noqa: E402
from cajas.loans.schedule import add_period  # noqa: E402
from cajas.meetings.close import meeting_close  # noqa: E402
from cajas.meetings.items import disbursement_record, repayment_record  # noqa: E402
from cajas.meetings.models import (  # noqa: E402
    ItemKind,
    Meeting,
    MeetingItem,
)
from cajas.meetings.opening import meeting_open  # noqa: E402
from cajas.meetings.selectors import cash_for_lending, meeting_expected_cash  # noqa: E402
from cajas.meetings.sheet import SheetRow, meeting_sheet_save  # noqa: E402
from cajas.members.models import Membership  # noqa: E402
from cajas.members.services import member_enrol  # noqa: E402
from cajas.org.models import Partner, Program, Territory  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
START = dt.date(2025, 1, 6)
FAR = dt.date(2100, 1, 1)  # the bench's meetings run into the future of the calendar


LOANS = 20


def build_caja() -> int:
    program = Program.objects.create(code=f"bench-{time.time_ns()}", name="Bench")
    partner = Partner.objects.create(program=program, code="p", name="P")
    place = Territory.objects.create(program=program, name="Quito")
    caja = caja_found(
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
            caja_id=caja.pk,
            member=member,
            amount="250",
            term=40,
            purpose="business",
            on=START,
            cash_available=cash_for_lending(caja_id=caja.pk),
        )
        for voter in (1, 2):
            loan_vote(loan_id=loan.pk, member=voter, vote="yes", on=START)
        loans.append(
            loan_decide(
                loan_id=loan.pk, on=START, cash_available=cash_for_lending(caja_id=loan.caja_id)
            )
        )
    meeting = meeting_open(caja_id=caja.pk, date=START, opened_by="b", kind="extraordinary")
    for loan in loans:
        disbursement_record(meeting_id=meeting.pk, loan_id=loan.pk)
    _close(meeting)
    return caja.pk


def _close(meeting: Meeting) -> None:
    expected = meeting_expected_cash(meeting=meeting)
    meeting_close(meeting_id=meeting.pk, counted_cash=decimal_string(expected), closed_by="b")


def close_one(caja_id: int, n: int) -> tuple[float, Meeting]:
    """Meeting n falls on the loans' n-th due date."""
    day = add_period(START, "monthly", n)
    meeting = meeting_open(caja_id=caja_id, date=day, opened_by="b", today=FAR)
    members = list(Membership.objects.filter(caja_id=caja_id).order_by("number"))
    items = []
    for i, m in enumerate(members):
        items.append(
            MeetingItem(
                meeting=meeting,
                caja_id=caja_id,
                membership=m,
                kind=ItemKind.SHARES,
                shares=1,
                amount_cents=500,
            )
        )
        items.append(
            MeetingItem(
                meeting=meeting,
                caja_id=caja_id,
                membership=m,
                kind=ItemKind.SOCIAL_FUND,
                amount_cents=100,
            )
        )
        if i < 10:
            items.append(
                MeetingItem(
                    meeting=meeting,
                    caja_id=caja_id,
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
    return elapsed, meeting


ENTRY_COLUMNS = (
    "caja_id, seq, date, kind, memo, idempotency_key, membership_id, meeting_id, reverses_id, "
    "reason, recorded_by, recorded_at, content_digest, prev_hash, hash"
)


class Mirror:
    """A second caja whose book receives, by plain executemany, copies of the rows each timed
    close wrote: the cost of inserting exactly those rows into the real schema."""

    def __init__(self, caja_id: int) -> None:
        self.caja_id = caja_id
        self.seq = JournalEntry.objects.filter(caja_id=caja_id).count()

    @staticmethod
    def _ids(count: int) -> list[int]:
        """Entry ids taken the way the database would give them (outside the timing)."""
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute(
                    "SELECT nextval(pg_get_serial_sequence('ledger_journalentry', 'id')) "
                    "FROM generate_series(1, %s)",
                    [count],
                )
                return [row[0] for row in cur.fetchall()]
            cur.execute("SELECT max(id) FROM ledger_journalentry")
            top = cur.fetchone()[0]
            return list(range(top + 1, top + 1 + count))

    def rows_of(
        self, meeting: Meeting
    ) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        with connection.cursor() as cur:
            cur.execute("SELECT code, id FROM ledger_account WHERE caja_id = %s", [self.caja_id])
            mirror_account = dict(cur.fetchall())
            cur.execute(
                f"SELECT id, {ENTRY_COLUMNS} FROM ledger_journalentry "  # noqa: S608
                "WHERE meeting_id = %s ORDER BY seq",
                [meeting.pk],
            )
            source = cur.fetchall()
            cur.execute(
                "SELECT l.entry_id, a.code, l.debit, l.credit FROM ledger_journalline l "
                "JOIN ledger_account a ON a.id = l.account_id "
                "JOIN ledger_journalentry e ON e.id = l.entry_id "
                "WHERE e.meeting_id = %s ORDER BY l.id",
                [meeting.pk],
            )
            source_lines = cur.fetchall()
        new_id: dict[int, int] = {}
        entries = []
        for row, entry_id in zip(source, self._ids(len(source)), strict=True):
            self.seq += 1
            new_id[row[0]] = entry_id
            values = list(row[1:])
            values[0], values[1] = self.caja_id, self.seq
            values[5] = f"mirror:{self.seq}"
            values[6] = None  # the mirror caja's members are not the source's
            entries.append((entry_id, *values))
        lines = [
            (new_id[entry_id], self.caja_id, mirror_account[code], debit, credit)
            for entry_id, code, debit, credit in source_lines
        ]
        return entries, lines

    def insert(self, meeting: Meeting) -> float:
        entries, lines = self.rows_of(meeting)
        placeholders = ", ".join(["%s"] * len(entries[0]))
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(
                f"INSERT INTO ledger_journalentry (id, {ENTRY_COLUMNS}) "  # noqa: S608
                f"VALUES ({placeholders})",
                entries,
            )
            if connection.vendor == "postgresql":
                # One statement: the balance trigger checks each statement's entries whole.
                cur.execute(
                    "INSERT INTO ledger_journalline (entry_id, caja_id, account_id, debit, credit) "
                    "VALUES " + ", ".join(["(%s, %s, %s, %s, %s)"] * len(lines)),
                    [value for line in lines for value in line],
                )
            else:
                cur.executemany(
                    "INSERT INTO ledger_journalline (entry_id, caja_id, account_id, debit, credit) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    lines,
                )
        return time.perf_counter() - started


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


def sheet_figures(caja_id: int, n: int) -> str:
    """What the treasurer's phone waits for before the close: the whole sheet of 40 members
    saved over HTTP (the form without JavaScript) and one line changed in place, with their
    query counts; the floor is the same 40 attendance rows and 80 items written with bare
    `executemany` into two plain tables."""
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cajas.meetings.opening import meeting_start

    user, _created = User.objects.get_or_create(username="bench-treasurer")
    treasurer = Membership.objects.get(caja_id=caja_id, number=2)  # the caja's treasurer
    treasurer.person.user = user
    treasurer.person.save(update_fields=["user"])
    client = Client()
    client.force_login(user)
    saves, edits, floors, save_queries, edit_queries = [], [], [], 0, 0
    for k in range(ROUNDS):
        day = add_period(START, "monthly", n + k)
        meeting = meeting_start(
            caja_id=caja_id, date=day, opened_by="b", kind="extraordinary", today=FAR
        )
        url = f"/cajas/{caja_id}/meetings/{meeting.number}/"
        form = {}
        for m in range(1, 41):
            form |= {
                f"status_{m}": "present",
                f"shares_{m}": str(1 + (m + k) % 3),
                f"fund_{m}": "on",
            }
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            response = client.post(f"{url}sheet/", form)
            saves.append(time.perf_counter() - t0)
        assert response.status_code == 302, response.status_code
        save_queries = len(queries)
        row = {"status_7": "absent", "shares_7": "0"}
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            response = client.post(f"{url}rows/7/", row, HTTP_X_CAJAS_INPLACE="1")
            edits.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.status_code
        edit_queries = len(queries)
        floors.append(_sheet_floor(k))
        MeetingItem.objects.filter(meeting=meeting).delete()
        meeting.attendance.all().delete()
        meeting.delete()
    save_ms, edit_ms = statistics.median(saves) * 1000, statistics.median(edits) * 1000
    floor_ms = statistics.median(floors) * 1000
    return (
        f"{'':<10} sheet save, 40 members over HTTP: median {save_ms:6.2f} ms, "
        f"{save_queries} queries (the same at 10 members: a test)\n"
        f"{'':<10} one line changed in place over HTTP: median {edit_ms:6.2f} ms, "
        f"{edit_queries} queries\n"
        f"{'':<10} floor (40 + 80 rows, bare executemany)  {floor_ms:6.2f} ms: "
        f"sheet save {save_ms / floor_ms:4.1f}x"
    )


def _sheet_floor(k: int) -> float:
    with connection.cursor() as cur:
        cur.execute("DELETE FROM bench_line")
        cur.execute("DELETE FROM bench_entry")
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO bench_entry (id, caja_id, seq, date, kind, memo, ikey, hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [(i, 1, i, START, "present", "", f"a{k}-{i}", "") for i in range(1, 41)],
        )
        cur.executemany(
            "INSERT INTO bench_line (entry_id, account, debit, credit) VALUES (%s, %s, %s, %s)",
            [(1 + i % 40, "shares", 500, 0) for i in range(80)],
        )
    return time.perf_counter() - t0


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
    mirror = Mirror(build_caja())
    _elapsed, meeting = close_one(caja_id, 1)  # warm-up
    mirror.insert(meeting)
    raw_floor(0)
    closes, schema_floors = [], []
    for n in range(2, ROUNDS + 2):
        elapsed, meeting = close_one(caja_id, n)
        closes.append(elapsed)
        schema_floors.append(mirror.insert(meeting))
    floors = [raw_floor(n) for n in range(1, ROUNDS + 1)]
    close_ms = statistics.median(closes) * 1000
    schema_ms = statistics.median(schema_floors) * 1000
    floor_ms = statistics.median(floors) * 1000
    print(
        f"{connection.vendor:<10} close standard meeting (110 entries, 240 lines): "
        f"median {close_ms:6.2f} ms over {ROUNDS} (budget 150 ms)\n"
        f"{'':<10} schema floor (same rows, real journal tables) {schema_ms:6.2f} ms: "
        f"ratio {close_ms / schema_ms:4.1f}x (budget 3x)\n"
        f"{'':<10} bare floor (same counts, two plain tables)   {floor_ms:6.2f} ms: "
        f"ratio {close_ms / floor_ms:4.1f}x"
    )
    print(sheet_figures(caja_id, ROUNDS + 2))
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_line")
        cur.execute("DROP TABLE bench_entry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
