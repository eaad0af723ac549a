"""Posting to the journal. Every write to the books goes through ``entries_post``.

Callers open ``transaction.atomic()`` and lock the caja row first (``caja_lock``): the lock
serialises all postings of one caja, so the hash chain has one head and two people closing
meetings at once cannot both spend the same cash.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from cajas.ledger import chart
from cajas.ledger.models import Account, AccountKind, EntryKind, JournalEntry, JournalLine
from cajas.ledger.rules import (
    AlreadyReversed,
    BalanceWouldBeNegative,
    IdempotencyConflict,
    Line,
    ReasonRequired,
    ReversalOfReversal,
    UnknownAccount,
    chain_hash,
    check_lines,
    content_digest,
    content_of,
    reversed_lines,
)
from cajas.org.models import Caja

if TYPE_CHECKING:
    from cajas.meetings.models import Meeting
    from cajas.members.models import Membership


@dataclass(frozen=True)
class EntryDraft:
    key: str
    kind: str
    date: dt.date
    lines: tuple[Line, ...]
    memo: str = ""
    membership: Membership | None = None
    meeting: Meeting | None = None
    reverses: JournalEntry | None = None
    reason: str = ""


@dataclass
class PostResult:
    created: list[JournalEntry] = field(default_factory=list)
    already_posted: list[str] = field(default_factory=list)


def caja_lock(*, caja_id: int) -> Caja:
    """Lock the caja row for the rest of the transaction (no-op lock on SQLite, whose
    IMMEDIATE transactions already serialise writers)."""
    return Caja.objects.select_for_update().get(pk=caja_id)


def _require_atomic() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError(
            "entries_post() must run inside transaction.atomic() with the caja locked"
        )


def chart_create(*, caja: Caja) -> None:
    """Open the caja-level accounts (member and loan accounts are opened with them)."""
    Account.objects.bulk_create(
        [Account(caja=caja, code=code, kind=kind) for code, kind in chart.CAJA_ACCOUNTS.items()]
    )


def savings_account_open(*, membership: Membership) -> Account:
    return Account.objects.create(
        caja_id=membership.caja_id,
        code=chart.savings_account_code(membership.number),
        kind=AccountKind.LIABILITY,
        membership=membership,
    )


def _signed(code: str, kind: str, debit: int, credit: int) -> int:
    return debit - credit if kind in (AccountKind.ASSET, AccountKind.EXPENSE) else credit - debit


def entries_post(
    *, caja: Caja, drafts: Sequence[EntryDraft], recorded_by: str, now: dt.datetime | None = None
) -> PostResult:
    """Check and post ``drafts`` as consecutive entries of ``caja``'s chain.

    All or nothing: any rule violation raises before a row is written. A draft whose
    idempotency key is already posted with the same content is skipped (reported in
    ``already_posted``); with different content it is an ``IdempotencyConflict``.
    """
    _require_atomic()
    result = PostResult()
    prepared: list[tuple[EntryDraft, dict[str, Any], str]] = []
    seen: dict[str, str] = {}
    for draft in drafts:
        check_lines(draft.lines)
        content = content_of(
            key=draft.key,
            kind=draft.kind,
            date=draft.date.isoformat(),
            memo=draft.memo,
            member=draft.membership.number if draft.membership else None,
            meeting=draft.meeting.number if draft.meeting else None,
            reverses=draft.reverses.seq if draft.reverses else None,
            reason=draft.reason,
            lines=draft.lines,
        )
        digest = content_digest(content)
        if draft.key in seen:
            if seen[draft.key] != digest:
                raise IdempotencyConflict(key=draft.key)
            continue
        seen[draft.key] = digest
        prepared.append((draft, content, digest))

    existing = dict(
        JournalEntry.objects.filter(caja=caja, idempotency_key__in=list(seen)).values_list(
            "idempotency_key", "content_digest"
        )
    )
    fresh = []
    for draft, content, digest in prepared:
        if draft.key in existing:
            if existing[draft.key] != digest:
                raise IdempotencyConflict(key=draft.key)
            result.already_posted.append(draft.key)
        else:
            fresh.append((draft, content, digest))
    if not fresh:
        return result

    codes = {line.account for draft, _c, _d in fresh for line in draft.lines}
    accounts = {
        code: (pk, kind)
        for code, pk, kind in Account.objects.filter(caja=caja, code__in=codes).values_list(
            "code", "id", "kind"
        )
    }
    for code in sorted(codes - accounts.keys()):
        raise UnknownAccount(account=code)

    _check_non_negative(caja, fresh, accounts)

    when = now or timezone.now()
    recorded_at = when.astimezone(dt.UTC).isoformat(timespec="microseconds")
    seq, prev = caja.last_seq, caja.last_hash
    entries: list[JournalEntry] = []
    for draft, content, digest in fresh:
        seq += 1
        digest_hash = chain_hash(
            prev_hash=prev,
            caja=caja.code,
            seq=seq,
            content=content,
            recorded_by=recorded_by,
            recorded_at=recorded_at,
        )
        entries.append(
            JournalEntry(
                caja=caja,
                seq=seq,
                date=draft.date,
                kind=draft.kind,
                memo=draft.memo,
                idempotency_key=draft.key,
                membership=draft.membership,
                meeting=draft.meeting,
                reverses=draft.reverses,
                reason=draft.reason,
                recorded_by=recorded_by,
                recorded_at=when,
                content_digest=digest,
                prev_hash=prev,
                hash=digest_hash,
            )
        )
        prev = digest_hash
    JournalEntry.objects.bulk_create(entries)
    # Lines go in with one executemany: the ORM's per-object overhead for ~200 rows was most of
    # a meeting close (make bench). Values are integers and ids only.
    table = JournalLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (entry_id, account_id, debit, credit) "  # noqa: S608
            "VALUES (%s, %s, %s, %s)",
            [
                (entry.pk, accounts[line.account][0], line.debit, line.credit)
                for entry, (draft, _c, _d) in zip(entries, fresh, strict=True)
                for line in draft.lines
            ],
        )
    Caja.objects.filter(pk=caja.pk).update(last_seq=seq, last_hash=prev)
    caja.last_seq, caja.last_hash = seq, prev
    result.created = entries
    return result


def _check_non_negative(
    caja: Caja,
    fresh: Sequence[tuple[EntryDraft, dict[str, Any], str]],
    accounts: dict[str, tuple[int, str]],
) -> None:
    deltas: dict[str, int] = defaultdict(int)
    for draft, _c, _d in fresh:
        for line in draft.lines:
            if chart.must_stay_non_negative(line.account):
                kind = accounts[line.account][1]
                deltas[line.account] += _signed(line.account, kind, line.debit, line.credit)
    falling = {code: d for code, d in deltas.items() if d < 0}
    if not falling:
        return
    current = _balances_by_code(caja, list(falling))
    for code, delta in sorted(falling.items()):
        after = current.get(code, 0) + delta
        if after < 0:
            name = chart.account_name(code)
            raise BalanceWouldBeNegative(
                account_es=_name_es(code), account_en=name, balance=after, field="amount"
            )


def _name_es(code: str) -> str:
    from django.utils import translation

    with translation.override("es"):
        return chart.account_name(code) + (f" {code}" if "." in code else "")


def _balances_by_code(caja: Caja, codes: list[str]) -> dict[str, int]:
    rows = (
        JournalLine.objects.filter(entry__caja=caja, account__code__in=codes)
        .values("account__code", "account__kind")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    )
    return {
        r["account__code"]: _signed(
            r["account__code"], r["account__kind"], r["d"] or 0, r["c"] or 0
        )
        for r in rows
    }


def entry_reverse(
    *,
    caja_id: int,
    seq: int,
    reason: str,
    recorded_by: str,
    key: str | None = None,
    on: dt.date | None = None,
) -> JournalEntry:
    """Correct entry ``seq`` by posting its mirror image, pointing at it, with a reason."""
    if not reason.strip():
        raise ReasonRequired()
    with transaction.atomic():
        caja = caja_lock(caja_id=caja_id)
        original = (
            JournalEntry.objects.select_related("membership", "meeting")
            .prefetch_related("lines__account")
            .get(caja=caja, seq=seq)
        )
        if original.kind == EntryKind.REVERSAL:
            raise ReversalOfReversal(seq=seq)
        if JournalEntry.objects.filter(reverses=original).exists():
            raise AlreadyReversed(seq=seq)
        lines = [Line(x.account.code, x.debit, x.credit) for x in original.lines.all()]
        draft = EntryDraft(
            key=key or f"reversal:{seq}",
            kind=EntryKind.REVERSAL,
            date=on or timezone.localdate(),
            lines=tuple(reversed_lines(lines)),
            memo=f"Reversal of #{seq}",
            membership=original.membership,
            meeting=None,
            reverses=original,
            reason=reason.strip(),
        )
        result = entries_post(caja=caja, drafts=[draft], recorded_by=recorded_by)
        if not result.created:
            return JournalEntry.objects.get(caja=caja, idempotency_key=draft.key)
        return result.created[0]
