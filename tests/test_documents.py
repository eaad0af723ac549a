"""Every document kind renders as PDF; its text, read back with pdftotext, names the right
people, totals and balances. One PNG page of each is left in var/document-pages/ (pdftoppm)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from cajas.core.money import decimal_string
from cajas.documents.builders import NoCreditLetterConsent
from cajas.documents.services import document_render, document_sections
from cajas.loans.services import disbursement_record, repayment_record
from cajas.meetings.services import meeting_close, meeting_expected_cash, meeting_open
from cajas.members.models import Membership
from cajas.org.models import Caja
from cajas.shareouts.services import shareout_execute
from tests.test_loans import APPLY, _approved, _caja, _meeting

pytestmark = pytest.mark.django_db

PAGES = Path(os.environ.get("CAJAS_DOCUMENT_PAGES", "var/document-pages"))
ON = dt.date(2025, 6, 1)


@pytest.fixture
def caja() -> Caja:
    caja = _caja()
    loan = _approved(caja, amount="60", term=3)
    _meeting(caja, APPLY, loans=[lambda m: disbursement_record(meeting_id=m, loan_id=loan.pk)])
    _meeting(
        caja,
        dt.date(2025, 4, 15),
        loans=[lambda m: repayment_record(meeting_id=m, loan_id=loan.pk, amount="20.60")],
    )
    assembly = meeting_open(
        caja_id=caja.pk, date=dt.date(2025, 5, 5), opened_by="t", kind="assembly"
    )
    shareout_execute(meeting_id=assembly.pk, executed_by="tesorera")
    meeting_close(
        meeting_id=assembly.pk,
        counted_cash=decimal_string(meeting_expected_cash(meeting=assembly)),
        closed_by="tesorera",
    )
    _meeting(caja, dt.date(2025, 5, 20))
    return caja


def _text(kind: str, caja: Caja, lang: str = "es", **refs: object) -> str:
    sections = document_sections(kind, caja=caja, on=ON, lang=lang, **refs)
    pdf = document_render(kind, sections, lang=lang, fmt="pdf")
    assert pdf.startswith(b"%PDF")
    PAGES.mkdir(parents=True, exist_ok=True)
    path = PAGES / f"{kind}-{lang}.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(PAGES / f"{kind}-{lang}"),
        ],
        check=True,
    )
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    )
    return " ".join(out.stdout.split())


def _member(caja: Caja, number: int) -> Membership:
    return Membership.objects.select_related("person").get(caja=caja, number=number)


def test_passbook_lists_every_movement_with_running_balances(caja: Caja) -> None:
    one = _member(caja, 1)
    text = _text("passbook", caja, member=one)
    assert "Libreta del socio" in text and one.person.full_name in text
    # two meetings of 25.00, then the share-out pays the 50.00 back, then 0 left
    assert "25.00 25.00" in text and "25.00 50.00" in text and "Pago del reparto" in text
    english = _text("passbook", caja, lang="en", member=one)
    assert "Member passbook" in english and "Savings movements" in english


def test_passbooks_of_every_member_one_section_each(caja: Caja, tmp_path: Path) -> None:
    out = tmp_path / "all.pdf"
    call_command("document", "passbook", "--caja", caja.code, "--output", str(out))
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    for m in Membership.objects.filter(caja=caja).select_related("person"):
        assert m.person.full_name in text
    pages = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
    assert "Pages:          6" in pages or "Pages: 6" in " ".join(pages.split())


def test_minutes_have_attendance_decisions_cash_count_and_signatures(caja: Caja) -> None:
    text = _text("minutes", caja, meeting=caja.meetings.get(number=3))
    assert "Acta de la reunión n.º 3" in text
    assert "Asistieron 6 de 6 socios" in text
    assert "Préstamo n.º 1 entregado a" in text and "60.00 USD" in text
    assert "Arqueo de caja" in text and "Presidente" in text and "Tesorero" in text


def test_loan_contract_has_the_schedule_and_fair_credit(caja: Caja) -> None:
    text = _text("loan-contract", caja)
    assert "Contrato de préstamo n.º 1" in text and _member(caja, 4).person.full_name in text
    assert "Tasa efectiva anual (TEA)" in text and "28.23 %" in text
    assert "20.60" in text and "Garante" not in text


def test_share_out_report_lists_every_payout(caja: Caja) -> None:
    text = _text("shareout", caja)
    assert "Reparto del ciclo 1" in text
    for m in Membership.objects.filter(caja=caja).select_related("person"):
        assert m.person.full_name in text


def test_statements_balance(caja: Caja) -> None:
    text = _text("statements", caja, date_from=dt.date(2025, 1, 1), date_to=ON)
    assert "Balance general" in text and "Estado de resultados" in text and "Libro de caja" in text
    assert "Total de activos" in text


def test_credit_history_letter_needs_the_members_consent(caja: Caja) -> None:
    four = _member(caja, 4)
    with pytest.raises(NoCreditLetterConsent) as exc:
        document_sections("credit-history", caja=caja, member=four, on=ON)
    assert exc.value.es.startswith("El socio n.º 4 no ha dado su consentimiento")
    four.person.credit_letter_consent_on = ON
    four.person.save(update_fields=["credit_letter_consent_on"])
    text = _text("credit-history", caja, member=_member(caja, 4))
    assert "Carta de historial crediticio" in text and four.person.full_name in text
    assert "Préstamos recibidos 1" in text


def test_receipt_of_a_meeting(caja: Caja) -> None:
    text = _text("receipt", caja, member=_member(caja, 4), meeting=caja.meetings.get(number=4))
    assert "Recibo · reunión n.º 4" in text and "Pago de préstamo" in text and "20.60" in text


def test_exit_settlement(caja: Caja) -> None:
    from cajas.shareouts.services import member_exit

    meeting = meeting_open(caja_id=caja.pk, date=dt.date(2025, 5, 25), opened_by="t")
    member_exit(meeting_id=meeting.pk, member=6, reason="withdrawal", recorded_by="tesorera")
    text = _text("exit-settlement", caja)
    assert "Liquidación de salida" in text and _member(caja, 6).person.full_name in text
    assert "Ahorro devuelto" in text
