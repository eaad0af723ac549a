"""Corrections of closed meetings, with maker-checker, through the services and the CLI.

Alice is the treasurer of caja A; Diana is its president; Fabio is its facilitator; Marta is a
plain member. Charlie is the treasurer of caja B. At meeting 1 of caja A, member 1 bought
3 shares (15.00) but only paid for 2 (10.00); members 2–5 bought 2 shares each; everyone
paid the social fund (1.00).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from cajas.core.errors import AmountInvalid, AmountNotPositive, AmountPrecision, RuleViolation
from cajas.corrections.models import Correction, CorrectionStatus
from cajas.corrections.rules import (
    AlreadyDecided,
    CorrectionBalanceNegative,
    CorrectionPending,
    DeciderNotAllowed,
    EntryNotCorrectable,
    MeetingStillOpen,
    NothingToCorrect,
    ProposerNotOfficer,
    ReasonTooLong,
    SelfApproval,
    SharesNotWhole,
)
from cajas.corrections.selectors import corrections_between, corrections_for_meeting
from cajas.corrections.services import (
    correction_approve,
    correction_propose,
    correction_reject,
)
from cajas.ledger import chart
from cajas.ledger.models import EntryKind, JournalEntry
from cajas.ledger.rules import AlreadyReversed, ReasonRequired, ReversalOfReversal
from cajas.ledger.selectors import account_balances
from cajas.ledger.services import entry_reverse
from cajas.ledger.verify import verify_caja
from cajas.meetings.close import meeting_close
from cajas.meetings.models import Meeting
from cajas.meetings.opening import meeting_open
from cajas.meetings.rules import CapitalCapExceeded, SharesOutOfRange
from cajas.meetings.sheet import SheetRow, meeting_sheet_save
from cajas.org.models import Caja
from cajas.shareouts.services import member_exit
from tests.factories import (
    FIRST_MEETING,
    closed_meeting,
    db_snapshot,
    entry_of,
    facilitator,
    make_caja,
    officer,
    plain_member,
    program_admin,
)

pytestmark = pytest.mark.django_db

SAVINGS_1 = chart.savings_account_code(1)
REASON = "Compró 2 acciones, no 3"


@pytest.fixture
def diana(caja_a: Caja) -> User:
    """Diana is the president of caja A."""
    return officer(caja_a, "president", "diana")


@pytest.fixture
def meeting_1(caja_a: Caja, alice: User, diana: User) -> Meeting:
    return closed_meeting(caja_a, shares={1: 3})


def books(caja: Caja) -> tuple[int, str, dict[str, int]]:
    """The journal's head and every balance: 'the books are untouched' means this is equal."""
    caja.refresh_from_db()
    return caja.last_seq, caja.last_hash, account_balances(caja=caja)


def refused(
    exc_type: type[RuleViolation], call: Callable[[], Any], *, es: str, en: str
) -> RuleViolation:
    """``call`` raises ``exc_type`` with these messages and writes nothing."""
    before = db_snapshot()
    statuses = list(Correction.objects.values_list("number", "status"))
    with pytest.raises(exc_type) as raised:
        call()
    assert raised.value.es == es
    assert raised.value.en == en
    assert db_snapshot() == before
    assert list(Correction.objects.values_list("number", "status")) == statuses
    return raised.value


def propose(caja: Caja, seq: int, amount: str = "10.00", by: str = "alice") -> Correction:
    return correction_propose(caja_id=caja.pk, seq=seq, amount=amount, reason=REASON, by=by)


# --- the worked example --------------------------------------------------------------------


def test_alice_proposes_diana_approves_and_the_books_change_by_the_difference(
    caja_a: Caja, meeting_1: Meeting
) -> None:
    purchase = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1)
    before = account_balances(caja=caja_a)
    assert before[SAVINGS_1] == 1500

    # Alice proposes: nothing reaches the journal yet.
    seq_before = books(caja_a)
    correction = propose(caja_a, purchase.seq)
    assert correction.status == CorrectionStatus.PROPOSED
    assert (correction.posted_cents, correction.amount_cents) == (1500, 1000)
    assert correction.proposed_by == "alice" and correction.proposed_by_membership is not None
    assert correction.proposed_by_membership.role == "treasurer"
    assert books(caja_a) == seq_before

    # Diana approves: the reversal and the replacement are posted, dated today.
    approved = correction_approve(caja_id=caja_a.pk, number=correction.number, by="diana")
    assert approved.status == CorrectionStatus.APPROVED
    assert approved.decided_by == "diana" and approved.decided_at is not None
    assert approved.decided_by_membership is not None
    assert approved.decided_by_membership.role == "president"
    reversal, replacement = approved.reversal, approved.replacement
    assert reversal is not None and replacement is not None
    assert reversal.reverses_id == purchase.pk and reversal.reason == REASON
    assert replacement.kind == EntryKind.SHARE_PURCHASE
    assert replacement.memo == f"Corrección de la reunión n.º 1: {REASON}"
    assert replacement.date == timezone.localdate() == reversal.date
    assert replacement.membership_id == purchase.membership_id
    assert sorted(
        (x.account.code, x.debit, x.credit) for x in replacement.lines.select_related("account")
    ) == [(chart.CASH, 1000, 0), (SAVINGS_1, 0, 1000)]

    after = account_balances(caja=caja_a)
    assert after[SAVINGS_1] == before[SAVINGS_1] - 500
    assert after[chart.CASH] == before[chart.CASH] - 500
    assert {c: v for c, v in after.items() if c not in (SAVINGS_1, chart.CASH)} == {
        c: v for c, v in before.items() if c not in (SAVINGS_1, chart.CASH)
    }
    assert verify_caja(caja_a) == []


def test_a_fine_that_should_not_have_been_charged_is_only_reversed(
    caja_a: Caja, alice: User, diana: User
) -> None:
    meeting = closed_meeting(caja_a, fines=[(2, "1.00")])
    fine = entry_of(meeting, EntryKind.FINE, member=2)
    correction = correction_propose(
        caja_id=caja_a.pk, seq=fine.seq, amount="0", reason="Llegó a tiempo", by="alice"
    )
    approved = correction_approve(caja_id=caja_a.pk, number=correction.number, by="diana")
    assert approved.replacement is None and approved.reversal is not None
    assert account_balances(caja=caja_a)[chart.FINE_INCOME] == 0
    assert verify_caja(caja_a) == []


def test_fabio_the_facilitator_may_approve(caja_a: Caja, meeting_1: Meeting) -> None:
    facilitator(caja_a, "fabio")
    purchase = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1)
    correction = propose(caja_a, purchase.seq)
    approved = correction_approve(caja_id=caja_a.pk, number=correction.number, by="fabio")
    assert approved.status == CorrectionStatus.APPROVED
    assert approved.decided_by == "fabio" and approved.decided_by_membership is None
    assert verify_caja(caja_a) == []


def test_approving_twice_posts_once_and_returns_the_first_result(
    caja_a: Caja, meeting_1: Meeting
) -> None:
    facilitator(caja_a, "fabio")
    correction = propose(caja_a, entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1).seq)
    first = correction_approve(caja_id=caja_a.pk, number=correction.number, by="diana")
    after_first = books(caja_a)
    again = correction_approve(caja_id=caja_a.pk, number=correction.number, by="fabio")
    assert books(caja_a) == after_first
    assert (again.reversal_id, again.replacement_id) == (first.reversal_id, first.replacement_id)
    assert again.decided_by == "diana"
    keys = JournalEntry.objects.filter(idempotency_key__startswith="correction:").values_list(
        "idempotency_key", flat=True
    )
    assert sorted(keys) == ["correction:1:replacement", "correction:1:reversal"]


def test_rejecting_leaves_the_books_untouched(caja_a: Caja, meeting_1: Meeting) -> None:
    correction = propose(caja_a, entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1).seq)
    before = books(caja_a)
    rejected = correction_reject(
        caja_id=caja_a.pk, number=correction.number, by="diana", note="Sí compró 3"
    )
    assert rejected.status == CorrectionStatus.REJECTED and rejected.decided_by == "diana"
    assert rejected.decision_note == "Sí compró 3"
    assert books(caja_a) == before
    assert rejected.reversal is None and rejected.replacement is None


def test_a_proposal_never_approved_leaves_the_books_untouched(
    caja_a: Caja, meeting_1: Meeting
) -> None:
    before = books(caja_a)
    snapshot = db_snapshot()
    propose(caja_a, entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1).seq)
    assert books(caja_a) == before
    grown = db_snapshot()
    assert grown.pop("corrections.Correction") == snapshot.pop("corrections.Correction") + 1
    assert grown == snapshot


def test_a_correction_can_itself_be_corrected(caja_a: Caja, meeting_1: Meeting) -> None:
    purchase = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1)
    first = correction_approve(
        caja_id=caja_a.pk, number=propose(caja_a, purchase.seq).number, by="diana"
    )
    assert first.replacement is not None
    # Diana proposes this time, Alice approves: 10.00 was wrong too, it was 5.00.
    second = propose(caja_a, first.replacement.seq, amount="5.00", by="diana")
    assert second.meeting_id == meeting_1.pk
    correction_approve(caja_id=caja_a.pk, number=second.number, by="alice")
    assert account_balances(caja=caja_a)[SAVINGS_1] == 500
    assert [c.number for c in corrections_for_meeting(meeting=meeting_1)] == [2, 1]
    assert verify_caja(caja_a) == []


def test_the_replacement_goes_first_when_the_box_holds_less_than_the_entry(
    caja_a: Caja, meeting_1: Meeting
) -> None:
    # Meeting 2 spends most of the box: 60.00 in, 48.00 out, 12.00 left.
    closed_meeting(caja_a, FIRST_MEETING + dt.timedelta(days=28), members=(), expenses=["48.00"])
    assert account_balances(caja=caja_a)[chart.CASH] == 1200
    purchase = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1)
    approved = correction_approve(
        caja_id=caja_a.pk, number=propose(caja_a, purchase.seq).number, by="diana"
    )
    # Reversing 15.00 first would take the box to -3.00 for one entry; posted the other way
    # round, no entry of the chain leaves it below zero.
    assert approved.replacement is not None and approved.reversal is not None
    assert approved.replacement.seq < approved.reversal.seq
    assert account_balances(caja=caja_a)[chart.CASH] == 700
    assert verify_caja(caja_a) == []


def test_corrections_between_lists_the_approved_ones_decided_in_the_window(
    caja_a: Caja, meeting_1: Meeting
) -> None:
    when = timezone.make_aware(dt.datetime(2025, 2, 20, 10, 0))
    number_1 = propose(caja_a, entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1).seq).number
    seq_2 = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=2).seq
    number_2 = propose(caja_a, seq_2, amount="5.00").number
    seq_3 = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=3).seq
    number_3 = propose(caja_a, seq_3, amount="5.00").number
    correction_approve(caja_id=caja_a.pk, number=number_1, by="diana", now=when)
    correction_reject(caja_id=caja_a.pk, number=number_2, by="diana", now=when)
    correction_approve(
        caja_id=caja_a.pk, number=number_3, by="diana", now=when + dt.timedelta(days=30)
    )
    found = corrections_between(
        caja=caja_a, date_from=dt.date(2025, 2, 10), date_to=dt.date(2025, 3, 9)
    )
    assert [c.number for c in found] == [number_1]
    assert found[0].reversal is not None and found[0].reversal.reason == REASON
    assert corrections_between(
        caja=caja_a, date_from=dt.date(2025, 3, 10), date_to=dt.date(2025, 3, 31)
    ) == [Correction.objects.get(number=number_3)]
    assert verify_caja(caja_a) == []


# --- who may: every refusal names the rule and writes nothing -------------------------------


def test_alice_cannot_approve_her_own_correction(caja_a: Caja, meeting_1: Meeting) -> None:
    correction = propose(caja_a, entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1).seq)
    error = refused(
        SelfApproval,
        lambda: correction_approve(caja_id=caja_a.pk, number=correction.number, by="alice"),
        es="La corrección n.º 1 la propuso alice; debe aprobarla otro directivo o el "
        "facilitador de la caja.",
        en="Correction #1 was proposed by alice; another officer or the caja's facilitator "
        "must approve it.",
    )
    assert error.code == "correction.self_approval" and error.rule_id == "COR-001"


def test_marta_a_plain_member_cannot_propose_or_approve(caja_a: Caja, meeting_1: Meeting) -> None:
    plain_member(caja_a, "marta")
    seq = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1).seq
    error = refused(
        ProposerNotOfficer,
        lambda: propose(caja_a, seq, by="marta"),
        es="Solo un directivo de la caja (presidente, tesorero o secretario) puede proponer "
        "una corrección.",
        en="Only an officer of the caja (president, treasurer or secretary) may propose a "
        "correction.",
    )
    assert error.code == "correction.proposer_not_officer"
    correction = propose(caja_a, seq)
    refused(
        DeciderNotAllowed,
        lambda: correction_approve(caja_id=caja_a.pk, number=correction.number, by="marta"),
        es="Solo un directivo de la caja o su facilitador puede aprobar o rechazar una corrección.",
        en="Only an officer of the caja or its facilitator may approve or reject a correction.",
    )
    refused(
        DeciderNotAllowed,
        lambda: correction_reject(caja_id=caja_a.pk, number=correction.number, by="marta"),
        es="Solo un directivo de la caja o su facilitador puede aprobar o rechazar una corrección.",
        en="Only an officer of the caja or its facilitator may approve or reject a correction.",
    )


def test_charlie_treasurer_of_caja_b_cannot_propose_or_approve_in_caja_a(
    caja_a: Caja, meeting_1: Meeting, charlie: User
) -> None:
    seq = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1).seq
    refused(
        ProposerNotOfficer,
        lambda: propose(caja_a, seq, by="charlie"),
        es="Solo un directivo de la caja (presidente, tesorero o secretario) puede proponer "
        "una corrección.",
        en="Only an officer of the caja (president, treasurer or secretary) may propose a "
        "correction.",
    )
    correction = propose(caja_a, seq)
    error = refused(
        DeciderNotAllowed,
        lambda: correction_approve(caja_id=caja_a.pk, number=correction.number, by="charlie"),
        es="Solo un directivo de la caja o su facilitador puede aprobar o rechazar una corrección.",
        en="Only an officer of the caja or its facilitator may approve or reject a correction.",
    )
    assert error.code == "correction.decider_not_allowed"


def test_a_facilitator_cannot_propose(caja_a: Caja, meeting_1: Meeting) -> None:
    facilitator(caja_a, "fabio")
    seq = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1).seq
    refused(
        ProposerNotOfficer,
        lambda: propose(caja_a, seq, by="fabio"),
        es="Solo un directivo de la caja (presidente, tesorero o secretario) puede proponer "
        "una corrección.",
        en="Only an officer of the caja (president, treasurer or secretary) may propose a "
        "correction.",
    )


# --- what may be corrected -----------------------------------------------------------------


def test_it_refuses_an_entry_of_an_open_meeting(caja_a: Caja, alice: User) -> None:
    # A member's exit at an open meeting is posted at once, pointing at the open meeting.
    meeting = meeting_open(caja_id=caja_a.pk, date=FIRST_MEETING, opened_by="alice")
    meeting_sheet_save(meeting_id=meeting.pk, rows=[SheetRow(member=1, shares=2)])
    meeting_close(meeting_id=meeting.pk, counted_cash="10.00", closed_by="alice")
    second = meeting_open(
        caja_id=caja_a.pk, date=FIRST_MEETING + dt.timedelta(7), opened_by="alice"
    )
    member_exit(meeting_id=second.pk, member=1, reason="withdrawal", recorded_by="alice")
    exit_entry = JournalEntry.objects.get(meeting=second)
    error = refused(
        MeetingStillOpen,
        lambda: propose(caja_a, exit_entry.seq),
        es="La reunión n.º 2 sigue abierta: cambie el movimiento en la reunión antes de cerrarla.",
        en="Meeting #2 is still open: change the item in the meeting before closing it.",
    )
    assert error.code == "correction.meeting_open"


def test_it_refuses_a_reversal_and_an_entry_already_reversed(
    caja_a: Caja, meeting_1: Meeting
) -> None:
    purchase = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1)
    reversal = entry_reverse(
        caja_id=caja_a.pk, seq=purchase.seq, reason="duplicado", recorded_by="admin"
    )
    refused(
        ReversalOfReversal,
        lambda: propose(caja_a, reversal.seq),
        es=f"El asiento n.º {reversal.seq} es una reversión; registre un asiento nuevo en su "
        "lugar.",
        en=f"Entry #{reversal.seq} is itself a reversal; post a new entry instead.",
    )
    refused(
        AlreadyReversed,
        lambda: propose(caja_a, purchase.seq),
        es=f"El asiento n.º {purchase.seq} ya fue revertido.",
        en=f"Entry #{purchase.seq} has already been reversed.",
    )


def test_it_refuses_a_kind_that_is_not_corrected_here(caja_a: Caja, alice: User) -> None:
    meeting = meeting_open(caja_id=caja_a.pk, date=FIRST_MEETING, opened_by="alice")
    meeting_sheet_save(meeting_id=meeting.pk, rows=[SheetRow(member=1, shares=2)])
    meeting_close(meeting_id=meeting.pk, counted_cash="9.00", closed_by="alice")  # 1.00 short
    shortage = JournalEntry.objects.get(kind=EntryKind.CASH_DIFFERENCE)
    error = refused(
        EntryNotCorrectable,
        lambda: propose(caja_a, shortage.seq, amount="0.50"),
        es=f"El asiento n.º {shortage.seq} (Diferencia de arqueo) no se corrige aquí: solo "
        "aportes, fondo social, multas, cuotas de ingreso, otros ingresos y gastos. Los "
        "préstamos se corrigen en su página.",
        en=f"Entry #{shortage.seq} (Cash count difference) is not corrected here: only share "
        "purchases, social fund, fines, entry fees, other income and expenses. Loans are "
        "corrected on their own page.",
    )
    assert error.code == "correction.kind"


def test_it_refuses_a_correction_that_would_empty_the_box_below_zero(
    caja_a: Caja, meeting_1: Meeting
) -> None:
    # The box holds 55.00 after a 5.00 expense that "should have been" 70.00.
    meeting_2 = closed_meeting(
        caja_a, FIRST_MEETING + dt.timedelta(days=28), members=(), expenses=["5.00"]
    )
    expense = entry_of(meeting_2, EntryKind.EXPENSE)
    error = refused(
        CorrectionBalanceNegative,
        lambda: propose(caja_a, expense.seq, amount="70.00"),
        es="Con esta corrección el saldo de Caja (efectivo) quedaría en -10.00 USD, y no puede "
        "ser negativo; no se registró nada.",
        en="With this correction the balance of Cash box would be -10.00 USD, and it cannot be "
        "negative; nothing was posted.",
    )
    assert error.code == "correction.negative_balance" and error.field == "amount"


def test_it_refuses_at_approval_when_the_box_was_spent_since_the_proposal(
    caja_a: Caja, meeting_1: Meeting
) -> None:
    meeting_2 = closed_meeting(
        caja_a, FIRST_MEETING + dt.timedelta(days=28), members=(), expenses=["5.00"]
    )
    correction = propose(caja_a, entry_of(meeting_2, EntryKind.EXPENSE).seq, amount="50.00")
    closed_meeting(caja_a, FIRST_MEETING + dt.timedelta(days=56), members=(), expenses=["40.00"])
    refused(
        CorrectionBalanceNegative,
        lambda: correction_approve(caja_id=caja_a.pk, number=correction.number, by="diana"),
        es="Con esta corrección el saldo de Caja (efectivo) quedaría en -30.00 USD, y no puede "
        "ser negativo; no se registró nada.",
        en="With this correction the balance of Cash box would be -30.00 USD, and it cannot be "
        "negative; nothing was posted.",
    )
    assert Correction.objects.get().status == CorrectionStatus.PROPOSED


def test_it_refuses_taking_a_members_savings_below_zero(caja_a: Caja, meeting_1: Meeting) -> None:
    # Member 1's 15.00 of savings was paid out when she left; "she never bought" is refused.
    second = meeting_open(
        caja_id=caja_a.pk, date=FIRST_MEETING + dt.timedelta(7), opened_by="alice"
    )
    member_exit(meeting_id=second.pk, member=1, reason="withdrawal", recorded_by="alice")
    meeting_close(meeting_id=second.pk, counted_cash="45.00", closed_by="alice")
    purchase = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1)
    refused(
        CorrectionBalanceNegative,
        lambda: propose(caja_a, purchase.seq, amount="0"),
        es="Con esta corrección el saldo de Ahorro de socios 2101.001 quedaría en -15.00 USD, y "
        "no puede ser negativo; no se registró nada.",
        en="With this correction the balance of Member savings 2101.001 would be -15.00 USD, "
        "and it cannot be negative; nothing was posted.",
    )


@pytest.mark.parametrize(
    ("amount", "exc_type", "es", "en"),
    [
        (
            "diez",
            AmountInvalid,
            "«diez» no es un monto válido: escriba cifras, p. ej. 1874 o 1874,98.",
            "“diez” is not a valid amount: write digits, e.g. 1874 or 1874.98.",
        ),
        (
            "1.234",
            AmountPrecision,
            "El monto 1.234 tiene más de 2 decimales; use centavos exactos.",
            "The amount 1.234 has more than 2 decimal places; use whole cents.",
        ),
        (
            "-5",
            AmountNotPositive,
            "El monto debe ser mayor que cero (se recibió -5).",
            "The amount must be greater than zero (got -5).",
        ),
        (
            "15.00",
            NothingToCorrect,
            "El asiento ya dice 15.00 USD; no hay nada que corregir.",
            "The entry already says 15.00 USD; there is nothing to correct.",
        ),
    ],
)
def test_it_refuses_an_amount_that_is_not_a_valid_correction(
    caja_a: Caja, meeting_1: Meeting, amount: str, exc_type: type[RuleViolation], es: str, en: str
) -> None:
    seq = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1).seq
    error = refused(exc_type, lambda: propose(caja_a, seq, amount=amount), es=es, en=en)
    assert error.field == "amount"


def test_a_corrected_share_purchase_keeps_the_meetings_share_rules(
    caja_a: Caja, meeting_1: Meeting
) -> None:
    seq = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1).seq
    error = refused(
        SharesNotWhole,
        lambda: propose(caja_a, seq, amount="12.50"),
        es="Un aporte es un número entero de acciones de 5.00 USD; 12.50 USD no lo es.",
        en="A share purchase is a whole number of 5.00 USD shares; 12.50 USD is not.",
    )
    assert error.rule_id == "SAV-001" and error.field == "amount"
    refused(
        SharesOutOfRange,
        lambda: propose(caja_a, seq, amount="30.00"),
        es="Se pueden comprar entre 1 y 5 acciones por reunión (socio n.º 1: 6).",
        en="Members may buy between 1 and 5 shares per meeting (member #1: 6).",
    )


def test_a_corrected_share_purchase_stays_within_the_capital_cap(alice: User) -> None:
    caja = make_caja(members=2, bylaws={"max_capital_cents": 3000})
    officer(caja, "treasurer", "tania")
    officer(caja, "president", "pedro")
    meeting = closed_meeting(caja, members=(1, 2), shares={1: 2, 2: 3})  # 25.00 of 30.00
    seq = entry_of(meeting, EntryKind.SHARE_PURCHASE, member=1).seq
    error = refused(
        CapitalCapExceeded,
        lambda: propose(caja, seq, amount="20.00", by="tania"),
        es="Con estos aportes el ahorro total sería 35.00 USD y supera el capital máximo de "
        "30.00 USD del reglamento (quedan 5.00 USD).",
        en="With these purchases total savings would be 35.00 USD, above the bylaws' capital "
        "cap of 30.00 USD (5.00 USD left).",
    )
    assert error.rule_id == "CAJA-002"
    propose(caja, seq, amount="15.00", by="tania")  # exactly the cap
    assert verify_caja(caja) == []


def test_it_refuses_a_missing_or_too_long_reason(caja_a: Caja, meeting_1: Meeting) -> None:
    seq = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1).seq
    error = refused(
        ReasonRequired,
        lambda: correction_propose(caja_id=caja_a.pk, seq=seq, amount="10", reason=" ", by="alice"),
        es="Indique el motivo de la corrección.",
        en="Give the reason for the correction.",
    )
    assert error.field == "reason"
    refused(
        ReasonTooLong,
        lambda: correction_propose(
            caja_id=caja_a.pk, seq=seq, amount="10", reason="x" * 161, by="alice"
        ),
        es="El motivo tiene 161 caracteres; el máximo es 160.",
        en="The reason has 161 characters; the maximum is 160.",
    )


def test_it_refuses_a_second_proposal_for_the_same_entry(caja_a: Caja, meeting_1: Meeting) -> None:
    seq = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1).seq
    propose(caja_a, seq)
    refused(
        CorrectionPending,
        lambda: propose(caja_a, seq, amount="5.00", by="diana"),
        es=f"El asiento n.º {seq} ya tiene una corrección pendiente (n.º 1); apruébela o "
        "recházela primero.",
        en=f"Entry #{seq} already has a pending correction (#1); approve or reject it first.",
    )


def test_a_rejected_correction_cannot_be_approved(caja_a: Caja, meeting_1: Meeting) -> None:
    correction = propose(caja_a, entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1).seq)
    correction_reject(caja_id=caja_a.pk, number=correction.number, by="diana")
    error = refused(
        AlreadyDecided,
        lambda: correction_approve(caja_id=caja_a.pk, number=correction.number, by="diana"),
        es="La corrección n.º 1 ya fue rechazada; no se puede cambiar.",
        en="Correction #1 has already been rejected; it cannot be changed.",
    )
    assert error.code == "correction.already_decided"


# --- the program admin's command -----------------------------------------------------------


def test_the_program_admin_reverses_and_replaces_an_entry_from_the_cli(
    caja_a: Caja, meeting_1: Meeting, capsys: pytest.CaptureFixture[str]
) -> None:
    program_admin(caja_a, "pilar")
    purchase = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1)
    call_command(
        "entry",
        "reverse",
        "--caja",
        str(caja_a.pk),
        "--seq",
        str(purchase.seq),
        "--reason",
        REASON,
        "--amount",
        "10.00",
        "--by",
        "pilar",
    )
    correction = Correction.objects.get()
    assert correction.status == CorrectionStatus.APPROVED
    assert correction.proposed_by == correction.decided_by == "pilar"
    assert correction.reversal is not None and correction.replacement is not None
    out = capsys.readouterr().out
    assert f"asiento n.º {purchase.seq} de la reunión n.º 1, 15.00 → 10.00" in out
    assert f"#{correction.reversal.seq} reversión / reversal of #{purchase.seq}" in out
    assert f"Corrección de la reunión n.º 1: {REASON} (10.00)" in out
    assert account_balances(caja=caja_a)[SAVINGS_1] == 1000
    assert verify_caja(caja_a) == []
    call_command("verify", caja=caja_a.code)  # exits 1 on any problem
    assert "every invariant holds" in capsys.readouterr().out


def test_the_cli_without_an_amount_only_reverses(caja_a: Caja, meeting_1: Meeting) -> None:
    program_admin(caja_a, "pilar")
    fund = entry_of(meeting_1, EntryKind.SOCIAL_FUND, member=1)
    call_command(
        "entry",
        "reverse",
        *("--caja", caja_a.code, "--seq", str(fund.seq), "--reason", "No pagó", "--by", "pilar"),
    )
    assert Correction.objects.get().replacement is None
    assert account_balances(caja=caja_a)[chart.SOCIAL_FUND] == 400
    assert verify_caja(caja_a) == []


def test_the_cli_refuses_with_one_code_line_and_writes_nothing(
    caja_a: Caja, meeting_1: Meeting
) -> None:
    program_admin(caja_a, "pilar")
    seq = entry_of(meeting_1, EntryKind.SHARE_PURCHASE, member=1).seq
    args = ["entry", "reverse", "--caja", str(caja_a.pk), "--seq", str(seq), "--reason", REASON]
    before = db_snapshot()
    with pytest.raises(CommandError) as raised:
        call_command(*args, "--amount", "1.234", "--by", "pilar")
    assert str(raised.value) == (
        "[amount.precision] El monto 1.234 tiene más de 2 decimales; use centavos exactos. / "
        "The amount 1.234 has more than 2 decimal places; use whole cents."
    )
    with pytest.raises(CommandError) as raised:
        call_command(*args, "--by", "alice")  # a treasurer, not the program admin
    assert str(raised.value) == (
        "[correction.admin_only] «alice» no es administrador del programa de esta caja; solo un "
        "administrador corrige asientos desde la consola. / “alice” is not a program admin of "
        "this caja's program; only a program admin corrects entries from the command line."
    )
    assert "\n" not in str(raised.value)
    # From the console Django prints that one line and exits with the error's return code.
    assert raised.value.returncode == 1
    assert db_snapshot() == before
