"""The ``accounts`` and ``journal`` sections of the export (entries with their hashes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cajas.books.format import plain
from cajas.ledger.models import Account, JournalEntry, JournalLine
from cajas.loans.models import Loan
from cajas.org.models import Caja


def accounts_export(caja: Caja, number_of: dict[int, int]) -> list[dict[str, Any]]:
    loan_number = dict(Loan.objects.filter(caja=caja).values_list("id", "number"))
    return [
        {
            "code": code,
            "kind": kind,
            "member": number_of.get(mid) if mid else None,
            "loan": loan_number.get(lid or 0),
        }
        for code, kind, mid, lid in Account.objects.filter(caja=caja)
        .order_by("code")
        .values_list("code", "kind", "membership_id", "loan_id")
    ]


CHUNK = 2000
"""Entries read at a time: the export's memory does not grow with the journal."""


def journal_export(
    caja: Caja, number_of: dict[int, int], meeting_number: dict[int, int]
) -> Iterator[dict[str, Any]]:
    code_of = dict(Account.objects.filter(caja=caja).values_list("id", "code"))
    done = 0
    while True:
        entries = list(
            JournalEntry.objects.filter(caja=caja, seq__gt=done, seq__lte=done + CHUNK).order_by(
                "seq"
            )
        )
        if not entries:
            if not JournalEntry.objects.filter(caja=caja, seq__gt=done).exists():
                return
            done += CHUNK  # a gap in the numbering (verify reports it): carry on after it
            continue
        done = entries[-1].seq
        lines: dict[int, list[list[Any]]] = {}
        for entry_id, account_id, debit, credit in (
            JournalLine.objects.filter(entry__in=[e.pk for e in entries])
            .order_by("entry_id", "id")
            .values_list("entry_id", "account_id", "debit", "credit")
        ):
            lines.setdefault(entry_id, []).append([code_of[account_id], debit, credit])
        reversed_ids = [e.reverses_id for e in entries if e.reverses_id]
        seq_of = dict(
            JournalEntry.objects.filter(pk__in=reversed_ids).values_list("id", "seq")
            if reversed_ids
            else []
        )
        for e in entries:
            yield {
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
