"""The member's own passbook on her phone, and the same page for an officer looking at one
member. A plain member reaches only her own: any other member's number is a 404, exactly as
if it did not exist (docs/domain.md §10).

Both pages show her consents (LOPDP): she gives or withdraws them herself on her page; an
officer of the caja records them on the member's page only by ticking that she is present
(``members.services.consent_give`` / ``consent_withdraw`` decide who may). Every view of the
page is written to the access log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cajas.access.models import AccessWhat
from cajas.access.selectors import membership_of_user, user_sees_all_members
from cajas.core.errors import RuleViolation
from cajas.documents.passbook import member_passbook
from cajas.members.models import OFFICER_ROLES, ConsentPurpose, Membership
from cajas.members.selectors import consents_of, membership_by_number
from cajas.members.services import consent_give, consent_withdraw
from cajas.web.audit import log_read
from cajas.web.views import _caja, _rule_error


def consent_rows(membership: Membership) -> list[dict[str, Any]]:
    """Each purpose with the consent in force (if any) and the past ones."""
    history = consents_of(person_id=membership.person_id)
    rows = []
    for purpose in ConsentPurpose:
        mine = [c for c in history if c.purpose == purpose]
        rows.append(
            {
                "purpose": purpose.value,
                "label": purpose.label,
                "current": next((c for c in mine if c.withdrawn_at is None), None),
                "past": [c for c in mine if c.withdrawn_at is not None],
            }
        )
    return rows


def _render(request: HttpRequest, membership: Membership, own: bool) -> HttpResponse:
    log_read(
        request,
        AccessWhat.PASSBOOK if own else AccessWhat.MEMBER_PAGE,
        person=membership.person,
        caja=membership.caja,
    )
    context = member_passbook(membership, timezone.localdate())
    context["own"] = own
    context["consents"] = consent_rows(membership)
    officer = membership_of_user(user=request.user, caja=membership.caja)
    context["can_attest"] = (
        not own and officer is not None and officer.role in OFFICER_ROLES and membership.is_active
    )
    return render(request, "web/passbook.html", context)


@login_required
def my_passbook_view(request: HttpRequest, caja_id: int) -> HttpResponse:
    caja = _caja(request, caja_id)
    own = membership_of_user(user=request.user, caja=caja)
    if own is None:
        raise Http404
    own.caja = caja
    return _render(request, own, own=True)


def _member(request: HttpRequest, caja_id: int, number: int) -> tuple[Membership, bool]:
    """The member ``number`` of a caja the user sees, and whether it is the user herself."""
    caja = _caja(request, caja_id)
    own = membership_of_user(user=request.user, caja=caja)
    if own is not None and own.number == number:
        own.caja = caja
        return own, True
    if not user_sees_all_members(user=request.user, caja=caja):
        raise Http404
    membership = membership_by_number(caja.pk, number)
    if membership is None:
        raise Http404
    membership.caja = caja
    return membership, False


@login_required
def member_passbook_view(request: HttpRequest, caja_id: int, number: int) -> HttpResponse:
    membership, own = _member(request, caja_id, number)
    return _render(request, membership, own=own)


def _back(membership: Membership, own: bool) -> HttpResponse:
    if own:
        return redirect(f"/cajas/{membership.caja_id}/passbook/#consents")
    return redirect(f"/cajas/{membership.caja_id}/members/{membership.number}/passbook/#consents")


def _consent_change(
    request: HttpRequest,
    caja_id: int,
    number: int,
    purpose: str,
    change: Callable[..., object],
    done: str,
) -> HttpResponse:
    if purpose not in ConsentPurpose.values:
        raise Http404
    membership, own = _member(request, caja_id, number)
    try:
        change(
            person_id=membership.person_id,
            purpose=purpose,
            by=request.user,
            attested=request.POST.get("attested") == "on",
        )
    except RuleViolation as exc:
        _rule_error(request, exc)
    else:
        messages.success(request, done)
    return _back(membership, own)


@login_required
@require_POST
def consent_give_view(
    request: HttpRequest, caja_id: int, number: int, purpose: str
) -> HttpResponse:
    """The member gives a consent, or an officer records it with her present."""
    return _consent_change(request, caja_id, number, purpose, consent_give, _("Consent recorded."))


@login_required
@require_POST
def consent_withdraw_view(
    request: HttpRequest, caja_id: int, number: int, purpose: str
) -> HttpResponse:
    """The member withdraws a consent, or an officer records it with her present."""
    return _consent_change(
        request, caja_id, number, purpose, consent_withdraw, _("Consent withdrawn.")
    )
