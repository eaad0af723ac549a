"""XLSX exports open with openpyxl and hold numbers and dates, not text; CSV too."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from cajas.exports.book_tables import book_tables, statements_tables
from cajas.exports.tables import to_xlsx
from cajas.meetings.items import disbursement_record
from cajas.org.models import Caja
from tests.factories import APPLY, approved_loan, loan_caja, loan_meeting
from tests.helpers import force_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def caja() -> Caja:
    caja = loan_caja()
    loan = approved_loan(caja, amount="60", term=3)
    loan_meeting(caja, APPLY, loans=[lambda m: disbursement_record(meeting_id=m, loan_id=loan.pk)])
    return caja


def test_the_book_workbook_holds_numbers_dates_and_formats(caja: Caja) -> None:
    book = load_workbook(io.BytesIO(to_xlsx(book_tables(caja))))
    assert book.sheetnames == ["Socios", "Reuniones", "Diario", "Cuentas", "Préstamos", "Repartos"]
    members = book["Socios"]
    assert [c.value for c in members[1]] == [
        "#",
        "code",
        "name",
        "gender",
        "role",
        "joined_on",
        "left_on",
        "savings",
    ]
    savings = members.cell(row=2, column=8)
    assert savings.value == 50 and isinstance(savings.value, int | float | Decimal)
    assert savings.number_format == "#,##0.00"
    joined = members.cell(row=2, column=6)
    assert isinstance(joined.value, dt.datetime | dt.date)
    journal = book["Diario"]
    debits = [row[7] for row in journal.iter_rows(min_row=2, values_only=True)]
    credits = [row[8] for row in journal.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(v, int | float) for v in debits + credits)
    assert sum(debits) == pytest.approx(sum(credits))
    loans = book["Préstamos"]
    assert loans.cell(row=2, column=4).value == 60


def test_statements_workbook_and_csv(caja: Caja, tmp_path: Path) -> None:
    tables = statements_tables(caja, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    book = load_workbook(io.BytesIO(to_xlsx(tables)))
    assert book.sheetnames == ["Balance", "Resultados", "Libro de caja"]
    values = [row[1] for row in book["Balance"].iter_rows(min_row=2, values_only=True)]
    assert any(isinstance(v, int | float) and v > 0 for v in values)
    out = tmp_path / "cash.csv"
    call_command(
        "document",
        "statements",
        "--caja",
        caja.code,
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--output",
        str(out),
    )
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["date", "seq", "movement", "in", "out", "balance"]
    assert Decimal(rows[-1][5]) > 0
    xlsx = tmp_path / "book.xlsx"
    call_command("book", "export", "--caja", caja.code, "--format", "xlsx", "--output", str(xlsx))
    assert load_workbook(xlsx)["Diario"].max_row > 10


def test_exports_on_the_web_are_for_staff_and_officers(caja: Caja) -> None:
    from tests.factories import enrol, user_for

    treasurer = Client()
    force_login(treasurer, user_for(caja.memberships.get(number=2), "tesorera"))
    response = treasurer.get(f"/cajas/{caja.pk}/export/book.xlsx")
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content))["Cuentas"].max_row > 5
    assert treasurer.get(f"/cajas/{caja.pk}/export/statements.csv").status_code == 200
    member = Client()
    force_login(member, user_for(enrol(caja), "socia"))
    assert member.get(f"/cajas/{caja.pk}/export/book.xlsx").status_code == 403
