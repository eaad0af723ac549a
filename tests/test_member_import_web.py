"""The member-import pages: who reaches them, the template to download (and fill in: it comes
back in), the upload without JavaScript, the steps the page drives with it, the preview and the
confirmation (all or nothing, safe to repeat)."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from cajas.imports.models import MemberImport
from cajas.members.models import Membership
from cajas.org.models import Caja
from tests.factories import db_snapshot, facilitator, plain_member, xlsx_of
from tests.helpers import force_login

HEADER = ["nombres", "apellidos", "genero", "fecha_nacimiento", "nacionalidad"]


def page(client: Client, caja: Caja) -> str:
    return f"/cajas/{caja.pk}/members/import/"


def once(client: Client, url: str) -> str:
    found = re.search(r'name="once" value="([^"]+)"', client.get(url).content.decode())
    assert found is not None
    return found.group(1)


def upload(
    client: Client,
    caja: Caja,
    content: bytes,
    name: str = "socias.xlsx",
    attested: bool = False,
    **extra: Any,
):
    data = {"file": SimpleUploadedFile(name, content), "once": once(client, page(client, caja))}
    if attested:
        data["attested"] = "on"
    return client.post(f"/cajas/{caja.pk}/members/import/upload/", data, **extra)


def test_officers_and_facilitators_reach_the_page_nobody_else(caja_a: Caja, alice, bob, charlie):
    assert force_login(Client(), alice).get(page(Client(), caja_a)).status_code == 200
    fabio = force_login(Client(), facilitator(caja_a, "fabio"))
    assert fabio.get(page(fabio, caja_a)).status_code == 200
    for user in (bob, charlie, plain_member(caja_a, "marta")):
        client = force_login(Client(), user)
        assert client.get(page(client, caja_a)).status_code == 404
        assert client.get(page(client, caja_a) + "template.xlsx").status_code == 404
    caja_page = force_login(Client(), alice).get(f"/cajas/{caja_a.pk}/").content.decode()
    assert 'data-testid="member-import"' in caja_page


def _filled_template(client: Client, caja: Caja) -> bytes:
    response = client.get(page(client, caja) + "template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    sheet.append([None, "Lucía", "Torres", "mujer", dt.date(1992, 3, 4), "CO", "", "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_template_explains_its_columns_and_comes_back_in(caja_a: Caja, alice):
    client = force_login(Client(), alice)
    response = client.get(page(client, caja_a) + "template.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Socias", "Columnas"]
    headers = [c.value for c in book["Socias"][1]]
    assert headers[:6] == [
        "caja",
        "nombres",
        "apellidos",
        "genero",
        "fecha_nacimiento",
        "nacionalidad",
    ]
    example = [c.value for c in book["Socias"][2]]
    assert example[:4] == ["caja-a", "María José", "Rivas Gómez", "mujer"]
    explained = {row[0].value: row[3].value for row in book["Columnas"].iter_rows(min_row=2)}
    assert explained["genero"] == "mujer, hombre, otro, prefiere_no_decir"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = load_workbook(io.BytesIO(client.get(page(client, caja_a) + "template.xlsx").content))
    assert english.sheetnames == ["Members", "Columns"]
    assert [c.value for c in english["Members"][1]][1:3] == ["given_names", "family_names"]

    before = Membership.objects.filter(caja=caja_a).count()
    response = upload(client, caja_a, _filled_template(client, caja_a), attested=True)
    preview = client.get(response["Location"]).content.decode()
    assert "2 members will be added." in preview
    confirm = re.search(r'action="([^"]+/confirm/)"', preview)
    token = re.search(r'name="once" value="([^"]+)"', preview)
    assert confirm and token
    done = client.post(confirm.group(1), {"once": token.group(1)})
    assert done.status_code == 302 and done["Location"] == f"/cajas/{caja_a.pk}/"
    assert Membership.objects.filter(caja=caja_a).count() == before + 2
    again = client.post(confirm.group(1), {"once": token.group(1)}, follow=True)
    assert "This was already recorded; it was not repeated." in again.content.decode()
    assert Membership.objects.filter(caja=caja_a).count() == before + 2


def test_without_javascript_the_upload_answers_with_the_errors_by_row(caja_a: Caja, alice):
    client = force_login(Client(), alice)
    before = db_snapshot()
    content = xlsx_of(
        [HEADER, ["Ana", "Mena", "mujer", "1980-01-01", "VE"], ["Bea", "", "f", "1980-01-01", "VE"]]
    )
    response = upload(client, caja_a, content)
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "Nada se importará: 1 error." in html
    assert (
        "<td>3</td><td>apellidos</td><td>Esta columna es obligatoria y la celda está vacía.</td>"
        in html
    )
    assert 'data-testid="import-confirm"' not in html
    # The upload itself went through (its form token is spent); nothing else was written.
    after = db_snapshot()
    assert after.pop("core.OnceToken") == before.pop("core.OnceToken") + 1
    assert after == before


def test_with_javascript_the_page_steps_the_check_and_reads_its_progress(caja_a: Caja, alice):
    client = force_login(Client(), alice)
    content = xlsx_of([HEADER, *[[f"S{i}", "P", "mujer", "1980-01-01", "VE"] for i in range(2)]])
    answer = upload(client, caja_a, content, headers={"X-Cajas-Inplace": "1"}).json()
    assert (answer["status"], answer["rows_read"], answer["rows_total"]) == ("reading", 0, 2)
    step = client.post(answer["step_url"], headers={"X-Cajas-Inplace": "1"}).json()
    assert (step["status"], step["percent"], step["preview_url"]) == (
        "checked",
        100,
        answer["preview_url"],
    )
    assert "2 socias se agregarán." in client.get(step["preview_url"]).content.decode()
    refused = upload(client, caja_a, b"hola", name="socias.pdf", headers={"X-Cajas-Inplace": "1"})
    assert refused.status_code == 400
    assert (
        refused.json()["error"]
        == "Suba un archivo Excel (.xlsx) o CSV (.csv); «socias.pdf» no es ninguno de los dos."
    )


def test_a_file_refused_whole_says_why_and_an_import_is_seen_only_by_its_uploader(
    caja_a: Caja, alice
):
    client = force_login(Client(), alice)
    response = upload(client, caja_a, b"apodo;edad\nLa Flaca;30\n", name="socias.csv", follow=True)
    assert "La primera fila debe tener los nombres de las columnas" in response.content.decode()
    assert MemberImport.objects.count() == 0
    upload(client, caja_a, xlsx_of([HEADER, ["Ana", "Mena", "mujer", "1980-01-01", "VE"]]))
    job = MemberImport.objects.get()
    fabio = force_login(Client(), facilitator(caja_a, "fabio"))
    assert fabio.get(f"/cajas/{caja_a.pk}/members/import/{job.pk}/").status_code == 404
    assert fabio.post(f"/cajas/{caja_a.pk}/members/import/{job.pk}/confirm/").status_code == 404


@pytest.mark.parametrize("name", ["socias.xlsx", "socias.csv", "soc\x00ias.csv"])
def test_garbage_in_a_file_is_a_message_not_a_server_error(caja_a: Caja, alice, name: str):
    client = force_login(Client(), alice)
    response = upload(
        client, caja_a, b"PK\x03\x04\x00\xff\xfe garbage \x00" * 50, name=name, follow=True
    )
    assert response.status_code == 200
    assert MemberImport.objects.count() == 0
