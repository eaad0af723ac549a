"""`make bench` (part 2): the program dashboard query on synthetic programs of 100, 1,000 and
10,000 cajas on PostgreSQL (about 40 members and 12 monthly meetings each, the last ten days
ago, attendance at the last four; about 3,000 journal lines per caja, ~30 million at 10,000),
generated in bulk (COPY on PostgreSQL, `executemany` on SQLite, where the journal is left out
at 10,000 cajas). Prints, for each size, the median time of the dashboard's indicators with
every caja's kept figures fresh, with 30 cajas stale (as after half an hour of meetings), and
the first refresh of all of them after the bulk load. Set BENCH_SIZES=100,1000 to run fewer.
`build` is shared with `bench_pages.py` (the pages over HTTP), which leaves the journal out: the
pages read the kept balances and figures, never the lines (SAVIX reads only write-off entries).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cajas.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from cajas.ledger.chart import CAJA_ACCOUNTS  # noqa: E402
from cajas.monitoring.figures import figures_refresh_stale  # noqa: E402
from cajas.monitoring.indicators import Filters, indicators  # noqa: E402
from cajas.org.models import Caja, Partner, Program, Territory  # noqa: E402

MEMBERS, MEETINGS, LOANS, TERM = 40, 12, 15, 6
# The last meeting ten days ago: the alerts are those of a program that meets.
START = timezone.localdate() - dt.timedelta(days=30 * (MEETINGS - 1) + 10)
ON = timezone.localdate()
TERRITORIES = ["Ambato", "Cuenca", "Guayaquil", "Latacunga", "Loja", "Manta", "Quito", "Riobamba"]


def _next_id(table: str) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608
        return int(cur.fetchone()[0])


def _copy(table: str, columns: list[str], rows: Iterator[tuple[object, ...]]) -> int:
    """Bulk insert: COPY on PostgreSQL, `executemany` in batches on SQLite."""
    if connection.vendor != "postgresql":
        return _insert_many(table, columns, rows)
    n = 0
    with connection.cursor() as cur:
        with cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
        if "id" in columns:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT MAX(id) FROM {table}))"
            )
    return n


def _insert_many(table: str, columns: list[str], rows: Iterator[tuple[object, ...]]) -> int:
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    n, batch = 0, []
    with transaction.atomic(), connection.cursor() as cur:
        for row in rows:
            batch.append(row)
            if len(batch) == 20_000:
                cur.executemany(sql, batch)
                n, batch = n + len(batch), []
        if batch:
            cur.executemany(sql, batch)
            n += len(batch)
    return n


def build(size: int, rng: random.Random, *, journal: bool = True) -> Program:
    program = Program.objects.create(code=f"bench-{size}-{time.time_ns()}", name=f"Bench {size}")
    partners = [
        Partner.objects.create(program=program, code=f"p{i}", name=f"P{i}") for i in range(3)
    ]
    places = [Territory.objects.create(program=program, name=t) for t in TERRITORIES]
    caja0 = _next_id("org_caja")
    cycle0 = _next_id("org_cycle")
    person0 = _next_id("members_person")
    member0 = _next_id("members_membership")
    meeting0 = _next_id("meetings_meeting")
    account0 = _next_id("ledger_account")
    loan0 = _next_id("loans_loan")
    entry0 = _next_id("ledger_journalentry")
    caja_ids = range(caja0, caja0 + size)
    _copy(
        "org_caja",
        [
            "id",
            "program_id",
            "partner_id",
            "territory_id",
            "code",
            "name",
            "founded_on",
            "status",
            "last_seq",
            "last_hash",
        ],
        (
            (
                c,
                program.pk,
                partners[c % 3].pk,
                places[c % 8].pk,
                f"{program.code}-{c}",
                f"Caja {c}",
                START,
                "active",
                0,
                "0" * 64,
            )
            for c in caja_ids
        ),
    )
    _copy(
        "org_cycle",
        ["id", "caja_id", "number", "started_on", "status"],
        ((cycle0 + i, c, 1, START, "open") for i, c in enumerate(caja_ids)),
    )

    def people() -> Iterator[tuple[object, ...]]:
        for i in range(size * MEMBERS):
            yield (
                person0 + i,
                f"B{person0 + i:010d}",
                "Socia",
                "Bench",
                "female" if i % 3 else "male",
                dt.date(1950, 1, 1) + dt.timedelta(days=(i * 7919) % 18_000),  # 1950–1999
                "EC" if i % 5 == 0 else "VE",
                "",
                "none",
                "",
                "",
            )

    _copy(
        "members_person",
        [
            "id",
            "code",
            "given_names",
            "family_names",
            "gender",
            "birth_date",
            "nationality",
            "phone",
            "document_type",
            "document_number",
            "mobility_status",
        ],
        people(),
    )
    _copy(
        "members_membership",
        ["id", "caja_id", "person_id", "number", "role", "joined_on", "left_reason"],
        (
            (member0 + k * MEMBERS + m, c, person0 + k * MEMBERS + m, m + 1, "member", START, "")
            for k, c in enumerate(caja_ids)
            for m in range(MEMBERS)
        ),
    )
    _copy(
        "meetings_meeting",
        [
            "id",
            "caja_id",
            "cycle_id",
            "number",
            "date",
            "kind",
            "status",
            "opened_by",
            "closed_by",
            "cash_difference_cents",
            "notes",
            "sheet",
        ],
        (
            (
                meeting0 + k * MEETINGS + n,
                c,
                cycle0 + k,
                n + 1,
                START + dt.timedelta(days=30 * n),
                "ordinary",
                "closed",
                "b",
                "b",
                -500 if (k + n) % 17 == 0 else 0,  # a cash shortage now and then
                "",
                "recorded",
            )
            for k, c in enumerate(caja_ids)
            for n in range(MEETINGS)
        ),
    )
    # Attendance at each caja's last four meetings (what the health rules and the profile
    # read), one in nine cajas with a third of its members away.
    _copy(
        "meetings_attendance",
        ["meeting_id", "caja_id", "membership_id", "status", "late"],
        (
            (
                meeting0 + k * MEETINGS + n,
                caja_ids[k],
                member0 + k * MEMBERS + m,
                "absent" if k % 9 == 0 and m % 3 == 0 else "present",
                False,
            )
            for k in range(size)
            for n in range(MEETINGS - 4, MEETINGS)
            for m in range(MEMBERS)
        ),
    )
    per_caja = len(CAJA_ACCOUNTS) + MEMBERS + LOANS
    codes = list(CAJA_ACCOUNTS.items())

    def accounts() -> Iterator[tuple[object, ...]]:
        for k, c in enumerate(caja_ids):
            base = account0 + k * per_caja
            for j, (code, kind) in enumerate(codes):
                yield (base + j, c, code, str(kind), None, None, 500_00 if code == "1101" else 0)
            for m in range(MEMBERS):
                yield (
                    base + len(codes) + m,
                    c,
                    f"2101.{m + 1:03d}",
                    "liability",
                    member0 + k * MEMBERS + m,
                    None,
                    120_00,
                )
            for n in range(LOANS):
                yield (
                    base + len(codes) + MEMBERS + n,
                    c,
                    f"1301.{n + 1:04d}",
                    "asset",
                    member0 + k * MEMBERS + n,
                    loan0 + k * LOANS + n,
                    60_00,
                )

    _copy(
        "loans_loan",
        [
            "id",
            "caja_id",
            "number",
            "membership_id",
            "purpose",
            "principal_cents",
            "term",
            "frequency",
            "method",
            "monthly_rate_percent",
            "applied_on",
            "status",
            "tea_percent",
            "cap_percent",
            "cap_segment",
            "informal_cost_cents",
            "disbursed_on",
            "schedule_version",
            "write_off_reason",
            "written_off_cents",
            "recovered_cents",
        ],
        (
            (
                loan0 + k * LOANS + n,
                c,
                n + 1,
                member0 + k * MEMBERS + n,
                "business",
                100_00,
                TERM,
                "monthly",
                "french",
                "1.50",
                START,
                "disbursed",
                "19.56",
                "28.23",
                "microcredito_minorista",
                120_00,
                ON - dt.timedelta(days=30 * (n % 5 + 1)),
                1,
                "",
                0,
                0,
            )
            for k, c in enumerate(caja_ids)
            for n in range(LOANS)
        ),
    )
    _copy(
        "ledger_account",
        ["id", "caja_id", "code", "kind", "membership_id", "loan_id", "balance_cents"],
        accounts(),
    )
    _copy(
        "loans_installment",
        [
            "loan_id",
            "caja_id",
            "version",
            "number",
            "due_date",
            "principal_cents",
            "interest_cents",
            "paid_principal_cents",
            "paid_interest_cents",
            "late_fee_cents",
            "paid_late_fee_cents",
        ],
        (
            (
                loan0 + k * LOANS + n,
                caja_ids[k],
                1,
                i + 1,
                ON - dt.timedelta(days=30 * (n % 5 + 1)) + dt.timedelta(days=30 * (i + 1)),
                1667,
                150,
                1667 if rng.random() < 0.9 else 0,
                150,
                0,
                0,
            )
            for k in range(size)
            for n in range(LOANS)
            for i in range(TERM)
        ),
    )

    # The transactions: 40 share purchases, 40 social-fund payments, 20 repayments and a few
    # fines per meeting, posted as entries with their lines.
    entries_per_meeting = 105
    if not journal or (connection.vendor != "postgresql" and size > 1000):
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        print(f"  {size} cajas: no journal lines (left out)", flush=True)
        return program

    def entries() -> Iterator[tuple[object, ...]]:
        eid = entry0
        for k, c in enumerate(caja_ids):
            seq = 0
            for n in range(MEETINGS):
                day = START + dt.timedelta(days=30 * n)
                for j in range(entries_per_meeting):
                    seq += 1
                    yield (
                        eid,
                        c,
                        seq,
                        day,
                        "share_purchase",
                        "",
                        f"m{n}:{j}",
                        member0 + k * MEMBERS + j % MEMBERS,
                        meeting0 + k * MEETINGS + n,
                        "",
                        "b",
                        day,
                        "d",
                        "p",
                        "h",
                    )
                    eid += 1

    _copy(
        "ledger_journalentry",
        [
            "id",
            "caja_id",
            "seq",
            "date",
            "kind",
            "memo",
            "idempotency_key",
            "membership_id",
            "meeting_id",
            "reason",
            "recorded_by",
            "recorded_at",
            "content_digest",
            "prev_hash",
            "hash",
        ],
        entries(),
    )

    def lines() -> Iterator[tuple[object, ...]]:
        eid = entry0
        for k, c in enumerate(caja_ids):
            base = account0 + k * per_caja
            for _n in range(MEETINGS):
                for j in range(entries_per_meeting):
                    yield (eid, c, base, 500, 0)
                    yield (eid, c, base + len(codes) + j % MEMBERS, 0, 500)
                    if j % 5 == 0:  # a repayment: cash, interest and principal
                        yield (eid, c, base, 200, 0)
                        yield (eid, c, base + 7, 0, 200)
                    eid += 1

    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cur:  # bulk data: the balance trigger would check each entry
        if postgresql:
            cur.execute("ALTER TABLE ledger_journalline DISABLE TRIGGER USER")
    count = _copy(
        "ledger_journalline", ["entry_id", "caja_id", "account_id", "debit", "credit"], lines()
    )
    with connection.cursor() as cur:
        if postgresql:
            cur.execute("ALTER TABLE ledger_journalline ENABLE TRIGGER USER")
        cur.execute("ANALYZE")
    print(f"  {size} cajas: {count:,} journal lines", flush=True)
    return program


def main() -> int:
    if connection.vendor != "postgresql":
        print("bench_dashboard: PostgreSQL only (run through scripts/with-postgres.sh)")
        return 0
    call_command("migrate", interactive=False, verbosity=0)
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "100,1000,10000").split(",")]
    rng = random.Random(2026)
    for size in sizes:
        started = time.perf_counter()
        program = build(size, rng)
        built = time.perf_counter() - started
        cajas = Caja.objects.filter(program=program)
        t = time.perf_counter()
        refreshed = figures_refresh_stale(cajas)  # the bulk load left every caja stale
        refresh_all = time.perf_counter() - t
        indicators(cajas, Filters(), ON)  # warm-up
        times = []
        for _ in range(7):
            t = time.perf_counter()
            figures = indicators(cajas, Filters(), ON)
            times.append(time.perf_counter() - t)
        # Half an hour of meetings at 10,000 cajas meeting monthly on weekdays (~60 closes an
        # hour): 30 cajas closed one since the last view and were marked stale, as a close
        # does; the view refreshes them before it reads.
        ids = list(cajas.values_list("pk", flat=True))
        stale = []
        for k in range(7):
            Caja.objects.filter(pk__in=ids[k * 30 : k * 30 + 30]).update(figures_stale=True)
            t = time.perf_counter()
            indicators(cajas, Filters(), ON)
            stale.append(time.perf_counter() - t)
        print(
            f"postgresql program dashboard, {size:>6} cajas: median "
            f"{statistics.median(times) * 1000:8.1f} ms over 7 | budget 300 ms at 10,000 "
            f"({figures['members']:,} members, PAR30 {figures['par30_percent']} %; "
            f"built in {built:.0f} s)\n"
            f"{'':<29} with 30 cajas stale: median {statistics.median(stale) * 1000:8.1f} ms"
            f" | first refresh of all {refreshed:,} cajas after the bulk load: {refresh_all:.1f} s",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
