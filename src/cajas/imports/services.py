"""Importing a caja's members from a file: upload, check in chunks, write all or nothing.

1. ``import_start`` refuses a file that is too big, of another kind or without a usable header,
   and keeps it (encrypted) as a ``MemberImport`` with its row count.
2. ``import_step`` reads and checks the next ``CHUNK`` rows (the page calls it until done and
   shows the progress; ``import_check_all`` runs every step for a page without JavaScript).
   Rows of other cajas (a file with a ``caja`` column) are left out and counted. After the
   last chunk the rows that read well are checked against the database by *enrolling them*
   with ``members.services`` inside a transaction that is always rolled back: the caja's
   capacity (CAJA-001) counts the whole file, age (MEM-001), one membership per program
   (MEM-002), one holder per officer role, consents (CONS-001/002 through ``consent_give``)
   and the migratory status (CONS-003 through ``mobility_status_record``) are the services'
   own checks, not copies.
3. ``import_confirm`` does the same enrolment for real, in one transaction with the caja
   locked: any row refused and nothing is written.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cajas.core.errors import RuleViolation
from cajas.imports.check import (
    Candidate,
    Layout,
    RowError,
    caja_blank_errors,
    layout_of,
    messages_both,
    row_caja,
    row_read,
)
from cajas.imports.columns import CONSENT_COLUMNS, plain
from cajas.imports.models import ImportStatus, MemberImport
from cajas.imports.reading import count_rows, file_kind, read
from cajas.imports.rules import (
    ImportDone,
    ImportNoRows,
    ImportNotReady,
    check_document_unique,
    check_size,
)
from cajas.imports.selectors import document_holders
from cajas.members.rules import CajaFull
from cajas.members.services import consent_give, member_enrol, mobility_status_record
from cajas.org.models import Caja
from cajas.org.services import caja_lock

CHUNK = 500
"""Rows read and checked per step (one request of the page)."""

TTL = dt.timedelta(days=1)
"""An import not written within a day is deleted with the file it holds."""

MAX_ERRORS = 500
"""Errors kept and shown; a file with more is refused all the same."""


class ImportRefused(RuleViolation):
    code = "import.refused"
    message_es = (
        "No se importó ninguna socia: {count} fila(s) con errores. Corríjalas y vuelva a subir "
        "el archivo."
    )
    message_en = "No member was imported: {count} row(s) with errors. Fix them and upload again."


class _Rollback(Exception):
    """Undo a check's enrolments (the check writes nothing)."""


def _content(job: MemberImport) -> bytes:
    return base64.b64decode(job.content)


def import_start(
    *, caja_id: int, by: Any, filename: str, content: bytes, attested: bool
) -> MemberImport:
    """Keep an uploaded file to check; refused (nothing kept) when it cannot be imported."""
    check_size(size=len(content))
    kind = file_kind(filename)
    header, _rows = read(content, kind)
    layout_of(header)
    total = count_rows(content, kind)
    MemberImport.objects.filter(created_at__lt=timezone.now() - TTL).delete()
    return MemberImport.objects.create(
        caja_id=caja_id,
        created_by=by,
        created_at=timezone.now(),
        filename=filename[-200:],
        kind=kind,
        size=len(content),
        attested=attested,
        content=base64.b64encode(content).decode(),
        rows_total=total,
    )


def _layout(job: MemberImport, header: list[str]) -> Layout:
    layout = layout_of(header)
    if not job.headers:
        job.headers = {name: title for name, (_i, title) in layout.columns.items()}
        job.ignored = layout.ignored[:50]
    return layout


def _read_chunk(job: MemberImport, caja_code: str) -> tuple[list[Candidate], list[RowError]]:
    header, rows = read(_content(job), job.kind, start=job.rows_read, stop=job.rows_read + CHUNK)
    layout = _layout(job, header)
    today = timezone.localdate()
    found: list[Candidate] = []
    errors: list[RowError] = []
    for number, values in rows:
        caja = row_caja(layout, number, values)
        if isinstance(caja, RowError):
            errors.append(caja)
            continue
        if caja and caja != caja_code:
            job.rows_other += 1
            continue
        read_row = row_read(layout, number, values, today=today)
        if isinstance(read_row, list):
            errors.extend(read_row)
        else:
            read_row.caja_blank = caja == ""
            found.append(read_row)
    return found, errors


def _candidates(job: MemberImport) -> list[Candidate]:
    return [Candidate.from_json(d) for d in json.loads(job.candidates or "[]")]


@transaction.atomic
def import_step(*, import_id: int) -> MemberImport:
    """Read and check the next chunk of rows; after the last, check every row read well
    against the database. Repeating a step after the end changes nothing."""
    job = MemberImport.objects.select_for_update().select_related("caja").get(pk=import_id)
    if job.status != ImportStatus.READING:
        return job
    found, errors = _read_chunk(job, plain(job.caja.code))
    job.candidates = json.dumps([c.as_json() for c in _candidates(job) + found])
    job.errors = (job.errors + [asdict(e) for e in errors])[:MAX_ERRORS]
    job.rows_read = min(job.rows_total, job.rows_read + CHUNK)
    if job.rows_read >= job.rows_total:
        _finish_check(job)
    job.save()
    return job


def _finish_check(job: MemberImport) -> None:
    candidates = _candidates(job)
    if job.rows_other and any(c.caja_blank for c in candidates):
        blank = caja_blank_errors(candidates, str(job.headers.get("caja", "")))
        job.errors = job.errors + [asdict(e) for e in blank]
        candidates = [c for c in candidates if not c.caja_blank]
    if not candidates and not job.errors:
        exc = ImportNoRows(caja=job.caja.name)
        job.errors = [asdict(RowError.of(0, "", exc))]
    elif candidates:
        refused: list[RowError] = []
        try:
            with transaction.atomic():
                refused.extend(_enrol_all(job, candidates))
                raise _Rollback
        except _Rollback:
            pass
        job.errors = job.errors + [asdict(e) for e in refused]
    job.errors = sorted(job.errors, key=lambda e: (e["row"], e["column"]))[:MAX_ERRORS]
    job.status = ImportStatus.CHECKED


def import_check_all(*, import_id: int) -> MemberImport:
    """Every step at once (the page without JavaScript, the CLI)."""
    while True:
        job = import_step(import_id=import_id)
        if job.status != ImportStatus.READING:
            return job


def import_confirm(*, import_id: int) -> MemberImport:
    """Write the checked file's members, all or nothing. A row refused now (the caja changed
    since the check) leaves nothing written and the import shows the new errors."""
    try:
        with transaction.atomic():
            job = MemberImport.objects.select_for_update().select_related("caja").get(pk=import_id)
            if job.status == ImportStatus.DONE:
                raise ImportDone()
            if job.status != ImportStatus.CHECKED or job.errors:
                raise ImportNotReady()
            candidates = _candidates(job)
            refused = _enrol_all(job, candidates)
            if refused:
                raise _Refused(refused)
            job.status = ImportStatus.DONE
            job.added = len(candidates)
            job.content = ""
            job.candidates = ""
            job.save()
            return job
    except _Refused as exc:
        MemberImport.objects.filter(pk=import_id).update(errors=[asdict(e) for e in exc.errors])
        raise ImportRefused(count=len({e.row for e in exc.errors})) from None


class _Refused(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(len(errors))


def _column(job: MemberImport, field: str | None) -> str:
    if field in CONSENT_COLUMNS.values():
        field = next(name for name, purpose in CONSENT_COLUMNS.items() if purpose == field)
    return str(job.headers.get(field or "", "")) if field else ""


def _enrol_all(job: MemberImport, candidates: Iterable[Candidate]) -> list[RowError]:
    """Enrol every candidate through the members services, each row in a savepoint so that a
    refused row is undone and the next is still checked; the refusals, by row."""
    caja: Caja = caja_lock(caja_id=job.caja_id)
    holders = document_holders(program_id=caja.program_id)
    seen: dict[str, int] = {}
    errors: list[RowError] = []
    full: CajaFull | None = None
    today = timezone.localdate()
    for candidate in candidates:
        if candidate.document_key:
            try:
                check_document_unique(
                    key=candidate.document_key, row=candidate.row, seen=seen, existing=holders
                )
            except RuleViolation as exc:
                errors.append(RowError.of(candidate.row, _column(job, "document_number"), exc))
                continue
        if full is not None:  # once full, every later row is refused the same (CAJA-001 first)
            errors.append(RowError.of(candidate.row, "", full))
            continue
        try:
            with transaction.atomic():
                _enrol_one(job, candidate, today)
        except CajaFull as exc:
            full = exc
            errors.append(RowError.of(candidate.row, "", exc))
        except _RowRefused as exc:
            errors.append(RowError.of(candidate.row, _column(job, exc.column), exc.violation))
        except RuleViolation as exc:
            errors.append(RowError.of(candidate.row, _column(job, exc.field), exc))
        except ValidationError as exc:
            es, en = messages_both(exc)
            errors.append(RowError(candidate.row, "", "import.invalid", es, en))
    return errors


class _RowRefused(Exception):
    def __init__(self, column: str, violation: RuleViolation) -> None:
        self.column, self.violation = column, violation
        super().__init__(column)


def _enrol_one(job: MemberImport, c: Candidate, today: dt.date) -> None:
    membership = member_enrol(
        caja_id=job.caja_id,
        joined_on=c.joined_on or today,
        role=c.role,
        given_names=c.given_names,
        family_names=c.family_names,
        gender=c.gender,
        birth_date=c.birth_date,
        nationality=c.nationality,
        phone=c.phone,
        document_type=c.document_type,
        document_number=c.document_number,
    )
    for purpose in c.consents:
        try:
            consent_give(
                person_id=membership.person_id,
                purpose=purpose,
                by=job.created_by,
                attested=job.attested,
            )
        except RuleViolation as exc:
            raise _RowRefused(purpose, exc) from None
    if c.mobility_status:
        mobility_status_record(person_id=membership.person_id, status=c.mobility_status)
