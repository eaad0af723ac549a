"""Reading corrections: who may propose or decide them, a closed meeting's entries and
corrections, the pending ones, and those decided between two dates (for the next minutes)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db.models import Q, QuerySet

from cajas.access.models import StaffAssignment, StaffRole
from cajas.access.selectors import AnyUser
from cajas.corrections.models import Correction, CorrectionStatus
from cajas.ledger.models import EntryKind, JournalEntry
from cajas.meetings.models import Meeting
from cajas.members.models import OFFICER_ROLES, Membership
from cajas.org.models import Caja

# What an officer may correct: the items a meeting posts for a member or the box. Loan
# entries are not here: a loan's schedule and allocation live beside the journal, so they are
# corrected on the loan's page (restructuring, write-off), never by a bare reversal.
CORRECTABLE_KINDS = (
    EntryKind.SHARE_PURCHASE,
    EntryKind.SOCIAL_FUND,
    EntryKind.FINE,
    EntryKind.ENTRY_FEE,
    EntryKind.OTHER_INCOME,
    EntryKind.EXPENSE,
)


def officer_membership(*, caja: Caja, username: str) -> Membership | None:
    """The active officer membership (president, treasurer, secretary) of ``username``."""
    if not username:
        return None
    return (
        Membership.objects.filter(
            caja=caja,
            person__user__username=username,
            left_on__isnull=True,
            role__in=OFFICER_ROLES,
        )
        .select_related("person")
        .first()
    )


def is_facilitator(*, caja: Caja, username: str) -> bool:
    return StaffAssignment.objects.filter(
        user__username=username, role=StaffRole.FACILITATOR, caja=caja
    ).exists()


def user_may_propose_corrections(*, user: AnyUser, caja: Caja) -> bool:
    return user.is_authenticated and (
        officer_membership(caja=caja, username=user.get_username()) is not None
    )


def user_may_decide_corrections(*, user: AnyUser, caja: Caja) -> bool:
    """Officers and the caja's facilitator; which correction is still COR-001's business."""
    if not user.is_authenticated:
        return False
    username = user.get_username()
    return officer_membership(caja=caja, username=username) is not None or is_facilitator(
        caja=caja, username=username
    )


def _with_people(qs: QuerySet[Correction]) -> QuerySet[Correction]:
    return qs.select_related(
        "meeting",
        "entry__membership__person",
        "proposed_by_membership__person",
        "decided_by_membership__person",
        "reversal",
        "replacement",
    )


def corrections_for_meeting(*, meeting: Meeting) -> list[Correction]:
    """Every correction of a meeting's entries, newest first (proposed, approved, rejected)."""
    return list(_with_people(Correction.objects.filter(meeting=meeting)).order_by("-number"))


def corrections_pending(*, caja: Caja) -> list[Correction]:
    return list(
        _with_people(
            Correction.objects.filter(caja=caja, status=CorrectionStatus.PROPOSED)
        ).order_by("number")
    )


def corrections_decided(*, caja: Caja, limit: int = 20) -> list[Correction]:
    return list(
        _with_people(
            Correction.objects.filter(caja=caja).exclude(status=CorrectionStatus.PROPOSED)
        ).order_by("-decided_at", "-number")[:limit]
    )


def corrections_between(*, caja: Caja, date_from: dt.date, date_to: dt.date) -> list[Correction]:
    """Approved corrections decided from ``date_from`` to ``date_to`` (both included, in the
    caja's time zone): what the next meeting's minutes report. Rejected ones changed nothing."""
    return list(
        _with_people(
            Correction.objects.filter(
                caja=caja,
                status=CorrectionStatus.APPROVED,
                decided_at__date__gte=date_from,
                decided_at__date__lte=date_to,
            )
        ).order_by("decided_at", "number")
    )


def correction_get(*, caja: Caja, number: int) -> Correction | None:
    return _with_people(Correction.objects.filter(caja=caja, number=number)).first()


def meeting_of_entry(entry: JournalEntry) -> Meeting | None:
    """The meeting an entry corrects: its own, or, for a replacement posted by an approved
    correction, the corrected meeting (so a correction can itself be corrected)."""
    if entry.meeting_id is not None:
        return entry.meeting
    replaced = (
        Correction.objects.filter(replacement=entry, status=CorrectionStatus.APPROVED)
        .select_related("meeting")
        .first()
    )
    return replaced.meeting if replaced is not None else None


class EntryRow(NamedTuple):
    entry: JournalEntry
    amount: int
    reversed: bool
    pending: Correction | None
    correctable: bool


def meeting_entry_rows(*, meeting: Meeting) -> list[EntryRow]:
    """A closed meeting's entries, and the replacements its approved corrections posted, with
    what may still be corrected (not reversed, no pending correction, a correctable kind)."""
    replacement_ids = Correction.objects.filter(
        meeting=meeting, status=CorrectionStatus.APPROVED, replacement__isnull=False
    ).values_list("replacement_id", flat=True)
    entries = list(
        JournalEntry.objects.filter(Q(meeting=meeting) | Q(pk__in=list(replacement_ids)))
        .exclude(kind=EntryKind.REVERSAL)
        .select_related("membership__person")
        .prefetch_related("lines")
        .order_by("seq")
    )
    ids = [e.pk for e in entries]
    reversed_ids = set(
        JournalEntry.objects.filter(reverses_id__in=ids).values_list("reverses_id", flat=True)
    )
    pending = {
        c.entry_id: c
        for c in Correction.objects.filter(entry_id__in=ids, status=CorrectionStatus.PROPOSED)
    }
    rows = []
    for e in entries:
        amount = sum(line.debit for line in e.lines.all())
        done = e.pk in reversed_ids
        waiting = pending.get(e.pk)
        rows.append(
            EntryRow(
                e,
                amount,
                done,
                waiting,
                not done
                and waiting is None
                and e.kind in CORRECTABLE_KINDS
                and not meeting.is_open,
            )
        )
    return rows
