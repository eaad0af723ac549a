"""The ``meetings`` section: each meeting with its attendance and items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from cajas.books.format import repeated, show
from cajas.books.importer.bulk import insert_dicts, reserve_ids
from cajas.books.importer.shape import MEETING
from cajas.books.importer.state import Plan
from cajas.books.importer.values import date_value, int_value, stamp_value
from cajas.loans.models import Loan
from cajas.meetings.models import (
    LOAN_ITEM_KINDS,
    Attendance,
    AttendanceStatus,
    ItemKind,
    Meeting,
    MeetingItem,
    MeetingStatus,
)
from cajas.members.models import Membership
from cajas.org.models import Caja, Cycle

MEETING_STATUSES = frozenset(MeetingStatus.values)
ATTENDANCE_STATUSES = frozenset(AttendanceStatus.values)
ITEM_KINDS = frozenset(ItemKind.values)
"""Computed once: an enum's ``values`` builds a new list at every call (110,000 items)."""


def check_meetings(plan: Plan) -> None:
    for i, raw in enumerate(plan.doc["meetings"]):
        path = f"$.meetings[{i}]"
        if not MEETING.check(raw, path, plan.errs):
            continue
        number = int_value(raw["number"], f"{path}.number", plan.errs, minimum=1)
        if number in plan.meetings:
            plan.errs.add(f"{path}.number", f"número repetido / duplicate number {number}")
        if raw["cycle"] not in plan.known["cycles"]:
            plan.errs.add(
                f"{path}.cycle", f"ciclo inexistente / unknown cycle {show(raw['cycle'])}"
            )
        if raw["status"] not in MEETING_STATUSES:
            plan.errs.add(
                f"{path}.status", f"estado desconocido / unknown status {show(raw['status'])}"
            )
        for j, row in enumerate(raw.get("attendance", [])):
            if (
                not isinstance(row, list)
                or len(row) != 3
                or row[0] not in plan.known["members"]
                or row[1] not in ATTENDANCE_STATUSES
            ):
                plan.errs.add(
                    f"{path}.attendance[{j}]",
                    f"asistencia inválida / invalid attendance {show(row)}",
                )
        repeated([row[0] for row in raw.get("attendance", [])], f"{path}.attendance", plan.errs)
        once = [(i.get("member"), i["kind"]) for i in raw.get("items", [])]
        repeated([k for k in once if k[1] in ONCE_PER_MEMBER], f"{path}.items", plan.errs)
        for j, item in enumerate(raw.get("items", [])):
            ipath = f"{path}.items[{j}]"
            if item["kind"] not in ITEM_KINDS:
                plan.errs.add(
                    f"{ipath}.kind", f"tipo desconocido / unknown kind {show(item['kind'])}"
                )
            int_value(item["amount_cents"], f"{ipath}.amount_cents", plan.errs, minimum=1)
            _check_item_member(item, ipath, plan)
            if item.get("member") is not None and item["member"] not in plan.known["members"]:
                plan.errs.add(
                    f"{ipath}.member",
                    f"socio inexistente / unknown member {show(item['member'])}",
                )
            if item["kind"] in LOAN_ITEM_KINDS and item.get("loan") not in plan.known["loans"]:
                plan.errs.add(
                    f"{ipath}.loan", f"préstamo inexistente / unknown loan {show(item.get('loan'))}"
                )
        plan.meetings[number] = {
            "index": i,
            "date": date_value(raw["date"], f"{path}.date", plan.errs),
            "closed_at": stamp_value(raw.get("closed_at"), f"{path}.closed_at", plan.errs),
            "path": path,
        }
    last: dt.date | None = None
    for _number, m in sorted(plan.meetings.items()):
        if last and m["date"] and m["date"] < last:
            plan.errs.add(
                f"{m['path']}.date",
                "fecha anterior a la de la reunión precedente / date before the previous meeting's",
            )
        last = m["date"] or last


ONCE_PER_MEMBER = ("shares", "social_fund", "entry_fee")
WITHOUT_MEMBER = ("other_income", "expense")


def _check_item_member(item: dict[str, Any], ipath: str, plan: Plan) -> None:
    """As the meeting item table's constraint: income and expenses name no member, every
    other kind names one."""
    if (item.get("member") is None) != (item["kind"] in WITHOUT_MEMBER):
        plan.errs.add(
            f"{ipath}.member",
            "este tipo de movimiento no lleva socio / this kind of item names no member"
            if item["kind"] in WITHOUT_MEMBER
            else "falta el socio / the item needs a member",
        )


def _well_formed(plan: Plan) -> Iterator[tuple[int, dict[str, Any]]]:
    """The meetings ``check_meetings`` kept, read again from the document (a ``Spool`` of a
    big book is on disk), with their numbers."""
    number_at = {m["index"]: number for number, m in plan.meetings.items()}
    for i, raw in enumerate(plan.doc["meetings"]):
        if i in number_at:
            yield number_at[i], raw


def meeting_ids(plan: Plan) -> dict[int, int]:
    """Each meeting's id, reserved before any is written (in the book's order): loans and
    journal entries refer to meetings, and are written (or built, ``journal.JournalRows``) before
    them, and before the meetings are checked (a number of a malformed meeting gets an id too:
    its error rolls everything back)."""
    numbers = plan.meeting_numbers
    return dict(zip(numbers, reserve_ids(Meeting, len(numbers)), strict=True))


WRITE_ROWS = 5000
"""Attendance and item rows held before they are written, with their meetings."""


def write_meetings(
    plan: Plan,
    caja: Caja,
    members: dict[int, Membership],
    cycles: dict[int, Cycle],
    ids: dict[int, int],
    loans: dict[int, Loan],
) -> None:
    """Every meeting with its attendance and items, in one reading of the section."""
    batch = _Batch()
    for number, raw in _well_formed(plan):
        m = plan.meetings[number]
        meeting_id = ids[number]
        batch.meetings.append(
            Meeting(
                pk=meeting_id,
                caja=caja,
                cycle=cycles[raw["cycle"]],
                number=number,
                date=m["date"],
                kind=raw.get("kind", "ordinary"),
                status=raw["status"],
                opened_by=raw.get("opened_by", plan.recorded_by),
                closed_by=raw.get("closed_by", ""),
                closed_at=m["closed_at"],
                expected_cash_cents=raw.get("expected_cash_cents"),
                counted_cash_cents=raw.get("counted_cash_cents"),
                cash_difference_cents=raw.get("cash_difference_cents", 0),
                notes=raw.get("notes", ""),
            )
        )
        batch.attendance.extend(
            {
                "meeting_id": meeting_id,
                "caja_id": caja.pk,
                "membership_id": members[n].pk,
                "status": s,
                "late": late,
            }
            for n, s, late in raw.get("attendance", [])
        )
        batch.items.extend(
            {
                "meeting_id": meeting_id,
                "caja_id": caja.pk,
                "membership_id": _pk(members.get(i.get("member") or 0)),
                "kind": i["kind"],
                "shares": i.get("shares"),
                "amount_cents": i["amount_cents"],
                "description": i.get("description", ""),
                "fine_reason": i.get("fine_reason", ""),
                "proposed": i.get("proposed", False),
                "waived": i.get("waived", False),
                "loan_id": _pk(loans.get(i.get("loan") or 0)),
                "prepay": i.get("prepay", False),
            }
            for i in raw.get("items", [])
        )
        if len(batch.attendance) + len(batch.items) >= WRITE_ROWS:
            batch = batch.write()
    batch.write()


def _pk(row: Membership | Loan | None) -> int | None:
    return row.pk if row is not None else None


class _Batch:
    def __init__(self) -> None:
        self.meetings: list[Meeting] = []
        self.attendance: list[dict[str, Any]] = []
        self.items: list[dict[str, Any]] = []

    def write(self) -> _Batch:
        Meeting.objects.bulk_create(self.meetings)
        insert_dicts(Attendance, self.attendance)
        insert_dicts(MeetingItem, self.items)
        return _Batch()
