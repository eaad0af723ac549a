"""The ``meetings`` section of the export: each meeting with its attendance and items."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cajas.books.format import plain
from cajas.loans.models import Loan
from cajas.meetings.models import Attendance, Meeting, MeetingItem
from cajas.org.models import Caja

CHUNK = 200
"""Meetings read at a time, with their attendance and items."""


def meetings_export(
    caja: Caja, meetings: list[Meeting], number_of: dict[int, int]
) -> Iterator[dict[str, Any]]:
    loan_number = dict(Loan.objects.filter(caja=caja).values_list("id", "number"))
    for start in range(0, len(meetings), CHUNK):
        chunk = meetings[start : start + CHUNK]
        yield from _meetings_chunk(chunk, number_of, loan_number)


def _meetings_chunk(
    meetings: list[Meeting], number_of: dict[int, int], loan_number: dict[int, int]
) -> Iterator[dict[str, Any]]:
    ids = [m.pk for m in meetings]
    attendance: dict[int, list[list[Any]]] = {}
    for meeting_id, membership_id, status, late in (
        Attendance.objects.filter(meeting__in=ids)
        .order_by("meeting_id", "membership__number")
        .values_list("meeting_id", "membership_id", "status", "late")
    ):
        attendance.setdefault(meeting_id, []).append([number_of[membership_id], status, late])
    items: dict[int, list[dict[str, Any]]] = {}
    for i in MeetingItem.objects.filter(meeting__in=ids).order_by("meeting_id", "id"):
        items.setdefault(i.meeting_id, []).append(
            {
                "member": number_of.get(i.membership_id) if i.membership_id else None,
                "kind": i.kind,
                "shares": i.shares,
                "amount_cents": i.amount_cents,
                "description": i.description,
                "fine_reason": i.fine_reason,
                "proposed": i.proposed,
                "waived": i.waived,
                "loan": loan_number.get(i.loan_id or 0),
                "prepay": i.prepay,
            }
        )
    for m in meetings:
        yield {
            "number": m.number,
            "cycle": m.cycle.number,
            "date": plain(m.date),
            "kind": m.kind,
            "status": m.status,
            "opened_by": m.opened_by,
            "closed_by": m.closed_by,
            "closed_at": plain(m.closed_at),
            "expected_cash_cents": m.expected_cash_cents,
            "counted_cash_cents": m.counted_cash_cents,
            "cash_difference_cents": m.cash_difference_cents,
            "notes": m.notes,
            "attendance": attendance.get(m.pk, []),
            "items": items.get(m.pk, []),
        }
