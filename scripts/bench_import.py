"""`make bench`: importing members from a program-wide KoboToolbox export at the size limit
(docs/imports.md): 5,000 rows, 40 of them for the caja imported, on whatever database
DATABASE_URL selects.

Figures: the upload (read the header, count the rows, keep the file), each check step (500 rows
read and checked; the page draws the progress bar between steps), the last step (also the
rolled-back enrolment of the 40), the confirmation (the 40 enrolled for real). Floors from the
same run: reading the whole file with openpyxl in read-only mode (what one step cannot go below
as the file is read from its start), and the 40 enrolled straight through members.services.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cajas.settings")
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402

from cajas.imports.models import ImportStatus  # noqa: E402
from cajas.imports.rules import MAX_ROWS  # noqa: E402
from cajas.imports.services import import_confirm, import_start, import_step  # noqa: E402
from cajas.ledger.services import caja_found  # noqa: E402
from cajas.members.services import member_enrol  # noqa: E402
from cajas.org.models import Partner, Program, Territory  # noqa: E402

HEADER = ["start", "datos_caja/caja", "datos_personales/nombres", "datos_personales/apellidos",
          "datos_personales/genero", "datos_personales/fecha_nacimiento",
          "datos_personales/nacionalidad", "documento/tipo_documento",
          "documento/numero_documento", "contacto/telefono", "_uuid", "_index"]  # fmt: skip


def export(caja_code: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for i in range(MAX_ROWS):
        caja = caja_code if i % (MAX_ROWS // 40) == 0 else f"otra-{i % 97}"
        sheet.append(["2025-03-10T09:12:44", caja, f"Socia{i}", "Prueba", "mujer",
                      dt.date(1980, 1, 1), "VE", "pasaporte", f"P{i:07d}", "0991234567",
                      f"uuid-{i}", i + 1])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cajas(n: int) -> list[int]:
    program, _ = Program.objects.get_or_create(code="bench-imp", defaults={"name": "Bench"})
    partner, _ = Partner.objects.get_or_create(program=program, code="p", defaults={"name": "P"})
    place, _ = Territory.objects.get_or_create(program=program, name="Quito")
    return [
        caja_found(
            partner=partner,
            territory=place,
            code=f"imp-{k}",
            name=f"Imp {k}",
            founded_on=dt.date(2025, 1, 6),
        ).pk
        for k in range(n)
    ]


def main() -> None:
    call_command("migrate", verbosity=0)
    user = User.objects.create_user(username="bench-importer")
    ids = cajas(2)
    content = export("imp-0")
    started = time.perf_counter()
    job = import_start(
        caja_id=ids[0], by=user, filename="kobo.xlsx", content=content, attested=False
    )
    upload_ms = (time.perf_counter() - started) * 1000
    steps = []
    while job.status == ImportStatus.READING:
        started = time.perf_counter()
        job = import_step(import_id=job.pk)
        steps.append((time.perf_counter() - started) * 1000)
    assert job.errors == [], job.errors[:3]
    started = time.perf_counter()
    job = import_confirm(import_id=job.pk)
    confirm_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    for _row in (
        load_workbook(io.BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True)
    ):
        pass
    read_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    for i in range(40):
        member_enrol(caja_id=ids[1], joined_on=dt.date(2026, 1, 5), given_names=f"S{i}", family_names="P",
                     gender="female", birth_date=dt.date(1980, 1, 1), nationality="VE",
                     document_type="passport", document_number=f"Q{i:07d}")  # fmt: skip
    enrol_ms = (time.perf_counter() - started) * 1000
    db = connection.vendor
    print(
        f"import     {db:<10} {MAX_ROWS} rows ({len(content) // 1024} KB XLSX), {job.added} for the caja"
    )
    print(f"{'':<10} upload (header, count, keep)   {upload_ms:7.0f} ms")
    print(
        f"{'':<10} check step, median of {len(steps) - 1:<2}     {statistics.median(steps[:-1]):7.0f} ms  (max {max(steps[:-1]):.0f})"
    )
    print(f"{'':<10} last step (+ rolled-back enrol) {steps[-1]:7.0f} ms")
    print(f"{'':<10} floor: read the file once       {read_ms:7.0f} ms")
    print(f"{'':<10} confirm (40 enrolled)           {confirm_ms:7.0f} ms")
    print(
        f"{'':<10} floor: 40 member_enrol calls    {enrol_ms:7.0f} ms: confirm {confirm_ms / enrol_ms:4.1f}x"
    )


if __name__ == "__main__":
    main()
