"""`make bench` (the pages users wait for): `/program/`, `/program/alerts/` and the SAVIX export
timed over HTTP (Django's test client, a program admin logged in with the second factor) on
the synthetic programs of `bench_dashboard.py` (100, 1,000 and 10,000 cajas), on whatever
database DATABASE_URL selects. Each page: the median of 5 warm requests, its queries and size,
and a floor from the same run: a bare SELECT of the rows the page reads (for `/program/` the
kept figures summed per territory and partner and each caja's kept health row, decision 0009;
the kept health rows for the alerts; memberships and accounts for SAVIX). The synthetic
programs are built without their journal (the pages read kept balances and figures, never
lines; SAVIX reads only the write-off entries, of which there are none here). The first view
after the bulk load, which refreshes every caja's kept figures, is printed apart, and so is the
SAVIX Excel prepared in the background (timed whole, written within the request) with its
status page. Set
BENCH_SIZES=100,1000 to run fewer.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.helpers: the 2FA login

from bench_dashboard import build
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from tests.helpers import force_login

from cajas.access.models import StaffAssignment, StaffRole
from cajas.monitoring.models import ProgramExport
from cajas.org.models import Caja, Program

SUMS = ("monitoring_flowsum", "monitoring_statesum", "monitoring_risksum", "monitoring_cyclesum")


def _get(client: Client, url: str) -> tuple[float, float, int]:
    """One request read to its last byte: seconds to the first byte and to the last, size."""
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if response.streaming:
        chunks = iter(response.streaming_content)  # type: ignore[attr-defined]
        first = next(chunks)
        first_at = time.perf_counter() - started
        size = len(first) + sum(len(chunk) for chunk in chunks)
    else:
        first_at, size = time.perf_counter() - started, len(response.content)
    return first_at, time.perf_counter() - started, size


def _page(client: Client, url: str, rounds: int = 5) -> dict[str, Any]:
    _get(client, url)  # warm
    runs = [_get(client, url) for _ in range(rounds)]
    with CaptureQueriesContext(connection) as queries:
        _get(client, url)
    return {
        "ms": statistics.median(r[1] for r in runs) * 1000,
        "first_ms": statistics.median(r[0] for r in runs) * 1000,
        "bytes": runs[0][2],
        "queries": len(queries.captured_queries),
    }


def _floor(program: Program, tables: list[tuple[str, str]], summed: tuple[str, ...] = ()) -> float:
    """Median of 5 bare SELECTs (fetched) of ``tables``' rows of the program's cajas and of
    the ``summed`` tables' rows of its territories (the sums per territory and partner)."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        with connection.cursor() as cur:
            for table, columns in tables:
                cur.execute(
                    f"SELECT {columns} FROM {table} t WHERE t.caja_id IN "  # noqa: S608
                    "(SELECT id FROM org_caja WHERE program_id = %s)",
                    [program.pk],
                )
                cur.fetchall()
            for table in summed:
                cur.execute(
                    f"SELECT * FROM {table} t WHERE t.territory_id IN "  # noqa: S608
                    "(SELECT id FROM org_territory WHERE program_id = %s)",
                    [program.pk],
                )
                cur.fetchall()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _admin(program: Program) -> Client:
    user = User.objects.create_user(username=f"admin-{program.code}")
    StaffAssignment.objects.create(user=user, role=StaffRole.PROGRAM_ADMIN, program=program)
    client = Client()
    force_login(client, user)
    return client


def main() -> int:
    call_command("migrate", interactive=False, verbosity=0)
    vendor = connection.vendor
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "100,1000,10000").split(",")]
    rng = random.Random(2026)
    for size in sizes:
        started = time.perf_counter()
        program = build(size, rng, journal=False)  # the pages never read journal lines
        built = time.perf_counter() - started
        client = _admin(program)
        first = _get(client, "/program/")[1]  # refreshes every caja's kept figures
        floors = {
            # The page reads the sums per territory and partner and each caja's kept health.
            "/program/": _floor(program, [("monitoring_figurehealth", "*")], SUMS),
            "/program/alerts/": _floor(program, [("monitoring_figurehealth", "*")]),
            "/program/?format=savix": _floor(
                program,
                [
                    ("members_membership", "t.caja_id, t.person_id, t.joined_on, t.left_on"),
                    ("ledger_account", "t.caja_id, t.code, t.balance_cents"),
                ],
            ),
        }
        print(
            f"{vendor} pages over HTTP, {size:>6} cajas (built in {built:.0f} s; first view "
            f"after the bulk load, refreshing every caja's kept figures: {first:.1f} s)",
            flush=True,
        )
        for url, floor in floors.items():
            rounds = 3 if "savix" in url else 5
            p = _page(client, url, rounds)
            budget = {100: "", 1000: " | budget 150 ms", 10000: " | budget 300 ms"}.get(size, "")
            if "savix" in url:
                budget = " | budget 10 s at 10,000" if size == 10000 else ""
            print(
                f"  {url:<24} median {p['ms']:9.1f} ms over {rounds} (first byte "
                f"{p['first_ms']:7.1f} ms), {p['queries']:>3} queries, {p['bytes']:>9,} bytes"
                f" | floor {floor:7.1f} ms: {p['ms'] / floor:5.1f}x{budget}",
                flush=True,
            )
        # The SAVIX Excel, prepared in the background (here written within the request, to time
        # it whole: the thread's work), and the status page that follows it.
        times = []
        with override_settings(CAJAS_EXPORTS_INLINE=True):
            for _ in range(3):
                start = time.perf_counter()
                client.post("/program/exports/", {})
                times.append(time.perf_counter() - start)
        xlsx_s = statistics.median(times)
        export = ProgramExport.objects.latest("created_at")
        status = _page(client, f"/program/exports/{export.pk}/")
        print(
            f"  {'SAVIX Excel (background)':<24} median {xlsx_s * 1000:9.1f} ms over 3 to prepare "
            f"({export.status}, {export.total:,} cajas, {export.size or 0:,} bytes) | floor "
            f"{floors['/program/?format=savix']:7.1f} ms: "
            f"{xlsx_s * 1000 / floors['/program/?format=savix']:5.1f}x; its status page "
            f"{status['ms']:.1f} ms, {status['queries']} queries",
            flush=True,
        )
        ids = list(Caja.objects.filter(program=program).values_list("pk", flat=True))
        stale = []
        for k in range(5):  # 30 cajas closed a meeting since the last view
            Caja.objects.filter(pk__in=ids[k * 30 : k * 30 + 30]).update(figures_stale=True)
            stale.append(_get(client, "/program/")[1])
        print(
            f"  {'/program/, 30 cajas stale':<24} median {statistics.median(stale) * 1000:9.1f} ms"
            " over 5",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
