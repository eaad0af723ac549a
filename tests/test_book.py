"""The book export/import round-trips exactly, and a bad file writes nothing."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cajas.books.export import book_export
from cajas.books.importer import ImportErrors, book_import
from cajas.ledger.services import entry_reverse
from cajas.meetings.selectors import cash_for_lending
from cajas.meetings.sheet import SheetRow
from cajas.org.models import Caja
from tests.factories import FOUNDED, db_snapshot, make_caja
from tests.helpers import run_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def caja() -> Caja:
    caja = make_caja(members=4)
    rows = [
        SheetRow(
            member=n,
            status="absent" if n == 4 else "present",
            late=n == 3,
            shares=n % 3 + 1,
            social_fund=n != 4,
        )
        for n in (1, 2, 3, 4)
    ]
    run_meeting(caja, FOUNDED + dt.timedelta(days=7), rows, expenses=["3.20"], cash_delta_cents=-50)
    run_meeting(caja, FOUNDED + dt.timedelta(days=14), rows)
    entry_reverse(
        caja_id=caja.pk,
        seq=2,
        reason="monto equivocado",
        recorded_by="tesorera",
        on=FOUNDED + dt.timedelta(days=15),
    )
    return caja


@pytest.mark.django_db(transaction=True)
def test_export_import_export_gives_the_same_document(caja: Caja, tmp_path: Path) -> None:
    first = book_export(caja=caja)
    path = tmp_path / "book.json"
    call_command(
        "book", "export", "--caja", str(caja.pk), "--format", "json", "--output", str(path)
    )
    assert json.loads(path.read_text()) == first
    call_command("flush", interactive=False)
    call_command("book", "import", str(path))
    imported = Caja.objects.get(code=first["caja"]["code"])
    assert book_export(caja=imported) == first
    call_command("verify", caja=imported.code)


def test_a_book_with_errors_writes_nothing_and_lists_each_error(caja: Caja) -> None:
    document = copy.deepcopy(book_export(caja=caja))
    document["caja"]["code"] = "nueva"
    document["journal"][3]["lines"][0][1] += 100  # unbalanced, and the digest no longer matches
    document["members"][1]["person"]["birth_date"] = "2015-01-01"  # a child
    document["meetings"][0]["items"][0]["amount_cents"] = 0
    before = db_snapshot()
    with pytest.raises(ImportErrors) as raised:
        book_import(document)
    paths = [p for p, _m in raised.value.errors]
    assert "$.journal[3].lines" in paths
    assert "$.journal[3].digest" in paths
    assert "$.members[1].person.birth_date" in paths
    assert "$.meetings[0].items[0].amount_cents" in paths
    assert any("no cuadra" in m and "does not balance" in m for _p, m in raised.value.errors)
    assert db_snapshot() == before


def test_the_cli_import_reports_errors_and_fails(caja: Caja, tmp_path: Path) -> None:
    path = tmp_path / "book.json"
    call_command("book", "export", "--caja", caja.code, "--output", str(path))
    before = db_snapshot()
    with pytest.raises(CommandError) as raised:
        call_command("book", "import", str(path))  # the caja code exists already
    assert "nothing was imported" in str(raised.value)
    assert db_snapshot() == before


def test_a_typed_in_book_without_hashes_is_chained_on_import() -> None:
    document = {
        "format": "cajas-book",
        "version": 1,
        "program": {"code": "papel", "name": "Libros en papel"},
        "partner": {"code": "socio", "name": "Socio"},
        "territory": "Loja",
        "caja": {"code": "caja-papel", "name": "Caja de papel", "founded_on": "2025-02-01"},
        "bylaws": [{"version": 1, "effective_from": "2025-02-01", "approved_on": "2025-02-01"}],
        "members": [
            {
                "number": 1,
                "role": "treasurer",
                "joined_on": "2025-02-01",
                "person": {
                    "code": "S-PAPEL001",
                    "given_names": "Rosa",
                    "family_names": "Paz",
                    "gender": "female",
                    "birth_date": "1980-03-03",
                    "nationality": "VE",
                },
            },
        ],
        "cycles": [{"number": 1, "started_on": "2025-02-01", "status": "open"}],
        "meetings": [],
        "journal": [
            {
                "seq": 1,
                "date": "2025-02-08",
                "kind": "share_purchase",
                "key": "papel-1",
                "member": 1,
                "lines": [["1101", 1500, 0], ["2101.001", 0, 1500]],
            },
        ],
    }
    caja = book_import(document, recorded_by="digitadora")
    assert caja.last_seq == 1
    call_command("verify", caja=caja.code)


@pytest.mark.django_db(transaction=True)
def test_loans_round_trip_with_votes_schedules_and_restructurings(tmp_path: Path) -> None:
    from cajas.loans.application import loan_apply, loan_vote
    from cajas.loans.recovery import loan_restructure
    from cajas.meetings.items import repayment_record
    from tests.factories import APPLY, disbursed_loan, loan_caja, loan_meeting

    caja = loan_caja()
    loan = disbursed_loan(caja)
    late = dt.date(2025, 4, 30)  # installment 1 late: a late fee is charged and paid
    loan_meeting(
        caja,
        late,
        loans=[lambda m: repayment_record(meeting_id=m, loan_id=loan.pk, amount="41.62")],
    )
    loan_restructure(
        loan_id=loan.pk, term=4, on=dt.date(2025, 5, 2), reason="enfermedad", recorded_by="tesorera"
    )
    pending = loan_apply(
        caja_id=caja.pk,
        member=5,
        amount="40",
        term=2,
        purpose="education",
        on=APPLY,
        guarantors=[6],
        cash_available=cash_for_lending(caja_id=caja.pk),
    )
    loan_vote(loan_id=pending.pk, member=1, vote="no", on=APPLY)
    first = book_export(caja=caja)
    assert [x["status"] for x in first["loans"]] == ["disbursed", "applied"]
    assert first["loans"][0]["schedule_version"] == 2 and first["loans"][0]["restructurings"]
    assert first["loans"][1]["votes"] == [[1, "no", None]] and first["loans"][1]["guarantors"] == [
        6
    ]
    path = tmp_path / "book.json"
    path.write_text(json.dumps(first))
    call_command("flush", interactive=False)
    call_command("book", "import", str(path))
    imported = Caja.objects.get(code=first["caja"]["code"])
    assert book_export(caja=imported) == first
    call_command("verify", caja=imported.code)


def test_a_book_with_a_repayment_of_an_unknown_loan_is_refused(caja: Caja) -> None:
    document = copy.deepcopy(book_export(caja=caja))
    document["caja"]["code"] = "otra"
    document["meetings"][0]["items"].append(
        {"member": 1, "kind": "loan_repayment", "amount_cents": 500, "loan": 9}
    )
    document["loans"] = [{"number": 1, "member": 99}]
    before = db_snapshot()
    with pytest.raises(ImportErrors) as exc:
        book_import(document)
    assert db_snapshot() == before
    paths = [p for p, _m in exc.value.errors]
    assert "$.loans[0]" in paths
    assert "$.meetings[0].items[" in " ".join(paths) and any(p.endswith(".loan") for p in paths)


@pytest.mark.django_db(transaction=True)
def test_a_book_with_a_share_out_round_trips(tmp_path: Path) -> None:
    from cajas.meetings.opening import meeting_open
    from cajas.shareouts.services import shareout_execute
    from tests.factories import APPLY, loan_caja

    caja = loan_caja()
    assembly = meeting_open(caja_id=caja.pk, date=APPLY, opened_by="t", kind="assembly")
    shareout_execute(meeting_id=assembly.pk, executed_by="tesorera", reinvest={3: 500})
    first = book_export(caja=caja)
    assert first["shareouts"][0]["distributable_cents"] == 30000
    assert [c["status"] for c in first["cycles"]] == ["closed", "open"]
    path = tmp_path / "book.json"
    path.write_text(json.dumps(first))
    call_command("flush", interactive=False)
    call_command("book", "import", str(path))
    imported = Caja.objects.get(code=first["caja"]["code"])
    assert book_export(caja=imported) == first
    call_command("verify", caja=imported.code)


def test_a_reversal_without_a_reason_is_refused_by_the_check(caja: Caja) -> None:
    """``cajas verify`` refuses it; the import's checks do too, before anything is written
    (decision 0010: the written journal is no longer read back through verify)."""
    document = copy.deepcopy(book_export(caja=caja))
    document["caja"]["code"] = "nueva"
    at = next(i for i, e in enumerate(document["journal"]) if e["reverses"] is not None)
    document["journal"][at]["reason"] = ""
    for key in ("digest", "prev_hash", "hash"):  # typed in from paper: the chain is computed
        for entry in document["journal"]:
            entry.pop(key, None)
    document.pop("chain_head", None)
    before = db_snapshot()
    with pytest.raises(ImportErrors) as raised:
        book_import(document)
    journal = [p for p, _m in raised.value.errors if p.startswith("$.journal")]
    assert journal == [f"$.journal[{at}].reason"]  # people of the same caja also exist: refused too
    assert db_snapshot() == before
