"""Exports cannot carry formulas: a member named ``=HYPERLINK(…)`` or an item described
``+1`` reads as text in the XLSX and the CSV (formula injection); numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from openpyxl import load_workbook

from cajas.core.money import decimal_string
from cajas.exports.tables import MONEY, TEXT, Table, cell_safe, to_csv, to_xlsx
from cajas.meetings.close import meeting_close
from cajas.meetings.items import item_record
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import meeting_expected_cash
from cajas.meetings.sheet import SheetRow, meeting_sheet_save
from cajas.org.models import Caja
from tests.factories import FIRST_MEETING, enrol, program_admin
from tests.helpers import force_login

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://example.com/robo","Ver")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (LINK, "'" + LINK),
        ("+593 99", "'+593 99"),
        ("-5.00", "'-5.00"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ana = socia", "Ana = socia"),
        ("", ""),
        (None, None),
        (Decimal("-5.00"), Decimal("-5.00")),
        (-3, -3),
    ],
)
def test_a_cell_that_starts_like_a_formula_is_written_as_text(
    value: object, written: object
) -> None:
    assert cell_safe(value) == written


def test_a_negative_amount_stays_a_number_cell() -> None:
    table = Table("T", [("name", TEXT), ("amount", MONEY)], [["-x", Decimal("-5.00")]])
    sheet = load_workbook(io.BytesIO(to_xlsx([table])))["T"]
    assert sheet["A2"].value == "'-x" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == -5 and sheet["B2"].data_type == "n"
    assert list(csv.reader(io.StringIO(to_csv(table))))[1] == ["'-x", "-5.00"]


def _caja_with_a_crafted_name(caja_a: Caja) -> Caja:
    enrol(caja_a, given_names=LINK, family_names="+1")
    meeting = meeting_open(caja_id=caja_a.pk, date=FIRST_MEETING, opened_by="alice")
    meeting_sheet_save(meeting_id=meeting.pk, rows=[SheetRow(member=1, shares=2)])
    item_record(meeting_id=meeting.pk, kind="other_income", amount="3.00", description=LINK)
    meeting_close(
        meeting_id=meeting.pk,
        counted_cash=decimal_string(meeting_expected_cash(meeting=meeting)),
        closed_by="alice",
    )
    return caja_a


def test_a_member_named_like_a_formula_reads_as_text_in_the_book(caja_a: Caja, alice: User) -> None:
    caja = _caja_with_a_crafted_name(caja_a)
    client = Client()
    force_login(client, alice)
    response = client.get(f"/cajas/{caja.pk}/export/book.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    names = [row[2] for row in book["Socios"].iter_rows(min_row=2, values_only=True)]
    assert f"'{LINK} +1" in names
    memos = [row[3] for row in book["Diario"].iter_rows(min_row=2, values_only=True)]
    assert "'" + LINK in memos
    assert all(
        c.data_type != "f" for sheet in book.worksheets for row in sheet.iter_rows() for c in row
    )

    text = client.get(f"/cajas/{caja.pk}/export/book.csv").content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[3] for r in rows[1:] if LINK in r[3]][:1] == ["'" + LINK]
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_a_caja_named_like_a_formula_reads_as_text_in_the_savix_csv(caja_a: Caja) -> None:
    Caja.objects.filter(pk=caja_a.pk).update(name=LINK)
    client = Client()
    force_login(client, program_admin(caja_a, "admin"))
    response = client.get("/program/", {"format": "savix"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][0] == "'" + LINK
