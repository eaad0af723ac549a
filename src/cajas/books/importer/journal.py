"""The ``journal`` section: entries, their lines, digests and the hash chain."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection

from cajas.books.format import show
from cajas.books.importer.bulk import insert_groups, insert_rows
from cajas.books.importer.shape import CHAIN_HEAD, ENTRY
from cajas.books.importer.state import Plan
from cajas.books.importer.values import sqlite_text, utc_text
from cajas.books.reader import Deferred, ReadAgain
from cajas.core.errors import RuleViolation
from cajas.core.money import MAX_AMOUNT_CENTS
from cajas.ledger import chart
from cajas.ledger.models import JournalEntry, JournalLine
from cajas.ledger.rules import (
    GENESIS_HASH,
    Line,
    chain_hash,
    check_lines,
    entry_digest,
)

Batch = tuple[list[tuple[Any, ...]], list[list[tuple[Any, ...]]]]
"""Rows of ``WRITE_CHUNK`` entries as the database takes them: the entries, and each one's lines."""
WRITE_CHUNK = 2000
"""Entries held before they are handed on: memory stays flat whatever the journal's length."""
RESULTS = ("entry_count", "line_count", "last_hash", "running", "negative")
"""What the check leaves in the plan besides its errors (``apart`` carries them back)."""


def check_journal(plan: Plan) -> None:
    """Check the journal, writing nothing (a book with errors elsewhere: every error is listed)."""
    for _batch in journal_batches(plan, None):  # yields nothing: no rows are built
        pass


def journal_batches(plan: Plan, rows: JournalRows | None) -> Iterator[Batch]:
    """Each entry's lines, references and place in the hash chain. Once an entry is
    refused the chain after it cannot match, so it is not checked further: one bad
    value is reported once, not as a hash mismatch on every later entry.

    Entries are read one at a time (the section may be a ``Spool``) and, while no error has
    been found in the whole book, turned by ``rows`` into the database's rows, yielded a batch
    at a time; the caller rolls back on any error. The plan holds ``RESULTS`` at the end."""
    prev = GENESIS_HASH
    plan.running = {}
    plan.negative = set()
    chained = True
    keys: set[str] = set()
    reversed_: set[int] = set()
    entries: list[tuple[Any, ...]] = []
    lines: list[list[tuple[Any, ...]]] = []
    rules = _account_rules(plan)
    section = plan.doc["journal"]
    loose = isinstance(section, Deferred) and section.loose
    for i, raw in enumerate(section):
        path = f"$.journal[{i}]"
        before = len(plan.errs.errors)
        if loose:  # its integers unbounded by the reader: the spec bounds them, or read again
            if not (ENTRY.ok(raw) and raw.keys() <= ENTRY.fields.keys()):
                raise ReadAgain
        elif not ENTRY.check(raw, path, plan.errs):
            chained = False
            continue
        if raw["key"] in keys:
            plan.errs.add(f"{path}.key", f"clave repetida / duplicate key {show(raw['key'])}")
        keys.add(raw["key"])
        if raw.get("reverses") is not None:
            if raw["reverses"] in reversed_:
                plan.errs.add(f"{path}.reverses", "ese asiento ya fue revertido / already reversed")
            reversed_.add(raw["reverses"])
        entry = _check_entry(plan, i, raw, path)
        _check_chain(plan, raw, entry, prev, path, report=chained)
        _check_running(plan, rules, entry["lines"], path)
        chained = chained and len(plan.errs.errors) == before
        plan.entry_count += 1
        plan.line_count += len(entry["lines"])
        prev = entry["hash"]
        if rows is not None and not plan.errs.errors:
            entries.append(rows.entry(entry))
            lines.append(rows.lines(entry))
            if len(entries) >= WRITE_CHUNK:
                yield entries, lines
                entries, lines = [], []
    plan.last_hash = prev
    if entries and not plan.errs.errors:
        yield entries, lines
    head = plan.doc.get("chain_head")
    if isinstance(plan.doc["journal"], Deferred) and not CHAIN_HEAD.ok(head):
        raise ReadAgain  # read after the frame was checked: the whole reading reports it
    if chained and head is not None and (head["seq"] != plan.entry_count or head["hash"] != prev):
        plan.errs.add(
            "$.chain_head", "no coincide con el último asiento / does not match the last entry"
        )


def _check_entry(plan: Plan, i: int, raw: dict[str, Any], path: str) -> dict[str, Any]:
    """``raw`` passed ``ENTRY``: its date and time are valid, its lines three values each."""
    if raw["seq"] != i + 1:
        plan.errs.add(f"{path}.seq", f"se esperaba {i + 1} / expected {i + 1}")
    day = _day(raw["date"])
    if plan.founded_on and day < plan.founded_on:
        plan.errs.add(
            f"{path}.date", "anterior a la fundación de la caja / before the caja was founded"
        )
    stamp = raw.get("recorded_at")
    when = dt.datetime.fromisoformat(stamp) if stamp is not None else dt.datetime.now(dt.UTC)
    lines = []
    for j, line in enumerate(raw["lines"]):
        if line[0] not in plan.accounts:
            if line[0] in plan.known["accounts"]:  # malformed, reported already
                continue
            plan.errs.add(
                f"{path}.lines[{j}]", f"cuenta inexistente / unknown account {show(line[0])}"
            )
            continue
        lines.append(_line(Line, line))
    try:
        check_lines(lines)
    except RuleViolation as exc:
        plan.errs.add(f"{path}.lines", f"{exc.es} / {exc.en}")
    member, meeting, reverses = raw.get("member"), raw.get("meeting"), raw.get("reverses")
    if member is not None and member not in plan.known["members"]:
        plan.errs.add(f"{path}.member", f"referencia inexistente / unknown member {show(member)}")
    if meeting is not None and meeting not in plan.known["meetings"]:
        plan.errs.add(
            f"{path}.meeting", f"referencia inexistente / unknown meeting {show(meeting)}"
        )
    reason = raw.get("reason") or ""
    if reverses is not None and not reverses < raw["seq"]:
        plan.errs.add(
            f"{path}.reverses",
            "debe apuntar a un asiento anterior / must point to an earlier entry",
        )
    if reverses is not None and not reason:
        plan.errs.add(
            f"{path}.reason", "una reversión necesita un motivo / a reversal needs a reason"
        )
    return {
        "raw": raw,
        "date": day,
        "when": when,
        "utc": utc_text(stamp, when),
        "digest": entry_digest(
            key=raw["key"],
            kind=raw["kind"],
            date=raw["date"],
            memo=raw.get("memo") or "",
            member=member,
            meeting=meeting,
            reverses=reverses,
            reason=reason,
            lines=lines,
        ),
        "lines": lines,
        "recorded_by": raw.get("recorded_by") or plan.recorded_by,
    }


_day = functools.lru_cache(maxsize=1024)(dt.date.fromisoformat)
"""A date once per meeting: its entries share it."""
_line = tuple.__new__
"""``Line._make`` without its checks: ``ENTRY`` checked that a line is three values."""


def _check_chain(
    plan: Plan, raw: dict[str, Any], entry: dict[str, Any], prev: str, path: str, *, report: bool
) -> None:
    """Fill ``entry``'s hashes from ``prev``; report a stored digest that does not match
    the content, and (while ``report``) stored hashes that do not match the chain."""
    entry["prev"] = prev
    entry["hash"] = chain_hash(
        prev_hash=prev,
        caja=plan.doc["caja"]["code"],
        seq=raw["seq"],
        digest=entry["digest"],
        recorded_by=entry["recorded_by"],
        recorded_at=entry["utc"],
    )
    if raw.get("digest") not in (None, entry["digest"]):
        plan.errs.add(
            f"{path}.digest",
            "el contenido no coincide con su resumen / content does not match its digest",
        )
    elif not report:
        return
    elif raw.get("prev_hash") not in (None, prev):
        plan.errs.add(f"{path}.prev_hash", "la cadena de hashes está rota / hash chain broken")
    elif raw.get("hash") not in (None, entry["hash"]):
        plan.errs.add(
            f"{path}.hash",
            "el hash no coincide con el contenido / hash does not match the content",
        )


def _account_rules(plan: Plan) -> dict[str, tuple[int, bool]]:
    """Each account's sign (a debit raises an asset's or expense's balance, lowers the others')
    and whether its balance must stay at or above zero: looked up once, not per line."""
    return {
        code: (
            1 if account["kind"] in ("asset", "expense") else -1,
            chart.must_stay_non_negative(code),
        )
        for code, account in plan.accounts.items()
    }


def _check_running(
    plan: Plan, rules: dict[str, tuple[int, bool]], lines: list[Line], path: str
) -> None:
    """Balances that must not go negative, each reported once (where it first does)."""
    running, negative = plan.running, plan.negative
    for account, debit, credit in lines:
        sign, non_negative = rules[account]
        balance = running.get(account, 0) + sign * (debit - credit)
        running[account] = balance
        if account in negative:
            continue
        if (non_negative and balance < 0) or abs(balance) > MAX_AMOUNT_CENTS * 1000:
            negative.add(account)
            plan.errs.add(
                f"{path}.lines",
                f"el saldo de {account} queda negativo o fuera de rango / "
                f"balance of {account} goes negative or out of range",
            )


# -- writing ------------------------------------------------------------------------

ENTRY_FIELDS = (
    "id",
    "caja",
    "seq",
    "date",
    "kind",
    "memo",
    "idempotency_key",
    "membership",
    "meeting",
    "reverses",
    "reason",
    "recorded_by",
    "recorded_at",
    "content_digest",
    "prev_hash",
    "hash",
)
LINE_FIELDS = ("entry", "caja", "account", "debit", "credit")


class JournalRows:
    """Turns checked entries into rows. Every id is known before (the entries' reserved by
    ``bulk.reserve_ids``), so rows can be built away from the database: in the process that
    checks the journal while another writes (``apart``)."""

    def __init__(
        self,
        caja_id: int,
        members: dict[int, int],
        meetings: dict[int, int],
        accounts: dict[str, int],
        entry_ids: Sequence[int],
    ) -> None:
        self.caja_id, self.members, self.meetings = caja_id, members, meetings
        self.accounts, self.entry_ids = accounts, entry_ids
        self.ops = connection.ops
        self._day: tuple[Any, Any] = (None, None)  # the last date, as the database takes it
        # SQLite takes a time as its naive UTC text (Django's ``adapt_datetimefield_value``, here
        # without its layers: every entry of a book may have its own time)
        self._utc_text = connection.vendor == "sqlite" and connection.timezone == dt.UTC

    def entry(self, e: dict[str, Any]) -> tuple[Any, ...]:
        raw = e["raw"]
        member, meeting, reverses = raw.get("member"), raw.get("meeting"), raw.get("reverses")
        return (
            self.entry_ids[raw["seq"] - 1],
            self.caja_id,
            raw["seq"],
            self._adapted_day(e["date"]),
            raw["kind"],
            raw.get("memo") or "",
            raw["key"],
            self.members[member] if member else None,
            self.meetings[meeting] if meeting else None,
            self.entry_ids[reverses - 1] if reverses else None,  # an earlier entry's (checked)
            raw.get("reason") or "",
            e["recorded_by"],
            self._adapted(e),
            e["digest"],
            e["prev"],
            e["hash"],
        )

    def lines(self, e: dict[str, Any]) -> list[tuple[Any, ...]]:
        entry_id, caja_id, accounts = (
            self.entry_ids[e["raw"]["seq"] - 1],
            self.caja_id,
            self.accounts,
        )
        return [(entry_id, caja_id, accounts[x.account], x.debit, x.credit) for x in e["lines"]]

    def _adapted_day(self, day: dt.date) -> Any:
        """Entries of a meeting share its date: adapted once."""
        if self._day[0] != day:
            self._day = (day, self.ops.adapt_datefield_value(day))
        return self._day[1]

    def _adapted(self, e: dict[str, Any]) -> Any:
        if self._utc_text:
            return sqlite_text(e["utc"])
        return self.ops.adapt_datetimefield_value(e["when"])


class JournalWriter:
    """Writes the batches of ``journal_batches``."""

    def __init__(self) -> None:
        self.written, self.analyzed_at = 0, 0

    def write(self, batch: Batch) -> None:
        entries, lines = batch
        insert_rows(JournalEntry, ENTRY_FIELDS, entries)
        insert_groups(JournalLine, LINE_FIELDS, lines)
        self.written += len(entries)
        self._analyze()

    def _analyze(self) -> None:
        """PostgreSQL plans the lines' balance trigger once per session from the table's
        statistics: into an empty database (a fresh installation) that plan scans the whole
        table at every statement, and the import grows with the square of its lines. Fresh
        statistics (which count this transaction's rows) as the journal doubles keep it on the
        index."""
        if connection.vendor != "postgresql" or self.written < 2 * max(self.analyzed_at, 1000):
            return
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {JournalLine._meta.db_table}, {JournalEntry._meta.db_table}")
        self.analyzed_at = self.written
