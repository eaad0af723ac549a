"""Thin views: fetch what the user may see, parse the form, call one service, redirect."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cajas.access.selectors import (
    caja_get_for_user,
    caja_list_for_user,
    membership_of_user,
    user_can_record_meetings,
    user_is_staff,
    user_sees_all_members,
)
from cajas.core.errors import NotFound, RuleViolation
from cajas.core.money import format_amount
from cajas.corrections.selectors import corrections_for_meeting
from cajas.documents.builders import receipt
from cajas.documents.phone import receipt_text, whatsapp_link
from cajas.ledger.selectors import caja_summary
from cajas.loans.services import bylaws_rate_check, disbursement_record, repayment_record
from cajas.meetings.models import LOAN_ITEM_KINDS, AttendanceStatus, ItemKind, Meeting, MeetingItem
from cajas.meetings.services import (
    item_record,
    item_remove,
    item_update_amount,
    meeting_close,
    meeting_expected_cash,
    meeting_open,
    meeting_sheet_save,
)
from cajas.members.models import LeaveReason
from cajas.org.models import Caja, bylaws_in_force
from cajas.shareouts.services import member_exit
from cajas.web.forms import (
    CloseForm,
    ItemForm,
    OpenMeetingForm,
    RepayForm,
    SheetError,
    parse_sheet,
    today,
)
from cajas.web.selectors import caja_rows, meeting_loans, member_lines, recent_meetings


def _caja(request: HttpRequest, caja_id: int) -> Caja:
    try:
        return caja_get_for_user(user=request.user, caja_id=caja_id)
    except NotFound:
        raise Http404 from None


def _rule_error(request: HttpRequest, exc: RuleViolation) -> None:
    messages.error(request, exc.message(get_language()))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    cajas = caja_list_for_user(user=request.user)
    if cajas.count() == 1:
        only = cajas.first()
        assert only is not None
        return redirect("caja", caja_id=only.pk)
    return render(
        request,
        "web/home.html",
        {"rows": caja_rows(cajas=cajas), "staff": user_is_staff(user=request.user)},
    )


@login_required
def caja_detail(request: HttpRequest, caja_id: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    sees_all = user_sees_all_members(user=request.user, caja=caja)
    own = membership_of_user(user=request.user, caja=caja)
    bylaws = bylaws_in_force(caja)
    context: dict[str, Any] = {
        "caja": caja,
        "summary": caja_summary(caja=caja) if sees_all else None,
        "members": member_lines(caja=caja, only=None if sees_all else own),
        "meetings": recent_meetings(caja=caja) if sees_all else [],
        "open_meeting": Meeting.objects.filter(caja=caja, status="open").first(),
        "can_record": user_can_record_meetings(user=request.user, caja=caja),
        "own": own,
        "open_form": OpenMeetingForm(initial={"date": today()}),
        "bylaws": bylaws,
        "rate_check": bylaws_rate_check(bylaws, today()) if sees_all else None,
    }
    return render(request, "web/caja.html", context)


@login_required
@require_POST
def meeting_open_view(request: HttpRequest, caja_id: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    if not user_can_record_meetings(user=request.user, caja=caja):
        raise PermissionDenied
    form = OpenMeetingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid date."))
        return redirect("caja", caja_id=caja.pk)
    try:
        meeting = meeting_open(
            caja_id=caja.pk, date=form.cleaned_data["date"], opened_by=request.user.get_username()
        )
    except RuleViolation as exc:
        _rule_error(request, exc)
        return redirect("caja", caja_id=caja.pk)
    return redirect("meeting", caja_id=caja.pk, number=meeting.number)


def _meeting(caja: Caja, number: int) -> Meeting:
    meeting = Meeting.objects.filter(caja=caja, number=number).first()
    if meeting is None:
        raise Http404
    return meeting


@login_required
def meeting_detail(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    if not user_sees_all_members(user=request.user, caja=caja):
        raise PermissionDenied
    meeting = _meeting(caja, number)
    can_record = meeting.is_open and user_can_record_meetings(user=request.user, caja=caja)
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        return _meeting_post(request, caja, meeting)
    return _meeting_render(request, caja, meeting, can_record)


def _meeting_render(
    request: HttpRequest,
    caja: Caja,
    meeting: Meeting,
    can_record: bool,
    item_form: ItemForm | None = None,
    close_form: CloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    attendance = list(meeting.attendance.select_related("membership__person"))
    items = list(meeting.items.select_related("membership__person"))
    by_member: dict[int, dict[str, Any]] = {}
    for item in items:
        if item.membership_id is None:
            continue
        slot = by_member.setdefault(item.membership_id, {"shares": 0, "fund": False})
        if item.kind == ItemKind.SHARES:
            slot["shares"] = item.shares or 0
        elif item.kind == ItemKind.SOCIAL_FUND:
            slot["fund"] = True
    rows = [
        {
            "a": a,
            "shares": by_member.get(a.membership_id, {}).get("shares", 0),
            "fund": by_member.get(a.membership_id, {}).get("fund", False),
        }
        for a in attendance
    ]
    other_items = [
        i for i in items if i.kind not in (ItemKind.SHARES, ItemKind.SOCIAL_FUND, *LOAN_ITEM_KINDS)
    ]
    loan_items = [i for i in items if i.kind in LOAN_ITEM_KINDS]
    totals: dict[str, int] = {}
    for item in items:
        if not item.waived:
            totals[item.kind] = totals.get(item.kind, 0) + item.amount_cents
    bylaws = bylaws_in_force(caja, meeting.date)
    can_see_receipts = user_can_record_meetings(user=request.user, caja=caja)
    context = {
        "caja": caja,
        "meeting": meeting,
        "rows": rows,
        "other_items": other_items,
        "totals": totals,
        "can_record": can_record,
        "bylaws": bylaws,
        "statuses": AttendanceStatus.choices,
        "share_range": range(0, bylaws.max_shares_per_meeting + 1),
        "expected_cash": meeting_expected_cash(meeting=meeting) if meeting.is_open else None,
        "item_form": item_form or ItemForm(),
        "close_form": close_form or CloseForm(),
        "entries": meeting.journal_entries.count() if not meeting.is_open else 0,
        "loan_items": loan_items,
        "receipts": _receipts(meeting) if not meeting.is_open and can_see_receipts else [],
        "leave_reasons": [(r.value, r.label) for r in LeaveReason if r != LeaveReason.TRANSFER],
        "loans": meeting_loans(caja, meeting) if can_record else None,
        "corrections": corrections_for_meeting(meeting=meeting),
    }
    return render(request, "web/meeting.html", context, status=status)


def _meeting_post(request: HttpRequest, caja: Caja, meeting: Meeting) -> HttpResponse:
    action = request.POST.get("action", "")
    here = redirect("meeting", caja_id=caja.pk, number=meeting.number)
    try:
        if action == "sheet":
            numbers = list(meeting.attendance.values_list("membership__number", flat=True))
            try:
                rows = parse_sheet(request.POST, numbers)
            except SheetError as exc:
                messages.error(request, _("Check the line of member #%(n)s.") % {"n": exc.args[0]})
                return here
            meeting_sheet_save(meeting_id=meeting.pk, rows=rows)
            messages.success(request, _("Attendance and savings saved."))
        elif action == "item":
            item_form = ItemForm(request.POST)
            if not item_form.is_valid():
                return _meeting_render(
                    request, caja, meeting, True, item_form=item_form, status=400
                )
            data = item_form.cleaned_data
            item_record(
                meeting_id=meeting.pk,
                kind=data["kind"],
                amount=data["amount"],
                member=data["member"],
                description=data["description"],
            )
            messages.success(request, _("Item added."))
        elif action == "disburse":
            loan_id = request.POST.get("loan", "")
            if not loan_id.isdigit():
                raise Http404
            disbursement_record(meeting_id=meeting.pk, loan_id=int(loan_id))
            messages.success(
                request, _("Disbursement recorded; it is posted when the meeting closes.")
            )
        elif action == "repay":
            repay = RepayForm(request.POST)
            if not repay.is_valid():
                messages.error(request, _("Enter the amount paid."))
                return here
            repayment_record(
                meeting_id=meeting.pk,
                loan_id=repay.cleaned_data["loan"],
                amount=repay.cleaned_data["amount"],
                prepay=repay.cleaned_data["prepay"],
            )
            messages.success(request, _("Payment recorded."))
        elif action == "exit":
            number = request.POST.get("member", "")
            if not number.isdigit():
                messages.error(request, _("Enter the member's number."))
                return here
            row = member_exit(
                meeting_id=meeting.pk,
                member=int(number),
                reason=request.POST.get("reason", "withdrawal"),
                recorded_by=request.user.get_username(),
                social_fund_help=request.POST.get("social_fund_help", "0") or "0",
            )
            messages.success(
                request,
                _("Exit settled: %(a)s USD paid.") % {"a": format_amount(row.paid_cents)},
            )
        elif action == "remove":
            item_remove(meeting_id=meeting.pk, item_id=_item_id(request, meeting))
        elif action == "amount":
            item_update_amount(
                meeting_id=meeting.pk,
                item_id=_item_id(request, meeting),
                amount=request.POST.get("amount", ""),
            )
        elif action == "close":
            close_form = CloseForm(request.POST)
            if not close_form.is_valid():
                return _meeting_render(
                    request, caja, meeting, True, close_form=close_form, status=400
                )
            closed = meeting_close(
                meeting_id=meeting.pk,
                counted_cash=close_form.cleaned_data["counted_cash"],
                closed_by=request.user.get_username(),
            )
            if closed.cash_flagged:
                messages.warning(
                    request,
                    _("Meeting closed with a cash difference; it has been recorded and flagged."),
                )
            else:
                messages.success(request, _("Meeting closed and posted to the books."))
            return redirect("caja", caja_id=caja.pk)
    except RuleViolation as exc:
        _rule_error(request, exc)
    return here


def _receipts(meeting: Meeting) -> list[dict[str, Any]]:
    """Each member's short receipt and a WhatsApp link with it (after the meeting closes)."""
    lang = "en" if (get_language() or "es").startswith("en") else "es"
    rows = []
    for a in meeting.attendance.select_related("membership__person").order_by("membership__number"):
        text = receipt_text(receipt(a.membership, meeting), lang)
        rows.append(
            {
                "member": a.membership,
                "text": text,
                "link": whatsapp_link(a.membership.person.phone, text),
            }
        )
    return rows


def _item_id(request: HttpRequest, meeting: Meeting) -> int:
    raw = request.POST.get("item", "")
    if not raw.isdigit() or not MeetingItem.objects.filter(meeting=meeting, pk=int(raw)).exists():
        raise Http404
    return int(raw)
