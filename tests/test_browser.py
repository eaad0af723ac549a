"""A treasurer records a whole meeting on a phone in real headless Chromium (docs/domain.md §12)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from pathlib import Path

import numpy_financial as npf
import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from cajas.ledger.selectors import caja_summary
from cajas.ledger.verify import verify_caja
from cajas.loans.models import Installment, Loan, LoanStatus
from cajas.loans.schedule import add_period
from cajas.meetings.sheet import SheetRow
from cajas.org.models import Caja
from cajas.shareouts.models import ShareOut
from tests.factories import FOUNDED, enrol, make_caja, user_for
from tests.helpers import PHONE, log_in, run_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("CAJAS_SCREENSHOTS", "var/screenshots"))


def test_a_treasurer_records_a_meeting_on_a_phone(live_server, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    caja = make_caja(members=4, code="caja-a")
    user_for(enrol(caja, role="treasurer", given_names="Alice"), "alice")
    other = make_caja(members=2, code="caja-b", partner_code="otro", territory="Loja")
    user_for(enrol(other, role="treasurer", given_names="Charlie"), "charlie")
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server.url, "alice")
    expect(page.locator("h1")).to_have_text(caja.name)
    page.click("text=Abrir una reunión")
    expect(page.locator("h1")).to_contain_text("Reunión n.º 1")
    for n in range(1, 6):
        page.select_option(f"select[name=shares_{n}]", "2")
        page.check(f"input[name=fund_{n}]")
    page.select_option("select[name=status_3]", "absent")
    page.select_option("select[name=shares_3]", "0")
    page.uncheck("input[name=fund_3]")
    page.check("input[name=late_2]")
    page.click("text=Guardar asistencia y ahorro")
    # Sent from the phone in place (offline first, docs/offline.md): said at the foot.
    expect(page.locator("#live")).to_contain_text("Asistencia y ahorro guardados.")
    page.screenshot(path=str(SHOTS / "meeting-sheet.png"), full_page=True)
    # 4 × 2 shares × 5.00 + 4 × 1.00 social fund + 0.50 lateness = 44.50; member 3's 1.00
    # absence fine is her debt, not cash in the box.
    expect(page.get_by_test_id("expected-cash")).to_have_text("44.50")
    page.fill("input[name=counted_cash]", "44.50")
    page.click("text=Cerrar la reunión")
    expect(page.locator(".msg.success")).to_contain_text("Reunión cerrada")
    expect(page.get_by_test_id("savings")).to_have_text("40.00")
    expect(page.get_by_test_id("cash")).to_have_text("44.50")
    expect(page.get_by_test_id("social-fund")).to_have_text("4.00")
    page.screenshot(path=str(SHOTS / "caja-after-close.png"), full_page=True)
    no_overflow = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_overflow, "the caja page scrolls sideways at 360 px"
    page.close()

    summary = caja_summary(caja=Caja.objects.get(pk=caja.pk))
    assert summary["savings"] == 4000 and summary["cash"] == 4450

    intruder = browser.new_page(viewport=PHONE)
    log_in(intruder, live_server.url, "charlie")
    expect(intruder.locator("h1")).to_have_text(other.name)
    response = intruder.goto(f"{live_server.url}/cajas/{caja.pk}/")
    assert response is not None and response.status == 404
    response = intruder.goto(f"{live_server.url}/cajas/{caja.pk}/meetings/1/")
    assert response is not None and response.status == 404
    assert not re.search(r"Alice", intruder.content())
    intruder.close()
    assert User.objects.filter(username="charlie").exists()


def _close_meeting(page: Page) -> None:
    usual = page.get_by_test_id("usual")
    if usual.count():
        usual.click()
        expect(page.get_by_test_id("sheet-confirmed")).to_be_visible()
    expected = page.get_by_test_id("expected-cash").inner_text().replace(",", "")
    page.fill("input[name=counted_cash]", expected)
    page.get_by_role("button", name="Cerrar la reunión").click()
    expect(page.locator(".msg.success")).to_contain_text("Reunión cerrada")


def _open_meeting(page: Page, base: str, caja: Caja, day: dt.date) -> None:
    page.goto(f"{base}/cajas/{caja.pk}/")
    page.fill("input[name=date]", day.isoformat())
    page.click("text=Abrir una reunión")
    expect(page.locator("h1")).to_contain_text("Reunión n.º")


def test_a_loan_from_application_to_two_repayments_on_a_phone(
    live_server, browser: Browser
) -> None:  # type: ignore[no-untyped-def]
    caja = make_caja(code="caja-credito")
    enrol(caja, role="president")
    user_for(enrol(caja, role="treasurer", given_names="Alice"), "alice")
    enrol(caja, role="secretary")
    borrower = enrol(caja, given_names="Rosa", family_names="Mendoza")
    enrol(caja)
    run_meeting(
        caja, FOUNDED, [SheetRow(member=n, shares=5, social_fund=True) for n in range(1, 6)]
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    page = browser.new_page(viewport=PHONE)
    log_in(page, base, "alice")

    # Apply: 60.00 in 3 monthly installments for member #4, who saved 25.00 (limit 75.00).
    page.click("text=Préstamos")
    page.click("text=Registrar una solicitud de préstamo")
    page.fill("input[name=amount]", "60")
    page.fill("input[name=term]", "3")
    page.fill("input[name=member]", str(borrower.number))
    page.select_option("select[name=purpose]", "business")
    page.click("text=Registrar la solicitud")
    expect(page.locator(".msg.success")).to_contain_text("Solicitud registrada")
    expect(page.get_by_test_id("credito-digno")).to_contain_text("Crédito digno")
    # The applicant is not among the voters; two of the three officers vote for it.
    assert page.locator(f"select[name=vote_{borrower.number}]").count() == 0
    page.select_option("select[name=vote_1]", "yes")
    page.select_option("select[name=vote_2]", "yes")
    page.click("text=Contar los votos y decidir")
    expect(page.locator(".msg.success")).to_contain_text("Préstamo aprobado")

    # Disburse at a meeting, then repay at the next two.
    # (Meetings are never in the future: the hand-over is two months back.)
    start = dt.date.today() - dt.timedelta(days=62)
    _open_meeting(page, base, caja, start)
    page.click("text=Entregar (desembolsar)")
    expect(page.locator("#live")).to_contain_text("Desembolso registrado")
    _close_meeting(page)
    for k in (1, 2):
        _open_meeting(page, base, caja, add_period(start, "monthly", k))
        form = page.locator("form[data-repay='1']")
        form.locator("button", has_text="Registrar el pago").click()
        expect(page.locator("#live")).to_contain_text("Pago registrado")
        _close_meeting(page)

    page.goto(f"{base}/cajas/{caja.pk}/loans/1/")
    expect(page.get_by_test_id("contract")).to_contain_text("Rosa Mendoza")
    digno = page.get_by_test_id("credito-digno")
    # TEA of the real flows (−60.00, 20.60, 20.60, 20.61): numpy-financial's IRR says 19.46 %
    flows = [
        -60.0,
        *(
            i.payment_cents / 100
            for i in Installment.objects.filter(
                loan__caja=caja, loan__number=1, version=1
            ).order_by("number")
        ),
    ]
    tea = (1 + npf.irr(flows)) ** 12 - 1
    expect(digno.get_by_test_id("tea")).to_have_text(f"{tea * 100:.2f} %")
    expect(digno.get_by_test_id("cap")).to_have_text("28.23 %")
    expect(digno.get_by_test_id("saved")).to_contain_text("USD")
    expect(page.get_by_test_id("schedule").locator("tr.paid")).to_have_count(2)
    page.screenshot(path=str(SHOTS / "loan-contract.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    loan = Loan.objects.get(caja=caja, number=1)
    assert loan.status == LoanStatus.DISBURSED
    assert verify_caja(Caja.objects.get(pk=caja.pk)) == []


def test_share_out_preview_execute_and_download_a_passbook(live_server, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    caja = make_caja(code="caja-reparto")
    enrol(caja, role="president")
    user_for(enrol(caja, role="treasurer", given_names="Alice"), "alice")
    for _ in range(3):
        enrol(caja)
    run_meeting(
        caja, FOUNDED, [SheetRow(member=n, shares=3, social_fund=True) for n in range(1, 6)]
    )
    base = live_server.url
    page = browser.new_page(viewport=PHONE, accept_downloads=True)
    log_in(page, base, "alice")
    page.click("text=Reparto")
    expect(page.get_by_test_id("distributable")).to_have_text("75.00")  # 5 × 3 × 5.00
    _open_meeting(page, base, caja, dt.date.today())
    page.goto(f"{base}/cajas/{caja.pk}/shareout/")
    page.fill("input[name=reinvest_3]", "5")
    page.get_by_test_id("execute").click()
    expect(page.locator(".msg.success")).to_contain_text("Reparto hecho")
    expect(page.get_by_test_id("report")).to_contain_text("15.00")
    page.screenshot(path=str(SHOTS / "shareout-report.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.goto(f"{base}/cajas/{caja.pk}/")
    with page.expect_download() as info:
        page.click("text=Libretas de todos los socios (PDF)")
    path = SHOTS / "passbooks.pdf"
    info.value.save_as(path)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "Libreta del socio" in text and "Pago del reparto" in text
    assert ShareOut.objects.filter(caja=caja).count() == 1


def test_dashboard_filters_and_a_visit_from_an_alert(live_server, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    from cajas.access.models import StaffAssignment, StaffRole

    healthy = make_caja(code="sana", territory="Quito")
    troubled = make_caja(code="ausente", territory="Loja", partner_code="otro")
    for caja, absent in ((healthy, 0), (troubled, 4)):
        for i in range(8):
            enrol(caja, gender="female" if i < 5 else "male")
        today = dt.date.today()
        for k in range(4):
            run_meeting(
                caja,
                today - dt.timedelta(days=30 * (3 - k) + 5),
                [
                    SheetRow(member=n, shares=1, status="absent" if n <= absent else "present")
                    for n in range(1, 9)
                ],
            )
    user = User.objects.create_user(username="ana", password="secreto-123")
    StaffAssignment.objects.create(user=user, role=StaffRole.PROGRAM_ADMIN, program=healthy.program)
    base = live_server.url
    page = browser.new_page(viewport=PHONE)
    log_in(page, base, "ana")
    page.click("[data-testid=dashboard-link]")
    expect(page.get_by_test_id("chart")).to_have_count(3)
    members = page.locator("[data-figure=members] strong")
    expect(members).to_have_text("16")
    page.select_option("select[name=gender]", "female")
    page.get_by_role("button", name="Mostrar").click()
    expect(members).to_have_text("10")
    page.select_option("select[name=territory]", "Loja")
    page.get_by_role("button", name="Mostrar").click()
    expect(members).to_have_text("5")
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.click("[data-testid=alerts-link]")
    alert = page.locator("li[data-caja=ausente]")
    expect(alert).to_contain_text("Asistencia bajo el 75 %")
    expect(page.locator("li[data-caja=sana]")).to_have_count(0)
    alert.get_by_test_id("plan-visit").click()
    form = page.get_by_test_id("visit-form")
    form.locator("input[name=check_books]").check()
    form.locator("textarea[name=findings]").fill("Las reuniones no se avisan.")
    form.locator("input[name=action_1]").fill("Avisar por WhatsApp el día antes")
    form.locator("input[name=due_1]").fill((dt.date.today() + dt.timedelta(days=14)).isoformat())
    form.get_by_role("button", name="Guardar la visita").click()
    expect(page.locator(".msg.success")).to_contain_text("Visita registrada")
    page.get_by_role("button", name="Cerrar la visita").click()
    expect(page.locator(".msg.error")).to_contain_text("sin cumplir")
    page.get_by_role("button", name="Cumplida").click()
    page.get_by_role("button", name="Cerrar la visita").click()
    expect(page.get_by_test_id("visit-status")).to_have_text("Cerrada")
    page.screenshot(path=str(SHOTS / "visit-closed.png"), full_page=True)


def test_a_program_officer_gets_the_savix_excel_prepared_in_the_background(
    live_server, browser: Browser
) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    from cajas.access.models import StaffAssignment, StaffRole

    cajas = [make_caja(code=f"c{i}", territory="Quito" if i % 2 else "Loja") for i in range(3)]
    for caja in cajas:
        for _ in range(4):
            enrol(caja)
        run_meeting(caja, dt.date.today() - dt.timedelta(days=3),
                    [SheetRow(member=n, shares=1) for n in range(1, 5)])  # fmt: skip
    user = User.objects.create_user(username="ana", password="secreto-123")
    StaffAssignment.objects.create(
        user=user, role=StaffRole.PROGRAM_ADMIN, program=cajas[0].program
    )
    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server.url, "ana")
    page.click("[data-testid=dashboard-link]")
    page.select_option("select[name=territory]", "Quito")
    page.get_by_role("button", name="Mostrar").click()
    page.get_by_test_id("savix-xlsx").click()
    status = page.get_by_test_id("export-status")
    expect(status).to_have_attribute("data-state", "done", timeout=20_000)  # it refreshes itself
    expect(status).to_contain_text("El archivo está listo: 1 caja.")
    page.screenshot(path=str(SHOTS / "savix-export-ready.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    with page.expect_download() as info:
        page.get_by_test_id("export-download").click()
    path = SHOTS / "savix-quarterly.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(path)["SAVIX"].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "c1"  # the header and the one caja of Quito
    page.go_back()  # back to the dashboard (post/redirect/get): nothing is asked again
    expect(page.get_by_test_id("savix-xlsx")).to_be_visible()
    from cajas.monitoring.models import ProgramExport

    assert ProgramExport.objects.count() == 1
