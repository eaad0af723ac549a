"""Importing members from a file (imports/): a KoboToolbox export, an XLSX with good and bad
rows, the limits and hostile cells. Every refusal is listed by row (the spreadsheet's number,
header = row 1) and column, in Spanish and English, and nothing is written: the whole file is
enrolled through ``members.services`` in one transaction or not at all.

The sample export ``tests/data/kobo_socias.csv`` (and its XLSX, ``make_kobo_xlsx.py``) holds six
submissions of a Kobo form with groups (``datos_personales/nombres``…), Kobo's metadata
(``start``, ``_uuid``, ``_submission_time``, ``_index``…) and select_one answers as codes;
four are for the caja «caja-las-palmas», two for another caja.
"""

from __future__ import annotations

import datetime as dt
import io
import pathlib
from typing import Any

import pytest

from cajas.imports.models import ImportStatus, MemberImport
from cajas.imports.rules import MAX_BYTES, MAX_ROWS, ImportFileTooLarge, ImportTooManyRows
from cajas.imports.services import (
    CHUNK,
    ImportRefused,
    import_check_all,
    import_confirm,
    import_start,
    import_step,
)
from cajas.members.models import Consent, Membership
from cajas.org.models import Caja
from tests.factories import db_snapshot, enrol, facilitator, make_caja, officer, xlsx_of

DATA = pathlib.Path(__file__).parent / "data"
TEN_YEARS_OLD = dt.date.today().replace(year=dt.date.today().year - 10, day=1)
HEADER = ["nombres", "apellidos", "genero", "fecha_nacimiento", "nacionalidad", "tipo_documento",
          "numero_documento"]  # fmt: skip


@pytest.fixture
def palmas(db: Any) -> Caja:
    return make_caja(code="caja-las-palmas", members=2)


def checked(
    caja: Caja, user: Any, name: str, content: bytes, attested: bool = True
) -> MemberImport:
    job = import_start(caja_id=caja.pk, by=user, filename=name, content=content, attested=attested)
    return import_check_all(import_id=job.pk)


def errors_of(job: MemberImport, language: str = "es") -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e[language]) for e in job.errors]


@pytest.mark.parametrize("sample", ["kobo_socias.csv", "kobo_socias.xlsx"])
def test_a_kobo_export_adds_this_cajas_members_with_their_consents(palmas: Caja, sample: str):
    treasurer = officer(palmas, "treasurer", "tesorera")
    job = checked(palmas, treasurer, sample, (DATA / sample).read_bytes())
    assert job.status == ImportStatus.CHECKED and job.errors == []
    assert (job.rows_total, job.rows_other) == (6, 2)  # two rows of «caja-el-recreo» left out
    assert job.headers["given_names"] == "datos_personales/nombres"
    assert job.ignored == []  # start, end, today, deviceid, _uuid… are Kobo's metadata
    before = Membership.objects.filter(caja=palmas).count()

    job = import_confirm(import_id=job.pk)

    assert job.added == 4 and job.content == "" and job.candidates == ""
    new = list(Membership.objects.filter(caja=palmas).order_by("number")[before:])
    assert [m.person.full_name for m in new] == [
        "María José Rivas Gómez",
        "Yenny Carrasco",
        "Rosa Elena Quishpe",
        "Andreína Salazar Pérez",
    ]
    maria, yenny, rosa, andreina = (m.person for m in new)
    assert (maria.gender, maria.birth_date, maria.nationality) == (
        "female",
        dt.date(1987, 4, 2),
        "VE",
    )
    assert (maria.document_type, maria.document_number) == ("foreign_id", "V18555321")
    assert (yenny.birth_date, yenny.nationality, yenny.document_type) == (
        dt.date(1979, 11, 2), "VE", "passport"  # 02/11/1979 is day/month/year; «venezuela»
    )  # fmt: skip
    assert andreina.phone == "+593 99 555 0101"
    # The migratory status is kept only with the sensitive-data consent, attested by the
    # treasurer as the member page records it (CONS-001/002/003).
    assert (maria.mobility_status, andreina.mobility_status, yenny.mobility_status) == (
        "in_process", "asylum_seeker", ""
    )  # fmt: skip
    consents = {
        (c.person.given_names, c.purpose): (c.how, c.recorded_by_id, bool(c.attestation))
        for c in Consent.objects.filter(person__in=[maria, yenny, rosa, andreina])
    }
    attested = ("attested", treasurer.pk, True)
    assert consents == {
        ("María José", "sensitive_data"): attested,
        ("María José", "whatsapp_receipts"): attested,
        ("Yenny", "whatsapp_receipts"): attested,
        ("Andreína", "sensitive_data"): attested,
        ("Andreína", "whatsapp_receipts"): attested,
    }
    assert all(m.joined_on == dt.date.today() and m.role == "member" for m in new)


def _mixed() -> bytes:
    """An XLSX as someone fills it by hand: good rows and bad ones."""
    return xlsx_of(
        [
            [*HEADER, "telefono", "condicion_migratoria"],
            [
                "Ana",
                "Mena",
                "mujer",
                dt.date(1990, 1, 2),
                "VE",
                "pasaporte",
                "A1",
                "0991234567",
                "",
            ],
            ["Bea", "Soto", "x", "1990-13-01", "Marte", "pasaporte", "A2", "", ""],
            ['=HYPERLINK("http://x")', "Paz", "mujer", dt.date(1990, 1, 2), "VE", "", "", "", ""],
            ["Cleo", "Nulo", "mujer", dt.date(1991, 1, 2), "CO", "pasaporte", "a-1", "", ""],
            [12345, "Ruiz", "hombre", dt.date(1985, 6, 1), "EC", "pasaporte", "B7", "", ""],
            ["Dora", "Lara" * 40, "mujer", dt.date(1980, 1, 1), "PE", "", "", "", ""],
            ["Eva", "Gil", "mujer", TEN_YEARS_OLD, "EC", "", "", "", ""],
            ["Fe", "Gil", "mujer", dt.date(1980, 1, 1), "EC", "", "", "", "regular"],
            ["Gala", "Gil", "mujer", "17/03/1982", "ecuador", "cedula", 1712345678, 99123456, ""],
        ]
    )


def test_an_xlsx_with_bad_rows_lists_each_error_by_row_and_column_and_writes_nothing(palmas: Caja):
    treasurer = officer(palmas, "treasurer", "tesorera")
    before = db_snapshot()
    job = checked(palmas, treasurer, "socias.xlsx", _mixed())
    assert db_snapshot() == before
    assert job.status == ImportStatus.CHECKED
    assert errors_of(job) == [
        (3, "fecha_nacimiento", "«1990-13-01» no es una fecha; escríbala AAAA-MM-DD (2025-03-17) o DD/MM/AAAA."),
        (3, "genero", "«x» no es un código aceptado; use uno de: mujer, hombre, otro, prefiere_no_decir."),
        (3, "nacionalidad", "«Marte» no es un país: escriba el código de dos letras (VE, EC, CO…)."),
        (4, "nombres", "La celda empieza con «=», como una fórmula; escriba el dato sin «=», «+», «-» ni «@» al inicio."),
        (5, "numero_documento", "El mismo documento está también en la fila 2; cada persona va una vez."),
        (6, "nombres", "Se esperaba un texto; la celda tiene un número."),
        (7, "apellidos", "La celda tiene 160 caracteres; se aceptan hasta 100."),
        (8, "fecha_nacimiento", "La persona tiene 10 años; el reglamento exige al menos 18 para ser socia."),
        (9, "condicion_migratoria", "La condición migratoria solo se registra con el consentimiento explícito de la persona para sus datos sensibles."),
    ]  # fmt: skip
    assert errors_of(job, "en")[5] == (6, "nombres", "Expected text; the cell holds a number.")
    with pytest.raises(Exception) as refused:
        import_confirm(import_id=job.pk)
    assert refused.value.code == "import.not_ready"  # type: ignore[attr-defined]
    assert db_snapshot() == before


def _rows(n: int, *, start: int = 0, caja: str | None = None) -> list[list[object]]:
    """``n`` good rows (distinct passports), with a caja column when ``caja`` is given."""
    return [
        ([caja] if caja else [])
        + [f"Socia{i}", "Prueba", "mujer", dt.date(1980, 1, 1), "VE", "pasaporte", f"X{i:06d}"]
        for i in range(start, start + n)
    ]


def test_the_cajas_capacity_counts_the_whole_file(db: Any):
    """CAJA-001: 36 members and a file of 5; the fifth new member would be the 41st."""
    caja = make_caja(code="llena", members=35)
    treasurer = officer(caja, "treasurer", "tesorera")
    before = db_snapshot()
    job = checked(caja, treasurer, "socias.xlsx", xlsx_of([HEADER, *_rows(5)]))
    message = "La caja ya tiene el máximo de 40 socios activos que permite su reglamento."
    assert errors_of(job) == [(6, "", message)]
    assert db_snapshot() == before


def test_a_caja_column_picks_this_cajas_rows_out_of_a_program_file_read_in_chunks(db: Any):
    """A program-wide export of 3,000 rows: 20 for this caja. The page checks it CHUNK rows
    per step and shows how far it got; the other cajas' rows are left out and counted."""
    caja = make_caja(code="caja-norte")
    treasurer = officer(caja, "treasurer", "tesorera")
    rows = _rows(2980, caja="caja-sur") + _rows(20, start=5000, caja="CAJA-NORTE")
    content = xlsx_of([["caja", *HEADER], *rows])
    job = import_start(
        caja_id=caja.pk, by=treasurer, filename="programa.xlsx", content=content, attested=False
    )
    assert (job.rows_total, job.rows_read, job.percent) == (3000, 0, 0)
    seen = []
    while job.status == ImportStatus.READING:
        job = import_step(import_id=job.pk)
        seen.append(job.rows_read)
    assert seen == list(range(CHUNK, 3000 + 1, CHUNK))
    assert (job.errors, job.rows_other, job.percent) == ([], 2980, 100)
    assert import_step(import_id=job.pk).rows_read == 3000  # a repeated step changes nothing
    assert import_confirm(import_id=job.pk).added == 20
    assert Membership.objects.filter(caja=caja).count() == 21


def test_the_file_size_and_row_limits_are_refused_with_a_clear_message(palmas: Caja):
    treasurer = officer(palmas, "treasurer", "tesorera")
    big = b"nombres;apellidos\n" + b"a;b\n" * (MAX_BYTES // 4)
    with pytest.raises(ImportFileTooLarge) as refused:
        import_start(caja_id=palmas.pk, by=treasurer, filename="x.csv", content=big, attested=False)  # fmt: skip
    assert refused.value.es == "El archivo pesa 5.0 MB; se aceptan hasta 5 MB. Divídalo por caja o quite columnas que no se importan."  # fmt: skip
    many = xlsx_of([HEADER, *_rows(MAX_ROWS + 1)])
    before = db_snapshot()
    with pytest.raises(ImportTooManyRows) as refused:
        import_start(caja_id=palmas.pk, by=treasurer, filename="x.xlsx", content=many, attested=False)  # fmt: skip
    assert refused.value.es == "El archivo tiene más de 5000 filas de datos; se aceptan hasta 5000."
    assert refused.value.en == "The file has more than 5000 data rows; at most 5000 are accepted."
    assert db_snapshot() == before and MemberImport.objects.count() == 0


def test_hostile_csv_cells_are_row_errors(palmas: Caja):
    """A CSV as Excel saves it in Spanish (semicolons, Windows-1252), with a NUL byte, a formula
    and a cell of 5,000 characters: row errors, never a server error."""
    treasurer = officer(palmas, "treasurer", "tesorera")
    lines = [
        "nombres;apellidos;genero;fecha_nacimiento;nacionalidad",
        "Peña;Ávila;mujer;1980-01-01;EC",
        "Ana\x00;Mena;mujer;1980-01-01;EC",
        "@SUM(1);Mena;mujer;1980-01-01;EC",
        f"Ana;{'x' * 5000};mujer;1980-01-01;EC",
        "Ana;Mena;mujer;;EC",
    ]
    content = "\r\n".join(lines).encode("cp1252")
    job = checked(palmas, treasurer, "socias.csv", content)
    assert [(row, column, es[:40]) for row, column, es in errors_of(job)] == [
        (3, "nombres", "La celda lleva caracteres de control (p."),
        (4, "nombres", "La celda empieza con «@», como una fórmu"),
        (5, "apellidos", "La celda tiene 1001 caracteres; se acept"),
        (6, "fecha_nacimiento", "Esta columna es obligatoria y la celda e"),
    ]


def test_documents_are_unique_in_the_file_and_in_the_program(palmas: Caja):
    """The same passport already held by a member of another caja of the program."""
    other = make_caja(code="otra")
    held = enrol(other, document_type="passport", document_number="X000001")
    treasurer = officer(palmas, "treasurer", "tesorera")
    job = checked(palmas, treasurer, "socias.xlsx", xlsx_of([HEADER, *_rows(2)]))
    assert errors_of(job, "en") == [
        (3, "numero_documento", f"A person with that document is already in the program ({held.person.code}, caja “{other.name}”)."),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "attested", "es"),
    [
        ("facilitator", True, "Solo la propia persona, o la presidenta, tesorera o secretaria de una caja donde ella es socia activa (con ella presente), puede registrar o retirar su consentimiento."),
        ("treasurer", False, "Marque que la socia está presente y da (o retira) su consentimiento ella misma; sin eso no se registra."),
    ],
)  # fmt: skip
def test_consents_are_recorded_only_as_the_member_page_would(
    palmas: Caja, who: str, attested: bool, es: str
):
    """CONS-001/002: a facilitator may import members but not record their consents; an officer
    only when she ticks that each of them gave it herself, with her present."""
    user = (
        facilitator(palmas, "fabio") if who == "facilitator" else officer(palmas, who, "tesorera")
    )
    before = db_snapshot()
    job = checked(
        palmas, user, "kobo.csv", (DATA / "kobo_socias.csv").read_bytes(), attested=attested
    )
    assert {(row, column) for row, column, _ in errors_of(job)} == {
        (2, "consentimiento/consentimiento_datos_sensibles"),
        (3, "consentimiento/consentimiento_whatsapp"),
        (6, "consentimiento/consentimiento_datos_sensibles"),
    }
    assert {m for _r, _c, m in errors_of(job)} == {es}
    assert db_snapshot() == before


def test_a_file_checked_then_overtaken_writes_nothing_and_a_repeat_is_refused(palmas: Caja):
    """Between the check and the confirmation the caja filled up: the confirmation re-checks
    every row, writes nothing and lists the new errors; a written import is never repeated."""
    treasurer = officer(palmas, "treasurer", "tesorera")
    job = checked(palmas, treasurer, "a.xlsx", xlsx_of([HEADER, *_rows(3)]))
    for _ in range(36):
        enrol(palmas)
    before = db_snapshot()
    with pytest.raises(ImportRefused) as refused:
        import_confirm(import_id=job.pk)
    assert (
        refused.value.en
        == "No member was imported: 2 row(s) with errors. Fix them and upload again."
    )
    assert db_snapshot() == before
    job.refresh_from_db()
    assert [e["row"] for e in job.errors] == [3, 4]
    again = checked(palmas, treasurer, "b.xlsx", xlsx_of([HEADER, *_rows(1, start=100)]))
    import_confirm(import_id=again.pk)
    before = db_snapshot()
    with pytest.raises(Exception) as done:
        import_confirm(import_id=again.pk)
    assert done.value.code == "import.done"  # type: ignore[attr-defined]
    assert db_snapshot() == before


def test_the_same_import_from_the_console(palmas: Caja, tmp_path: pathlib.Path):
    from django.core.management import CommandError, call_command

    officer(palmas, "treasurer", "tesorera")
    bad = tmp_path / "socias.xlsx"
    bad.write_bytes(xlsx_of([HEADER, *_rows(1), ["Ana", "", "mujer", "1980-01-01", "VE"]]))
    before = db_snapshot()
    with pytest.raises(CommandError) as refused:
        call_command("members", "import", "caja-las-palmas", str(bad), "--user", "tesorera")
    assert str(refused.value) == (
        "fila 3, columna «apellidos»: [import.required] Esta columna es obligatoria y la celda "
        "está vacía. / This column is required and the cell is empty."
    )
    assert db_snapshot() == before
    out = io.StringIO()
    sample = str(DATA / "kobo_socias.csv")
    call_command("members", "import", "caja-las-palmas", sample, "--user", "tesorera", "--attested", stdout=out)  # fmt: skip
    assert out.getvalue().splitlines() == [
        f"4 socias agregadas a «{palmas.name}» / 4 members added to “{palmas.name}”",
        "2 filas de otras cajas / rows of other cajas left out",
    ]


def test_a_file_far_over_the_capacity_is_refused_row_by_row_without_trying_each(palmas: Caja):
    """1,000 rows for a caja of 40: every row past the 37th is refused by CAJA-001; once the
    caja is full the service's refusal stands for the rest (no thousand enrolments tried)."""
    treasurer = officer(palmas, "treasurer", "tesorera")
    job = checked(palmas, treasurer, "todas.xlsx", xlsx_of([HEADER, *_rows(1000)]))
    assert len(job.errors) == 500  # MAX_ERRORS listed; the rows are 39 … 1001
    assert {e["code"] for e in job.errors} == {"caja.full"}
    assert job.errors[0]["row"] == 39
