"""Import a caja's book (format ``cajas-book`` v1, see ``docs/book-format.md``).

Everything is checked first; any error means nothing is written and every error is listed
with its place in the file (``$.journal[12].lines[0]``). The document's frame is checked by
``shape.DOCUMENT``, each element of each section by its own spec and then by its section's
rules (one module per section). Hashes and digests are optional so that books kept on paper
or in spreadsheets can be typed in; when present they must match.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DatabaseError, connection, transaction

from cajas.books.format import FORMAT, VERSION, ImportErrors
from cajas.books.importer import (
    accounts,
    apart,
    bylaws,
    cycles,
    journal,
    loans,
    meetings,
    members,
    shareouts,
)
from cajas.books.importer.bulk import reserve_ids
from cajas.books.importer.shape import DOCUMENT
from cajas.books.importer.spec import LIST_MAX
from cajas.books.importer.state import Plan
from cajas.books.importer.values import date_value, require
from cajas.books.importer.written import written_problems
from cajas.books.reader import Deferred, ReadAgain, Spool, book_read
from cajas.ledger.models import JournalEntry
from cajas.ledger.rules import GENESIS_HASH
from cajas.ledger.services import balances_rebuild
from cajas.loans.models import Loan
from cajas.meetings.models import Meeting
from cajas.members.models import Membership
from cajas.org.models import Caja, Partner, Program, Territory

DATABASE_REFUSED = "la base de datos rechazó el libro"
"""Marks the last-resort error; the fuzz test asserts no malformed book reaches it."""


def book_import(document: dict[str, Any], *, recorded_by: str = "import") -> Caja:
    """Check ``document`` completely, then write it in one transaction. Raises
    ``ImportErrors`` listing every problem; on any error nothing is written. A journal left
    ``Deferred`` by the reader and refused before it was read to its end means ``ReadAgain``:
    what follows it in the file may be what the refusal is about."""
    try:
        return _book_import(document, recorded_by)
    except ImportErrors:
        section = document.get("journal") if isinstance(document, dict) else None
        if isinstance(section, Deferred) and not section.complete:
            raise ReadAgain from None
        raise


def _book_import(document: dict[str, Any], recorded_by: str) -> Caja:
    errs = ImportErrors()
    if not require(document, ["format", "version"], "$", errs):
        raise errs
    if document["format"] != FORMAT or document["version"] != VERSION:
        errs.add("$.format", f"se esperaba {FORMAT} v{VERSION} / expected {FORMAT} v{VERSION}")
        raise errs
    if not DOCUMENT.check(document, "$", errs):
        raise errs
    plan = Plan(document, errs, recorded_by)
    meetings_at = check(plan)
    try:
        with transaction.atomic():
            if errs.errors:
                _check_meetings(plan, meetings_at)
                journal.check_journal(plan)  # every error listed, nothing written
                raise errs
            caja, head = _write_head(plan)
            with apart.journal_checked(plan, head.rows) as batches:  # checked as it is written
                _check_meetings(plan, meetings_at)  # meanwhile, here
                if not errs.errors:
                    meetings.write_meetings(
                        plan,
                        caja,
                        head.members,
                        plan.written["cycles"],
                        head.meeting_ids,
                        head.loans,
                    )
                writer = journal.JournalWriter()
                for batch in batches:
                    if not errs.errors:
                        writer.write(batch)
            if errs.errors:
                raise errs  # rolls back what was written
            _write_tail(plan, caja, head)
            problems = written_problems(plan, caja)  # checked once, compared in SQL
            if problems:
                for p in problems:
                    errs.add(
                        "$.journal", f"{DATABASE_REFUSED} / the database refused the book: {p}"
                    )
                raise errs
    except DatabaseError as exc:  # a constraint no check above foresaw: still nothing written
        errs.add("$", f"{DATABASE_REFUSED} / the database refused the book: {str(exc)[:200]}")
        raise errs from None
    return caja


def book_import_file(path: Path, *, recorded_by: str = "import") -> Caja:
    """Import the book in the file at ``path``, read as a stream: memory does not grow with the
    number of meetings or entries (``books/reader.py``). On SQLite the journal, last in the
    file, is read by the process that checks it (``apart``); on PostgreSQL its ids are drawn
    before it is read, so its length must be known and it is spooled with the rest."""
    if connection.vendor == "sqlite":
        try:
            return _import_file(path, recorded_by, defer="journal")
        except ReadAgain:  # the journal was not the last section, or a refusal lies in it
            pass
    return _import_file(path, recorded_by, defer=None)


def _import_file(path: Path, recorded_by: str, defer: str | None) -> Caja:
    document = book_read(path, defer=defer, limit=LIST_MAX)
    try:
        return book_import(document, recorded_by=recorded_by)
    finally:
        if isinstance(document, dict):
            for value in document.values():
                if isinstance(value, Spool | Deferred):
                    value.close()


def check(plan: Plan) -> int:
    """Check every section but the meetings and the journal; return where the meetings' errors
    belong in the list (after the cycles'). The meetings are checked by ``_check_meetings`` once
    the journal's check has begun: in a second process, on a big book, both at once (nothing
    written before them depends on their check but the meetings' numbers, known from the
    start, ``Plan.meeting_numbers``)."""
    d, e = plan.doc, plan.errs
    if Caja.objects.filter(code=d["caja"]["code"]).exists():
        e.add(
            "$.caja.code",
            f"ya existe una caja con el código «{d['caja']['code']}» / "
            f"a caja with code “{d['caja']['code']}” already exists",
        )
    plan.founded_on = date_value(d["caja"]["founded_on"], "$.caja.founded_on", e)
    bylaws.check_bylaws(plan)
    members.check_members(plan)
    cycles.check_cycles(plan)
    meetings_at = len(e.errors)
    known = plan.known
    plan.loans = loans.loans_check(d.get("loans"), known["members"], known["meetings"], e)
    plan.shareouts = shareouts.shareouts_check(
        d.get("shareouts"), known["members"], known["meetings"], known["cycles"], e
    )
    accounts.check_accounts(plan)
    return meetings_at


def _check_meetings(plan: Plan, at: int) -> None:
    """The meetings' errors, where ``check`` would have listed them."""
    before = len(plan.errs.errors)
    meetings.check_meetings(plan)
    found = plan.errs.errors[before:]
    del plan.errs.errors[before:]
    plan.errs.errors[at:at] = found


@dataclass
class _Head:
    """What the journal and the meetings refer to, written (or reserved) before them."""

    members: dict[int, Membership]
    meetings: dict[int, Meeting]
    meeting_ids: dict[int, int]
    loans: dict[int, Loan]
    rows: journal.JournalRows


def _write_head(plan: Plan) -> tuple[Caja, _Head]:
    """Write the caja, members, cycles, loans and accounts; reserve the meetings' and the
    entries' ids, so that the journal's rows can be built while the meetings are written."""
    caja = _write_caja(plan)
    people = members.write_members(plan, caja)
    plan.written["cycles"] = cycles.write_cycles(plan, caja)
    meeting_ids = meetings.meeting_ids(plan)
    by_meeting = {n: Meeting(pk=pk, caja=caja, number=n) for n, pk in meeting_ids.items()}
    by_loan = loans.loans_write(caja, plan.loans, people, by_meeting)
    by_code = accounts.write_accounts(plan, caja, people, by_loan)
    rows = journal.JournalRows(
        caja.pk,
        {n: m.pk for n, m in people.items()},
        meeting_ids,
        {code: a.pk for code, a in by_code.items()},
        reserve_ids(JournalEntry, _most_entries(plan.doc["journal"])),
    )
    return caja, _Head(people, by_meeting, meeting_ids, by_loan, rows)


def _most_entries(section: Any) -> int:
    """How many entries the journal may hold: a deferred one is not read yet (SQLite's ids,
    a range, cost nothing for the ones not used)."""
    return section.limit if isinstance(section, Deferred) else len(section)


def _write_tail(plan: Plan, caja: Caja, head: _Head) -> None:
    shareouts.shareouts_write(
        caja, plan.shareouts, head.members, head.meetings, plan.written["cycles"]
    )
    caja.last_seq, caja.last_hash = plan.entry_count, plan.last_hash or GENESIS_HASH
    Caja.objects.filter(pk=caja.pk).update(last_seq=caja.last_seq, last_hash=caja.last_hash)
    balances_rebuild(caja_id=caja.pk)


def _write_caja(plan: Plan) -> Caja:
    d = plan.doc
    program, _ = Program.objects.get_or_create(
        code=d["program"]["code"],
        defaults={
            "name": d["program"]["name"],
            "currency": d["program"].get("currency", "USD"),
        },
    )
    partner, _ = Partner.objects.get_or_create(
        program=program, code=d["partner"]["code"], defaults={"name": d["partner"]["name"]}
    )
    territory, _ = Territory.objects.get_or_create(program=program, name=d["territory"])
    assert plan.founded_on is not None  # check() reported it otherwise
    caja = Caja.objects.create(
        program=program,
        partner=partner,
        territory=territory,
        code=d["caja"]["code"],
        name=d["caja"]["name"],
        founded_on=plan.founded_on,
        status=d["caja"].get("status", "active"),
        last_seq=0,
        last_hash=GENESIS_HASH,
    )
    for version in plan.bylaws:
        version.caja = caja
        version.save()
    return caja
