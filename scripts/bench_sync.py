"""`make bench`: what the offline-first meeting screen waits for when the signal returns — the
sync of a 40-member meeting through ``POST /api/v1/…/changes`` over HTTP (Django test client),
in requests, queries and milliseconds (docs/offline.md).

Two cases, each median over BENCH_ROUNDS meetings of a 40-member caja:
- the whole sheet changed on the phone: 40 line changes (one request, as the screen batches
  them by 40), then «todo como de costumbre» and the close (a second request);
- the usual meeting with 6 exceptions: the 6 changes and «todo como de costumbre» (one request
  and the screen's fetch of its computed parts), then the close (one request).
Floor, in the same run: the same writes by calling the services directly (one sheet save of
the changed lines, the confirmation, the close), no HTTP, no keys, no merge.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
import bench
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cajas.core.money import decimal_string
from cajas.loans.schedule import add_period
from cajas.meetings.close import meeting_close
from cajas.meetings.opening import meeting_start
from cajas.meetings.selectors import meeting_expected_cash
from cajas.meetings.sheet import SheetRow, meeting_sheet_confirm, meeting_sheet_save
from cajas.meetings.sync import sheet_now
from cajas.members.models import Membership

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30")) // 3 or 1


def _key() -> str:
    return uuid.uuid4().hex


def _row(member: int, line: dict[str, Any], **values: Any) -> dict[str, Any]:
    base = {k: line[k] for k in values}
    return {"key": _key(), "kind": "row", "member": member, "values": values, "base": base}


class Phone:
    def __init__(self, caja_id: int) -> None:
        user, _created = User.objects.get_or_create(username="bench-sync")
        treasurer = Membership.objects.get(caja_id=caja_id, number=2)
        treasurer.person.user = user
        treasurer.person.save(update_fields=["user"])
        self.client = Client()
        self.client.force_login(user)
        self.caja_id = caja_id
        self.requests = 0
        self.queries = 0

    def post(self, number: int, changes: list[dict[str, Any]]) -> dict[str, Any]:
        url = f"/api/v1/cajas/{self.caja_id}/meetings/{number}/changes"
        with CaptureQueriesContext(connection) as queries:
            answer = self.client.post(
                url, {"device": "bench", "changes": changes}, content_type="application/json"
            )
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert all(r["status"] == "applied" for r in body["results"]), body["results"]
        self.requests += 1
        self.queries += len(queries)
        return body

    def fragments(self, number: int) -> None:
        with CaptureQueriesContext(connection) as queries:
            answer = self.client.get(f"/cajas/{self.caja_id}/meetings/{number}/fragments/")
        assert answer.status_code == 200
        self.requests += 1
        self.queries += len(queries)


def _close_change(meeting: Any) -> dict[str, Any]:
    counted = decimal_string(meeting_expected_cash(meeting=meeting))
    return {"key": _key(), "kind": "close", "counted_cash": counted}


def whole_sheet(phone: Phone, meeting: Any) -> None:
    lines = sheet_now(meeting)
    phone.post(
        meeting.number,
        [_row(n, lines[n], shares=int(lines[n]["shares"]) + 1) for n in sorted(lines)],
    )
    phone.post(meeting.number, [{"key": _key(), "kind": "usual"}, _close_change(meeting)])


def six_exceptions(phone: Phone, meeting: Any) -> None:
    lines = sheet_now(meeting)
    changes = [
        _row(10, lines[10], status="absent"),
        _row(11, lines[11], late=True),
        _row(12, lines[12], shares=int(lines[12]["shares"]) + 2),
        _row(13, lines[13], fund=False),
        _row(14, lines[14], status="excused"),
        _row(15, lines[15], shares=int(lines[15]["shares"]) + 1),
        {"key": _key(), "kind": "usual"},
    ]
    phone.post(meeting.number, changes)
    phone.fragments(meeting.number)
    phone.post(meeting.number, [_close_change(meeting)])


def floor(meeting: Any) -> None:
    lines = sheet_now(meeting)
    meeting_sheet_save(
        meeting_id=meeting.pk,
        rows=[
            SheetRow(
                member=n,
                status=str(line["status"]),
                late=bool(line["late"]),
                shares=int(line["shares"]) + 1,
                social_fund=bool(line["fund"]),
            )
            for n, line in sorted(lines.items())
        ],
    )
    meeting_sheet_confirm(meeting_id=meeting.pk, zero_shares_confirmed=True)
    meeting_close(
        meeting_id=meeting.pk,
        counted_cash=decimal_string(meeting_expected_cash(meeting=meeting)),
        closed_by="bench",
    )


def main() -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    caja_id = bench.build_caja()
    phone = Phone(caja_id)
    month = [100]

    def next_meeting() -> Any:
        month[0] += 1
        day = add_period(bench.START, "monthly", month[0])
        return meeting_start(caja_id=caja_id, date=day, opened_by="b", today=bench.FAR)

    figures: dict[str, list[float]] = {"whole": [], "six": [], "floor": []}
    counts: dict[str, tuple[int, int]] = {}
    for case, run in (("whole", whole_sheet), ("six", six_exceptions)):
        run(phone, next_meeting())  # warm-up
        for _ in range(ROUNDS):
            phone.requests = phone.queries = 0
            meeting = next_meeting()
            t0 = time.perf_counter()
            run(phone, meeting)
            figures[case].append(time.perf_counter() - t0)
            counts[case] = (phone.requests, phone.queries)
    floor(next_meeting())
    for _ in range(ROUNDS):
        meeting = next_meeting()
        t0 = time.perf_counter()
        floor(meeting)
        figures["floor"].append(time.perf_counter() - t0)
    ms = {k: statistics.median(v) * 1000 for k, v in figures.items()}
    vendor = connection.vendor
    print(
        f"{vendor:<10} sync, 40 lines changed + usual + close: median {ms['whole']:7.2f} ms, "
        f"{counts['whole'][0]} requests, {counts['whole'][1]} queries over {ROUNDS}\n"
        f"{'':<10} sync, 6 exceptions + usual, screen refresh, close: median {ms['six']:7.2f} ms, "
        f"{counts['six'][0]} requests, {counts['six'][1]} queries\n"
        f"{'':<10} floor (the same services called directly)      {ms['floor']:7.2f} ms: "
        f"whole-sheet sync {ms['whole'] / ms['floor']:4.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
