"""Every document kind renders as PDF; its text, read back with pdftotext, names the right
people, totals and balances. One PNG page of each is left in var/document-pages/ (pdftoppm)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from cajas.core.money import decimal_string
from cajas.documents.builders import NoCreditLetterConsent
from cajas.documents.services import document_render, document_sections
from cajas.meetings.close import meeting_close
from cajas.meetings.items import disbursement_record, repayment_record
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import meeting_expected_cash
from cajas.meetings.sheet import SheetRow
from cajas.members.models import Consent, Membership
from cajas.org.models import Caja
from cajas.shareouts.services import shareout_execute
from tests.factories import (
    APPLY,
    M2,
    approved_loan,
    caja_with_savings,
    loan_caja,
    loan_meeting,
    run,
    voted_loan,
)

pytestmark = pytest.mark.django_db

PAGES = Path(os.environ.get("CAJAS_DOCUMENT_PAGES", "var/document-pages"))
ON = dt.date(2025, 6, 1)


@pytest.fixture
def caja() -> Caja:
    caja = loan_caja()
    loan = approved_loan(caja, amount="60", term=3)
    loan_meeting(caja, APPLY, loans=[lambda m: disbursement_record(meeting_id=m, loan_id=loan.pk)])
    loan_meeting(
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
    loan_meeting(caja, dt.date(2025, 5, 20))
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
    Consent.objects.create(
        person=four.person, purpose="credit_letter", given_at=timezone.now(), how="recorded"
    )
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


# --- Issue 10: memos in words, receipts as of their meeting, minutes that read right. ---
# These build their own caja with ``tests.factories``: president Ana Pérez (1), treasurer Luis
# Ramos (2), secretary Rosa Mena (3), members 4–6; 3 shares of 5.00 each at M1 and M2.


@pytest.fixture
def savers() -> Caja:
    return caja_with_savings()


def _receipts_pdf(caja: Caja, meeting_number: int) -> tuple[str, int]:
    sections = document_sections(
        "receipt", caja=caja, on=ON, meeting=caja.meetings.get(number=meeting_number)
    )
    pdf = document_render("receipt", sections, lang="es", fmt="pdf")
    PAGES.mkdir(parents=True, exist_ok=True)
    path = PAGES / "receipts-es.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(PAGES / "receipts-es")])
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    pages = int(next(x for x in info.splitlines() if x.startswith("Pages:")).split()[1])
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    return " ".join(out.split()), pages


def test_the_passbook_shows_shares_and_usd_not_the_stored_cents(savers: Caja) -> None:
    text = _text("passbook", savers, member=_member(savers, 4))
    assert text.count("3 acciones × 5.00 USD = 15.00 USD") == 2
    assert "× 500" not in text and "3 × 5" not in text
    english = _text("passbook", savers, lang="en", member=_member(savers, 4))
    assert "3 shares × 5.00 USD = 15.00 USD" in english


def test_the_spanish_passbook_names_the_share_out_cycle_in_spanish(savers: Caja) -> None:
    assembly = meeting_open(caja_id=savers.pk, date=APPLY, opened_by="t", kind="assembly")
    shareout_execute(meeting_id=assembly.pk, executed_by="tesorera")
    text = _text("passbook", savers, member=_member(savers, 4))
    assert "Pago del reparto ciclo 1" in text and "cycle" not in text
    english = _text("passbook", savers, lang="en", member=_member(savers, 4))
    assert "Share-out payout cycle 1" in english


def test_a_receipt_printed_after_a_later_meeting_shows_the_meetings_balances(
    savers: Caja,
) -> None:
    loan = voted_loan(savers)
    run(savers, APPLY, during=[lambda m: disbursement_record(meeting_id=m.pk, loan_id=loan.pk)])
    april, may = dt.date(2025, 4, 15), dt.date(2025, 5, 17)
    pay = lambda m: repayment_record(meeting_id=m.pk, loan_id=loan.pk, amount="20.60")  # noqa: E731
    run(savers, april, [SheetRow(member=n, shares=2) for n in range(1, 7)], during=[pay])
    run(savers, may, [SheetRow(member=n, shares=1) for n in range(1, 7)], during=[pay])
    four = _member(savers, 4)
    # after meeting 1: 15.00 saved, 1.00 to the social fund (today: 45.00 and 2.00)
    first = document_sections(
        "receipt", caja=savers, on=ON, member=four, meeting=savers.meetings.get(number=1)
    )[0]
    assert (first["savings"], first["social_fund"], first["loans"]) == (1500, 100, [])
    # after meeting 4 (April): 40.00 saved and 40.30 of the loan still owed, next installment
    # the May one — although May has been paid since
    text = _text("receipt", savers, member=four, meeting=savers.meetings.get(number=4))
    assert "Saldos al cierre de la reunión (15/04/2025)" in text
    assert "Ahorro 40.00 USD" in text and "Aportes al fondo social 2.00 USD" in text
    assert "Saldo del préstamo n.º 1 40.30 USD" in text
    assert "próxima cuota 20.60 (17/05/2025)" in text
    # the latest meeting's receipt reads today's figures
    last = document_sections(
        "receipt", caja=savers, on=ON, member=four, meeting=savers.meetings.get(number=5)
    )[0]
    assert (
        last["savings"] == 4500 and last["loans"][0]["outstanding"] == 4030 - 2000
    )  # 0.60 interest


def test_the_receipts_of_a_meeting_share_one_a4_page(savers: Caja) -> None:
    text, pages = _receipts_pdf(savers, 2)
    assert pages == 1
    for m in Membership.objects.filter(caja=savers).select_related("person"):
        assert m.person.full_name in text
    assert text.count("Recibo · reunión n.º 2") == 6


def test_minutes_show_each_vote_by_name_and_the_decision(savers: Caja) -> None:
    voted_loan(savers)  # 1 and 2 in favour, 3 abstains
    voted_loan(savers, member=5, votes={1: "no", 2: "no", 3: "yes"})
    run(savers, APPLY)
    text = _text("minutes", savers, meeting=savers.meetings.get(number=3))
    assert (
        "Aprobado. Votación: 2 a favor: Ana P., Luis R.; 0 en contra; 1 abstención: Rosa M." in text
    )
    assert (
        "Rechazado. Votación: 1 a favor: Rosa M.; 2 en contra: Ana P., Luis R.; 0 abstenciones"
        in text
    )
    english = _text("minutes", savers, lang="en", meeting=savers.meetings.get(number=3))
    assert "2 in favour: Ana P., Luis R.; 0 against; 1 abstention: Rosa M." in english


def test_minutes_list_the_fines_waived(savers: Caja) -> None:
    from cajas.meetings.items import item_remove
    from cajas.meetings.models import MeetingItem

    def waive(meeting: object) -> None:
        fine = MeetingItem.objects.get(meeting=meeting, membership__number=6, kind="fine")
        item_remove(meeting_id=fine.meeting_id, item_id=fine.pk)

    rows = [SheetRow(member=n, status="absent" if n == 6 else "present") for n in range(1, 7)]
    run(savers, APPLY, rows, during=[waive])
    six = _member(savers, 6)
    text = _text("minutes", savers, meeting=savers.meetings.get(number=3))
    assert "Multas condonadas" in text
    assert f"6. {six.person.full_name}: 1.00 USD · Inasistencia" in text
    assert "No se condonó ninguna multa." in _text(
        "minutes", savers, meeting=savers.meetings.get(number=2)
    )


def test_minutes_list_the_corrections_made_since_the_previous_meeting(savers: Caja) -> None:
    from cajas.ledger.models import JournalEntry
    from cajas.ledger.services import entry_reverse

    wrong = JournalEntry.objects.get(
        caja=savers, membership__number=4, kind="share_purchase", date=M2
    )
    entry_reverse(
        caja_id=savers.pk,
        seq=wrong.seq,
        reason="Las acciones eran de la socia 5",
        recorded_by="tesorera",
        on=dt.date(2025, 2, 20),
    )
    run(savers, APPLY)
    four = _member(savers, 4)
    text = _text("minutes", savers, meeting=savers.meetings.get(number=3))
    assert (
        f"({four.number}. {four.person.full_name}): anula el asiento n.º {wrong.seq} del "
        "10/02/2025: Compra de acciones 3 acciones × 5.00 USD = 15.00 USD · 15.00 USD. "
        "Motivo: Las acciones eran de la socia 5"
    ) in text
    # not in the minutes of the meeting before it was made
    assert "Sin correcciones." in _text("minutes", savers, meeting=savers.meetings.get(number=2))


def test_minutes_of_a_share_out_list_each_members_payout(savers: Caja) -> None:
    assembly = meeting_open(caja_id=savers.pk, date=APPLY, opened_by="t", kind="assembly")
    shareout_execute(meeting_id=assembly.pk, executed_by="tesorera")
    meeting_close(
        meeting_id=assembly.pk,
        counted_cash=decimal_string(meeting_expected_cash(meeting=assembly)),
        closed_by="tesorera",
    )
    text = _text("minutes", savers, meeting=assembly)
    assert "Pagos del reparto" in text
    for m in Membership.objects.filter(caja=savers).select_related("person"):
        assert f"{m.number} {m.person.full_name} 6 30.00 0.00 0.00 0.00 30.00" in text
    assert "Total 180.00" in text


def test_the_receipts_of_a_whole_meeting_are_each_members_own_receipt(savers: Caja) -> None:
    from cajas.documents.builders import receipt, receipts

    loan = voted_loan(savers)
    run(savers, APPLY, during=[lambda m: disbursement_record(meeting_id=m.pk, loan_id=loan.pk)])
    for number in (2, 3):  # everyone's shares; then the loan disbursed to one member
        meeting = savers.meetings.get(number=number)
        members = [a.membership for a in meeting.attendance.order_by("membership__number")]
        together = receipts(members, meeting)  # the meeting's last entry and items read once
        assert together == [receipt(m, meeting) for m in members]
    assert sum(len(r["items"]) for r in together) == 1 and any(r["loans"] for r in together)
