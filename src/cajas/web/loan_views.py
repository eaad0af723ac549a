"""Loan pages: list and portfolio, the simulator, the application, and one loan's page
(contract with the crédito digno comparison, schedule, votes, decision, restructuring and
write-off). Disbursements and repayments are recorded on the meeting page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cajas.access.selectors import (
    membership_of_user,
    user_can_record_meetings,
    user_is_program_admin,
    user_sees_all_members,
)
from cajas.core.errors import RuleViolation
from cajas.core.money import parse_amount
from cajas.core.parsing import parse_text
from cajas.loans.application import loan_apply, loan_decide, loan_vote, voters_for
from cajas.loans.models import Loan, LoanStatus, Vote
from cajas.loans.rates import loan_terms_simulate, rate_cap_set, rate_caps
from cajas.loans.recovery import loan_restructure, loan_write_off_approve, loan_write_off_request
from cajas.loans.selectors import (
    borrowing_limit,
    loan_lines,
    loan_lines_of,
    portfolio,
    schedule_rows,
)
from cajas.meetings.models import ItemKind, MeetingStatus
from cajas.meetings.selectors import cash_for_lending, open_meeting_of
from cajas.members.models import Membership
from cajas.members.selectors import membership_by_number
from cajas.org.models import Caja
from cajas.org.selectors import bylaws_in_force
from cajas.web.forms import (
    LoanApplyForm,
    RateCapForm,
    RestructureForm,
    SimulateForm,
    WriteOffForm,
    today,
)
from cajas.web.views import _caja, _rule_error


def _member_for(request: HttpRequest, caja: Caja, number: int | None) -> Membership | None:
    """A member sees and applies only for themself; a recorder may pick any member."""
    own = membership_of_user(user=request.user, caja=caja)
    if user_can_record_meetings(user=request.user, caja=caja) and number:
        return membership_by_number(caja.pk, number)
    if user_sees_all_members(user=request.user, caja=caja) and number:
        return membership_by_number(caja.pk, number)
    return own


@login_required
def loans_view(request: HttpRequest, caja_id: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    sees_all = user_sees_all_members(user=request.user, caja=caja)
    own = membership_of_user(user=request.user, caja=caja)
    if sees_all:
        lines = loan_lines(caja, today())
    elif own is not None:
        lines = loan_lines_of(caja, today(), own)
    else:
        raise PermissionDenied
    context: dict[str, Any] = {
        "caja": caja,
        "lines": lines,
        "portfolio": portfolio(lines) if sees_all else None,
        "can_record": user_can_record_meetings(user=request.user, caja=caja),
        "apply_form": LoanApplyForm(),
        "sees_all": sees_all,
    }
    return render(request, "web/loans.html", context)


@login_required
def simulator_view(request: HttpRequest, caja_id: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    form = SimulateForm(request.GET or None)
    sim = limit = member = None
    error = ""
    on = today()
    bylaws = bylaws_in_force(caja, on)
    if form.is_valid():
        member = _member_for(request, caja, form.cleaned_data.get("member"))
        try:
            cents = parse_amount(form.cleaned_data["amount"])
            sim = loan_terms_simulate(
                caja=caja, principal=cents, term=form.cleaned_data["term"], on=on, bylaws=bylaws
            )
        except RuleViolation as exc:
            error = exc.message(request.LANGUAGE_CODE)
    else:
        member = _member_for(request, caja, None)
    if member is not None:
        limit = borrowing_limit(caja, member, on, cash_for_lending(caja_id=caja.pk))
    context = {
        "caja": caja,
        "form": form,
        "sim": sim,
        "limit": limit,
        "member": member,
        "error": error,
        "bylaws": bylaws,
        "can_record": user_can_record_meetings(user=request.user, caja=caja),
        "apply_form": LoanApplyForm(request.GET or None) if sim else None,
    }
    return render(request, "web/simulator.html", context)


@login_required
@require_POST
def loan_apply_view(request: HttpRequest, caja_id: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    form = LoanApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the amount, the number of installments and the purpose."))
        return redirect("loans", caja_id=caja.pk)
    own = membership_of_user(user=request.user, caja=caja)
    recorder = user_can_record_meetings(user=request.user, caja=caja)
    number = form.cleaned_data.get("member")
    if not recorder and (own is None or (number and number != own.number)):
        raise PermissionDenied  # members apply for themselves only
    member = _member_for(request, caja, number)
    if member is None:
        raise PermissionDenied
    try:
        loan = loan_apply(
            caja_id=caja.pk,
            member=member.number,
            amount=form.cleaned_data["amount"],
            term=form.cleaned_data["term"],
            purpose=form.cleaned_data["purpose"],
            on=today(),
            guarantors=form.guarantor_numbers(),
            cash_available=cash_for_lending(caja_id=caja.pk),
        )
    except RuleViolation as exc:
        _rule_error(request, exc)
        # Back to the simulator with what was typed: the application's own fields only (never
        # the form's CSRF or one-time tokens in the address bar).
        kept = QueryDict(mutable=True)
        for name in ("amount", "term", "member", "purpose", "guarantors"):
            if request.POST.get(name):
                kept[name] = request.POST[name]
        return redirect(f"{_simulator_url(caja)}?{kept.urlencode()}")
    messages.success(request, _("Application recorded: it now goes to the vote."))
    return redirect("loan", caja_id=caja.pk, number=loan.number)


def _simulator_url(caja: Caja) -> str:
    return reverse("simulator", args=[caja.pk])


def _loan(caja: Caja, number: int) -> Loan:
    loan = (
        Loan.objects.filter(caja=caja, number=number)
        .select_related("membership__person", "disbursed_at")
        .first()
    )
    if loan is None:
        raise Http404
    return loan


@login_required
def loan_view(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    loan = _loan(caja, number)
    sees_all = user_sees_all_members(user=request.user, caja=caja)
    own = membership_of_user(user=request.user, caja=caja)
    if not sees_all and loan.membership != own:
        raise Http404
    recorder = user_can_record_meetings(user=request.user, caja=caja)
    if request.method == "POST":
        if not (recorder or (own is not None and own.role != "member")):
            raise PermissionDenied
        return _loan_post(request, caja, loan, own)
    on = today()
    votes = {v.membership_id: v.vote for v in loan.votes.all()}
    voters = voters_for(loan, on) if loan.status == LoanStatus.APPLIED else []
    sim = loan_terms_simulate(
        caja=caja,
        principal=loan.principal_cents,
        term=loan.term,
        on=loan.applied_on,
        bylaws=bylaws_in_force(caja, loan.applied_on),
    )
    line = next(iter(x for x in loan_lines_of(caja, on, loan.membership) if x.loan.pk == loan.pk))
    context = {
        "caja": caja,
        "loan": loan,
        "line": line,
        "sim": sim,
        "rows": schedule_rows(loan),
        "history": [
            (r, schedule_rows(loan, r.from_version)) for r in loan.restructurings.order_by("on")
        ],
        "voters": [(m, votes.get(m.pk, "")) for m in voters],
        "vote_choices": Vote.choices,
        "recorder": recorder,
        "open_meeting": open_meeting_of(caja.pk) if loan.status == LoanStatus.APPROVED else None,
        "officer": own if own is not None and own.role != "member" else None,
        "guarantors": [g.membership for g in loan.guarantors.select_related("membership__person")],
        "repayments": loan.items.filter(
            kind=ItemKind.LOAN_REPAYMENT, meeting__status=MeetingStatus.CLOSED
        )
        .select_related("meeting")
        .order_by("meeting__date"),
        # Both forms have a "reason" field: distinct ids, so each label names its own input.
        "restructure_form": RestructureForm(auto_id="restructure_%s"),
        "write_off_form": WriteOffForm(auto_id="write_off_%s"),
    }
    return render(request, "web/loan.html", context)


def _loan_post(
    request: HttpRequest, caja: Caja, loan: Loan, own: Membership | None
) -> HttpResponse:
    action = request.POST.get("action", "")
    here = redirect("loan", caja_id=caja.pk, number=loan.number)
    on = today()
    recorder = user_can_record_meetings(user=request.user, caja=caja)
    try:
        if action in ("votes", "decide") and recorder:
            for member in voters_for(loan, on):
                vote = request.POST.get(f"vote_{member.number}", "")
                if vote in Vote.values:
                    loan_vote(loan_id=loan.pk, member=member.number, vote=vote, on=on)
            if action == "votes":
                messages.success(request, _("Votes recorded."))
                return here
            decided = loan_decide(
                loan_id=loan.pk, on=on, cash_available=cash_for_lending(caja_id=loan.caja_id)
            )
            if decided.status == LoanStatus.APPROVED:
                messages.success(request, _("Loan approved."))
            else:
                messages.warning(request, _("Loan rejected by the vote."))
        elif action == "restructure" and recorder:
            form = RestructureForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Give the new number of installments and the reason."))
                return here
            loan_restructure(
                loan_id=loan.pk,
                term=form.cleaned_data["term"],
                on=on,
                reason=form.cleaned_data["reason"],
                recorded_by=request.user.get_username(),
            )
            messages.success(request, _("Loan restructured; the earlier schedule is kept below."))
        elif action == "write_off_request" and own is not None:
            reason = parse_text(request.POST.get("reason"), field="reason", max_length=300)
            loan_write_off_request(loan_id=loan.pk, member=own.number, reason=reason, on=on)
            messages.success(request, _("Write-off requested; another officer must approve it."))
        elif action == "write_off_approve" and own is not None:
            loan_write_off_approve(
                loan_id=loan.pk, member=own.number, on=on, recorded_by=request.user.get_username()
            )
            messages.success(request, _("Loan written off and posted to the books."))
        else:
            raise PermissionDenied
    except RuleViolation as exc:
        _rule_error(request, exc)
    return here


@login_required
def rate_caps_view(request: HttpRequest) -> HttpResponse:
    """The legal TEA caps with their effective dates; program admins add new ones."""
    admin = user_is_program_admin(user=request.user)
    form = RateCapForm(request.POST or None)
    if request.method == "POST":
        if not admin:
            raise PermissionDenied
        if form.is_valid():
            try:
                rate_cap_set(
                    segment=form.cleaned_data["segment"],
                    tea_percent=form.cleaned_data["tea_percent"],
                    effective_from=form.cleaned_data["effective_from"],
                    source=form.cleaned_data["source"],
                )
            except RuleViolation as exc:
                _rule_error(request, exc)
            else:
                messages.success(request, _("Rate cap saved."))
                return redirect("rate_caps")
    return render(
        request, "web/rate_caps.html", {"caps": rate_caps(), "form": form, "admin": admin}
    )
