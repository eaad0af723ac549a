"""Re-check every ledger invariant on stored data (``cajas verify``).

Reads entries in chain order, in one streamed pass with their lines, and recomputes: numbering, line validity, balance, the
idempotency digest, the hash chain, reversal pointers, the running cash and savings balances,
the caja's chain head and the trial balance. Names the first bad entry of each caja.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from cajas.core.errors import RuleViolation
from cajas.ledger import chart
from cajas.ledger.models import DEBIT_NORMAL, Account, JournalEntry, JournalLine
from cajas.ledger.rules import (
    GENESIS_HASH,
    Line,
    chain_hash,
    check_lines,
    entry_digest,
)
from cajas.org.models import Caja


@dataclass(frozen=True)
class Problem:
    caja: str
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"entry #{self.seq}" if self.seq is not None else "chain head"
        return f"caja {self.caja}: {where}: {self.message}"


@dataclass(frozen=True)
class _Entry:
    """One stored entry as verification reads it (plain values, no model instances)."""

    id: int
    seq: int
    date: dt.date
    kind: str
    memo: str
    idempotency_key: str
    member: int | None
    meeting: int | None
    reverses_seq: int | None
    reason: str
    recorded_by: str
    recorded_at: dt.datetime
    content_digest: str
    prev_hash: str
    hash: str


_ENTRY_VALUES = (
    "id",
    "seq",
    "date",
    "kind",
    "memo",
    "idempotency_key",
    "membership__number",
    "meeting__number",
    "reverses__seq",
    "reason",
    "recorded_by",
    "recorded_at",
    "content_digest",
    "prev_hash",
    "hash",
)
_CHUNK = 5000


def _entries_with_lines(
    caja: Caja,
) -> Iterator[tuple[_Entry, list[tuple[str, str, int, int, int]]]]:
    """Every entry of the caja in chain order with its lines: two streamed queries in the same
    order, merged, so memory does not grow with the journal."""
    entries = (
        JournalEntry.objects.filter(caja=caja)
        .order_by("seq", "id")
        .values_list(*_ENTRY_VALUES)
        .iterator(chunk_size=_CHUNK)
    )
    lines = (
        JournalLine.objects.filter(entry__caja=caja)
        .order_by("entry__seq", "entry_id", "id")
        .values_list(
            "entry_id", "account__code", "account__kind", "debit", "credit", "account__caja_id"
        )
        .iterator(chunk_size=_CHUNK)
    )
    pending = next(lines, None)
    for values in entries:
        entry = _Entry(*values)
        rows = []
        while pending is not None and pending[0] == entry.id:
            rows.append(pending[1:])
            pending = next(lines, None)
        yield entry, rows


def verify_caja(caja: Caja) -> list[Problem]:
    """All problems found in one caja's book, first bad entry first."""
    problems: list[Problem] = []
    caja.refresh_from_db(fields=["last_seq", "last_hash"])
    prev_hash = GENESIS_HASH
    expected_seq = 0
    running: dict[str, int] = {}
    imbalance = 0
    for entry, rows in _entries_with_lines(caja):
        expected_seq += 1
        for message in _check_entry(caja, entry, rows, prev_hash, expected_seq, running):
            problems.append(Problem(caja.code, entry.seq, message))
        imbalance += sum(d - c for _a, _k, d, c, _x in rows)
        prev_hash = entry.hash
        expected_seq = entry.seq
    if imbalance:
        problems.append(Problem(caja.code, None, f"trial balance is off by {imbalance} cents"))
    stored = dict(Account.objects.filter(caja=caja).values_list("code", "balance_cents"))
    for code in sorted(stored.keys() | running.keys()):
        if stored.get(code, 0) != running.get(code, 0):
            problems.append(
                Problem(
                    caja.code,
                    None,
                    f"account {code} says its balance is {stored.get(code, 0)} cents, "
                    f"its lines add up to {running.get(code, 0)}",
                )
            )
    if caja.last_seq != expected_seq or caja.last_hash != prev_hash:
        problems.append(
            Problem(
                caja.code,
                None,
                f"chain head says #{caja.last_seq} {caja.last_hash[:12]}…, "
                f"the journal ends at #{expected_seq} {prev_hash[:12]}… "
                "(entries removed or head altered)",
            )
        )
    return problems


def _check_entry(
    caja: Caja,
    entry: _Entry,
    rows: list[tuple[str, str, int, int, int]],
    prev_hash: str,
    expected_seq: int,
    running: dict[str, int],
) -> Iterator[str]:
    if entry.seq != expected_seq:
        yield f"sequence gap: expected #{expected_seq}"
    lines = [Line(code, debit, credit) for code, _k, debit, credit, _c in rows]
    try:
        check_lines(lines)
    except RuleViolation as exc:
        yield exc.en
    if any(account_caja != caja.pk for *_x, account_caja in rows):
        yield "a line posts to another caja's account"
    digest = entry_digest(
        key=entry.idempotency_key,
        kind=entry.kind,
        date=entry.date.isoformat(),
        memo=entry.memo,
        member=entry.member,
        meeting=entry.meeting,
        reverses=entry.reverses_seq,
        reason=entry.reason,
        lines=lines,
    )
    if digest != entry.content_digest:
        yield "content does not match its idempotency digest (altered after posting)"
    if entry.prev_hash != prev_hash:
        yield "previous-hash link broken"
    recomputed = chain_hash(
        prev_hash=entry.prev_hash,
        caja=caja.code,
        seq=entry.seq,
        digest=digest,
        recorded_by=entry.recorded_by,
        recorded_at=entry.recorded_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
    )
    if recomputed != entry.hash:
        yield "hash does not match the entry's content (altered after posting)"
    if entry.reverses_seq is not None:
        if entry.reverses_seq >= entry.seq:
            yield "reverses a later entry"
        if not entry.reason:
            yield "reversal without a reason"
    for code, kind, debit, credit, _c in rows:
        delta = debit - credit if kind in DEBIT_NORMAL else credit - debit
        running[code] = running.get(code, 0) + delta
    for code, _k, _d, _cr, _c in rows:
        if chart.must_stay_non_negative(code) and running[code] < 0:
            yield f"balance of account {code} goes negative ({running[code]} cents)"


def verify() -> list[Problem]:
    """Every caja's problems (``verify_caja`` for one), in the order of their codes."""
    problems: list[Problem] = []
    for one in Caja.objects.order_by("code"):
        problems.extend(verify_caja(one))
    return problems
