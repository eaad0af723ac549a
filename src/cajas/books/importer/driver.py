"""Import a caja's book (format ``cajas-book`` v1, see ``docs/book-format.md``).

Everything is checked first; any error means nothing is written and every error is listed
with its place in the file (``$.journal[12].lines[0]``). The document's frame is checked by
``shape.DOCUMENT``, each element of each section by its own spec and then by its section's
rules (one module per section). Hashes and digests are optional so that books kept on paper
or in spreadsheets can be typed in; when present they must match.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction

from cajas.books.format import FORMAT, VERSION, ImportErrors
from cajas.books.importer import (
    accounts,
    bylaws,
    cycles,
    journal,
    loans,
    meetings,
    members,
    shareouts,
)
from cajas.books.importer.shape import DOCUMENT
from cajas.books.importer.state import Plan
from cajas.books.importer.values import date_value, require
from cajas.books.importer.written import written_problems
from cajas.books.reader import Spool, book_read
from cajas.ledger.rules import GENESIS_HASH
from cajas.ledger.services import balances_rebuild
from cajas.org.models import Caja, Partner, Program, Territory

DATABASE_REFUSED = "la base de datos rechazó el libro"
"""Marks the last-resort error; the fuzz test asserts no malformed book reaches it."""


def book_import(document: dict[str, Any], *, recorded_by: str = "import") -> Caja:
    """Check ``document`` completely, then write it in one transaction. Raises
    ``ImportErrors`` listing every problem; on any error nothing is written."""
    errs = ImportErrors()
    if not require(document, ["format", "version"], "$", errs):
        raise errs
    if document["format"] != FORMAT or document["version"] != VERSION:
        errs.add("$.format", f"se esperaba {FORMAT} v{VERSION} / expected {FORMAT} v{VERSION}")
        raise errs
    if not DOCUMENT.check(document, "$", errs):
        raise errs
    plan = Plan(document, errs, recorded_by)
    check(plan)
    try:
        with transaction.atomic():
            writer = None if errs.errors else _write_head(plan)
            journal.check_journal(plan, writer)  # and written as it is checked, if all is well
            if errs.errors:
                raise errs  # rolls back what was written
            assert writer is not None
            caja = _write_tail(plan, writer)
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
    number of meetings or entries (``books/reader.py``)."""
    document = book_read(path)
    try:
        return book_import(document, recorded_by=recorded_by)
    finally:
        if isinstance(document, dict):
            for value in document.values():
                if isinstance(value, Spool):
                    value.close()


def check(plan: Plan) -> None:
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
    meetings.check_meetings(plan)
    known = plan.known
    plan.loans = loans.loans_check(d.get("loans"), known["members"], known["meetings"], e)
    meetings.check_loan_references(plan)
    plan.shareouts = shareouts.shareouts_check(
        d.get("shareouts"), known["members"], known["meetings"], known["cycles"], e
    )
    accounts.check_accounts(plan)


def _write_head(plan: Plan) -> journal.JournalWriter:
    """Write everything the journal refers to; return the writer the journal check feeds."""
    caja = _write_caja(plan)
    people = members.write_members(plan, caja)
    plan.written["cycles"] = cycles.write_cycles(plan, caja)
    by_meeting = meetings.write_meetings(plan, caja, people, plan.written["cycles"])
    by_loan = loans.loans_write(caja, plan.loans, people, by_meeting)
    meetings.write_items(plan, people, by_meeting, by_loan)
    by_code = accounts.write_accounts(plan, caja, people, by_loan)
    return journal.JournalWriter(caja, people, by_meeting, by_code)


def _write_tail(plan: Plan, writer: journal.JournalWriter) -> Caja:
    caja = writer.caja
    shareouts.shareouts_write(
        caja, plan.shareouts, writer.members, writer.meetings, plan.written["cycles"]
    )
    caja.last_seq, caja.last_hash = plan.entry_count, plan.last_hash or GENESIS_HASH
    Caja.objects.filter(pk=caja.pk).update(last_seq=caja.last_seq, last_hash=caja.last_hash)
    balances_rebuild(caja_id=caja.pk)
    return caja


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
