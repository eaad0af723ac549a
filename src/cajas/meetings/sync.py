"""Changes made on a phone, applied to an open meeting exactly once and in the order made.

The meeting screen keeps every change in the phone (IndexedDB) with a random key, and sends
them when it has signal (docs/offline.md). ``change_apply`` applies one: in one transaction
with the caja and the meeting locked, it looks for the key first — a key already applied
returns what it did the first time and writes nothing — then calls the same service the
screen's forms call (every rule is checked again here, whatever the phone believed), and
records the change with its outcome. A refused change writes nothing, not even its record, so
the treasurer can correct it and it is sent again as a new change.

A member's line merges field by field with what another phone sent (``meetings/merge.py``):
fields changed by both to different values are conflicts, left for the treasurer to choose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction

from cajas.core.errors import RuleViolation
from cajas.core.parsing import parse_int
from cajas.meetings.close import meeting_close
from cajas.meetings.items import (
    disbursement_record,
    fine_owed_pay,
    fine_owed_waive,
    item_record,
    item_remove,
    item_update_amount,
    repayment_record,
)
from cajas.meetings.merge import RowValue, line_normal, row_merge
from cajas.meetings.models import (
    Attendance,
    ChangeKind,
    ItemKind,
    Meeting,
    MeetingChange,
    MeetingItem,
    MeetingStatus,
)
from cajas.meetings.records import meeting_locked
from cajas.meetings.rules import ChangeNotPossible, MeetingClosed
from cajas.meetings.sheet import SheetRow, meeting_lines_save, meeting_sheet_confirm
from cajas.members.rules import MemberNotActive


@dataclass(frozen=True)
class RowChange:
    """Some fields of a member's line: the values set and what the phone saw before."""

    member: int
    values: dict[str, RowValue]
    base: dict[str, RowValue]


@dataclass(frozen=True)
class UsualChange:
    zero_shares_confirmed: bool


@dataclass(frozen=True)
class ItemAddChange:
    kind: str
    amount: str
    member: str  # as typed in the form ("" for none); read like the form reads it
    description: str


@dataclass(frozen=True)
class ItemRemoveChange:
    item_id: int


@dataclass(frozen=True)
class ItemAmountChange:
    item_id: int
    amount: str


@dataclass(frozen=True)
class FineChange:
    member: int
    amount: str
    waive: bool
    reason: str


@dataclass(frozen=True)
class DisburseChange:
    loan_id: int


@dataclass(frozen=True)
class RepayChange:
    loan_id: int
    amount: str
    prepay: bool


@dataclass(frozen=True)
class CloseChange:
    counted_cash: str


Change = (
    RowChange
    | UsualChange
    | ItemAddChange
    | ItemRemoveChange
    | ItemAmountChange
    | FineChange
    | DisburseChange
    | RepayChange
    | CloseChange
)


@dataclass(frozen=True)
class Applied:
    """What applying a change did. ``repeated``: the key had been applied before; this is what
    it did then, and nothing was written now."""

    key: str
    kind: str
    outcome: dict[str, Any]
    repeated: bool

    @property
    def conflicts(self) -> list[dict[str, Any]]:
        return list(self.outcome.get("conflicts", []))


def _kind(change: Change) -> str:
    if isinstance(change, FineChange):
        return ChangeKind.FINE_WAIVE if change.waive else ChangeKind.FINE_PAY
    kinds: dict[type, str] = {
        RowChange: ChangeKind.ROW,
        UsualChange: ChangeKind.USUAL,
        ItemAddChange: ChangeKind.ITEM_ADD,
        ItemRemoveChange: ChangeKind.ITEM_REMOVE,
        ItemAmountChange: ChangeKind.ITEM_AMOUNT,
        DisburseChange: ChangeKind.DISBURSE,
        RepayChange: ChangeKind.REPAY,
        CloseChange: ChangeKind.CLOSE,
    }
    return kinds[type(change)]


def row_now(meeting: Meeting, member: int) -> dict[str, RowValue]:
    """A member's line as the server holds it (status, late, shares, social fund)."""
    attendance = (
        Attendance.objects.filter(meeting=meeting, membership__number=member)
        .select_related("membership")
        .first()
    )
    if attendance is None:
        raise MemberNotActive(number=member, field="member")
    shares, fund = 0, False
    for kind, count in MeetingItem.objects.filter(
        meeting=meeting,
        membership_id=attendance.membership_id,
        kind__in=[ItemKind.SHARES, ItemKind.SOCIAL_FUND],
    ).values_list("kind", "shares"):
        if kind == ItemKind.SHARES:
            shares = count or 0
        else:
            fund = True
    return {"status": attendance.status, "late": attendance.late, "shares": shares, "fund": fund}


def sheet_now(meeting: Meeting) -> dict[int, dict[str, RowValue]]:
    """Every line of the sheet as the server holds it, by member number (two queries)."""
    lines: dict[int, dict[str, RowValue]] = {}
    by_membership: dict[int, int] = {}
    for number, membership_id, status, late in Attendance.objects.filter(
        meeting=meeting
    ).values_list("membership__number", "membership_id", "status", "late"):
        lines[number] = {"status": status, "late": late, "shares": 0, "fund": False}
        by_membership[membership_id] = number
    for membership_id, kind, shares in MeetingItem.objects.filter(
        meeting=meeting, kind__in=[ItemKind.SHARES, ItemKind.SOCIAL_FUND]
    ).values_list("membership_id", "kind", "shares"):
        line = lines.get(by_membership.get(membership_id, -1))
        if line is None:
            continue
        if kind == ItemKind.SHARES:
            line["shares"] = shares or 0
        else:
            line["fund"] = True
    return lines


def _sheet_row(member: int, values: dict[str, RowValue]) -> SheetRow:
    return SheetRow(
        member=member,
        status=str(values["status"]),
        late=bool(values["late"]),
        shares=int(values["shares"]),
        social_fund=bool(values["fund"]),
    )


def _row_apply(meeting: Meeting, change: RowChange) -> dict[str, Any]:
    current = row_now(meeting, change.member)
    merged = row_merge(current=current, base=change.base, mine=change.values)
    if merged.changed:
        values = merged.values
        meeting_lines_save(meeting_id=meeting.pk, rows=[_sheet_row(change.member, values)])
    return {
        "member": change.member,
        "written": merged.written,
        "conflicts": [c.as_dict() for c in merged.conflicts],
        "row": row_now(meeting, change.member),
    }


def _item_remove(meeting: Meeting, item_id: int) -> dict[str, Any]:
    if not MeetingItem.objects.filter(meeting=meeting, pk=item_id).exists():
        return {"item": item_id, "already": True}  # removed by the other phone, or before
    item_remove(meeting_id=meeting.pk, item_id=item_id)
    return {"item": item_id}


def _apply(meeting: Meeting, change: Change, recorded_by: str) -> dict[str, Any]:
    """Call the service the screen's form calls for this change."""
    m = meeting.pk
    if isinstance(change, RowChange):
        return _row_apply(meeting, change)
    if isinstance(change, UsualChange):
        meeting_sheet_confirm(meeting_id=m, zero_shares_confirmed=change.zero_shares_confirmed)
        return {}
    if isinstance(change, ItemAddChange):
        typed = change.member.strip()
        item = item_record(
            meeting_id=m,
            kind=change.kind,
            amount=change.amount,
            member=parse_int(typed, field="member", minimum=1, maximum=9999) if typed else None,
            description=change.description,
        )
        return {"item": item.pk}
    if isinstance(change, ItemRemoveChange):
        return _item_remove(meeting, change.item_id)
    if isinstance(change, ItemAmountChange):
        item_update_amount(meeting_id=m, item_id=change.item_id, amount=change.amount)
        return {"item": change.item_id}
    if isinstance(change, FineChange):
        if change.waive:
            fine_owed_waive(
                meeting_id=m, member=change.member, amount=change.amount, reason=change.reason
            )
        else:
            fine_owed_pay(meeting_id=m, member=change.member, amount=change.amount)
        return {"member": change.member}
    if isinstance(change, DisburseChange):
        item = disbursement_record(meeting_id=m, loan_id=change.loan_id)
        return {"loan": change.loan_id, "item": item.pk}
    if isinstance(change, RepayChange):
        item = repayment_record(
            meeting_id=m, loan_id=change.loan_id, amount=change.amount, prepay=change.prepay
        )
        return {"loan": change.loan_id, "item": item.pk}
    closed = meeting_close(meeting_id=m, counted_cash=change.counted_cash, closed_by=recorded_by)
    return {
        "expected_cash": closed.expected_cash_cents,
        "counted_cash": closed.counted_cash_cents,
        "difference": closed.cash_difference_cents,
    }


def _member_of(change: Change) -> int | None:
    if isinstance(change, RowChange | FineChange):
        return change.member
    if isinstance(change, ItemAddChange) and change.member.strip().isdigit():
        return int(change.member)
    return None


@transaction.atomic
def change_apply(
    *,
    meeting_id: int,
    key: str,
    change: Change,
    device: str,
    recorded_by: str,
    now: dt.datetime,
) -> Applied:
    """Apply one change to an open meeting, once: see the module's docstring."""
    caja, meeting = meeting_locked(meeting_id)
    done = MeetingChange.objects.filter(meeting=meeting, key=key).first()
    if done is not None:
        return Applied(key, done.kind, done.outcome, repeated=True)
    if meeting.status != MeetingStatus.OPEN:
        raise MeetingClosed(number=meeting.number)
    kind = _kind(change)
    outcome = _apply(meeting, change, recorded_by)
    # The meeting row is locked: a second request with the same key waits for this one and
    # then finds its record above. The UNIQUE (meeting, key) constraint backs that up.
    MeetingChange.objects.create(
        caja=caja,
        meeting=meeting,
        key=key,
        kind=kind,
        member=_member_of(change),
        device=device,
        recorded_by=recorded_by,
        recorded_at=now,
        outcome=outcome,
    )
    return Applied(key, kind, outcome, repeated=False)


@dataclass(frozen=True)
class Keyed:
    """A change as the phone sent it: its key and what it does."""

    key: str
    change: Change


@dataclass(frozen=True)
class Result:
    """What became of one change of a request: ``applied``; ``repeated`` (its key had been
    applied: the first outcome, nothing written now); ``refused`` (``refusal`` says why;
    nothing written); ``held`` (a close after a refusal or a conflict in the same request)."""

    key: str
    status: str
    outcome: dict[str, Any] | None = None
    refusal: RuleViolation | None = None


def _refusal(meeting: Meeting, exc: Exception) -> RuleViolation:
    if isinstance(exc, RuleViolation):
        return exc
    # A service's own guard (ValueError) or a row that is not there: refused, never a 500.
    return ChangeNotPossible(number=meeting.number)


def _one(meeting: Meeting, keyed: Keyed, device: str, recorded_by: str, now: dt.datetime) -> Result:
    try:
        with transaction.atomic():
            applied = change_apply(
                meeting_id=meeting.pk,
                key=keyed.key,
                change=keyed.change,
                device=device,
                recorded_by=recorded_by,
                now=now,
            )
    except (RuleViolation, ValueError, ObjectDoesNotExist) as exc:
        return Result(keyed.key, "refused", refusal=_refusal(meeting, exc))
    return Result(keyed.key, "repeated" if applied.repeated else "applied", applied.outcome)


def _lines_at_once(
    meeting: Meeting,
    caja_id: int,
    run: Sequence[Keyed],
    device: str,
    recorded_by: str,
    now: dt.datetime,
) -> list[Result] | None:
    """Consecutive line changes merged against the sheet read once and saved in one sheet
    save, with their records in one insert: what a phone back from an hour without signal
    sends. ``None`` when one of them is refused: the caller applies them one by one, so the
    refusal is the one change's and the rest go through."""
    keys = [k.key for k in run]
    done = {c.key: c for c in MeetingChange.objects.filter(meeting=meeting, key__in=keys)}
    lines = sheet_now(meeting)
    merged: dict[int, dict[str, RowValue]] = {}
    fresh: dict[str, dict[str, Any]] = {}
    results: list[Result] = []
    records: list[MeetingChange] = []
    for keyed in run:
        change = keyed.change
        assert isinstance(change, RowChange)
        if keyed.key in done:
            results.append(Result(keyed.key, "repeated", done[keyed.key].outcome))
            continue
        if keyed.key in fresh:  # the same key twice in one request: the first one counts
            results.append(Result(keyed.key, "repeated", fresh[keyed.key]))
            continue
        current = merged.get(change.member) or lines.get(change.member)
        if current is None:
            return None
        merge = row_merge(current=current, base=change.base, mine=change.values)
        after = line_normal(merge.values)
        if merge.changed:
            merged[change.member] = after
        outcome = {
            "member": change.member,
            "written": merge.written,
            "conflicts": [c.as_dict() for c in merge.conflicts],
            "row": after,
        }
        results.append(Result(keyed.key, "applied", outcome))
        fresh[keyed.key] = outcome
        records.append(
            MeetingChange(
                caja_id=caja_id,
                meeting=meeting,
                key=keyed.key,
                kind=ChangeKind.ROW,
                member=change.member,
                device=device,
                recorded_by=recorded_by,
                recorded_at=now,
                outcome=outcome,
            )
        )
    try:
        with transaction.atomic():
            if merged:
                meeting_lines_save(
                    meeting_id=meeting.pk,
                    rows=[_sheet_row(n, values) for n, values in sorted(merged.items())],
                )
            MeetingChange.objects.bulk_create(records)
    except RuleViolation:
        return None
    return results


@transaction.atomic
def changes_apply(
    *,
    meeting_id: int,
    changes: Sequence[Keyed],
    device: str,
    recorded_by: str,
    now: dt.datetime,
) -> list[Result]:
    """Apply a phone's changes in the order they were made, in one transaction (one commit
    for the request; each change in its own savepoint, so a refused one writes nothing and the
    rest go through). A close is held when a change before it in the request was refused or
    left a conflict: the treasurer looks at those first."""
    caja, meeting = meeting_locked(meeting_id)
    results: list[Result] = []
    unsettled = False
    i = 0
    while i < len(changes):
        run: list[Keyed] = []
        while i + len(run) < len(changes) and isinstance(changes[i + len(run)].change, RowChange):
            run.append(changes[i + len(run)])
        if len(run) > 1 and meeting.status == MeetingStatus.OPEN:
            batch = _lines_at_once(meeting, caja.pk, run, device, recorded_by, now)
            if batch is not None:
                results.extend(batch)
                unsettled = unsettled or any(r.outcome and r.outcome["conflicts"] for r in batch)
                i += len(run)
                continue
        keyed = changes[i]
        i += 1
        if isinstance(keyed.change, CloseChange) and unsettled:
            results.append(Result(keyed.key, "held"))
            continue
        result = _one(meeting, keyed, device, recorded_by, now)
        unsettled = unsettled or result.status == "refused"
        unsettled = unsettled or bool(result.outcome and result.outcome.get("conflicts"))
        results.append(result)
        if result.status == "applied" and isinstance(keyed.change, CloseChange):
            meeting.status = MeetingStatus.CLOSED
    return results
