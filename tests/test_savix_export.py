"""The SAVIX quarterly export on a small hand-built program: the CSV is streamed (the header
goes out before the figures are read) and holds, byte for byte, what the per-caja export of
before wrote for it (captured from it); the XLSX holds the same cells, written in
openpyxl's write-only mode."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from cajas.loans.recovery import loan_write_off_approve, loan_write_off_request
from cajas.meetings.sheet import SheetRow
from cajas.members.models import Membership
from cajas.monitoring.savix import savix_table
from cajas.org.models import Caja
from tests.factories import (
    APPLY,
    disbursed_loan,
    enrol,
    facilitator,
    loan_caja,
    make_caja,
    program_admin,
)
from tests.helpers import force_login, run_meeting

pytestmark = pytest.mark.django_db

ON = APPLY + dt.timedelta(days=90)  # 2025-06-15

# What the export wrote for this program before it was set-based (one caja at a time).
EXPECTED = """\
group_name,group_number,date_first_training,date_savings_started_this_cycle,trainer,\
date_of_data_collection,linked_to_external_savings_or_credit,members_at_start_of_cycle,\
registered_members_now_men,registered_members_now_women,members_attending,dropouts_this_cycle,\
value_of_savings_this_cycle,loans_outstanding_number,loans_outstanding_value,\
unpaid_balance_of_late_loans,write_offs_this_cycle,loan_fund_cash_box,loan_fund_cash_bank,\
cash_in_other_funds,property_at_start_of_cycle,property_now,debts,interest_rate_monthly_percent\r
Caja Norte,norte,2025-01-06,2025-01-06,fabio,2025-06-15,no,6,3,3,6,0,300.00,1,120.00,120.00,\
0.00,180.00,0.00,12.00,0.00,0.00,0.00,1.50\r
Caja Oeste,oeste,2025-01-06,2025-01-06,,2025-06-15,no,6,3,3,6,0,300.00,0,0.00,0.00,120.00,\
180.00,0.00,12.00,0.00,0.00,0.00,1.50\r
Caja Sur,sur,2025-01-06,2025-01-06,,2025-06-15,no,4,1,2,2,1,20.00,0,0.00,0.00,0.00,20.00,\
0.00,2.00,0.00,0.00,0.00,1.50\r
"""


@pytest.fixture
def program() -> Client:
    norte = loan_caja()  # six members who saved 50.00 each at two meetings; a loan of 120.00
    disbursed_loan(norte)
    facilitator(norte, "fabio")
    oeste = loan_caja()  # the same, and the loan written off
    loan = disbursed_loan(oeste)
    loan_write_off_request(loan_id=loan.pk, member=1, reason="se fue", on=ON)
    loan_write_off_approve(loan_id=loan.pk, member=2, on=ON, recorded_by="tesorera")
    sur = make_caja()
    for gender in ("female", "male", "female", "male"):
        enrol(sur, gender=gender)
    rows = [SheetRow(member=n, shares=2, social_fund=True) for n in range(1, 5)]
    run_meeting(sur, APPLY, rows[:2] + [SheetRow(member=n, status="absent") for n in (3, 4)])
    Membership.objects.filter(caja=sur, number=4).update(left_on=APPLY + dt.timedelta(days=1))
    for caja, code, name in ((norte, "norte", "Caja Norte"), (oeste, "oeste", "Caja Oeste"),
                             (sur, "sur", "Caja Sur")):  # fmt: skip
        Caja.objects.filter(pk=caja.pk).update(code=code, name=name)
    client = Client()
    force_login(client, program_admin(norte, "ana"))
    return client


def test_the_savix_csv_is_streamed_with_the_same_content_as_before(program: Client) -> None:
    response = program.get("/program/", {"format": "savix", "to": ON.isoformat()})
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="savix-quarterly.csv"'
    chunks = iter(response.streaming_content)  # type: ignore[attr-defined]
    assert next(chunks).decode().startswith("group_name,group_number,")  # at once
    body = b"".join(chunks).decode()
    assert EXPECTED.split("\r\n", 1)[1] == body


def test_the_savix_xlsx_holds_the_same_cells(program: Client) -> None:
    response = program.get("/program/", {"format": "savix-xlsx", "to": ON.isoformat()})
    assert response["Content-Disposition"] == 'attachment; filename="savix-quarterly.xlsx"'
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    sheet = book["SAVIX"]
    cells = [
        [c.isoformat()[:10] if isinstance(c, dt.date) else c for c in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    expected = list(csv.reader(io.StringIO(EXPECTED)))
    assert [[_xlsx_text("" if c is None else str(c)) for c in row] for row in cells] == [
        [_xlsx_text(c) for c in row] for row in expected
    ]
    assert sheet["M2"].number_format == "#,##0.00" and sheet["C2"].number_format == "yyyy-mm-dd"
    assert sheet.freeze_panes == "A2"


def test_the_table_itself_is_the_same_for_one_caja_or_all(program: Client) -> None:
    whole = savix_table(Caja.objects.all(), ON)
    one = savix_table(Caja.objects.filter(code="sur"), ON)
    assert [row for row in whole.rows if row[1] == "sur"] == one.rows


def _xlsx_text(cell: str) -> str:
    """A cell as text, numbers written the same whichever way they were stored (12.00 → 12)."""
    try:
        number = float(cell)
    except ValueError:
        return cell
    return f"{int(number)}" if number == int(number) else f"{number}"
