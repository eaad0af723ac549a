"""The minutes of a meeting: who came, what was decided and how each member voted, the fines
waived, the corrections made to the books since the previous meeting, the share-out payouts.

Corrections are read generically from the journal (reversal entries, and replacement entries
whose memo starts "Corrección"), so whichever service made them, the minutes show them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cajas.documents.memos import CORRECTION_PREFIX, cancels_text, kind_text
from cajas.documents.people import officers, short_name
from cajas.ledger.models import EntryKind, JournalEntry
from cajas.loans.models import Loan, LoanStatus, Vote
from cajas.meetings.models import (
    ATTENDING,
    Attendance,
    ItemKind,
    Meeting,
    MeetingItem,
)
from cajas.shareouts.models import ShareOut


def tally_text(yes: list[str], no: list[str], abstain: list[str]) -> str:
    """``3 a favor: Ana P., Luis R., Rosa M.; 0 en contra; 1 abstención: Juan C.``"""

    def part(text: str, names: list[str]) -> str:
        return f"{text}: {', '.join(names)}" if names else text

    return "; ".join(
        [
            part(ngettext("%(n)s in favour", "%(n)s in favour", len(yes)) % {"n": len(yes)}, yes),
            part(ngettext("%(n)s against", "%(n)s against", len(no)) % {"n": len(no)}, no),
            part(
                ngettext("%(n)s abstention", "%(n)s abstentions", len(abstain))
                % {"n": len(abstain)},
                abstain,
            ),
        ]
    )


def _decisions(meeting: Meeting) -> list[dict[str, Any]]:
    loans = (
        Loan.objects.filter(caja=meeting.caja)
        .filter(Q(decided_on=meeting.date) | Q(votes__meeting=meeting))
        .distinct()
        .select_related("membership__person")
        .prefetch_related("votes__membership__person")
        .order_by("number")
    )
    rows = []
    for loan in loans:
        names: dict[str, list[str]] = {Vote.YES: [], Vote.NO: [], Vote.ABSTAIN: []}
        for v in sorted(loan.votes.all(), key=lambda v: v.membership.number):
            names[v.vote].append(short_name(v.membership.person))
        if loan.decided_on is None:
            decision = _("pending")
        elif loan.status == LoanStatus.REJECTED:
            decision = str(LoanStatus.REJECTED.label)
        else:
            decision = str(LoanStatus.APPROVED.label)
        rows.append(
            {
                "loan": loan,
                "decision": decision,
                "tally": tally_text(names[Vote.YES], names[Vote.NO], names[Vote.ABSTAIN]),
            }
        )
    return rows


def _corrections(meeting: Meeting) -> list[dict[str, Any]]:
    """Reversals (and replacement entries) dated after the previous meeting, up to this one."""
    previous = (
        Meeting.objects.filter(caja=meeting.caja, number__lt=meeting.number)
        .order_by("-number")
        .first()
    )
    window = Q(date__lte=meeting.date)
    if previous is not None:
        window &= Q(date__gt=previous.date)
    entries = (
        JournalEntry.objects.filter(caja=meeting.caja)
        .filter(window)
        .filter(Q(kind=EntryKind.REVERSAL) | Q(memo__startswith=CORRECTION_PREFIX))
        .select_related("reverses", "membership__person")
        .annotate(amount=Sum("lines__debit"))
        .order_by("seq")
    )
    rows = []
    for e in entries:
        if e.kind == EntryKind.REVERSAL and e.reverses is not None:
            what = cancels_text(e.reverses, e.amount or 0)
        else:
            what = f"{kind_text(e.kind)} · {e.memo}"
        rows.append(
            {
                "entry": e,
                "member": e.membership,
                "what": what,
                "amount": e.amount or 0,
                "replacement": e.kind != EntryKind.REVERSAL,
            }
        )
    return rows


def minutes(meeting: Meeting) -> dict[str, Any]:
    caja = meeting.caja
    attendance = list(
        Attendance.objects.filter(meeting=meeting)
        .select_related("membership__person")
        .order_by("membership__number")
    )
    present = sum(1 for a in attendance if a.status in ATTENDING)
    totals: dict[str, int] = {}
    for row in (
        MeetingItem.objects.filter(meeting=meeting, waived=False)
        .values("kind")
        .annotate(total=Sum("amount_cents"))
    ):
        totals[row["kind"]] = row["total"]
    waived = list(
        MeetingItem.objects.filter(meeting=meeting, kind=ItemKind.FINE, waived=True)
        .select_related("membership__person")
        .order_by("membership__number", "id")
    )
    disbursed = list(Loan.objects.filter(disbursed_at=meeting).select_related("membership__person"))
    shareout = ShareOut.objects.filter(meeting=meeting).first()
    payouts = (
        list(shareout.payouts.select_related("membership__person").order_by("membership__number"))
        if shareout
        else []
    )
    return {
        "caja": caja,
        "meeting": meeting,
        "attendance": attendance,
        "present": present,
        "listed": len(attendance),
        "totals": [(ItemKind(k).label, v) for k, v in sorted(totals.items())],
        "decided": _decisions(meeting),
        "waived": waived,
        "corrections": _corrections(meeting),
        "disbursed": disbursed,
        "shareout": shareout,
        "payouts": payouts,
        "payouts_total": sum(p.amount_cents for p in payouts),
        "officers": officers(caja),
    }
