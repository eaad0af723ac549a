"""Every rule violation of the foundation gives a specific error in both languages and writes
nothing (docs/domain.md §6; issue #2 point 6)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from cajas.core.errors import AmountNotPositive, AmountPrecision, RuleViolation
from cajas.ledger import chart
from cajas.ledger.rules import EntryUnbalanced, IdempotencyConflict, Line
from cajas.ledger.services import EntryDraft, entries_post
from cajas.meetings.close import meeting_close
from cajas.meetings.items import item_record
from cajas.meetings.opening import meeting_open
from cajas.meetings.rules import CapitalCapExceeded, MeetingClosed, SharesOutOfRange
from cajas.meetings.sheet import shares_record
from cajas.members.rules import CajaFull, MemberUnderage, PersonActiveElsewhere
from cajas.members.services import membership_create
from cajas.org.services import caja_lock
from tests.factories import FOUNDED, assert_rejected, db_snapshot, enrol, make_caja

pytestmark = pytest.mark.django_db

DAY = FOUNDED + dt.timedelta(days=7)


def test_it_rejects_the_41st_member() -> None:
    caja = make_caja(members=40)
    error = assert_rejected(
        CajaFull,
        lambda: enrol(caja),
        es="La caja ya tiene el máximo de 40 socios activos que permite su reglamento.",
        en="The caja already has the maximum of 40 active members its bylaws allow.",
    )
    assert error.code == "caja.full" and error.rule_id == "CAJA-001"


def test_it_rejects_a_member_under_18() -> None:
    caja = make_caja()
    assert_rejected(
        MemberUnderage,
        lambda: enrol(caja, birth_date=FOUNDED - dt.timedelta(days=17 * 365 + 200)),
        es="La persona tiene 17 años; el reglamento exige al menos 18 para ser socia.",
        en="The person is 17 years old; the bylaws require at least 18 to join.",
    )


def test_it_rejects_a_person_active_in_two_cajas_of_one_program() -> None:
    first = make_caja(code="primera")
    second = make_caja(code="segunda", territory="Loja")
    membership = enrol(first)
    assert_rejected(
        PersonActiveElsewhere,
        lambda: membership_create(caja_id=second.pk, person=membership.person, joined_on=FOUNDED),
        es=f"La persona ya es socia activa de la caja «{first.name}» de este programa.",
        en=f"The person is already an active member of the caja “{first.name}” in this program.",
    )


def test_it_rejects_savings_beyond_the_capital_cap() -> None:
    caja = make_caja(
        members=2,
        bylaws={"max_capital_cents": 1000, "share_value_cents": 500, "max_shares_per_meeting": 5},
    )
    meeting = meeting_open(caja_id=caja.pk, date=DAY, opened_by="t")
    shares_record(meeting_id=meeting.pk, member=1, shares=1)
    assert_rejected(
        CapitalCapExceeded,
        lambda: shares_record(meeting_id=meeting.pk, member=2, shares=2),
        es="Con estos aportes el ahorro total sería 15.00 USD y supera el capital máximo de "
        "10.00 USD del reglamento (quedan 10.00 USD).",
        en="With these purchases total savings would be 15.00 USD, above the bylaws' capital "
        "cap of 10.00 USD (10.00 USD left).",
    )


@pytest.mark.parametrize("shares", [6, 9])
def test_it_rejects_share_purchases_outside_the_bylaws_range(shares: int) -> None:
    caja = make_caja(members=1)
    meeting = meeting_open(caja_id=caja.pk, date=DAY, opened_by="t")
    assert_rejected(
        SharesOutOfRange,
        lambda: shares_record(meeting_id=meeting.pk, member=1, shares=shares),
        es=f"Se pueden comprar entre 1 y 5 acciones por reunión (socio n.º 1: {shares}).",
        en=f"Members may buy between 1 and 5 shares per meeting (member #1: {shares}).",
    )


def test_it_rejects_fewer_shares_than_the_minimum() -> None:
    caja = make_caja(members=1, bylaws={"min_shares_per_meeting": 2})
    meeting = meeting_open(caja_id=caja.pk, date=DAY, opened_by="t")
    assert_rejected(
        SharesOutOfRange,
        lambda: shares_record(meeting_id=meeting.pk, member=1, shares=1),
        es="Se pueden comprar entre 2 y 5 acciones por reunión (socio n.º 1: 1).",
        en="Members may buy between 2 and 5 shares per meeting (member #1: 1).",
    )


@pytest.mark.parametrize("amount", ["0", "-1.00"])
def test_it_rejects_zero_or_negative_amounts(amount: str) -> None:
    caja = make_caja(members=1)
    meeting = meeting_open(caja_id=caja.pk, date=DAY, opened_by="t")
    assert_rejected(
        AmountNotPositive,
        lambda: item_record(meeting_id=meeting.pk, kind="fine", amount=amount, member=1),
        es=f"El monto debe ser mayor que cero (se recibió {amount}).",
        en=f"The amount must be greater than zero (got {amount}).",
    )


def test_it_rejects_amounts_with_more_than_two_decimals() -> None:
    caja = make_caja(members=1)
    meeting = meeting_open(caja_id=caja.pk, date=DAY, opened_by="t")
    assert_rejected(
        AmountPrecision,
        lambda: item_record(meeting_id=meeting.pk, kind="expense", amount="2.505"),
        es="El monto 2.505 tiene más de 2 decimales; use centavos exactos.",
        en="The amount 2.505 has more than 2 decimal places; use whole cents.",
    )


def test_it_rejects_entries_on_a_closed_meeting() -> None:
    caja = make_caja(members=1)
    meeting = meeting_open(caja_id=caja.pk, date=DAY, opened_by="t")
    meeting_close(meeting_id=meeting.pk, counted_cash="0", closed_by="t")
    es = "La reunión n.º 1 ya está cerrada; no se puede modificar."
    en = "Meeting #1 is already closed; it cannot be changed."
    assert_rejected(
        MeetingClosed,
        lambda: item_record(meeting_id=meeting.pk, kind="fine", amount="1", member=1),
        es=es,
        en=en,
    )
    assert_rejected(
        MeetingClosed,
        lambda: shares_record(meeting_id=meeting.pk, member=1, shares=1),
        es=es,
        en=en,
    )
    assert_rejected(
        MeetingClosed,
        lambda: meeting_close(meeting_id=meeting.pk, counted_cash="0", closed_by="t"),
        es=es,
        en=en,
    )


def _post(caja_id: int, drafts: list[EntryDraft]) -> None:
    with transaction.atomic():
        caja = caja_lock(caja_id=caja_id)
        entries_post(caja=caja, drafts=drafts, recorded_by="t")


def test_it_rejects_an_unbalanced_entry() -> None:
    caja = make_caja()
    draft = EntryDraft(
        key="k1",
        kind="other_income",
        date=DAY,
        lines=(Line(chart.CASH, debit=500), Line(chart.OTHER_INCOME, credit=400)),
    )
    assert_rejected(
        EntryUnbalanced,
        lambda: _post(caja.pk, [draft]),
        es="El asiento no cuadra: débitos 500 ≠ créditos 400 (centavos).",
        en="The entry does not balance: debits 500 ≠ credits 400 (cents).",
    )


def test_it_rejects_a_repeated_idempotency_key_with_different_content() -> None:
    caja = make_caja()
    first = EntryDraft(
        key="k1",
        kind="other_income",
        date=DAY,
        lines=(Line(chart.CASH, debit=500), Line(chart.OTHER_INCOME, credit=500)),
    )
    _post(caja.pk, [first])
    changed = EntryDraft(
        key="k1",
        kind="other_income",
        date=DAY,
        lines=(Line(chart.CASH, debit=700), Line(chart.OTHER_INCOME, credit=700)),
    )
    assert_rejected(
        IdempotencyConflict,
        lambda: _post(caja.pk, [changed]),
        es="La clave de idempotencia «k1» ya se usó para un asiento con otro contenido; "
        "no se registró nada.",
        en="The idempotency key “k1” was already used for an entry with different content; "
        "nothing was posted.",
    )


def test_the_same_submission_twice_posts_once() -> None:
    caja = make_caja()
    draft = EntryDraft(
        key="k1",
        kind="other_income",
        date=DAY,
        lines=(Line(chart.CASH, debit=500), Line(chart.OTHER_INCOME, credit=500)),
    )
    _post(caja.pk, [draft])
    before = db_snapshot()
    _post(caja.pk, [draft])
    assert db_snapshot() == before


def test_a_failing_close_posts_nothing() -> None:
    caja = make_caja(members=2, bylaws={"max_capital_cents": 1000})
    meeting = meeting_open(caja_id=caja.pk, date=DAY, opened_by="t")
    shares_record(meeting_id=meeting.pk, member=1, shares=2)
    item_record(meeting_id=meeting.pk, kind="expense", amount="50.00")  # more than the cash
    before = db_snapshot()
    with pytest.raises(RuleViolation) as raised:
        meeting_close(meeting_id=meeting.pk, counted_cash="0", closed_by="t")
    assert raised.value.code == "meeting.cash_negative"
    assert raised.value.es == (
        "Los pagos de esta reunión superan el efectivo disponible: faltan 40.00 USD al pagar "
        "el gasto. Revise los gastos y las entregas de préstamos."
    )
    assert db_snapshot() == before
    meeting.refresh_from_db()
    assert meeting.is_open
