"""The ``meetings`` section: each meeting with its attendance and items."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cajas.books.format import repeated, show
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
        if raw["status"] not in MeetingStatus.values:
            plan.errs.add(
                f"{path}.status", f"estado desconocido / unknown status {show(raw['status'])}"
            )
        for j, row in enumerate(raw.get("attendance", [])):
            if (
                not isinstance(row, list)
                or len(row) != 3
                or row[0] not in plan.known["members"]
                or row[1] not in AttendanceStatus.values
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
            if item["kind"] not in ItemKind.values:
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
        plan.meetings[number] = {
            "raw": raw,
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


def check_loan_references(plan: Plan) -> None:
    for m in plan.meetings.values():  # well-formed meetings only
        for j, item in enumerate(m["raw"].get("items", [])):
            loan = item.get("loan")
            if item["kind"] in LOAN_ITEM_KINDS and loan not in plan.known["loans"]:
                plan.errs.add(
                    f"{m['path']}.items[{j}].loan",
                    f"préstamo inexistente / unknown loan {show(loan)}",
                )


def write_meetings(
    plan: Plan, caja: Caja, members: dict[int, Membership], cycles: dict[int, Cycle]
) -> dict[int, Meeting]:
    meetings = {}
    for number, m in sorted(plan.meetings.items()):
        raw = m["raw"]
        meeting = Meeting.objects.create(
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
        Attendance.objects.bulk_create(
            [
                Attendance(meeting=meeting, membership=members[n], status=s, late=late)
                for n, s, late in raw.get("attendance", [])
            ]
        )
        meetings[number] = meeting
    return meetings


def write_items(
    plan: Plan,
    members: dict[int, Membership],
    meetings: dict[int, Meeting],
    loans: dict[int, Loan],
) -> None:
    for number, m in sorted(plan.meetings.items()):
        MeetingItem.objects.bulk_create(
            [
                MeetingItem(
                    meeting=meetings[number],
                    membership=members.get(i["member"]) if i.get("member") else None,
                    kind=i["kind"],
                    shares=i.get("shares"),
                    amount_cents=i["amount_cents"],
                    description=i.get("description", ""),
                    fine_reason=i.get("fine_reason", ""),
                    proposed=i.get("proposed", False),
                    waived=i.get("waived", False),
                    loan=loans.get(i.get("loan") or 0),
                    prepay=i.get("prepay", False),
                )
                for i in m["raw"].get("items", [])
            ]
        )
