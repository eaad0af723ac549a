"""The program dashboard: scoped to what each role may see, filters change the figures,
the view exports to XLSX."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from openpyxl import load_workbook

from cajas.access.models import StaffAssignment, StaffRole
from cajas.meetings.sheet import SheetRow
from cajas.org.models import Caja
from tests.factories import FOUNDED, enrol, make_caja
from tests.helpers import force_login, run_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def program() -> tuple[Caja, Caja, Caja]:
    quito = make_caja(code="quito-1", territory="Quito", partner_code="fudela")
    manta = make_caja(code="manta-1", territory="Manta", partner_code="hias")
    loja = make_caja(code="loja-1", territory="Loja", partner_code="hias")
    for caja, women in ((quito, 3), (manta, 1), (loja, 2)):
        for i in range(4):
            enrol(caja, gender="female" if i < women else "male")
        run_meeting(
            caja, FOUNDED, [SheetRow(member=n, shares=2, social_fund=True) for n in range(1, 5)]
        )
    return quito, manta, loja


def _staff(username: str, **assignment: object) -> Client:
    user = User.objects.create_user(username=username, password="x")
    StaffAssignment.objects.create(user=user, **assignment)
    client = Client()
    force_login(client, user)
    return client


def _figure(page: str, key: str) -> str:
    block = page.split(f'data-figure="{key}"')[1]
    return block.split("<strong>")[1].split("</strong>")[0]


def test_each_role_sees_only_its_cajas(program: tuple[Caja, Caja, Caja]) -> None:
    quito, manta, loja = program
    admin = _staff("ana", role=StaffRole.PROGRAM_ADMIN, program=quito.program)
    page = admin.get("/program/").content.decode()
    assert _figure(page, "members") == "12" and _figure(page, "cajas_implemented") == "3"
    supervisor = _staff(
        "sara", role=StaffRole.PARTNER_SUPERVISOR, program=quito.program, partner=manta.partner
    )
    page = supervisor.get("/program/").content.decode()
    assert _figure(page, "members") == "8"
    assert "Quito" not in page.split('data-testid="compare"')[1]
    facilitator = _staff("fede", role=StaffRole.FACILITATOR, program=quito.program, caja=loja)
    page = facilitator.get("/program/?group=caja").content.decode()
    assert _figure(page, "members") == "4" and "loja-1" in page and "manta-1" not in page
    # the export is scoped the same way
    book = load_workbook(io.BytesIO(facilitator.get("/program/?format=xlsx").content))
    rows = list(book.active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["Loja", "Total"] and rows[-1][1] == 4


def test_filters_change_the_figures(program: tuple[Caja, Caja, Caja]) -> None:
    quito, _manta, _loja = program
    admin = _staff("ana", role=StaffRole.PROGRAM_ADMIN, program=quito.program)
    assert _figure(admin.get("/program/?gender=female").content.decode(), "members") == "6"
    assert _figure(admin.get("/program/?territory=Quito").content.decode(), "members") == "4"
    page = admin.get(f"/program/?partner={quito.partner_id}").content.decode()
    assert _figure(page, "women_percent") == "75.00"
    # Everyone here was born in 1990: never again 18 to 25.
    page = admin.get("/program/?age=18-25").content.decode()
    assert _figure(page, "members") == "0" and _figure(page, "savings") == "0.00"
    assert 'data-testid="targets"' not in page and 'data-testid="targets-hidden"' in page
    page = admin.get("/program/").content.decode()
    assert "12 socios de una meta de 1500; 3 territorios de una meta de 8; 3 cajas." in page
    assert 'name="program"' not in page  # one program: nothing to choose
    assert _figure(admin.get("/program/?age=nonsense").content.decode(), "members") == "12"


def test_members_and_officers_have_no_dashboard(program: tuple[Caja, Caja, Caja]) -> None:
    from tests.factories import user_for

    quito = program[0]
    client = Client()
    force_login(client, user_for(enrol(quito, role="treasurer"), "tesorera"))
    assert client.get("/program/").status_code == 403


def test_the_savix_quarterly_csv_is_scoped_and_complete(program: tuple[Caja, Caja, Caja]) -> None:
    import csv

    quito, manta, _loja = program
    supervisor = _staff(
        "sara", role=StaffRole.PARTNER_SUPERVISOR, program=quito.program, partner=manta.partner
    )
    response = supervisor.get("/program/?format=savix")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["group_name", "group_number", "date_first_training"]
    assert len(rows[0]) == 24
    assert sorted(r[1] for r in rows[1:]) == ["loja-1", "manta-1"]
    manta_row = next(r for r in rows[1:] if r[1] == "manta-1")
    header = rows[0]
    assert manta_row[header.index("registered_members_now_women")] == "1"
    assert manta_row[header.index("value_of_savings_this_cycle")] == "40.00"  # 4 × 2 × 5.00
    # Cash in the box 44.00: 40.00 of savings (loan fund) and 4.00 of social fund.
    assert manta_row[header.index("loan_fund_cash_box")] == "40.00"
    assert manta_row[header.index("cash_in_other_funds")] == "4.00"


def test_staff_of_two_programs_choose_one(program: tuple[Caja, Caja, Caja]) -> None:
    from tests.factories import make_program

    quito, _manta, _loja = program
    other = make_caja(code="otro-1", program=make_program(code="otro"), members=2)
    client = _staff("pia", role=StaffRole.PROGRAM_ADMIN, program=quito.program)
    user = User.objects.get(username="pia")
    StaffAssignment.objects.create(user=user, role=StaffRole.PROGRAM_ADMIN, program=other.program)
    page = client.get("/program/").content.decode()
    assert 'name="program"' in page and _figure(page, "members") == "14"
    page = client.get(f"/program/?program={other.program_id}").content.decode()
    assert _figure(page, "members") == "2"


def test_the_comparison_names_its_first_column_and_the_chart_reads_without_tooltips(
    program: tuple[Caja, Caja, Caja],
) -> None:
    quito = program[0]
    admin = _staff("ana", role=StaffRole.PROGRAM_ADMIN, program=quito.program)
    page = admin.get("/program/?group=partner&from=2024-11-01&to=2025-02-28").content.decode()
    compare = page.split('data-testid="compare"')[1].split("</thead>")[0]
    assert '<tr><th scope="col">Socio implementador</th>' in compare
    # The monthly chart writes each month's count on its bar and the year on the axis (under
    # the first month and under January); the same figures are in a table below it.
    series = page.split('data-testid="series"')[1].split("</svg>")[0]
    assert re.findall(r'class="label year"[^>]*>(\d{4})<', series) == ["2024", "2025"]
    assert 'class="value">0</text>' in series
    assert 'data-testid="series-table"' in page


def test_dashboard_figures_have_thousands_separators_like_the_amounts() -> None:
    from decimal import Decimal

    from cajas.web.templatetags.money import figure

    assert figure(1500) == "1,500"
    assert figure(Decimal("1234567.8")) == "1,234,567.80"
    assert figure(Decimal("26.83")) == "26.83"
    assert figure(None) == "—"
