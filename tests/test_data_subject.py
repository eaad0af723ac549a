"""The data subject's rights (LOPDP): her data exported on request (JSON, PDF, console), all of
it and nothing of anyone else's; its erasure, refused while money is owed either way, leaving
the books verifiable and her name nowhere in the database; and the access log of who read or
exported personal data.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from cajas.access.models import AccessLog
from cajas.access.services import access_log_write
from cajas.core.money import decimal_string
from cajas.ledger.verify import verify_caja
from cajas.meetings.close import meeting_close
from cajas.meetings.items import disbursement_record
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import meeting_expected_cash
from cajas.members.models import Membership, Person
from cajas.members.rules import ErasureLoanOutstanding, ErasureSavingsHeld
from cajas.members.services import consent_give
from cajas.org.models import Caja
from cajas.privacy.erasure import person_erase
from cajas.privacy.subject import subject_export
from cajas.shareouts.services import member_exit
from tests.factories import (
    APPLY,
    M2,
    caja_with_savings,
    db_snapshot,
    facilitator,
    make_caja,
    program_admin,
    run,
    user_for,
    voted_loan,
)
from tests.helpers import force_login

pytestmark = pytest.mark.django_db

NAME, FAMILY = "Zenaida", "Quispe"


def _client(user: User) -> Client:
    client = Client()
    force_login(client, user)
    return client


@pytest.fixture
def caja() -> Caja:
    """``caja_with_savings`` with member 4 renamed Zenaida Quispe (a name nobody else has),
    with a login, a loan handed over and a consent."""
    caja = caja_with_savings()
    four = Membership.objects.get(caja=caja, number=4)
    Person.objects.filter(pk=four.person_id).update(given_names=NAME, family_names=FAMILY)
    user = user_for(Membership.objects.get(pk=four.pk), "zenaida")
    consent_give(person_id=four.person_id, purpose="credit_letter", by=user)
    loan = voted_loan(caja, member=4)
    run(caja, APPLY, during=[lambda m: disbursement_record(meeting_id=m.pk, loan_id=loan.pk)])
    return caja


def _four(caja: Caja) -> Membership:
    return Membership.objects.select_related("person").get(caja=caja, number=4)


def test_the_export_holds_all_of_her_data_and_only_hers(caja: Caja) -> None:
    four = _four(caja)
    _client(User.objects.get(username="zenaida")).get(f"/cajas/{caja.pk}/passbook/")
    data = subject_export(person=four.person)
    assert data["person"]["given_names"] == NAME
    assert data["person"]["document_type"] == "passport"  # decrypted
    assert data["person"]["document_number"].startswith("P")
    assert data["person"]["mobility_status"] == "in_process"
    assert data["person"]["username"] == "zenaida"
    assert [(m["caja"], m["number"]) for m in data["memberships"]] == [(caja.code, 4)]
    assert [a["meeting"] for a in data["attendance"]] == [1, 2, 3]
    assert {i["kind"] for i in data["meeting_items"]} >= {
        "shares",
        "social_fund",
        "loan_disbursement",
    }
    kinds = {e["kind"] for e in data["journal"]}
    assert kinds == {"share_purchase", "social_fund", "loan_disbursement"}
    assert len(data["journal"]) == 5
    (loan,) = data["loans"]
    latest = max(i["version"] for i in loan["installments"])  # every schedule version is hers
    assert loan["status"] == "disbursed"
    assert [i["number"] for i in loan["installments"] if i["version"] == latest] == [1, 2, 3]
    assert [c["purpose"] for c in data["consents"]] == ["sensitive_data", "credit_letter"]
    assert [r["what"] for r in data["access_log"]] == ["passbook"]
    text = json.dumps(data, ensure_ascii=False)
    for other in Membership.objects.filter(caja=caja).exclude(number=4).select_related("person"):
        assert other.person.full_name not in text
        assert other.person.code not in text
        assert f'"{other.person.given_names}"' not in text


def test_she_downloads_her_own_data_and_nobody_else_does(caja: Caja) -> None:
    zenaida = _client(User.objects.get(username="zenaida"))
    own = zenaida.get(f"/cajas/{caja.pk}/my-data.json")
    assert own.status_code == 200 and json.loads(own.content)["person"]["family_names"] == FAMILY
    pdf = zenaida.get(f"/cajas/{caja.pk}/my-data.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # a member's page offers it
    assert f"/cajas/{caja.pk}/my-data.json" in zenaida.get(f"/cajas/{caja.pk}/").content.decode()

    code = _four(caja).person.code
    admin = _client(program_admin(caja, "pat"))
    assert admin.get(f"/program/people/{code}/data.json").status_code == 200
    assert (
        _client(facilitator(caja, "fabio")).get(f"/program/people/{code}/data.json").status_code
        == 403
    )
    elsewhere = make_caja(program=None, code="other-prog")
    from cajas.org.models import Program

    other_program = Program.objects.create(code="otro", name="Otro")
    elsewhere.program = other_program
    elsewhere.save()
    stranger = User.objects.create_user("quien")
    from cajas.access.models import StaffAssignment

    StaffAssignment.objects.create(user=stranger, role="program_admin", program=other_program)
    assert _client(stranger).get(f"/program/people/{code}/data.json").status_code == 404
    exports = AccessLog.objects.filter(what="subject_export", person=_four(caja).person)
    assert sorted(exports.values_list("username", flat=True)) == ["pat", "zenaida", "zenaida"]


def test_the_console_exports_json_and_pdf(caja: Caja, tmp_path: Path) -> None:
    code = _four(caja).person.code
    out = tmp_path / "her.json"
    call_command("person", "export", code, "--out", str(out))
    assert json.loads(out.read_text())["person"]["code"] == code
    pdf = tmp_path / "her.pdf"
    call_command("person", "export", code, "--pdf", "--out", str(pdf))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Datos personales que guarda Cajas" in text and NAME in text
    assert "Ana" not in text.split()  # the president's name is not in her export
    assert AccessLog.objects.filter(what="subject_export", username="console").count() == 2


def test_erasure_is_refused_while_money_is_owed(caja: Caja) -> None:
    four = _four(caja)
    before = db_snapshot()
    with pytest.raises(ErasureLoanOutstanding) as exc:
        person_erase(person_id=four.person_id, reason="solicitud 2025-05-01")
    assert exc.value.es == (
        f"No se pueden borrar los datos de {four.person.code}: tiene el préstamo n.º 1 en la "
        f"caja «{caja.name}» sin terminar de pagar; la caja necesita saber a quién se lo cobra."
    )
    five = Membership.objects.get(caja=caja, number=5)
    with pytest.raises(ErasureSavingsHeld) as exc2:
        person_erase(person_id=five.person_id, reason="solicitud")
    assert "la caja aún le debe ese dinero" in exc2.value.es and "30.00 USD" in exc2.value.es
    with pytest.raises(CommandError, match=r"\[erasure.savings_held\]"):
        call_command("person", "erase", five.person.code, "--reason", "solicitud")
    assert db_snapshot() == before
    assert Person.objects.get(pk=five.person_id).given_names != "Persona"


def _text_columns_containing(needle: str) -> list[str]:
    """Every table and column of the database whose text holds ``needle`` (as a grep of the
    database file would find it)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for col in connection.introspection.get_table_description(cursor, table):
                t, c = connection.ops.quote_name(table), connection.ops.quote_name(col.name)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {t} WHERE LOWER(CAST({c} AS TEXT)) LIKE %s",
                    [f"%{needle.lower()}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{col.name}")
    return found


def test_erasure_after_her_exit_leaves_the_books_verifiable_and_her_name_nowhere() -> None:
    caja = caja_with_savings()
    six = Membership.objects.get(caja=caja, number=6)
    Person.objects.filter(pk=six.person_id).update(
        given_names=NAME, family_names=FAMILY, phone="0987654321"
    )
    user = user_for(Membership.objects.get(pk=six.pk), "zenaida")
    _client(user).get(f"/cajas/{caja.pk}/passbook/")  # her own read, logged under her username
    meeting = meeting_open(caja_id=caja.pk, date=M2 + dt.timedelta(days=28), opened_by="t")
    member_exit(meeting_id=meeting.pk, member=6, reason="withdrawal", recorded_by="tesorera")
    meeting_close(
        meeting_id=meeting.pk,
        counted_cash=decimal_string(meeting_expected_cash(meeting=meeting)),
        closed_by="tesorera",
    )
    assert _text_columns_containing(NAME)  # the check does find her before
    journal_before = list(caja.journal_entries.order_by("seq").values_list("hash", flat=True))

    call_command("person", "erase", six.person.code, "--reason", "solicitud del 2025-03-20")

    assert verify_caja(Caja.objects.get(pk=caja.pk)) == []
    assert list(caja.journal_entries.order_by("seq").values_list("hash", flat=True)) == (
        journal_before
    )
    assert _text_columns_containing(NAME) == []
    assert _text_columns_containing(FAMILY) == []
    assert _text_columns_containing("0987654321") == []
    person = Person.objects.get(pk=six.person_id)
    assert person.full_name == "Persona eliminada" and person.erased_at is not None
    assert (person.document_number, person.mobility_status, person.phone) == ("", "", "")
    assert person.user is None
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()
    # memberships and consents stay, as facts
    assert Membership.objects.get(pk=six.pk).left_reason == "withdrawal"
    assert person.consents.filter(purpose="sensitive_data").exists()
    # her old login no longer opens anything
    tried = Client()
    tried.post("/accounts/login/", {"username": "zenaida", "password": "secreto-123"})
    assert "_auth_user_id" not in tried.session  # her old login no longer opens anything
    # erasing twice is refused by name
    with pytest.raises(CommandError, match=r"\[erasure.done\]"):
        call_command("person", "erase", person.code, "--reason", "otra vez")
    assert AccessLog.objects.filter(what="erasure", person=person).count() == 1


def test_reads_of_personal_data_are_in_the_access_log(caja: Caja, alice_like: User) -> None:
    client = _client(alice_like)
    four = _four(caja)
    AccessLog.objects.all().delete()
    client.get(f"/cajas/{caja.pk}/", REMOTE_ADDR="10.1.2.3")
    client.get(f"/cajas/{caja.pk}/members/4/passbook/")
    client.get(f"/cajas/{caja.pk}/documents/credit-history/?member=4")
    client.get(f"/cajas/{caja.pk}/documents/receipt/?meeting=3")
    client.get(f"/cajas/{caja.pk}/export/book.xlsx")
    rows = list(AccessLog.objects.order_by("pk"))
    assert [(r.what, r.detail) for r in rows] == [
        ("member_list", ""),
        ("member_page", ""),
        ("document", "credit-history"),
        ("document", "receipt"),
        ("export", "book.xlsx"),
    ]
    assert {r.username for r in rows} == {"luis"}
    assert rows[0].ip == "10.1.2.3" and rows[0].caja_id == caja.pk and rows[0].person is None
    assert rows[1].person_id == four.person_id and rows[2].person_id == four.person_id


def test_one_insert_per_request(caja: Caja, alice_like: User) -> None:
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    client = _client(alice_like)
    with CaptureQueriesContext(conn) as queries:
        client.get(f"/cajas/{caja.pk}/")
    inserts = [
        q for q in queries.captured_queries if "INSERT" in q["sql"] and "accesslog" in q["sql"]
    ]
    assert len(inserts) == 1


def test_the_program_admin_reads_the_log_filtered_and_paginated(caja: Caja) -> None:
    four = _four(caja)
    pat = program_admin(caja, "pat")
    for _ in range(60):
        access_log_write(user=pat, what="member_page", person=four.person, caja=caja)
    access_log_write(user=None, what="document", caja=caja, detail="minutes")
    client = _client(pat)
    page = client.get(f"/program/access-log/?person={four.person.code}").content.decode()
    assert "Accesos a datos personales" in page and "Página 1 de 2" in page
    assert page.count(four.person.code) >= 50
    second = client.get(f"/program/access-log/?person={four.person.code}&page=2").content.decode()
    assert "Página 2 de 2" in second
    console = client.get("/program/access-log/?user=console").content.decode()
    assert "minutes" in console and four.person.code not in console
    assert _client(facilitator(caja, "fabio")).get("/program/access-log/").status_code == 403


def test_old_rows_are_purged_after_the_retention_period(caja: Caja) -> None:
    four = _four(caja)
    old = access_log_write(user=None, what="member_page", person=four.person)
    AccessLog.objects.filter(pk=old.pk).update(at=timezone.now() - dt.timedelta(days=800))
    recent = access_log_write(user=None, what="member_page", person=four.person)
    with override_settings(CAJAS_ACCESS_LOG_DAYS=730):
        call_command("accesslog", "purge")
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent.pk]


@pytest.fixture
def alice_like(caja: Caja) -> User:
    """Luis, the treasurer (member 2) of ``caja``, with a login."""
    return user_for(Membership.objects.get(caja=caja, number=2), "luis")
