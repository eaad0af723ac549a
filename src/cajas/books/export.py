"""Export a caja's complete book as a versioned JSON document (format ``cajas-book``, v1).

The format is documented in ``docs/book-format.md``. Everything is keyed by natural keys
(codes and numbers), never database ids, so a book moves between installations and an
export → import → export round trip gives the same document. Amounts are integer cents.
The document holds personal data, sensitive fields included, in clear: treat the file as
confidential.
"""

from __future__ import annotations

from typing import Any

from cajas.books.export_loans import loans_export
from cajas.books.export_shareouts import shareouts_export
from cajas.books.format import BYLAWS_FIELDS, FORMAT, PERSON_FIELDS, VERSION, plain
from cajas.ledger.models import Account, JournalEntry, JournalLine
from cajas.loans.models import Loan
from cajas.meetings.models import Attendance, Meeting, MeetingItem
from cajas.members.models import Membership
from cajas.org.models import Caja


def book_export(*, caja: Caja) -> dict[str, Any]:
    caja.refresh_from_db()
    program, partner = caja.program, caja.partner
    members = list(Membership.objects.filter(caja=caja).select_related("person").order_by("number"))
    number_of = {m.pk: m.number for m in members}
    meetings = list(Meeting.objects.filter(caja=caja).select_related("cycle").order_by("number"))
    attendance: dict[int, list[list[Any]]] = {}
    for a in Attendance.objects.filter(meeting__caja=caja).order_by(
        "meeting_id", "membership__number"
    ):
        attendance.setdefault(a.meeting_id, []).append(
            [number_of[a.membership_id], a.status, a.late]
        )
    loan_number = dict(Loan.objects.filter(caja=caja).values_list("id", "number"))
    items: dict[int, list[dict[str, Any]]] = {}
    for i in MeetingItem.objects.filter(meeting__caja=caja).order_by("meeting_id", "id"):
        items.setdefault(i.meeting_id, []).append(
            {
                "member": number_of.get(i.membership_id) if i.membership_id else None,
                "kind": i.kind,
                "shares": i.shares,
                "amount_cents": i.amount_cents,
                "description": i.description,
                "fine_reason": i.fine_reason,
                "proposed": i.proposed,
                "waived": i.waived,
                "loan": loan_number.get(i.loan_id or 0),
                "prepay": i.prepay,
            }
        )
    meeting_number = {m.pk: m.number for m in meetings}
    code_of = dict(Account.objects.filter(caja=caja).values_list("id", "code"))
    lines: dict[int, list[list[Any]]] = {}
    for entry_id, account_id, debit, credit in (
        JournalLine.objects.filter(entry__caja=caja)
        .order_by("entry_id", "id")
        .values_list("entry_id", "account_id", "debit", "credit")
    ):
        lines.setdefault(entry_id, []).append([code_of[account_id], debit, credit])
    seq_of = dict(JournalEntry.objects.filter(caja=caja).values_list("id", "seq"))
    journal = [
        {
            "seq": e.seq,
            "date": plain(e.date),
            "kind": e.kind,
            "memo": e.memo,
            "key": e.idempotency_key,
            "member": number_of.get(e.membership_id) if e.membership_id else None,
            "meeting": meeting_number.get(e.meeting_id) if e.meeting_id else None,
            "reverses": seq_of.get(e.reverses_id) if e.reverses_id else None,
            "reason": e.reason,
            "recorded_by": e.recorded_by,
            "recorded_at": plain(e.recorded_at),
            "digest": e.content_digest,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
            "lines": lines.get(e.pk, []),
        }
        for e in JournalEntry.objects.filter(caja=caja).order_by("seq")
    ]
    return {
        "format": FORMAT,
        "version": VERSION,
        "program": {"code": program.code, "name": program.name, "currency": program.currency},
        "partner": {"code": partner.code, "name": partner.name},
        "territory": caja.territory.name,
        "caja": {
            "code": caja.code,
            "name": caja.name,
            "founded_on": plain(caja.founded_on),
            "status": caja.status,
        },
        "bylaws": [
            {
                "version": b.version,
                "effective_from": plain(b.effective_from),
                "approved_on": plain(b.approved_on),
                **{name: plain(getattr(b, name)) for name in BYLAWS_FIELDS},
            }
            for b in caja.bylaws_versions.order_by("version")
        ],
        "members": [
            {
                "number": m.number,
                "role": m.role,
                "joined_on": plain(m.joined_on),
                "left_on": plain(m.left_on),
                "left_reason": m.left_reason,
                "person": {name: plain(getattr(m.person, name)) for name in PERSON_FIELDS},
            }
            for m in members
        ],
        "cycles": [
            {
                "number": c.number,
                "started_on": plain(c.started_on),
                "ended_on": plain(c.ended_on),
                "status": c.status,
            }
            for c in caja.cycles.order_by("number")
        ],
        "meetings": [
            {
                "number": m.number,
                "cycle": m.cycle.number,
                "date": plain(m.date),
                "kind": m.kind,
                "status": m.status,
                "opened_by": m.opened_by,
                "closed_by": m.closed_by,
                "closed_at": plain(m.closed_at),
                "expected_cash_cents": m.expected_cash_cents,
                "counted_cash_cents": m.counted_cash_cents,
                "cash_difference_cents": m.cash_difference_cents,
                "notes": m.notes,
                "attendance": attendance.get(m.pk, []),
                "items": items.get(m.pk, []),
            }
            for m in meetings
        ],
        "loans": loans_export(caja, number_of, meeting_number),
        "shareouts": shareouts_export(caja, number_of, meeting_number),
        "accounts": [
            {
                "code": code,
                "kind": kind,
                "member": number_of.get(mid) if mid else None,
                "loan": loan_number.get(lid or 0),
            }
            for code, kind, mid, lid in Account.objects.filter(caja=caja)
            .order_by("code")
            .values_list("code", "kind", "membership_id", "loan_id")
        ],
        "journal": journal,
        "chain_head": {"seq": caja.last_seq, "hash": caja.last_hash},
    }
