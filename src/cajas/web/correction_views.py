"""Correction pages: a closed meeting's entries with a "Correct" link, the proposal form, and
the caja's corrections where another officer or the facilitator approves or rejects them.

One URL and one view per action. Access is scoped as for meetings: the caja must be visible
(404 otherwise) and the user must see the whole roll (403 for a plain member); proposing takes
an officer, deciding an officer or the facilitator (the services check COR-001 and the rest).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cajas.access.selectors import user_sees_all_members
from cajas.core.errors import RuleViolation
from cajas.core.money import decimal_string
from cajas.core.parsing import parse_text
from cajas.corrections.rules import REASON_MAX
from cajas.corrections.selectors import (
    EntryRow,
    correction_get,
    corrections_decided,
    corrections_pending,
    meeting_entry_rows,
    user_may_decide_corrections,
    user_may_propose_corrections,
)
from cajas.corrections.services import (
    correction_approve,
    correction_propose,
    correction_reject,
)
from cajas.meetings.models import Meeting
from cajas.org.models import Caja
from cajas.web.views import _caja


class CorrectionForm(forms.Form):
    """Only the shape; the amount and the reason are checked by the service's rules, so the
    messages are the rules' own, in both languages."""

    amount = forms.CharField(
        label=gettext_lazy("Right amount (USD)"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("0 if the entry should not exist."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _visible_caja(request: HttpRequest, caja_id: int) -> Caja:
    caja = _caja(request, caja_id)
    if not user_sees_all_members(user=request.user, caja=caja):
        raise PermissionDenied
    return caja


def _closed_meeting(caja: Caja, number: int) -> Meeting:
    meeting = Meeting.objects.filter(caja=caja, number=number).first()
    if meeting is None or meeting.is_open:
        raise Http404
    return meeting


@login_required
def meeting_entries_view(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    """What a closed meeting posted, each entry with its state and, for officers, "Correct"."""
    caja = _visible_caja(request, caja_id)
    meeting = _closed_meeting(caja, number)
    context = {
        "caja": caja,
        "meeting": meeting,
        "rows": meeting_entry_rows(meeting=meeting),
        "may_propose": user_may_propose_corrections(user=request.user, caja=caja),
    }
    return render(request, "web/corrections/entries.html", context)


def _row(meeting: Meeting, seq: int) -> EntryRow:
    row = next((r for r in meeting_entry_rows(meeting=meeting) if r.entry.seq == seq), None)
    if row is None:
        raise Http404
    return row


@login_required
def correction_propose_view(
    request: HttpRequest, caja_id: int, number: int, seq: int
) -> HttpResponse:
    caja = _visible_caja(request, caja_id)
    if not user_may_propose_corrections(user=request.user, caja=caja):
        raise PermissionDenied
    meeting = _closed_meeting(caja, number)
    row = _row(meeting, seq)
    form = CorrectionForm(request.POST or None, initial={"amount": decimal_string(row.amount)})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            correction = correction_propose(
                caja_id=caja.pk,
                seq=seq,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                by=request.user.get_username(),
            )
        except RuleViolation as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, exc.message(get_language()))
        else:
            messages.success(
                request,
                _("Correction #%(n)s proposed; another officer or the facilitator must approve it.")
                % {"n": correction.number},
            )
            return redirect("corrections", caja_id=caja.pk)
    if request.method == "POST":
        status = 400
    context = {"caja": caja, "meeting": meeting, "row": row, "form": form}
    return render(request, "web/corrections/propose.html", context, status=status)


def _list(
    request: HttpRequest, caja: Caja, errors: dict[int, str] | None = None, status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {
        "caja": caja,
        "pending": corrections_pending(caja=caja),
        "decided": corrections_decided(caja=caja),
        "may_decide": user_may_decide_corrections(user=request.user, caja=caja),
        "username": request.user.get_username(),
        "errors": errors or {},
    }
    return render(request, "web/corrections/list.html", context, status=status)


@login_required
def corrections_view(request: HttpRequest, caja_id: int) -> HttpResponse:
    """The caja's pending corrections (to approve or reject) and the latest decided ones."""
    return _list(request, _visible_caja(request, caja_id))


def _decidable(request: HttpRequest, caja_id: int, number: int) -> Caja:
    caja = _visible_caja(request, caja_id)
    if not user_may_decide_corrections(user=request.user, caja=caja):
        raise PermissionDenied
    if correction_get(caja=caja, number=number) is None:
        raise Http404
    return caja


@login_required
@require_POST
def correction_approve_view(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    caja = _decidable(request, caja_id, number)
    try:
        correction_approve(caja_id=caja.pk, number=number, by=request.user.get_username())
    except RuleViolation as exc:
        return _list(request, caja, {number: exc.message(get_language())}, status=400)
    messages.success(
        request, _("Correction #%(n)s approved and posted to the books.") % {"n": number}
    )
    return redirect("corrections", caja_id=caja.pk)


@login_required
@require_POST
def correction_reject_view(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    caja = _decidable(request, caja_id, number)
    try:
        correction_reject(
            caja_id=caja.pk,
            number=number,
            by=request.user.get_username(),
            note=parse_text(request.POST.get("note"), field="note", max_length=160),
        )
    except RuleViolation as exc:
        return _list(request, caja, {number: exc.message(get_language())}, status=400)
    messages.success(
        request, _("Correction #%(n)s rejected; the books are unchanged.") % {"n": number}
    )
    return redirect("corrections", caja_id=caja.pk)
