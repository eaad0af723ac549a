"""Proposing, approving and rejecting corrections of closed meetings (maker-checker).

Every service locks the caja row first (``caja_lock``): a decision reads balances and posts to
the chain, and two officers approving at once must not both post. Nothing reaches the journal
before approval; approval posts, in one transaction, the reversal of the entry and, unless the
right amount is zero, a replacement with the same accounts and the right amount, under keys
derived from the correction's number, so approving twice posts once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation

from cajas.access.models import StaffAssignment, StaffRole
from cajas.core.errors import NotFound
from cajas.core.money import format_amount, parse_amount
from cajas.corrections.models import Correction, CorrectionStatus
from cajas.corrections.rules import (
    AdminOnly,
    CorrectionPending,
    DeciderNotAllowed,
    EntryNotCorrectable,
    EntryNotFromMeeting,
    MeetingStillOpen,
    NothingToCorrect,
    ProposerNotOfficer,
    SharesNotWhole,
    check_not_own,
    check_reason,
    check_undecided,
    entry_amount,
    posting_order,
    replacement_lines,
)
from cajas.corrections.selectors import (
    CORRECTABLE_KINDS,
    correction_get,
    is_facilitator,
    meeting_of_entry,
    officer_membership,
)
from cajas.ledger import chart
from cajas.ledger.models import DEBIT_NORMAL, Account, EntryKind, JournalEntry
from cajas.ledger.rules import AlreadyReversed, Line, ReversalOfReversal
from cajas.ledger.selectors import member_savings
from cajas.ledger.services import EntryDraft, entries_post, member_ref, reversal_draft
from cajas.meetings.models import Meeting
from cajas.meetings.rules import check_capital_cap, check_shares
from cajas.org.models import Caja
from cajas.org.selectors import bylaws_in_force
from cajas.org.services import caja_lock

Amount = str | int | Decimal


def _entry(caja: Caja, seq: int) -> JournalEntry:
    entry = (
        JournalEntry.objects.select_related("membership", "meeting")
        .prefetch_related("lines__account")
        .filter(caja=caja, seq=seq)
        .first()
    )
    if entry is None:
        raise NotFound(what="el asiento", what_en="entry", ref=seq)
    return entry


def _lines(entry: JournalEntry) -> list[Line]:
    return [Line(x.account.code, x.debit, x.credit) for x in entry.lines.all()]


def _correctable(entry: JournalEntry) -> Meeting:
    """The closed meeting ``entry`` belongs to, or the rule it breaks."""
    if entry.kind == EntryKind.REVERSAL:
        raise ReversalOfReversal(seq=entry.seq)
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise AlreadyReversed(seq=entry.seq)
    meeting = meeting_of_entry(entry)
    if meeting is None:
        raise EntryNotFromMeeting(seq=entry.seq)
    if meeting.is_open:
        raise MeetingStillOpen(number=meeting.number)
    if entry.kind not in CORRECTABLE_KINDS or len(entry.lines.all()) != 2:
        kind = EntryKind(entry.kind)
        with translation.override("es"):
            kind_es = str(kind.label)
        with translation.override("en"):
            kind_en = str(kind.label)
        raise EntryNotCorrectable(seq=entry.seq, kind_es=kind_es, kind_en=kind_en)
    return meeting


def _deltas(lines: list[Line], kinds: dict[str, str]) -> dict[str, int]:
    deltas: dict[str, int] = {}
    for x in lines:
        signed = x.debit - x.credit if kinds[x.account] in DEBIT_NORMAL else x.credit - x.debit
        deltas[x.account] = deltas.get(x.account, 0) + signed
    return deltas


def _account_names(code: str) -> tuple[str, str]:
    suffix = f" {code}" if "." in code else ""
    with translation.override("es"):
        es = chart.account_name(code) + suffix
    with translation.override("en"):
        en = chart.account_name(code) + suffix
    return es, en


def _reversal_first(caja: Caja, entry: JournalEntry, amount: int) -> bool:
    """Check that the correction keeps the box and every member's savings at or above zero,
    on today's balances, and say which entry goes first (``rules.posting_order``)."""
    lines = _lines(entry)
    accounts = {
        code: (kind, balance)
        for code, kind, balance in Account.objects.filter(
            caja=caja, code__in=[x.account for x in lines]
        ).values_list("code", "kind", "balance_cents")
    }
    kinds = {code: kind for code, (kind, _b) in accounts.items()}
    reversal = {code: -delta for code, delta in _deltas(lines, kinds).items()}
    replacement = _deltas(replacement_lines(lines, amount), kinds) if amount else {}
    guarded = {c: b for c, (_k, b) in accounts.items() if chart.must_stay_non_negative(c)}
    return posting_order(
        balances=guarded,
        reversal=reversal,
        replacement=replacement,
        names={code: _account_names(code) for code in guarded},
    )


def _check_share_purchase(caja: Caja, meeting: Meeting, entry: JournalEntry, amount: int) -> None:
    """A corrected share purchase keeps the meeting's rules: whole shares within SAV-001's
    range, and no more total savings than CAJA-002 allows (0 = no purchase at all)."""
    if entry.kind != EntryKind.SHARE_PURCHASE or amount == 0 or entry.membership is None:
        return
    bylaws = bylaws_in_force(caja, meeting.date)
    value = bylaws.share_value_cents
    if amount % value:
        raise SharesNotWhole(value=format_amount(value), amount=format_amount(amount))
    check_shares(
        member=entry.membership.number,
        shares=amount // value,
        min_shares=bylaws.min_shares_per_meeting,
        max_shares=bylaws.max_shares_per_meeting,
    )
    added = amount - entry_amount(_lines(entry))
    if added > 0:
        savings = sum(member_savings(caja=caja.pk).values())
        check_capital_cap(savings_before=savings, purchases=added, cap=bylaws.max_capital_cents)


def _next_number(caja: Caja) -> int:
    return (Correction.objects.filter(caja=caja).aggregate(m=Max("number"))["m"] or 0) + 1


class _Change(NamedTuple):
    entry: JournalEntry
    meeting: Meeting
    cents: int  # the right amount
    posted: int  # the amount the entry posted
    reason: str


def _change_checked(caja: Caja, seq: int, amount: Amount, reason: str) -> _Change:
    """What every correction checks first: entry ``seq`` is a closed meeting's and of a kind
    that can be corrected, no correction of it is pending, the amount is another one than it
    posted, and the reason is given."""
    entry = _entry(caja, seq)
    meeting = _correctable(entry)
    pending = Correction.objects.filter(entry=entry, status=CorrectionStatus.PROPOSED).first()
    if pending is not None:
        raise CorrectionPending(seq=entry.seq, number=pending.number)
    cents = parse_amount(amount, field="amount", allow_zero=True)
    posted = entry_amount(_lines(entry))
    if cents == posted:
        raise NothingToCorrect(amount=format_amount(posted))
    return _Change(entry, meeting, cents, posted, check_reason(reason))


@transaction.atomic
def correction_propose(
    *,
    caja_id: int,
    seq: int,
    amount: Amount,
    reason: str,
    by: str,
    now: dt.datetime | None = None,
) -> Correction:
    """An officer proposes the right amount (0: the entry should not exist) for entry ``seq``
    of a closed meeting. Writes the proposal only; the books change at approval."""
    caja = caja_lock(caja_id=caja_id)
    proposer = officer_membership(caja=caja, username=by)
    if proposer is None:
        raise ProposerNotOfficer()
    change = _change_checked(caja, seq, amount, reason)
    entry, meeting, cents = change.entry, change.meeting, change.cents
    _check_share_purchase(caja, meeting, entry, cents)
    _reversal_first(caja, entry, cents)
    return Correction.objects.create(
        caja=caja,
        number=_next_number(caja),
        meeting=meeting,
        entry=entry,
        posted_cents=change.posted,
        amount_cents=cents,
        reason=change.reason,
        proposed_by=by,
        proposed_by_membership=proposer,
        proposed_at=now or timezone.now(),
    )


def _post(caja: Caja, correction: Correction, *, by: str, when: dt.datetime) -> None:
    """Post the reversal and the replacement and link them to ``correction``."""
    entry = _entry(caja, correction.entry.seq)
    meeting = _correctable(entry)
    on = timezone.localdate(when)
    _check_share_purchase(caja, meeting, entry, correction.amount_cents)
    reversal_first = _reversal_first(caja, entry, correction.amount_cents)
    reversal = reversal_draft(
        original=entry,
        reason=correction.reason,
        key=f"correction:{correction.number}:reversal",
        on=on,
    )
    drafts = [reversal]
    if correction.amount_cents > 0:
        replacement = EntryDraft(
            key=f"correction:{correction.number}:replacement",
            kind=entry.kind,
            date=on,
            lines=tuple(replacement_lines(_lines(entry), correction.amount_cents)),
            # Hashed into the chain: written once, in Spanish like the rest of the book.
            memo=f"Corrección de la reunión n.º {meeting.number}: {correction.reason}"[:200],
            member=member_ref(entry.membership) if entry.membership else None,
        )
        drafts = [reversal, replacement] if reversal_first else [replacement, reversal]
    entries_post(caja=caja, drafts=drafts, recorded_by=by, now=when)
    posted = dict(
        JournalEntry.objects.filter(
            caja=caja, idempotency_key__in=[d.key for d in drafts]
        ).values_list("idempotency_key", "id")
    )
    correction.reversal_id = posted[reversal.key]
    correction.replacement_id = posted.get(f"correction:{correction.number}:replacement")


def _pending(caja: Caja, number: int, action: str) -> Correction | None:
    """The correction to decide; ``None`` when it already took the decision ``action`` asks
    for (deciding twice returns the first result)."""
    correction = correction_get(caja=caja, number=number)
    if correction is None:
        raise NotFound(what="la corrección", what_en="correction", ref=number)
    if correction.status == action:
        return None
    check_undecided(number=number, status=correction.status)
    return correction


def _decider(caja: Caja, by: str) -> tuple[str, int | None]:
    officer = officer_membership(caja=caja, username=by)
    if officer is not None:
        return by, officer.pk
    if is_facilitator(caja=caja, username=by):
        return by, None
    raise DeciderNotAllowed()


@transaction.atomic
def correction_approve(
    *, caja_id: int, number: int, by: str, now: dt.datetime | None = None
) -> Correction:
    """A second officer or the facilitator approves: the reversal and the replacement are
    posted now, dated today. Approving an approved correction returns it and posts nothing."""
    caja = caja_lock(caja_id=caja_id)
    username, membership_id = _decider(caja, by)
    correction = _pending(caja, number, CorrectionStatus.APPROVED)
    if correction is None:
        return _refetch(caja, number)
    check_not_own(number=number, proposer=correction.proposed_by, decider=username)
    when = now or timezone.now()
    _post(caja, correction, by=username, when=when)
    correction.status = CorrectionStatus.APPROVED
    correction.decided_by = username
    correction.decided_by_membership_id = membership_id
    correction.decided_at = when
    correction.save(
        update_fields=[
            "status",
            "decided_by",
            "decided_by_membership",
            "decided_at",
            "reversal",
            "replacement",
        ]
    )
    return _refetch(caja, number)


@transaction.atomic
def correction_reject(
    *, caja_id: int, number: int, by: str, note: str = "", now: dt.datetime | None = None
) -> Correction:
    """A second officer or the facilitator rejects: the books stay as they are. The proposer
    may withdraw her own proposal the same way (rejecting changes nothing in the books)."""
    caja = caja_lock(caja_id=caja_id)
    username, membership_id = _decider(caja, by)
    correction = _pending(caja, number, CorrectionStatus.REJECTED)
    if correction is None:
        return _refetch(caja, number)
    correction.status = CorrectionStatus.REJECTED
    correction.decided_by = username
    correction.decided_by_membership_id = membership_id
    correction.decided_at = now or timezone.now()
    correction.decision_note = " ".join(note.split())[:160]
    correction.save(
        update_fields=[
            "status",
            "decided_by",
            "decided_by_membership",
            "decided_at",
            "decision_note",
        ]
    )
    return _refetch(caja, number)


def _refetch(caja: Caja, number: int) -> Correction:
    found = correction_get(caja=caja, number=number)
    assert found is not None
    return found


def _program_admin(caja: Caja, by: str) -> None:
    user = User.objects.filter(username=by).first()
    if user is None or not (
        user.is_superuser
        or StaffAssignment.objects.filter(
            user=user, role=StaffRole.PROGRAM_ADMIN, program_id=caja.program_id
        ).exists()
    ):
        raise AdminOnly(username=by)


@transaction.atomic
def entry_correct(
    *,
    caja_id: int,
    seq: int,
    reason: str,
    by: str,
    amount: Amount,
    now: dt.datetime | None = None,
) -> Correction:
    """The program admin's correction (``cajas entry reverse``): proposed and approved at
    once, posted now. An ``amount`` of 0 only reverses the entry. Same rules as the
    officers' corrections, except COR-001: the admin acts alone and is recorded as both."""
    caja = caja_lock(caja_id=caja_id)
    _program_admin(caja, by)
    change = _change_checked(caja, seq, amount, reason)
    when = now or timezone.now()
    correction = Correction(
        caja=caja,
        number=_next_number(caja),
        meeting=change.meeting,
        entry=change.entry,
        posted_cents=change.posted,
        amount_cents=change.cents,
        reason=change.reason,
        proposed_by=by,
        proposed_at=when,
    )
    _post(caja, correction, by=by, when=when)
    correction.status = CorrectionStatus.APPROVED
    correction.decided_by = by
    correction.decided_at = when
    correction.save()
    return _refetch(caja, correction.number)
