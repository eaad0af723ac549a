"""`make bench` (the close with history): the standard meeting's close (docs/domain.md §11: 110
entries, 240 lines, 20 loan repayments) after 10, 100 and 1,000 meetings of the same caja, on
whatever database DATABASE_URL selects. The meetings in between are real closes through the
services (extraordinary meetings where the 40 members each buy a share: 40 entries each), so
the journal, the meetings, the attendance and the items grow as they would. Each figure is
the median of 3 standard closes, with the bare floor of the same run (the median of 10 writes of
110 + 240 rows with `executemany` into two plain tables). Set BENCH_CLOSE_AFTER=10,100 to run fewer.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from bench import FAR, START, build_caja, close_one, raw_floor  # sets Django up
from django.core.management import call_command
from django.db import connection

from cajas.core.money import decimal_string
from cajas.loans.schedule import add_period
from cajas.meetings.close import meeting_close
from cajas.meetings.models import ItemKind, Meeting, MeetingItem
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import meeting_expected_cash
from cajas.members.models import Membership


def light_meeting(caja_id: int, members: list[Membership], n: int) -> None:
    """An extraordinary meeting on the day of the loans' n-th due date (0: the day they were
    handed over) where every member buys one share: 40 entries."""
    day = add_period(START, "monthly", n)
    meeting = meeting_open(
        caja_id=caja_id, date=day, opened_by="b", kind="extraordinary", today=FAR
    )
    MeetingItem.objects.bulk_create(
        MeetingItem(
            caja_id=caja_id,
            meeting=meeting,
            membership=m,
            kind=ItemKind.SHARES,
            shares=1,
            amount_cents=500,
        )
        for m in members
    )
    expected = meeting_expected_cash(meeting=meeting)
    meeting_close(meeting_id=meeting.pk, counted_cash=decimal_string(expected), closed_by="b")


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
    checkpoints = [int(s) for s in os.environ.get("BENCH_CLOSE_AFTER", "10,100,1000").split(",")]
    caja_id = build_caja()  # two meetings: the savings and the 20 loans handed over
    members = list(Membership.objects.filter(caja_id=caja_id).order_by("number"))
    due = 1  # the next installment the standard closes pay
    started = time.perf_counter()
    for checkpoint in checkpoints:
        while Meeting.objects.filter(caja_id=caja_id).count() < checkpoint - 1:
            light_meeting(caja_id, members, due - 1)
        closes = []
        for _ in range(3):
            elapsed, _meeting = close_one(caja_id, due)
            closes.append(elapsed)
            due += 1
        floors = [raw_floor(checkpoint * 10 + k) for k in range(10)]
        close_ms = statistics.median(closes) * 1000
        floor_ms = statistics.median(floors) * 1000
        meetings = Meeting.objects.filter(caja_id=caja_id).count()
        print(
            f"{connection.vendor:<10} close after {checkpoint:>5} meetings: median "
            f"{close_ms:6.2f} ms over 3 ({meetings} meetings now) | bare floor "
            f"{floor_ms:5.2f} ms: "
            f"{close_ms / floor_ms:4.1f}x",
            flush=True,
        )
    print(f"{'':<10} (history built through the services in {time.perf_counter() - started:.0f} s)")
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_line")
        cur.execute("DROP TABLE bench_entry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
