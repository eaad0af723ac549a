"""The meeting screen: one URL and one view per action.

Every action works as a plain form post (the page reloads at the place it was changed). With
JavaScript the screen is offline first (docs/offline.md): its changes go through the API
(``api/meeting_sync.py``) and it fetches its computed parts from ``meeting_fragments_view``;
the member-exit form is still posted in place (``X-Cajas-Inplace: 1``, JSON back).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cajas.access.selectors import user_can_record_meetings, user_sees_all_members
from cajas.core.errors import RuleViolation
from cajas.core.money import format_amount
from cajas.core.parsing import parse_choice, parse_int
from cajas.loans.models import Loan
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
from cajas.meetings.models import Meeting, MeetingItem, MeetingStatus
from cajas.meetings.opening import meeting_start
from cajas.meetings.rules import MeetingClosed, SheetZeroShares
from cajas.meetings.sheet import meeting_sheet_confirm, meeting_sheet_save
from cajas.meetings.sync import sheet_now
from cajas.members.models import LeaveReason
from cajas.org.models import Caja
from cajas.shareouts.services import member_exit
from cajas.web.forms import (
    CloseForm,
    ItemForm,
    OpenMeetingForm,
    RepayForm,
    SheetError,
    parse_sheet,
)
from cajas.web.meeting_page import fragments, meeting_page, meeting_receipts, page_context
from cajas.web.views import _caja, caja_page_context


def _meeting(caja: Caja, number: int) -> Meeting:
    meeting = Meeting.objects.filter(caja=caja, number=number).first()
    if meeting is None:
        raise Http404
    return meeting


def _recording(request: HttpRequest, caja_id: int, number: int) -> tuple[Caja, Meeting]:
    """The caja and meeting the user records: scoped (404 outside the user's cajas), and only
    for those who record meetings (403)."""
    caja = _caja(request, caja_id)
    if not user_can_record_meetings(user=request.user, caja=caja):
        raise PermissionDenied
    return caja, _meeting(caja, number)


def _inplace(request: HttpRequest) -> bool:
    return request.headers.get("X-Cajas-Inplace") == "1"


def _here(caja: Caja, meeting: Meeting, anchor: str = "") -> str:
    url = reverse("meeting", kwargs={"caja_id": caja.pk, "number": meeting.number})
    return f"{url}#{anchor}" if anchor else url


def _done(
    request: HttpRequest,
    caja: Caja,
    meeting: Meeting,
    message: str,
    *,
    parts: list[str],
    rows: list[int] | None = None,
    anchor: str = "",
    level: int = messages.SUCCESS,
) -> HttpResponse:
    """After a change: in place, the changed fragments; otherwise back to the same place."""
    if _inplace(request):
        meeting.refresh_from_db()  # the service changed it
        page = meeting_page(request=request, caja=caja, meeting=meeting, loans="loans" in parts)
        return JsonResponse(
            {
                "ok": True,
                "message": message,
                "fragments": fragments(page, request, ["summary", *parts], rows),
            }
        )
    if message:
        messages.add_message(request, level, message)
    return redirect(_here(caja, meeting, anchor))


def _refused(
    request: HttpRequest,
    caja: Caja,
    meeting: Meeting,
    error: RuleViolation | str,
    *,
    at: str,
    posted: Any = None,
    confirm: str = "",
    **forms: Any,
) -> HttpResponse:
    """A refused change: the message next to the field (``at`` names the form), what was typed
    kept, status 400, nothing written."""
    if isinstance(error, RuleViolation):
        message, code = error.message(get_language()), error.code
    else:
        message, code = error, "invalid"
    if _inplace(request):
        return JsonResponse(
            {"ok": False, "error": message, "code": code, "confirm": confirm}, status=400
        )
    page = meeting_page(request=request, caja=caja, meeting=meeting, posted=posted)
    page.mark_error(at, message)
    page.confirm = confirm
    return render(request, "web/meeting.html", page_context(page, **forms), status=400)


@login_required
@require_POST
def meeting_open_view(request: HttpRequest, caja_id: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    if not user_can_record_meetings(user=request.user, caja=caja):
        raise PermissionDenied
    open_meeting = Meeting.objects.filter(caja=caja, status=MeetingStatus.OPEN).first()
    if open_meeting is not None:  # a second tap on «Abrir»: carry on with the one open
        messages.info(request, _("Meeting #%(n)s is open.") % {"n": open_meeting.number})
        return redirect(_here(caja, open_meeting))
    form = OpenMeetingForm(request.POST)
    if form.is_valid():
        try:
            meeting = meeting_start(
                caja_id=caja.pk,
                date=form.cleaned_data["date"],
                kind=form.cleaned_data["kind"],
                opened_by=request.user.get_username(),
            )
        except RuleViolation as exc:
            form.add_error(
                exc.field if exc.field in form.fields else None, exc.message(get_language())
            )
        else:
            return redirect(_here(caja, meeting))
    context = caja_page_context(request, caja)
    context["open_form"] = form
    return render(request, "web/caja.html", context, status=400)


@login_required
def meeting_detail(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    if not user_sees_all_members(user=request.user, caja=caja):
        raise PermissionDenied
    meeting = _meeting(caja, number)
    page = meeting_page(request=request, caja=caja, meeting=meeting)
    return render(request, "web/meeting.html", page_context(page))


@login_required
@require_GET
def meeting_receipts_view(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    """Each member's short receipt of a closed meeting, with a WhatsApp link where she agreed
    to receive it that way: for the officers who record meetings."""
    caja = _caja(request, caja_id)
    if not user_sees_all_members(user=request.user, caja=caja):
        raise PermissionDenied
    meeting = _meeting(caja, number)
    page = meeting_page(request=request, caja=caja, meeting=meeting)
    if meeting.is_open or not page.recorder:
        raise Http404
    return render(
        request,
        "web/meeting/receipts.html",
        {"caja": caja, "meeting": meeting, "receipts": meeting_receipts(meeting)},
    )


@login_required
@require_GET
def meeting_fragments_view(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    """The parts of the screen the server computes (totals, items, loans, the sheet's state)
    and every member's line, for the offline-first screen after it syncs (docs/offline.md)."""
    caja, meeting = _recording(request, caja_id, number)
    if not meeting.is_open:
        return JsonResponse({"redirect": _here(caja, meeting)})
    page = meeting_page(request=request, caja=caja, meeting=meeting)
    names = ["summary", "items", "loans", "sheet-state"]
    return JsonResponse(
        {
            "fragments": fragments(page, request, names),
            "sheet": {str(n): line for n, line in sheet_now(meeting).items()},
            "at": timezone.now().isoformat(),
        }
    )


@login_required
@require_POST
def sheet_save_view(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    """The whole sheet (without JavaScript, or the «Guardar» button)."""
    caja, meeting = _recording(request, caja_id, number)
    numbers = list(meeting.attendance.values_list("membership__number", flat=True))
    try:
        rows = parse_sheet(request.POST, numbers)
        meeting_sheet_save(
            meeting_id=meeting.pk,
            rows=rows,
            zero_shares_confirmed=request.POST.get("confirm_zero") == "1",
        )
    except SheetError as exc:
        message = _("Check the line of member #%(n)s.") % {"n": exc.args[0]}
        return _refused(request, caja, meeting, message, at="sheet", posted=request.POST)
    except SheetZeroShares as exc:
        return _refused(
            request, caja, meeting, exc, at="sheet", posted=request.POST, confirm="confirm_zero"
        )
    except RuleViolation as exc:
        return _refused(request, caja, meeting, exc, at="sheet", posted=request.POST)
    return _done(
        request,
        caja,
        meeting,
        _("Attendance and savings saved."),
        parts=["items", "sheet-state"],
        anchor="close",
    )


@login_required
@require_POST
def sheet_confirm_view(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    """«Todo como de costumbre»: the proposed sheet is the meeting."""
    caja, meeting = _recording(request, caja_id, number)
    try:
        meeting_sheet_confirm(
            meeting_id=meeting.pk, zero_shares_confirmed=request.POST.get("confirm_zero") == "1"
        )
    except SheetZeroShares as exc:
        return _refused(request, caja, meeting, exc, at="usual", confirm="confirm_zero")
    except RuleViolation as exc:
        return _refused(request, caja, meeting, exc, at="usual")
    return _done(
        request,
        caja,
        meeting,
        _("Sheet confirmed: everything as usual."),
        parts=["sheet-state"],
        anchor="close",
    )


@login_required
@require_POST
def row_save_view(request: HttpRequest, caja_id: int, number: int, member: int) -> HttpResponse:
    """One member's line, saved as it is changed (in place)."""
    caja, meeting = _recording(request, caja_id, number)
    try:
        rows = parse_sheet(request.POST, [member])
        meeting_sheet_save(meeting_id=meeting.pk, rows=rows)
    except SheetError:
        message = _("Check the line of member #%(n)s.") % {"n": member}
        return _refused(request, caja, meeting, message, at=f"row-{member}", posted=request.POST)
    except RuleViolation as exc:
        return _refused(request, caja, meeting, exc, at=f"row-{member}", posted=request.POST)
    return _done(request, caja, meeting, "", parts=["items"], rows=[member], anchor=f"row-{member}")


@login_required
@require_POST
def item_add_view(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    caja, meeting = _recording(request, caja_id, number)
    form = ItemForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return _refused(request, caja, meeting, str(first), at="item-new", item_form=form)
    data = form.cleaned_data
    try:
        item_record(
            meeting_id=meeting.pk,
            kind=data["kind"],
            amount=data["amount"],
            member=data["member"],
            description=data["description"],
        )
    except RuleViolation as exc:
        return _refused(request, caja, meeting, exc, at="item-new", item_form=form)
    return _done(request, caja, meeting, _("Item added."), parts=["items"], anchor="items")


def _item(meeting: Meeting, item_id: int) -> MeetingItem:
    item = MeetingItem.objects.filter(meeting=meeting, pk=item_id).first()
    if item is None:
        raise Http404
    return item


@login_required
@require_POST
def item_amount_view(request: HttpRequest, caja_id: int, number: int, item_id: int) -> HttpResponse:
    caja, meeting = _recording(request, caja_id, number)
    item = _item(meeting, item_id)
    try:
        item_update_amount(
            meeting_id=meeting.pk, item_id=item.pk, amount=request.POST.get("amount", "")
        )
    except RuleViolation as exc:
        return _refused(request, caja, meeting, exc, at=f"item-{item.pk}")
    return _done(
        request, caja, meeting, _("Amount changed."), parts=["items"], anchor=f"item-{item.pk}"
    )


@login_required
@require_POST
def item_remove_view(request: HttpRequest, caja_id: int, number: int, item_id: int) -> HttpResponse:
    """Remove an item; a proposed fine is waived (kept on record, not charged)."""
    caja, meeting = _recording(request, caja_id, number)
    item = MeetingItem.objects.filter(meeting=meeting, pk=item_id).first()
    if item is None or (item.proposed and item.waived):  # a second tap: already done
        return _done(request, caja, meeting, "", parts=["items", "loans"], anchor="items")
    try:
        item_remove(meeting_id=meeting.pk, item_id=item.pk)
    except RuleViolation as exc:
        return _refused(request, caja, meeting, exc, at=f"item-{item.pk}")
    message = _("Fine waived.") if item.proposed else _("Item removed.")
    return _done(request, caja, meeting, message, parts=["items", "loans"], anchor="items")


@login_required
@require_POST
def fine_pay_view(request: HttpRequest, caja_id: int, number: int, member: int) -> HttpResponse:
    """A member pays fines she owes from earlier meetings."""
    caja, meeting = _recording(request, caja_id, number)
    try:
        fine_owed_pay(meeting_id=meeting.pk, member=member, amount=request.POST.get("amount", ""))
    except RuleViolation as exc:
        return _refused(request, caja, meeting, exc, at=f"owed-{member}")
    return _done(request, caja, meeting, _("Fine collected."), parts=["items"], anchor="items")


@login_required
@require_POST
def fine_waive_view(request: HttpRequest, caja_id: int, number: int, member: int) -> HttpResponse:
    """The meeting forgives fines a member owes from earlier meetings."""
    caja, meeting = _recording(request, caja_id, number)
    try:
        fine_owed_waive(
            meeting_id=meeting.pk,
            member=member,
            amount=request.POST.get("amount", ""),
            reason=_("Waived by the meeting"),
        )
    except RuleViolation as exc:
        return _refused(request, caja, meeting, exc, at=f"owed-{member}")
    return _done(request, caja, meeting, _("Fine waived."), parts=["items"], anchor="items")


def _loan(caja: Caja, loan_id: int) -> Loan:
    loan = Loan.objects.filter(caja=caja, pk=loan_id).first()
    if loan is None:
        raise Http404
    return loan


@login_required
@require_POST
def loan_disburse_view(
    request: HttpRequest, caja_id: int, number: int, loan_id: int
) -> HttpResponse:
    caja, meeting = _recording(request, caja_id, number)
    loan = _loan(caja, loan_id)
    try:
        disbursement_record(meeting_id=meeting.pk, loan_id=loan.pk)
    except RuleViolation as exc:
        return _refused(request, caja, meeting, exc, at=f"loan-{loan.pk}")
    return _done(
        request,
        caja,
        meeting,
        _("Disbursement recorded; it is posted when the meeting closes."),
        parts=["loans", "items"],
        anchor="loans",
    )


@login_required
@require_POST
def loan_repay_view(request: HttpRequest, caja_id: int, number: int, loan_id: int) -> HttpResponse:
    caja, meeting = _recording(request, caja_id, number)
    loan = _loan(caja, loan_id)
    form = RepayForm(request.POST)
    if not form.is_valid():
        return _refused(request, caja, meeting, _("Enter the amount paid."), at=f"repay-{loan.pk}")
    try:
        repayment_record(
            meeting_id=meeting.pk,
            loan_id=loan.pk,
            amount=form.cleaned_data["amount"],
            prepay=form.cleaned_data["prepay"],
        )
    except RuleViolation as exc:
        return _refused(request, caja, meeting, exc, at=f"repay-{loan.pk}")
    return _done(
        request,
        caja,
        meeting,
        _("Payment recorded."),
        parts=["loans", "items"],
        anchor=f"repay-{loan.pk}",
    )


@login_required
@require_POST
def member_exit_view(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    caja, meeting = _recording(request, caja_id, number)
    try:
        row = member_exit(
            meeting_id=meeting.pk,
            member=parse_int(request.POST.get("member"), field="member", minimum=1, maximum=9999),
            reason=parse_choice(
                request.POST.get("reason"),
                field="reason",
                choices=LeaveReason.values,
                default=LeaveReason.WITHDRAWAL,
            ),
            recorded_by=request.user.get_username(),
            social_fund_help=request.POST.get("social_fund_help", "0") or "0",
        )
    except RuleViolation as exc:
        return _refused(request, caja, meeting, exc, at="exit")
    message = _("Exit settled: %(a)s USD paid.") % {"a": format_amount(row.paid_cents)}
    if _inplace(request):
        messages.success(request, message)
        return JsonResponse({"ok": True, "redirect": _here(caja, meeting)})
    messages.success(request, message)
    return redirect(_here(caja, meeting))


@login_required
@require_POST
def meeting_close_view(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    caja, meeting = _recording(request, caja_id, number)
    after = reverse("caja", kwargs={"caja_id": caja.pk})
    if not meeting.is_open:  # a second tap on «Cerrar» after the first went through
        messages.info(
            request, _("Meeting #%(n)s is closed; nothing was repeated.") % {"n": meeting.number}
        )
        if _inplace(request):
            return JsonResponse({"ok": True, "redirect": after})
        return redirect(after)
    form = CloseForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return _refused(request, caja, meeting, str(first), at="close-form", close_form=form)
    try:
        closed = meeting_close(
            meeting_id=meeting.pk,
            counted_cash=form.cleaned_data["counted_cash"],
            closed_by=request.user.get_username(),
        )
    except MeetingClosed:  # a second tap that waited for the first to finish
        messages.info(
            request, _("Meeting #%(n)s is closed; nothing was repeated.") % {"n": meeting.number}
        )
        if _inplace(request):
            return JsonResponse({"ok": True, "redirect": after})
        return redirect(after)
    except RuleViolation as exc:
        return _refused(request, caja, meeting, exc, at="close", close_form=form)
    if closed.cash_flagged:
        messages.warning(
            request, _("Meeting closed with a cash difference; it has been recorded and flagged.")
        )
    else:
        messages.success(request, _("Meeting closed and posted to the books."))
    if _inplace(request):
        return JsonResponse({"ok": True, "redirect": after})
    return redirect(after)
