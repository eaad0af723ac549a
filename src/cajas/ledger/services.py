"""Posting to the journal. Every write to the books goes through ``entries_post``.

Callers open ``transaction.atomic()`` and lock the caja row first (``caja_lock``): the lock
serialises all postings of one caja, so the hash chain has one head and two people closing
meetings at once cannot both spend the same cash.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from django.db import connection, transaction
from django.utils import timezone

from cajas.ledger import chart
from cajas.ledger.models import (
    DEBIT_NORMAL,
    Account,
    EntryKind,
    JournalEntry,
    JournalLine,
)
from cajas.ledger.rules import (
    AlreadyReversed,
    BalanceWouldBeNegative,
    ChainLinker,
    IdempotencyConflict,
    Line,
    ReasonRequired,
    ReversalOfReversal,
    UnknownAccount,
    check_lines,
    content_digest,
    content_of,
    reversed_lines,
)
from cajas.ledger.selectors import AccountState
from cajas.org.models import Caja


class _Numbered(Protocol):
    """A member (a membership row): its id, and its number in the caja's book."""

    pk: Any
    number: int


class BookRef(NamedTuple):
    """A row an entry points at: its database id, and its number in the caja's book (member
    number, meeting number, entry seq), which is what goes into the hash."""

    id: int
    number: int


def member_ref(membership: _Numbered) -> BookRef:
    return BookRef(membership.pk, membership.number)


class EntryDraft(NamedTuple):
    """An entry to post (a NamedTuple: cheap to build, 110 per meeting close)."""

    key: str
    kind: str
    date: dt.date
    lines: tuple[Line, ...]
    memo: str = ""
    member: BookRef | None = None
    meeting: BookRef | None = None
    reverses: BookRef | None = None
    reason: str = ""


class PostedEntry(NamedTuple):
    id: int
    seq: int
    key: str
    hash: str


@dataclass
class PostResult:
    created: list[PostedEntry] = field(default_factory=list)
    already_posted: list[str] = field(default_factory=list)


def caja_lock(*, caja_id: int) -> Caja:
    """Lock the caja row for the rest of the transaction (no-op lock on SQLite, whose
    IMMEDIATE transactions already serialise writers), and mark its dashboard figures stale:
    whatever changes under the lock, the dashboard recomputes them before it reads."""
    caja = Caja.objects.select_for_update().get(pk=caja_id)
    if not caja.figures_stale:
        Caja.objects.filter(pk=caja_id).update(figures_stale=True)
        caja.figures_stale = True
    return caja


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


def account_open(*, caja: Caja, code: str) -> AccountState:
    """Open a caja-level account the chart gained after the caja was created (or imported)."""
    account = Account.objects.create(caja=caja, code=code, kind=chart.CAJA_ACCOUNTS[code])
    return AccountState(account.pk, account.kind, 0)


def _signed(kind: str, debit: int, credit: int) -> int:
    return debit - credit if kind in DEBIT_NORMAL else credit - debit


def entries_post(
    *,
    caja: Caja,
    drafts: Sequence[EntryDraft],
    recorded_by: str,
    now: dt.datetime | None = None,
    accounts: Mapping[str, AccountState] | None = None,
) -> PostResult:
    """Check and post ``drafts`` as consecutive entries of ``caja``'s chain.

    All or nothing: any rule violation raises before a row is written. A draft whose
    idempotency key is already posted with the same content is skipped (reported in
    ``already_posted``); with different content it is an ``IdempotencyConflict``.
    ``accounts`` may hand in ``caja_accounts()`` read after the lock in this same transaction.

    This is the hot path of every meeting close (``make bench``): rows go in with one
    ``executemany`` per table and balances are read from ``Account.balance_cents`` rather than
    summed from the journal, so the cost grows with the entries posted, not with the book.
    """
    _require_atomic()
    result = PostResult()
    prepared: list[tuple[EntryDraft, str]] = []
    seen: dict[str, str] = {}
    for draft in drafts:
        check_lines(draft.lines)
        content = content_of(
            key=draft.key,
            kind=draft.kind,
            date=draft.date.isoformat(),
            memo=draft.memo,
            member=draft.member.number if draft.member else None,
            meeting=draft.meeting.number if draft.meeting else None,
            reverses=draft.reverses.number if draft.reverses else None,
            reason=draft.reason,
            lines=draft.lines,
        )
        digest = content_digest(content)
        if draft.key in seen:
            if seen[draft.key] != digest:
                raise IdempotencyConflict(key=draft.key)
            continue
        seen[draft.key] = digest
        prepared.append((draft, digest))

    if not prepared:
        return result
    entry_table = JournalEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT idempotency_key, content_digest FROM {entry_table} "  # noqa: S608
            f"WHERE caja_id = %s AND idempotency_key IN ({', '.join(['%s'] * len(seen))})",
            [caja.pk, *seen],
        )
        existing = dict(cursor.fetchall())
    fresh = []
    for draft, digest in prepared:
        if draft.key in existing:
            if existing[draft.key] != digest:
                raise IdempotencyConflict(key=draft.key)
            result.already_posted.append(draft.key)
        else:
            fresh.append((draft, digest))
    if not fresh:
        return result

    codes = {line.account for draft, _d in fresh for line in draft.lines}
    if accounts is None:
        accounts = {
            code: AccountState(pk, kind, balance)
            for code, pk, kind, balance in Account.objects.filter(
                caja=caja, code__in=codes
            ).values_list("code", "id", "kind", "balance_cents")
        }
    for code in sorted(codes - accounts.keys()):
        raise UnknownAccount(account=code)
    deltas: dict[str, int] = defaultdict(int)
    for draft, _d in fresh:
        for line in draft.lines:
            deltas[line.account] += _signed(accounts[line.account].kind, line.debit, line.credit)
    for code, delta in sorted(deltas.items()):
        after = accounts[code].balance_cents + delta
        if delta < 0 and after < 0 and chart.must_stay_non_negative(code):
            raise BalanceWouldBeNegative(
                account_es=_name_es(code),
                account_en=chart.account_name(code),
                balance=after,
                field="amount",
            )

    when = now or timezone.now()
    recorded_at = when.astimezone(dt.UTC).isoformat(timespec="microseconds")
    ops = connection.ops
    stored_at = ops.adapt_datetimefield_value(when)
    first_seq = caja.last_seq + 1
    seq, prev = caja.last_seq, caja.last_hash
    rows: list[tuple[Any, ...]] = []
    posted: list[tuple[int, str, str]] = []
    stored_dates: dict[dt.date, Any] = {}
    linker = ChainLinker(caja=caja.code, recorded_by=recorded_by, recorded_at=recorded_at)
    for draft, digest in fresh:
        if draft.date not in stored_dates:
            stored_dates[draft.date] = ops.adapt_datefield_value(draft.date)
        seq += 1
        digest_hash = linker.link(prev_hash=prev, seq=seq, digest=digest)
        rows.append(
            (
                caja.pk,
                seq,
                stored_dates[draft.date],
                draft.kind,
                draft.memo,
                draft.key,
                draft.member.id if draft.member else None,
                draft.meeting.id if draft.meeting else None,
                draft.reverses.id if draft.reverses else None,
                draft.reason,
                recorded_by,
                stored_at,
                digest,
                prev,
                digest_hash,
            )
        )
        posted.append((seq, draft.key, digest_hash))
        prev = digest_hash
    line_table = JournalLine._meta.db_table
    account_table = Account._meta.db_table
    ids: dict[int, int] = {}
    entry_insert = (
        f"INSERT INTO {entry_table} (caja_id, seq, date, kind, memo, idempotency_key, "  # noqa: S608
        "membership_id, meeting_id, reverses_id, reason, recorded_by, recorded_at, "
        "content_digest, prev_hash, hash) VALUES "
    )
    line_insert = f"INSERT INTO {line_table} (entry_id, caja_id, account_id, debit, credit) VALUES "  # noqa: S608
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        if sqlite:
            # One short statement run per row: Django's placeholder rewrite and SQLite's parser
            # cost more on a statement of 1,650 placeholders than the rows themselves. SQLite
            # checks no balance in the database (this function does), so lines can go row by row.
            cursor.executemany(entry_insert + _placeholders(rows[:1]), rows)
            cursor.execute(
                f"SELECT seq, id FROM {entry_table} WHERE caja_id = %s AND seq >= %s",  # noqa: S608
                [caja.pk, first_seq],
            )
            ids.update(cursor.fetchall())
        else:
            for chunk in _chunks(rows):
                cursor.execute(
                    entry_insert + _placeholders(chunk) + " RETURNING seq, id",
                    [value for row in chunk for value in row],
                )
                ids.update(cursor.fetchall())
        per_entry = [
            [
                (ids[entry_seq], caja.pk, accounts[line.account].id, line.debit, line.credit)
                for line in draft.lines
            ]
            for entry_seq, (draft, _d) in zip(range(first_seq, seq + 1), fresh, strict=True)
        ]
        if sqlite:
            cursor.executemany(
                line_insert + "(%s, %s, %s, %s, %s)",
                [line for lines in per_entry for line in lines],
            )
        else:
            # Whole entries per statement: PostgreSQL checks every entry a statement touches.
            for chunk in _whole_entry_chunks(per_entry):
                cursor.execute(
                    line_insert + _placeholders(chunk), [value for row in chunk for value in row]
                )
        changed = [(accounts[code].id, delta) for code, delta in sorted(deltas.items()) if delta]
        for chunk in _chunks(changed):
            cases = " ".join(["WHEN %s THEN %s"] * len(chunk))
            cursor.execute(
                f"UPDATE {account_table} SET balance_cents = balance_cents + "  # noqa: S608
                f"CASE id {cases} END WHERE id IN ({', '.join(['%s'] * len(chunk))})",
                [value for row in chunk for value in row] + [pk for pk, _delta in chunk],
            )
        cursor.execute(
            f"UPDATE {Caja._meta.db_table} SET last_seq = %s, last_hash = %s, "  # noqa: S608
            "figures_stale = %s WHERE id = %s",
            [seq, prev, True, caja.pk],
        )
    caja.last_seq, caja.last_hash, caja.figures_stale = seq, prev, True
    result.created = [PostedEntry(ids[s], s, key, h) for s, key, h in posted]
    return result


_CHUNK_ROWS = 500  # well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters


def _chunks(rows: Sequence[tuple[Any, ...]]) -> Iterator[Sequence[tuple[Any, ...]]]:
    for start in range(0, len(rows), _CHUNK_ROWS):
        yield rows[start : start + _CHUNK_ROWS]


def _whole_entry_chunks(
    per_entry: Sequence[list[tuple[Any, ...]]],
) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for lines in per_entry:
        if chunk and len(chunk) + len(lines) > _CHUNK_ROWS:
            yield chunk
            chunk = []
        chunk.extend(lines)
    if chunk:
        yield chunk


def _placeholders(rows: Sequence[tuple[Any, ...]]) -> str:
    one = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
    return ", ".join([one] * len(rows))


def _name_es(code: str) -> str:
    from django.utils import translation

    with translation.override("es"):
        return chart.account_name(code) + (f" {code}" if "." in code else "")


def balances_rebuild(*, caja_id: int) -> None:
    """Recompute every account balance of a caja from its lines (after a bulk import, and in
    the migration that introduced ``balance_cents``). Plain SQL: it runs inside migrations."""
    account = Account._meta.db_table
    line = JournalLine._meta.db_table
    debit_normal = ", ".join(f"'{k}'" for k in DEBIT_NORMAL)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {account} SET balance_cents = COALESCE(("  # noqa: S608
            f"SELECT CASE WHEN {account}.kind IN ({debit_normal}) "
            "THEN SUM(l.debit) - SUM(l.credit) ELSE SUM(l.credit) - SUM(l.debit) END "
            f"FROM {line} l WHERE l.account_id = {account}.id), 0) WHERE caja_id = %s",
            [caja_id],
        )


def reversal_draft(
    *, original: JournalEntry, reason: str, key: str | None = None, on: dt.date | None = None
) -> EntryDraft:
    """The mirror image of ``original``, pointing at it, with a reason (not yet posted).

    Refuses a reversal of a reversal and an entry already reversed. ``original`` must come with
    its lines (``prefetch_related("lines__account")``) and be read under the caja lock."""
    if not reason.strip():
        raise ReasonRequired()
    if original.kind == EntryKind.REVERSAL:
        raise ReversalOfReversal(seq=original.seq)
    if JournalEntry.objects.filter(reverses=original).exists():
        raise AlreadyReversed(seq=original.seq)
    lines = [Line(x.account.code, x.debit, x.credit) for x in original.lines.all()]
    return EntryDraft(
        key=key or f"reversal:{original.seq}",
        kind=EntryKind.REVERSAL,
        date=on or timezone.localdate(),
        lines=tuple(reversed_lines(lines)),
        memo=f"Reversal of #{original.seq}",
        member=member_ref(original.membership) if original.membership else None,
        reverses=BookRef(original.pk, original.seq),
        reason=reason.strip(),
    )


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
            JournalEntry.objects.select_related("membership")
            .prefetch_related("lines__account")
            .get(caja=caja, seq=seq)
        )
        draft = reversal_draft(original=original, reason=reason, key=key, on=on)
        entries_post(caja=caja, drafts=[draft], recorded_by=recorded_by)
        return JournalEntry.objects.get(caja=caja, idempotency_key=draft.key)
