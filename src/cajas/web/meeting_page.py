"""What the meeting screen shows, read in a bounded number of queries, and the fragments of it
that an in-place edit sends back (the sheet row, the items, the loans, the summary)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, QueryDict
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

from cajas.access.selectors import user_can_record_meetings
from cajas.corrections.selectors import corrections_for_meeting
from cajas.documents.builders import receipts
from cajas.documents.phone import receipt_text, whatsapp_link
from cajas.ledger.selectors import fines_owed_by_member
from cajas.meetings.models import (
    FINE_OWED_KINDS,
    LOAN_ITEM_KINDS,
    Attendance,
    AttendanceStatus,
    ItemKind,
    Meeting,
    MeetingItem,
    MeetingKind,
    SheetState,
)
from cajas.meetings.rules import SheetZeroShares, fine_is_owed
from cajas.meetings.selectors import meeting_expected_cash
from cajas.members.models import ConsentPurpose, LeaveReason
from cajas.members.selectors import persons_consenting
from cajas.org.models import Bylaws, Caja
from cajas.org.selectors import bylaws_in_force
from cajas.web.forms import CloseForm, ItemForm
from cajas.web.selectors import meeting_loans


@dataclass
class SheetLine:
    """One member's line on the sheet, as stored or as just typed (after a refused save)."""

    attendance: Attendance
    status: str
    late: bool
    shares: int
    fund: bool
    error: str = ""

    @property
    def number(self) -> int:
        return self.attendance.membership.number


@dataclass
class FineOwedLine:
    """A member who owes fines from earlier meetings, and what is left after today's items."""

    membership: Any
    left: int
    error: str = ""

    @property
    def number(self) -> int:
        return int(self.membership.number)


@dataclass
class MeetingPage:
    caja: Caja
    meeting: Meeting
    bylaws: Bylaws
    can_record: bool
    recorder: bool  # an officer of the caja (or staff who record meetings), open or closed
    lines: list[SheetLine]
    items: list[MeetingItem]
    totals: dict[str, int]
    expected_cash: int | None
    loans: dict[str, list[Any]] | None
    owed: list[FineOwedLine] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    confirm: str = ""

    def mark_error(self, at: str, message: str) -> None:
        """Show a refused change's message next to the form it came from."""
        self.errors[at.replace("-", "_")] = message
        kind, _sep, key = at.partition("-")
        if not key.isdigit():
            return
        targets: list[Any] = []
        if kind == "row":
            targets = [line for line in self.lines if line.number == int(key)]
        elif kind == "item":
            targets = [i for i in self.items if i.pk == int(key)]
        elif kind == "loan" and self.loans:
            targets = [loan for loan in self.loans["approved"] if loan.pk == int(key)]
        elif kind == "owed":
            targets = [o for o in self.owed if o.number == int(key)]
        elif kind == "repay" and self.loans:
            targets = [c for c in self.loans["collect"] if c.loan.pk == int(key)]
        for target in targets:
            target.error = message

    @property
    def other_items(self) -> list[MeetingItem]:
        member_kinds = (ItemKind.SHARES, ItemKind.SOCIAL_FUND, *LOAN_ITEM_KINDS)
        return [i for i in self.items if i.kind not in member_kinds]

    @property
    def loan_items(self) -> list[MeetingItem]:
        return [i for i in self.items if i.kind in LOAN_ITEM_KINDS]

    @property
    def proposed(self) -> bool:
        return self.meeting.sheet == SheetState.PROPOSED

    @property
    def present(self) -> int:
        return sum(
            1
            for line in self.lines
            if line.status in (AttendanceStatus.PRESENT, AttendanceStatus.REPRESENTED)
        )


def meeting_page(
    *,
    request: HttpRequest,
    caja: Caja,
    meeting: Meeting,
    posted: QueryDict | None = None,
    loans: bool = True,
) -> MeetingPage:
    """The screen's data. ``posted`` is a refused sheet's form: its values are shown again so
    nothing typed is lost. ``loans=False`` leaves out the loans to collect (their schedules are
    read per loan), for an in-place edit that does not show them again."""
    recorder = user_can_record_meetings(user=request.user, caja=caja)
    can_record = meeting.is_open and recorder
    attendance = list(
        Attendance.objects.filter(meeting=meeting)
        .select_related("membership__person")
        .order_by("membership__number")
    )
    items = list(
        MeetingItem.objects.filter(meeting=meeting)
        .select_related("membership__person")
        .order_by("id")
    )
    shares: dict[int, int] = {}
    fund: set[int] = set()
    totals: dict[str, int] = {}
    for item in items:
        if item.kind == ItemKind.SHARES and item.membership_id is not None:
            shares[item.membership_id] = item.shares or 0
        elif item.kind == ItemKind.SOCIAL_FUND and item.membership_id is not None:
            fund.add(item.membership_id)
        if not item.waived:
            key = str(item.kind)
            if fine_is_owed(kind=item.kind, fine_reason=item.fine_reason):
                key = "fine_owed"  # her debt, not cash today
            elif item.kind == ItemKind.FINE_PAYMENT:
                key = "fine"
            totals[key] = totals.get(key, 0) + item.amount_cents
    lines = []
    for a in attendance:
        line = SheetLine(
            a, a.status, a.late, shares.get(a.membership_id, 0), a.membership_id in fund
        )
        if posted is not None:
            n = a.membership.number
            line.status = posted.get(f"status_{n}", line.status)
            line.late = posted.get(f"late_{n}") == "on"
            raw = posted.get(f"shares_{n}", "")
            line.shares = (
                int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 3 else line.shares
            )
            line.fund = posted.get(f"fund_{n}") == "on"
        lines.append(line)
    owed = []
    if can_record:
        by_number = {a.membership.number: a.membership for a in attendance}
        settled: dict[int, int] = {}
        for item in items:
            if item.kind in FINE_OWED_KINDS and item.membership is not None:
                n = item.membership.number
                settled[n] = settled.get(n, 0) + item.amount_cents
        for number, cents in sorted(fines_owed_by_member(caja=caja).items()):
            if number in by_number and cents - settled.get(number, 0) > 0:
                owed.append(FineOwedLine(by_number[number], cents - settled.get(number, 0)))
    return MeetingPage(
        owed=owed,
        caja=caja,
        meeting=meeting,
        bylaws=bylaws_in_force(caja, meeting.date),
        can_record=can_record,
        recorder=recorder,
        lines=lines,
        items=items,
        totals=totals,
        expected_cash=meeting_expected_cash(meeting=meeting) if meeting.is_open else None,
        loans=meeting_loans(caja, meeting, items) if can_record and loans else None,
    )


def meeting_receipts(meeting: Meeting) -> list[dict[str, Any]]:
    """Each member's short receipt and a WhatsApp link with it (after the meeting closes)."""
    lang = "en" if (get_language() or "es").startswith("en") else "es"
    rows = []
    attendance = list(
        meeting.attendance.select_related("membership__person").order_by("membership__number")
    )
    # A WhatsApp link only for those who agreed to receive their receipt that way.
    willing = persons_consenting(
        person_ids=[a.membership.person_id for a in attendance],
        purpose=ConsentPurpose.WHATSAPP_RECEIPTS,
    )
    for a, built in zip(
        attendance, receipts([a.membership for a in attendance], meeting), strict=True
    ):
        text = receipt_text(built, lang)
        consented = a.membership.person_id in willing
        rows.append(
            {
                "member": a.membership,
                "text": text,
                "consented": consented,
                "link": whatsapp_link(a.membership.person.phone, text) if consented else None,
            }
        )
    return rows


def page_context(page: MeetingPage, **extra: Any) -> dict[str, Any]:
    bylaws = page.bylaws
    context: dict[str, Any] = {
        "page": page,
        "caja": page.caja,
        "meeting": page.meeting,
        "bylaws": bylaws,
        "can_record": page.can_record,
        "statuses": AttendanceStatus.choices,
        "share_range": range(0, bylaws.max_shares_per_meeting + 1),
        "ordinary": page.meeting.kind == MeetingKind.ORDINARY,
        "item_form": ItemForm(),
        "close_form": CloseForm(),
        # The receipts (every member's balances: about five queries a member) are a page of
        # their own, linked from here, not built for the page shown right after the close.
        "receipts_link": not page.meeting.is_open and page.recorder,
        "entries": page.meeting.journal_entries.count() if not page.meeting.is_open else 0,
        "corrections": (
            corrections_for_meeting(meeting=page.meeting) if not page.meeting.is_open else []
        ),
        "leave_reasons": [(r.value, r.label) for r in LeaveReason if r != LeaveReason.TRANSFER],
        "rendered_at": timezone.now().isoformat(),
        "zero_shares_code": SheetZeroShares.code,
    }
    context.update(extra)
    return context


FRAGMENTS = {
    "summary": "web/meeting/_summary.html",
    "items": "web/meeting/_items.html",
    "loans": "web/meeting/_loans.html",
    "sheet-state": "web/meeting/_sheet_state.html",
}


def fragments(
    page: MeetingPage, request: HttpRequest, names: list[str], rows: list[int] | None = None
) -> dict[str, str]:
    """The parts of the screen an edit changed, rendered as the page renders them, by id."""
    context = page_context(page)
    out: dict[str, str] = {
        name: render_to_string(FRAGMENTS[name], context, request=request) for name in names
    }
    for line in page.lines:
        if rows and line.number in rows:
            out[f"row-{line.number}"] = render_to_string(
                "web/meeting/_row.html", {**context, "r": line}, request=request
            )
    return out
