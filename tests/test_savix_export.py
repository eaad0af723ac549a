"""The SAVIX quarterly export on a small hand-built program: the CSV is streamed (the header
goes out before the figures are read) and holds, byte for byte, what the per-caja export of
before wrote for it (captured from it); the XLSX holds the same cells, written in
openpyxl's write-only mode."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from cajas.core.parsing import InputDateInvalid
from cajas.loans.recovery import loan_write_off_approve, loan_write_off_request
from cajas.meetings.sheet import SheetRow
from cajas.members.models import Membership
from cajas.monitoring.models import ProgramExport
from cajas.monitoring.program_exports import KEPT, STALE, export_path, exports_wait
from cajas.monitoring.savix import savix_table
from cajas.org.models import Caja
from tests.factories import (
    APPLY,
    db_snapshot,
    disbursed_loan,
    enrol,
    facilitator,
    loan_caja,
    make_caja,
    plain_member,
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


# -- the SAVIX Excel, prepared in the background -------------------------------------------


def _cells(data: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(data))["SAVIX"]
    return [
        [_xlsx_text("" if c is None else c.isoformat()[:10] if isinstance(c, dt.date) else str(c))
         for c in row]
        for row in sheet.iter_rows(values_only=True)
    ]  # fmt: skip


def _asked(client: Client, **filters: str) -> ProgramExport:
    page = client.get("/program/", filters)
    assert b'data-testid="savix-xlsx"' in page.content
    token = re.search(rb'name="once" value="([^"]+)"', page.content)
    assert token is not None
    response = client.post("/program/exports/", {**filters, "once": token.group(1).decode()})
    assert response.status_code == 302
    export = ProgramExport.objects.get()
    assert response["Location"] == f"/program/exports/{export.pk}/"
    return export


def test_the_savix_excel_is_prepared_in_the_background_and_holds_the_same_cells(
    program: Client, settings: Any
) -> None:
    settings.CAJAS_EXPORTS_INLINE = True
    export = _asked(program, to=ON.isoformat())
    status = program.get(f"/program/exports/{export.pk}/")
    assert b'data-state="done"' in status.content and b'http-equiv="refresh"' not in status.content
    assert "3 cajas" in status.content.decode()
    file = program.get(f"/program/exports/{export.pk}/file/")
    assert file["Content-Disposition"] == 'attachment; filename="savix-quarterly.xlsx"'
    expected = list(csv.reader(io.StringIO(EXPECTED)))
    assert _cells(b"".join(file.streaming_content)) == [  # type: ignore[attr-defined]
        [_xlsx_text(c) for c in row] for row in expected
    ]
    export.refresh_from_db()
    assert (export.status, export.done, export.total, export.on) == ("done", 3, 3, ON)


def test_while_it_is_prepared_the_page_counts_the_cajas_and_updates_itself(
    program: Client, settings: Any
) -> None:
    export = _asked(program, to=ON.isoformat())  # not inline: it waits for the commit
    ProgramExport.objects.filter(pk=export.pk).update(status="running", total=3, done=1)
    page = program.get(f"/program/exports/{export.pk}/").content.decode()
    assert 'http-equiv="refresh"' in page and "1 de 3 cajas (33 %)" in page
    assert f"/program/exports/{export.pk}/file/" not in page
    # the file is not there yet: asking for it goes back to the status page
    early = program.get(f"/program/exports/{export.pk}/file/")
    assert early.status_code == 302 and early["Location"] == f"/program/exports/{export.pk}/"


def test_an_export_that_stopped_moving_is_shown_interrupted_and_can_be_asked_again(
    program: Client,
) -> None:
    export = _asked(program, to=ON.isoformat())
    stale = timezone.now() - STALE - dt.timedelta(seconds=1)
    ProgramExport.objects.filter(pk=export.pk).update(status="running", updated_at=stale)
    page = program.get(f"/program/exports/{export.pk}/").content.decode()
    assert 'data-state="failed"' in page and "Se interrumpió." in page
    assert 'http-equiv="refresh"' not in page
    assert f'name="to" value="{ON.isoformat()}"' in page  # the retry keeps the filters


def test_only_the_user_who_asked_sees_the_export(program: Client, settings: Any) -> None:
    settings.CAJAS_EXPORTS_INLINE = True
    export = _asked(program, to=ON.isoformat())
    other = Client()
    force_login(other, program_admin(Caja.objects.get(code="sur"), "otra"))
    assert other.get(f"/program/exports/{export.pk}/").status_code == 404
    assert other.get(f"/program/exports/{export.pk}/file/").status_code == 404
    member = Client()
    force_login(member, plain_member(Caja.objects.get(code="sur"), "socia"))
    assert member.post("/program/exports/", {"to": ON.isoformat()}).status_code == 403


def test_a_wrong_date_is_refused_with_its_message_and_nothing_is_written(program: Client) -> None:
    before = db_snapshot()
    response = program.post("/program/exports/", {"to": "2025-13-01"})
    assert response.status_code == 302 and response["Location"] == "/program/"
    assert db_snapshot() == before and not ProgramExport.objects.exists()
    said = InputDateInvalid("to", value="2025-13-01").message("es")
    assert html.escape(said) in program.get("/program/").content.decode()


def test_a_double_tap_asks_for_one_export(program: Client, settings: Any) -> None:
    settings.CAJAS_EXPORTS_INLINE = True
    page = program.get("/program/")
    token = re.search(rb'name="once" value="([^"]+)"', page.content)
    assert token is not None
    first = program.post("/program/exports/", {"once": token.group(1).decode()})
    again = program.post("/program/exports/", {"once": token.group(1).decode()})
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert ProgramExport.objects.count() == 1


def test_exports_are_deleted_a_day_after_they_were_asked_for(
    program: Client, settings: Any, tmp_path: Path
) -> None:
    settings.CAJAS_EXPORTS_INLINE = True
    settings.DATA_DIR = tmp_path
    old = _asked(program, to=ON.isoformat())
    assert export_path(old).exists()
    ProgramExport.objects.filter(pk=old.pk).update(created_at=timezone.now() - KEPT)
    program.post("/program/exports/", {"to": ON.isoformat()})
    assert not export_path(old).exists() and not ProgramExport.objects.filter(pk=old.pk).exists()
    assert ProgramExport.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_web_process_writes_the_export_in_a_thread_after_the_request(
    program: Client, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    export = _asked(program, to=ON.isoformat())
    exports_wait()
    export.refresh_from_db()
    assert (export.status, export.done, export.total) == ("done", 3, 3)
    data = b"".join(program.get(f"/program/exports/{export.pk}/file/").streaming_content)  # type: ignore[attr-defined]
    assert _cells(data)[1][0] == "Caja Norte"
