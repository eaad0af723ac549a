"""The parsing layer (``core/parsing.py``), as worked examples: what each function accepts, and
what it refuses with which message. Then a bad query parameter on a page: a 400 in the user's
language, and a bad field in a form: the form again with the message, nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from cajas.core.parsing import (
    MAX_ID,
    InputChoice,
    InputControlCharacters,
    InputDateInvalid,
    InputDateOutOfRange,
    InputDigits,
    InputInvalid,
    InputNotNumber,
    InputOutOfRange,
    InputPeriodReversed,
    InputPeriodTooLong,
    InputRequired,
    InputTooLong,
    parse_bool,
    parse_choice,
    parse_date,
    parse_id,
    parse_int,
    parse_int_list,
    parse_optional_date,
    parse_optional_id,
    parse_optional_int,
    parse_text,
    period_check,
)
from cajas.meetings.opening import meeting_start
from cajas.org.models import Caja
from tests.factories import db_snapshot, program_admin
from tests.helpers import force_login

TODAY = dt.date(2026, 12, 2)


def refused(exc_type: type[InputInvalid], call, *, es: str, en: str) -> InputInvalid:  # type: ignore[no-untyped-def]
    with pytest.raises(exc_type) as raised:
        call()
    assert raised.value.es == es
    assert raised.value.en == en
    assert raised.value.code.startswith("input.")
    return raised.value


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "number"), [("7", 7), (" 42 ", 42), ("007", 7), (3, 3), (str(MAX_ID), MAX_ID)]
)
def test_an_id_is_ascii_digits_up_to_the_64_bit_column(raw: str | int, number: int) -> None:
    assert parse_id(raw, field="member") == number


@pytest.mark.parametrize("raw", ["²", "٣", "５", "١٢", "𝟗"])
def test_unicode_digits_are_refused_by_name(raw: str) -> None:
    refused(
        InputDigits,
        lambda: parse_id(raw, field="member"),
        es=f"«número de socio»: «{raw}» lleva cifras que no son 0-9; use las cifras 0 a 9.",
        en=f"“member number”: “{raw}” has digits other than 0-9; use the digits 0 to 9.",
    )


@pytest.mark.parametrize("raw", ["1e19", "abc", "-0", "+1", "1.5", "0x10", "1 2", "1\x00"])
def test_what_is_not_a_whole_number_is_refused(raw: str) -> None:
    error = refused(
        InputNotNumber,
        lambda: parse_id(raw, field="meeting"),
        es=f"«número de reunión» debe ser un número entero escrito con cifras 0 a 9, no «{raw.replace(chr(0), chr(0xFFFD))}».",
        en=f"“meeting number” must be a whole number written with the digits 0 to 9, not “{raw.replace(chr(0), chr(0xFFFD))}”.",
    )
    assert error.field == "meeting"


def test_a_number_beyond_the_column_is_refused_without_converting_it() -> None:
    refused(
        InputOutOfRange,
        lambda: parse_id("10000000000000000000", field="loan"),
        es="«número de préstamo» debe estar entre 1 y 9223372036854775807 (se recibió "
        "10000000000000000000).",
        en="“loan number” must be between 1 and 9223372036854775807 (got 10000000000000000000).",
    )
    with pytest.raises(InputOutOfRange):
        parse_id("1" * 10_000, field="loan")  # int() would refuse more than 4,300 digits
    with pytest.raises(InputOutOfRange):
        parse_id(str(MAX_ID + 1), field="loan")


def test_an_id_is_at_least_1_and_a_count_has_its_maximum() -> None:
    refused(
        InputOutOfRange,
        lambda: parse_id("0", field="member"),
        es="«número de socio» debe estar entre 1 y 9223372036854775807 (se recibió 0).",
        en="“member number” must be between 1 and 9223372036854775807 (got 0).",
    )
    refused(
        InputOutOfRange,
        lambda: parse_int("521", field="term", minimum=1, maximum=520),
        es="«número de cuotas» debe estar entre 1 y 520 (se recibió 521).",
        en="“number of installments” must be between 1 and 520 (got 521).",
    )


def test_a_sign_is_read_only_where_the_range_allows_negatives() -> None:
    assert parse_int("-3", field="x", minimum=-10, maximum=10) == -3
    with pytest.raises(InputNotNumber):
        parse_int("-3", field="x")


def test_nothing_sent_is_none_or_missing() -> None:
    assert parse_optional_id("", field="member") is None
    assert parse_optional_int(None, field="member") is None
    refused(
        InputRequired,
        lambda: parse_id(" ", field="member"),
        es="Falta «número de socio».",
        en="“member number” is missing.",
    )


def test_a_list_of_member_numbers() -> None:
    assert parse_int_list("3, 12", field="guarantors") == [3, 12]
    assert parse_int_list("", field="guarantors") == []
    with pytest.raises(InputDigits):
        parse_int_list("3,²", field="guarantors")
    with pytest.raises(InputOutOfRange):
        parse_int_list(",".join(["1"] * 11), field="guarantors")


# --- yes/no, choices -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [("on", True), ("Sí", True), ("1", True), ("", False), (None, False), ("no", False)],
)
def test_a_yes_or_no(raw: str | None, value: bool) -> None:
    assert parse_bool(raw, field="prepay") is value


def test_a_choice_is_one_of_the_options() -> None:
    assert parse_choice("death", field="reason", choices=["withdrawal", "death"]) == "death"
    assert parse_choice("", field="reason", choices=["withdrawal"], default="withdrawal") == (
        "withdrawal"
    )
    refused(
        InputChoice,
        lambda: parse_choice("=1+1", field="reason", choices=["withdrawal"]),
        es="«motivo»: «=1+1» no es una de las opciones.",
        en="“reason”: “=1+1” is not one of the choices.",
    )
    with pytest.raises(InputChoice):
        parse_bool("maybe", field="prepay")


# --- dates and periods -----------------------------------------------------------------------


def test_a_date_is_yyyy_mm_dd_between_2000_and_a_year_ahead() -> None:
    assert parse_date("2025-03-17", field="date", today=TODAY) == dt.date(2025, 3, 17)
    assert parse_date("2027-12-03", field="date", today=TODAY) == dt.date(2027, 12, 3)
    assert parse_optional_date("", field="from") is None
    refused(
        InputDateOutOfRange,
        lambda: parse_date("0001-01-01", field="from", today=TODAY),
        es="«desde»: la fecha 0001-01-01 está fuera de lo admitido (de 2000-01-01 a 2027-12-03).",
        en="“from”: the date 0001-01-01 is out of range (2000-01-01 to 2027-12-03).",
    )
    with pytest.raises(InputDateOutOfRange):
        parse_date("9999-12-31", field="to", today=TODAY)


@pytest.mark.parametrize(
    "raw", ["2025-02-30", "2025-13-01", "20250101", "17/03/2025", "２０２５-01-01"]
)
def test_what_is_not_a_date_is_refused(raw: str) -> None:
    refused(
        InputDateInvalid,
        lambda: parse_date(raw, field="date", today=TODAY),
        es=f"«fecha»: «{raw}» no es una fecha; escríbala AAAA-MM-DD, p. ej. 2025-03-17.",
        en=f"“date”: “{raw}” is not a date; write it YYYY-MM-DD, e.g. 2025-03-17.",
    )


def test_a_period_runs_forwards_for_at_most_ten_years() -> None:
    start, end = dt.date(2020, 1, 1), dt.date(2024, 12, 31)
    assert period_check(start, end) == (start, end)
    assert period_check(None, end) == (None, end)
    refused(
        InputPeriodReversed,
        lambda: period_check(end, start),
        es="El período termina (2020-01-01) antes de empezar (2024-12-31); revise «desde» y "
        "«hasta».",
        en="The period ends (2020-01-01) before it starts (2024-12-31); check “from” and “to”.",
    )
    refused(
        InputPeriodTooLong,
        lambda: period_check(dt.date(2000, 1, 1), None, today=TODAY),
        es="El período del 2000-01-01 al 2026-12-02 supera el máximo de 10 años.",
        en="The period from 2000-01-01 to 2026-12-02 is longer than the maximum of 10 years.",
    )


# --- text ------------------------------------------------------------------------------------


def test_text_has_the_columns_length_and_no_control_characters() -> None:
    assert parse_text("  Revisar el acta  ", field="reason", max_length=200) == "Revisar el acta"
    assert parse_text("línea 1\nlínea 2", field="findings", max_length=50, multiline=True) == (
        "línea 1\nlínea 2"
    )
    refused(
        InputTooLong,
        lambda: parse_text("x" * 10_000, field="reason", max_length=200),
        es="«motivo» admite hasta 200 caracteres (se recibieron 10000).",
        en="“reason” takes at most 200 characters (got 10000).",
    )
    refused(
        InputControlCharacters,
        lambda: parse_text("a\x00b", field="note", max_length=160),
        es="«nota» lleva caracteres de control (p. ej. un byte nulo); escríbalo de nuevo.",
        en="“note” contains control characters (e.g. a NUL byte); type it again.",
    )
    with pytest.raises(InputControlCharacters):
        parse_text("a\nb", field="reason", max_length=200)
    with pytest.raises(InputRequired):
        parse_text(" ", field="reason", max_length=200, required=True)


# --- on the pages ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bad_query_parameter_is_a_400_page_in_the_users_language(
    caja_a: Caja, alice: User
) -> None:
    client = Client()
    force_login(client, alice)
    response = client.get(f"/cajas/{caja_a.pk}/documents/passbook/", {"member": "²"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "No pudimos leer lo que se envió" in page
    assert "«número de socio»: «²» lleva cifras que no son 0-9; use las cifras 0 a 9." in page
    assert f'href="/cajas/{caja_a.pk}/"' in page  # back to her caja
    client.cookies["django_language"] = "en"
    response = client.get(f"/cajas/{caja_a.pk}/documents/passbook/", {"from": "0001-01-01"})
    assert response.status_code == 400
    assert "“from”: the date 0001-01-01 is out of range" in response.content.decode()


@pytest.mark.django_db
def test_a_huge_id_in_the_address_is_not_found(caja_a: Caja, alice: User) -> None:
    client = Client()
    force_login(client, alice)
    assert client.get(f"/cajas/{2**63}/").status_code == 404
    assert client.get(f"/cajas/{caja_a.pk}/meetings/{10**30}/").status_code == 404


@pytest.mark.django_db
def test_the_dashboard_caps_a_period_longer_than_ten_years_and_says_so(caja_a: Caja) -> None:
    client = Client()
    force_login(client, program_admin(caja_a, "admin"))
    response = client.get("/program/", {"from": "2000-01-01", "to": "2025-12-31"})
    assert response.status_code == 200
    assert "El período del 2000-01-01 al 2025-12-31 supera el máximo de 10 años." in (
        response.content.decode()
    )
    assert client.get("/program/", {"from": "0001-01-01"}).status_code == 400
    assert client.get("/program/", {"partner": "10000000000000000000"}).status_code == 400


@pytest.mark.django_db
def test_a_meeting_dated_in_year_1_is_refused_on_the_form_and_nothing_is_written(
    caja_a: Caja, alice: User
) -> None:
    client = Client()
    force_login(client, alice)
    before = db_snapshot()
    response = client.post(f"/cajas/{caja_a.pk}/meetings/open/", {"date": "0001-01-01"})
    assert response.status_code == 400
    assert "«fecha»: la fecha 0001-01-01 está fuera de lo admitido" in response.content.decode()
    assert db_snapshot() == before


@pytest.mark.django_db
def test_an_exit_with_an_unknown_reason_is_refused_and_nothing_is_written(
    caja_a: Caja, alice: User
) -> None:
    meeting = meeting_start(caja_id=caja_a.pk, date=dt.date(2025, 2, 3), opened_by="alice")
    client = Client()
    force_login(client, alice)
    before = db_snapshot()
    response = client.post(
        f"/cajas/{caja_a.pk}/meetings/{meeting.number}/exit/", {"member": "1", "reason": "boom"}
    )
    assert response.status_code == 400
    assert "«motivo»: «boom» no es una de las opciones." in response.content.decode()
    assert db_snapshot() == before


@pytest.mark.django_db
def test_the_cli_refuses_unicode_digits_and_dates_out_of_range(caja_a: Caja) -> None:
    with pytest.raises(CommandError, match="lleva cifras que no son 0-9"):
        call_command("verify", "--caja", "²")
    with pytest.raises(CommandError, match="fuera de lo admitido"):
        call_command("indicators", "--from", "0001-01-01")
    with pytest.raises(CommandError, match="supera el máximo de 10 años"):
        call_command("indicators", "--from", "2000-01-01", "--to", "2025-01-01")
