"""The ``journal`` section: entries, their lines, digests and the hash chain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection

from cajas.books.format import show
from cajas.books.importer.bulk import insert_groups, insert_rows
from cajas.books.importer.shape import CHAIN_HEAD, ENTRY
from cajas.books.importer.state import Plan
from cajas.books.importer.values import date_value, stamp_value
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
    content_digest,
    content_of,
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
    for i, raw in enumerate(plan.doc["journal"]):
        path = f"$.journal[{i}]"
        before = len(plan.errs.errors)
        if not ENTRY.check(raw, path, plan.errs):
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
        _check_running(plan, entry["lines"], path)
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
    if raw["seq"] != i + 1:
        plan.errs.add(f"{path}.seq", f"se esperaba {i + 1} / expected {i + 1}")
    day = date_value(raw["date"], f"{path}.date", plan.errs)
    if day and plan.founded_on and day < plan.founded_on:
        plan.errs.add(
            f"{path}.date", "anterior a la fundación de la caja / before the caja was founded"
        )
    when = stamp_value(raw.get("recorded_at"), f"{path}.recorded_at", plan.errs)
    lines = []
    for j, line in enumerate(raw["lines"]):
        if line[0] not in plan.accounts:
            if line[0] in plan.known["accounts"]:  # malformed, reported already
                continue
            plan.errs.add(
                f"{path}.lines[{j}]", f"cuenta inexistente / unknown account {show(line[0])}"
            )
            continue
        lines.append(Line._make(line))  # three values: ENTRY checked the row
    try:
        check_lines(lines)
    except RuleViolation as exc:
        plan.errs.add(f"{path}.lines", f"{exc.es} / {exc.en}")
    for ref, table in (("member", plan.known["members"]), ("meeting", plan.known["meetings"])):
        if raw.get(ref) is not None and raw[ref] not in table:
            plan.errs.add(
                f"{path}.{ref}", f"referencia inexistente / unknown {ref} {show(raw[ref])}"
            )
    if raw.get("reverses") is not None and not raw["reverses"] < raw["seq"]:
        plan.errs.add(
            f"{path}.reverses",
            "debe apuntar a un asiento anterior / must point to an earlier entry",
        )
    if raw.get("reverses") is not None and not raw.get("reason"):
        plan.errs.add(
            f"{path}.reason", "una reversión necesita un motivo / a reversal needs a reason"
        )
    content = content_of(
        key=raw["key"],
        kind=raw["kind"],
        date=raw["date"],
        memo=raw.get("memo") or "",
        member=raw.get("member"),
        meeting=raw.get("meeting"),
        reverses=raw.get("reverses"),
        reason=raw.get("reason") or "",
        lines=lines,
    )
    return {
        "raw": raw,
        "date": day,
        "when": when or dt.datetime.now(dt.UTC),
        "digest": content_digest(content),
        "lines": lines,
        "recorded_by": raw.get("recorded_by") or plan.recorded_by,
    }


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
        recorded_at=entry["when"].astimezone(dt.UTC).isoformat(timespec="microseconds"),
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


def _check_running(plan: Plan, lines: list[Line], path: str) -> None:
    """Balances that must not go negative, each reported once (where it first does)."""
    for line in lines:
        kind = plan.accounts[line.account]["kind"]
        delta = (
            line.debit - line.credit if kind in ("asset", "expense") else line.credit - line.debit
        )
        balance = plan.running.get(line.account, 0) + delta
        plan.running[line.account] = balance
        if line.account in plan.negative:
            continue
        if (chart.must_stay_non_negative(line.account) and balance < 0) or abs(
            balance
        ) > MAX_AMOUNT_CENTS * 1000:
            plan.negative.add(line.account)
            plan.errs.add(
                f"{path}.lines",
                f"el saldo de {line.account} queda negativo o fuera de rango / "
                f"balance of {line.account} goes negative or out of range",
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
            self._adapted(e["when"]),
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

    def _adapted(self, when: dt.datetime) -> Any:
        if self._utc_text and when.tzinfo is not None:
            return str(when.astimezone(dt.UTC).replace(tzinfo=None))
        return self.ops.adapt_datetimefield_value(when)


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
