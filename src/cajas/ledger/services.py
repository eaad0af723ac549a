"""Posting to the journal. Every write to the books goes through ``entries_post``.

Callers open ``transaction.atomic()`` and lock the caja row first (``org.services.caja_lock``): the lock
serialises all postings of one caja, so the hash chain has one head and two people closing
meetings at once cannot both spend the same cash.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from django.db import connection, transaction
from django.utils import timezone

from cajas.ledger import chart, journal_sql
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
    entry_digest,
    reversed_lines,
)
from cajas.ledger.selectors import AccountState
from cajas.org.models import Caja, Partner, Territory
from cajas.org.services import caja_lock, caja_rows_create


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


@transaction.atomic
def caja_found(
    *,
    partner: Partner,
    territory: Territory,
    code: str,
    name: str,
    founded_on: dt.date,
    bylaws: dict[str, Any] | None = None,
) -> Caja:
    """A new caja ready for its first meeting: its own rows (``org.services.caja_rows_create``:
    the caja, bylaws version 1 with ``bylaws`` over the defaults, the first cycle) and its
    chart of accounts."""
    caja = caja_rows_create(
        partner=partner,
        territory=territory,
        code=code,
        name=name,
        founded_on=founded_on,
        bylaws=bylaws,
    )
    chart_create(caja=caja)
    return caja


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
) -> PostResult:
    """Check and post ``drafts`` as consecutive entries of ``caja``'s chain, reading the
    accounts they touch. A caller that has already read every account of the caja after the
    lock (the meeting close) calls ``entries_post_with_accounts`` instead.

    All or nothing: any rule violation raises before a row is written. A draft whose
    idempotency key is already posted with the same content is skipped (reported in
    ``already_posted``); with different content it is an ``IdempotencyConflict``."""
    _require_atomic()
    result = PostResult()
    fresh = _fresh_drafts(caja, drafts, result)
    if fresh:
        codes = {line.account for draft, _d in fresh for line in draft.lines}
        _post_fresh(caja, fresh, recorded_by, now, _accounts_read(caja, codes), result)
    return result


def entries_post_with_accounts(
    *,
    caja: Caja,
    drafts: Sequence[EntryDraft],
    recorded_by: str,
    accounts: Mapping[str, AccountState],
    now: dt.datetime | None = None,
) -> PostResult:
    """``entries_post`` with ``accounts`` as ``caja_accounts()`` read after the lock in this
    same transaction (their kept balances are what the non-negative checks start from).

    This is the hot path of every meeting close (``make bench``): rows go in with one
    ``executemany`` per table and balances are read from ``Account.balance_cents`` rather than
    summed from the journal, so the cost grows with the entries posted, not with the book."""
    _require_atomic()
    result = PostResult()
    fresh = _fresh_drafts(caja, drafts, result)
    if fresh:
        _post_fresh(caja, fresh, recorded_by, now, accounts, result)
    return result


_Prepared = list[tuple[EntryDraft, str]]  # a draft and its content digest


def _fresh_drafts(caja: Caja, drafts: Sequence[EntryDraft], result: PostResult) -> _Prepared:
    """The drafts still to post, each checked and with its digest; the ones already posted with
    the same content are noted in ``result``."""
    prepared = _checked_drafts(drafts)
    if not prepared:
        return []
    existing = journal_sql.digests_of_keys(caja.pk, [draft.key for draft, _d in prepared])
    fresh = []
    for draft, digest in prepared:
        if draft.key in existing:
            if existing[draft.key] != digest:
                raise IdempotencyConflict(key=draft.key)
            result.already_posted.append(draft.key)
        else:
            fresh.append((draft, digest))
    return fresh


def _checked_drafts(drafts: Sequence[EntryDraft]) -> _Prepared:
    """Each draft's lines checked and its content digested; a key repeated in the batch with
    the same content counts once, with different content it is a conflict."""
    prepared: _Prepared = []
    seen: dict[str, str] = {}
    for draft in drafts:
        check_lines(draft.lines)
        digest = entry_digest(
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
        if draft.key in seen:
            if seen[draft.key] != digest:
                raise IdempotencyConflict(key=draft.key)
            continue
        seen[draft.key] = digest
        prepared.append((draft, digest))
    return prepared


def _accounts_read(caja: Caja, codes: set[str]) -> dict[str, AccountState]:
    return {
        code: AccountState(pk, kind, balance)
        for code, pk, kind, balance in Account.objects.filter(
            caja=caja, code__in=codes
        ).values_list("code", "id", "kind", "balance_cents")
    }


def _post_fresh(
    caja: Caja,
    fresh: _Prepared,
    recorded_by: str,
    now: dt.datetime | None,
    accounts: Mapping[str, AccountState],
    result: PostResult,
) -> None:
    deltas = _balance_changes(fresh, accounts)
    when = now or timezone.now()
    chained = _chained(caja, fresh, recorded_by, when)
    ids = journal_sql.entries_insert(caja.pk, chained.rows, first_seq=caja.last_seq + 1)
    per_entry = [
        [
            (ids[seq], caja.pk, accounts[line.account].id, line.debit, line.credit)
            for line in draft.lines
        ]
        for seq, (draft, _d) in zip(chained.seqs, fresh, strict=True)
    ]
    journal_sql.lines_insert(per_entry)
    journal_sql.balances_add(
        [(accounts[code].id, delta) for code, delta in sorted(deltas.items()) if delta]
    )
    journal_sql.chain_head_save(caja.pk, seq=chained.last_seq, hash=chained.last_hash)
    caja.last_seq, caja.last_hash, caja.figures_stale = chained.last_seq, chained.last_hash, True
    result.created = [
        PostedEntry(ids[seq], seq, draft.key, h)
        for seq, (draft, _d), h in zip(chained.seqs, fresh, chained.hashes, strict=True)
    ]


def _balance_changes(fresh: _Prepared, accounts: Mapping[str, AccountState]) -> dict[str, int]:
    """Each account's change (in its normal direction); refuses an unknown account and a cash
    box or savings account that would go below zero."""
    codes = {line.account for draft, _d in fresh for line in draft.lines}
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
    return deltas


class _Chained(NamedTuple):
    rows: list[tuple[Any, ...]]  # the entry rows, in journal_sql.ENTRY_COLUMNS order
    seqs: range
    hashes: list[str]
    last_seq: int
    last_hash: str


def _chained(caja: Caja, fresh: _Prepared, recorded_by: str, when: dt.datetime) -> _Chained:
    """Number the entries after the caja's chain head and link each to the one before."""
    recorded_at = when.astimezone(dt.UTC).isoformat(timespec="microseconds")
    ops = connection.ops
    stored_at = ops.adapt_datetimefield_value(when)
    seq, prev = caja.last_seq, caja.last_hash
    rows: list[tuple[Any, ...]] = []
    hashes: list[str] = []
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
        hashes.append(digest_hash)
        prev = digest_hash
    return _Chained(rows, range(caja.last_seq + 1, seq + 1), hashes, seq, prev)


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
