"""Consents (LOPDP: explicit, revocable, and who recorded them).

Only the member herself (on her own login) or an officer of a caja where she is an active
member, with her present (a ticked attestation), gives or withdraws a consent. Every consent is
a row: who recorded it, how, when, and who withdrew it when. The credit-history letter and the
WhatsApp receipts need the consent in force; the migratory status is kept only while the
sensitive-data consent is.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from cajas.members.models import Consent, Membership, Person
from cajas.members.rules import (
    ConsentAttestationMissing,
    ConsentNotAllowed,
    SensitiveConsentRequired,
)
from cajas.members.services import (
    consent_give,
    consent_withdraw,
    member_enrol,
    mobility_status_record,
)
from cajas.org.models import Caja
from tests.factories import (
    FOUNDED,
    caja_with_savings,
    db_snapshot,
    enrol,
    facilitator,
    officer,
    program_admin,
    user_for,
)
from tests.helpers import force_login

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    force_login(client, user)
    return client


def _give_url(m: Membership, purpose: str) -> str:
    return f"/cajas/{m.caja_id}/members/{m.number}/consents/{purpose}/give/"


def _withdraw_url(m: Membership, purpose: str) -> str:
    return f"/cajas/{m.caja_id}/members/{m.number}/consents/{purpose}/withdraw/"


@pytest.fixture
def marta(caja_a: Caja) -> Membership:
    """Marta, a plain member of caja A with her own login."""
    m = enrol(caja_a, given_names="Marta")
    user_for(m, "marta")
    return m


def test_the_member_gives_and_withdraws_her_consent_on_her_page(marta: Membership) -> None:
    user = User.objects.get(username="marta")
    client = _client(user)
    page = client.get(f"/cajas/{marta.caja_id}/passbook/").content.decode()
    assert "Mis consentimientos" in page
    assert "Una carta de historial crediticio sobre mí, para presentar en un banco" in page

    done = client.post(_give_url(marta, "credit_letter"), follow=True).content.decode()
    assert "Consentimiento registrado." in done
    consent = Consent.objects.get(person=marta.person, purpose="credit_letter")
    assert (consent.how, consent.recorded_by, consent.withdrawn_at) == ("self", user, None)
    assert consent.attestation == ""
    assert "Por la socia, con su propio usuario (marta)" in done

    gone = client.post(_withdraw_url(marta, "credit_letter"), follow=True).content.decode()
    assert "Consentimiento retirado." in gone
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_by == user
    assert consent.withdrawn_how == "self"
    assert "retirado el" in gone  # the history stays on her page

    # a new consent is a new row; the withdrawn one stays as a fact
    client.post(_give_url(marta, "credit_letter"))
    assert Consent.objects.filter(person=marta.person, purpose="credit_letter").count() == 2


def test_an_officer_records_it_only_with_the_attestation(
    caja_a: Caja, alice: User, marta: Membership
) -> None:
    client = _client(alice)
    page = client.get(f"/cajas/{caja_a.pk}/members/{marta.number}/passbook/").content.decode()
    assert "La socia está aquí y lo decide ella misma" in page

    before = db_snapshot()
    refused = client.post(_give_url(marta, "whatsapp_receipts"), follow=True).content.decode()
    assert ConsentAttestationMissing().es in refused
    assert db_snapshot() == before

    client.post(_give_url(marta, "whatsapp_receipts"), {"attested": "on"})
    consent = Consent.objects.get(person=marta.person, purpose="whatsapp_receipts")
    assert (consent.how, consent.recorded_by) == ("attested", alice)
    assert consent.attestation.startswith("La socia estuvo presente")

    client.post(_withdraw_url(marta, "whatsapp_receipts"), {"attested": "on"})
    consent.refresh_from_db()
    assert consent.withdrawn_by == alice and consent.withdrawn_how == "attested"


def test_a_facilitator_cannot_record_a_consent(caja_a: Caja, marta: Membership) -> None:
    fabio = facilitator(caja_a, "fabio")
    before = db_snapshot()
    page = (
        _client(fabio)
        .post(_give_url(marta, "credit_letter"), {"attested": "on"}, follow=True)
        .content.decode()
    )
    assert (
        "Solo la propia persona, o la presidenta, tesorera o secretaria de una caja donde ella "
        "es socia activa (con ella presente), puede registrar o retirar su consentimiento."
    ) in page
    assert db_snapshot() == before
    # and the page offers him no form
    page = _client(fabio).get(f"/cajas/{caja_a.pk}/members/{marta.number}/passbook/")
    assert "consents/credit_letter/give" not in page.content.decode()


def test_program_staff_and_officers_of_another_caja_are_refused(
    caja_a: Caja, caja_b: Caja, charlie: User, marta: Membership
) -> None:
    admin = program_admin(caja_a, "pat")
    before = db_snapshot()
    for by in (charlie, admin):
        with pytest.raises(ConsentNotAllowed) as exc:
            consent_give(person_id=marta.person_id, purpose="credit_letter", by=by, attested=True)
        assert exc.value.code == "consent.not_allowed"
        assert "may record or withdraw her consent" in exc.value.en
    # charlie cannot even reach caja A's page
    assert _client(charlie).post(_give_url(marta, "credit_letter")).status_code == 404
    assert db_snapshot() == before


def test_a_plain_member_cannot_record_another_members_consent(
    caja_a: Caja, marta: Membership
) -> None:
    other = enrol(caja_a, given_names="Olga")
    before = db_snapshot()
    # a plain member does not see the other's page at all
    assert (
        _client(User.objects.get(username="marta"))
        .post(_give_url(other, "credit_letter"))
        .status_code
        == 404
    )
    with pytest.raises(ConsentNotAllowed):
        consent_give(
            person_id=other.person_id,
            purpose="credit_letter",
            by=User.objects.get(username="marta"),
            attested=True,
        )
    assert db_snapshot() == before


def test_an_officer_of_a_caja_she_left_cannot(caja_a: Caja, alice: User) -> None:
    from cajas.members.services import membership_end

    gone = enrol(caja_a, given_names="Gina")
    membership_end(caja_id=caja_a.pk, number=gone.number, left_on=FOUNDED, reason="withdrawal")
    with pytest.raises(ConsentNotAllowed):
        consent_give(person_id=gone.person_id, purpose="credit_letter", by=alice, attested=True)


def test_the_credit_letter_is_refused_after_withdrawal() -> None:
    caja = caja_with_savings()
    member = Membership.objects.get(caja=caja, number=4)
    user = user_for(member, "cuatro")
    client = _client(user)
    url = f"/cajas/{caja.pk}/documents/credit-history/"
    client.post(_give_url(member, "credit_letter"))
    letter = client.get(url)
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"
    client.post(_withdraw_url(member, "credit_letter"))
    refused = client.get(url, follow=True)
    assert refused["Content-Type"].startswith("text/html")
    assert (
        "El socio n.º 4 no ha dado su consentimiento para emitir una carta de historial "
        "crediticio (o lo retiró); regístrelo primero."
    ) in refused.content.decode()
    # the caja page no longer offers the letter, only the way to consent
    page = client.get(f"/cajas/{caja.pk}/").content.decode()
    assert "La carta de historial crediticio necesita su consentimiento" in page


def test_whatsapp_links_only_with_the_consent() -> None:
    caja = caja_with_savings()
    treasurer = User.objects.create_user("luis")
    luis = Membership.objects.get(caja=caja, number=2)
    luis.person.user = treasurer
    luis.person.save()
    four = Membership.objects.get(caja=caja, number=4)
    consent_give(person_id=four.person_id, purpose="whatsapp_receipts", by=treasurer, attested=True)
    page = _client(treasurer).get(f"/cajas/{caja.pk}/meetings/2/receipts/").content.decode()
    assert page.count("https://wa.me/") == 1  # member 4 only
    assert page.count("Sin consentimiento para recibir recibos por WhatsApp") == 5


def test_the_receipts_page_is_for_the_officers_of_a_closed_meeting() -> None:
    import datetime as dt

    from cajas.meetings.opening import meeting_open

    caja = caja_with_savings()
    treasurer, member = User.objects.create_user("luis"), User.objects.create_user("marta")
    for number, user in ((2, treasurer), (4, member)):
        person = Membership.objects.get(caja=caja, number=number).person
        person.user = user
        person.save()
    officer = _client(treasurer)
    assert officer.get(f"/cajas/{caja.pk}/meetings/2/receipts/").status_code == 200
    assert _client(member).get(f"/cajas/{caja.pk}/meetings/2/receipts/").status_code == 403
    open_one = meeting_open(caja_id=caja.pk, date=dt.date(2025, 3, 20), opened_by="luis")
    assert officer.get(f"/cajas/{caja.pk}/meetings/{open_one.number}/receipts/").status_code == 404


def test_no_migratory_status_without_the_sensitive_data_consent(caja_a: Caja) -> None:
    before = db_snapshot()
    with pytest.raises(SensitiveConsentRequired) as exc:
        member_enrol(
            caja_id=caja_a.pk,
            joined_on=FOUNDED,
            given_names="Nora",
            family_names="Ruiz",
            gender="female",
            birth_date=FOUNDED.replace(year=1990),
            nationality="VE",
            document_type="passport",
            mobility_status="irregular",
        )
    assert exc.value.es.startswith("La condición migratoria solo se registra con el consentimiento")
    assert exc.value.field == "mobility_status"
    assert db_snapshot() == before
    # without a status she is enrolled, and nothing sensitive is kept
    nora = enrol(caja_a, mobility_status="", sensitive_data_consent=None)
    with pytest.raises(SensitiveConsentRequired):
        mobility_status_record(person_id=nora.person_id, status="irregular")


def test_withdrawing_the_sensitive_data_consent_empties_the_status(marta: Membership) -> None:
    user = User.objects.get(username="marta")
    assert Person.objects.get(pk=marta.person_id).mobility_status == "in_process"
    consent_withdraw(person_id=marta.person_id, purpose="sensitive_data", by=user)
    assert Person.objects.get(pk=marta.person_id).mobility_status == ""
    with pytest.raises(SensitiveConsentRequired):
        mobility_status_record(person_id=marta.person_id, status="regular")
    consent_give(person_id=marta.person_id, purpose="sensitive_data", by=user)
    mobility_status_record(person_id=marta.person_id, status="regular")
    assert Person.objects.get(pk=marta.person_id).mobility_status == "regular"


def test_the_document_type_is_encrypted_at_rest(marta: Membership) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT document_type FROM members_person WHERE id = %s", [marta.person_id])
        (raw,) = cursor.fetchone()
    assert raw.startswith("gAAAAA") and "passport" not in raw
    assert Person.objects.get(pk=marta.person_id).document_type == "passport"
    # the choices still validate
    from django.core.exceptions import ValidationError

    person = Person.objects.get(pk=marta.person_id)
    person.document_type = "driving_licence"
    with pytest.raises(ValidationError):
        person.full_clean(exclude=["user"])


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_the_old_dates_to_records_and_encrypts_the_type() -> None:
    executor = MigrationExecutor(connection)
    old = [("members", "0002_credit_letter_consent"), ("access", "0001_initial")]
    executor.migrate(old)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO members_person (code, given_names, family_names, gender, birth_date, "
            "nationality, phone, document_type, document_number, mobility_status, "
            "sensitive_data_consent_on, credit_letter_consent_on) VALUES "
            "('S-OLD00001', 'Vieja', 'Ruiz', 'female', '1980-01-01', 'VE', '', 'refugee_id', "
            "'', '', '2025-03-01', NULL)"
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    person = Person.objects.get(code="S-OLD00001")
    assert person.document_type == "refugee_id"
    with connection.cursor() as cursor:
        cursor.execute("SELECT document_type FROM members_person WHERE code = 'S-OLD00001'")
        assert "refugee" not in cursor.fetchone()[0]
    (consent,) = Consent.objects.filter(person=person)
    assert (consent.purpose, consent.how, consent.recorded_by) == (
        "sensitive_data",
        "recorded",
        None,
    )
    assert consent.given_at.date().isoformat() == "2025-03-01"


def test_an_officer_of_the_caja_reads_the_consent_on_the_member_page(
    caja_a: Caja, marta: Membership
) -> None:
    diana = officer(caja_a, "president", "diana")
    consent_give(person_id=marta.person_id, purpose="credit_letter", by=diana, attested=True)
    page = _client(diana).get(f"/cajas/{caja_a.pk}/members/{marta.number}/passbook/")
    text = page.content.decode()
    assert "Por un directivo, con la socia presente (diana)" in text
