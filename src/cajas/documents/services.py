"""Choosing what goes into a document and producing it (HTML or PDF)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import translation

from cajas.core.errors import NotFound
from cajas.documents import builders
from cajas.documents.render import KINDS, render_html, render_pdf
from cajas.loans.models import Loan
from cajas.meetings.models import Meeting
from cajas.members.models import ConsentPurpose, Membership
from cajas.members.selectors import persons_consenting
from cajas.org.models import Caja, Cycle, CycleStatus
from cajas.shareouts.models import ShareOut


def member_from_ref(caja: Caja, ref: str) -> Membership:
    """A member by number in the caja or by their pseudonymous code (S-…)."""
    qs = Membership.objects.filter(caja=caja).select_related("person")
    found = (
        qs.filter(number=int(ref)).first()
        if ref.isdigit()
        else qs.filter(person__code=ref.upper()).order_by("-joined_on").first()
    )
    if found is None:
        raise NotFound(what="el socio", what_en="member", ref=ref)
    return found


def document_sections(
    kind: str,
    *,
    lang: str = "es",
    **refs: Any,
) -> list[dict[str, Any]]:
    """The sections of a document, built in its language (account names and entry kinds are
    translated as they are read)."""
    with translation.override(lang):
        return _sections(kind, **refs)


def _sections(
    kind: str,
    *,
    caja: Caja,
    member: Membership | None = None,
    meeting: Meeting | None = None,
    loan: Loan | None = None,
    shareout: ShareOut | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    on: dt.date,
) -> list[dict[str, Any]]:
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    if kind in ("passbook", "credit-history"):
        members = (
            [member]
            if member is not None
            else [
                m
                for m in Membership.objects.filter(caja=caja)
                .select_related("person", "caja")
                .order_by("number")
                if m.active_on(on)
            ]
        )
        if kind == "passbook":
            return [builders.passbook(m, on) for m in members]
        if member is not None:
            return [builders.credit_history(member, on)]
        willing = persons_consenting(
            person_ids=[m.person_id for m in members], purpose=ConsentPurpose.CREDIT_LETTER
        )
        consenting = [m for m in members if m.person_id in willing]
        if not consenting:
            raise builders.NoCreditLetterConsent(member="—")
        return [builders.credit_history(m, on) for m in consenting]
    if kind in ("minutes", "receipt"):
        meeting = meeting or Meeting.objects.filter(caja=caja).order_by("-number").first()
        if meeting is None:
            raise NotFound(what="la reunión", what_en="meeting", ref="—")
        if kind == "minutes":
            return [builders.minutes(meeting)]
        members = (
            [member]
            if member is not None
            else [
                a.membership
                for a in meeting.attendance.select_related("membership__person").order_by(
                    "membership__number"
                )
            ]
        )
        return builders.receipts(list(members), meeting)
    if kind == "exit-settlement":
        from cajas.shareouts.models import MemberExit

        exits = MemberExit.objects.filter(membership__caja=caja).select_related(
            "membership__person", "membership__caja"
        )
        if member is not None:
            exits = exits.filter(membership=member)
        found = exits.order_by("-date").first()
        if found is None:
            raise NotFound(what="la salida", what_en="exit settlement", ref="—")
        return [builders.exit_settlement(found)]
    if kind == "loan-contract":
        loan = loan or Loan.objects.filter(caja=caja).order_by("-number").first()
        if loan is None:
            raise NotFound(what="el préstamo", what_en="loan", ref="—")
        return [builders.loan_contract(loan)]
    if kind == "shareout":
        shareout = shareout or ShareOut.objects.filter(caja=caja).order_by("-date").first()
        if shareout is None:
            raise NotFound(what="el reparto", what_en="share-out", ref="—")
        return [builders.shareout_report(shareout)]
    cycle = Cycle.objects.filter(caja=caja, status=CycleStatus.OPEN).first()
    start = date_from or (cycle.started_on if cycle else caja.founded_on)
    return [builders.statements(caja, start, date_to or on)]


def document_render(kind: str, sections: list[dict[str, Any]], *, lang: str, fmt: str) -> bytes:
    html = render_html(kind, sections, lang)
    if fmt == "html":
        return html.encode()
    return render_pdf(html)
