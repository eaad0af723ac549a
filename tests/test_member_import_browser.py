"""A treasurer imports a program-wide Kobo export on a 360 px phone in real headless Chromium:
the upload's progress, then the rows checked chunk by chunk, the preview, the confirmation."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from cajas.imports.services import CHUNK
from cajas.members.models import Membership
from tests.factories import make_caja, officer, xlsx_of
from tests.helpers import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("CAJAS_SCREENSHOTS", "var/screenshots"))

# Every change of the status line, kept across the page change to the preview.
RECORD = """
new MutationObserver(() => {
  const s = document.querySelector('[data-testid=import-status]');
  if (!s) return;
  const seen = JSON.parse(sessionStorage.getItem('seen') || '[]');
  if (seen[seen.length - 1] !== s.textContent) seen.push(s.textContent);
  sessionStorage.setItem('seen', JSON.stringify(seen));
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def _export(path: Path, caja_code: str) -> None:
    header = ["start", "datos_caja/caja", "datos_personales/nombres", "datos_personales/apellidos",
              "datos_personales/genero", "datos_personales/fecha_nacimiento",
              "datos_personales/nacionalidad", "_uuid", "_index"]  # fmt: skip
    rows = [
        [
            "2025-03-10T09:12:44",
            "caja-sur" if i >= 12 else caja_code,
            f"Socia{i}",
            "Prueba",
            "mujer",
            dt.date(1980, 1, 1),
            "VE",
            f"uuid-{i}",
            i + 1,
        ]
        for i in range(2 * CHUNK + 100)
    ]
    path.write_bytes(xlsx_of([header, *rows]))


def test_a_treasurer_imports_a_kobo_export_watching_its_progress(
    live_server, browser: Browser, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    caja = make_caja(code="caja-norte")
    officer(caja, "treasurer", "tesorera")
    export = tmp_path / "registro_socias.xlsx"
    _export(export, "caja-norte")
    page = browser.new_page(viewport=PHONE)
    page.add_init_script(RECORD)
    log_in(page, live_server.url, "tesorera")
    page.goto(f"{live_server.url}/cajas/{caja.pk}/")
    page.click("[data-testid=member-import]")
    expect(page.locator("h1")).to_have_text("Importar socias")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_input_files("#import-file", str(export))
    page.get_by_role("button", name="Subir y revisar").click()
    # The page steps through three chunks; on a loaded machine that takes a while.
    expect(page.locator("[data-testid=import-ready]")).to_have_text(
        "12 socias se agregarán.", timeout=90_000
    )
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('seen') || '[]')")
    assert "Subiendo: 100 %" in seen
    total = 2 * CHUNK + 100
    checked = [s for s in seen if s.startswith("Revisadas")]
    assert checked == [f"Revisadas {n} de {total} filas" for n in (0, CHUNK, 2 * CHUNK, total)]
    expect(page.locator("body")).to_contain_text(f"{total - 12} filas de otras cajas quedan fuera.")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "member-import-360.png"), full_page=True)
    page.click("[data-testid=import-confirm]")
    expect(page.locator(".messages")).to_contain_text("Se agregaron 12 socias.")
    assert Membership.objects.filter(caja=caja).count() == 13


def test_errors_by_row_fit_a_phone(live_server, browser: Browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    caja = make_caja(code="caja-norte")
    officer(caja, "treasurer", "tesorera")
    bad = tmp_path / "kobo.xlsx"
    bad.write_bytes(xlsx_of([
        ["consentimiento/consentimiento_datos_sensibles", "datos_personales/nombres",
         "datos_personales/apellidos", "datos_personales/genero",
         "datos_personales/fecha_nacimiento", "datos_personales/nacionalidad"],
        ["si", "Ana", "Mena", "mujer", "1980-01-01", "VE"],
    ]))  # fmt: skip
    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server.url, "tesorera")
    page.goto(f"{live_server.url}/cajas/{caja.pk}/members/import/")
    page.set_input_files("#import-file", str(bad))
    page.get_by_role("button", name="Subir y revisar").click()
    errors = page.locator("[data-testid=import-errors] tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("consentimiento/consentimiento_datos_sensibles")
    expect(errors.first).to_contain_text("Marque que la socia está presente")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert Membership.objects.filter(caja=caja).count() == 1
