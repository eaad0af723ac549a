"""Two people closing at once cannot both spend the same cash (PostgreSQL, real threads)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from cajas.core.errors import RuleViolation
from cajas.core.money import decimal_string
from cajas.ledger import chart
from cajas.ledger.models import JournalEntry
from cajas.ledger.rules import Line
from cajas.ledger.selectors import account_balances
from cajas.ledger.services import EntryDraft, entries_post
from cajas.ledger.verify import verify_caja
from cajas.meetings.close import meeting_close
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import meeting_expected_cash
from cajas.meetings.sheet import SheetRow, meeting_sheet_save
from cajas.org.services import caja_lock
from tests.factories import FOUNDED, make_caja
from tests.helpers import run_meeting

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks are PostgreSQL's; SQLite serialises writers by design",
    ),
]


def in_threads(*calls: Callable[[], object]) -> list[object]:
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_closes_of_the_same_meeting_post_once() -> None:
    caja = make_caja(members=10)
    meeting = meeting_open(caja_id=caja.pk, date=FOUNDED + dt.timedelta(days=7), opened_by="t")
    meeting_sheet_save(
        meeting_id=meeting.pk,
        rows=[SheetRow(member=n, shares=2, social_fund=True) for n in range(1, 11)],
    )
    expected = meeting_expected_cash(meeting=meeting)
    counted = f"{expected // 100}.{expected % 100:02d}"

    def close() -> object:
        return meeting_close(meeting_id=meeting.pk, counted_cash=counted, closed_by="t")

    results = in_threads(close, close)
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], RuleViolation)
    assert errors[0].code == "meeting.closed"
    assert JournalEntry.objects.filter(caja=caja).count() == 20
    assert verify_caja(caja) == []


def test_two_writers_cannot_both_spend_the_same_cash() -> None:
    caja = make_caja(members=4)
    run_meeting(
        caja,
        FOUNDED + dt.timedelta(days=7),
        [SheetRow(member=n, shares=2, social_fund=False) for n in range(1, 5)],
    )
    cash = account_balances(caja=caja)[chart.CASH]

    def spend(key: str) -> object:
        def call() -> object:
            with transaction.atomic():
                locked = caja_lock(caja_id=caja.pk)
                draft = EntryDraft(
                    key=key,
                    kind="expense",
                    date=FOUNDED + dt.timedelta(days=8),
                    lines=(Line(chart.EXPENSES, debit=cash), Line(chart.CASH, credit=cash)),
                )
                return entries_post(caja=locked, drafts=[draft], recorded_by=key)

        return call

    results = in_threads(*(spend(f"gasto-{i}") for i in range(4)))
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 3
    assert all(isinstance(e, RuleViolation) and e.code == "ledger.negative_balance" for e in errors)
    assert account_balances(caja=caja)[chart.CASH] == 0
    assert verify_caja(caja) == []


def test_refreshes_of_overlapping_cajas_and_a_close_at_once_stay_exact() -> None:
    from cajas.monitoring.figures import figures_refresh
    from cajas.monitoring.indicators import Filters, indicators
    from cajas.monitoring.models import FigureState
    from cajas.org.models import Caja

    cajas = [make_caja(members=4) for _ in range(3)]
    for caja in cajas:
        run_meeting(caja, FOUNDED, [SheetRow(member=n, shares=2) for n in range(1, 5)])
    ids = [c.pk for c in cajas]
    last = cajas[-1]
    meeting = meeting_open(caja_id=last.pk, date=FOUNDED + dt.timedelta(days=7), opened_by="t")
    meeting_sheet_save(meeting_id=meeting.pk, rows=[SheetRow(member=1, shares=2)])
    counted = f"{meeting_expected_cash(meeting=meeting) / 100:.2f}"

    results = in_threads(
        lambda: figures_refresh(caja_ids=ids),
        lambda: figures_refresh(caja_ids=list(reversed(ids))),
        lambda: meeting_close(meeting_id=meeting.pk, counted_cash=counted, closed_by="t"),
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert FigureState.objects.filter(caja_id__in=ids).count() == 6  # women and men, no twins
    figures = indicators(Caja.objects.filter(pk__in=ids), Filters(), FOUNDED + dt.timedelta(days=8))
    saved = sum(
        account_balances(caja=c)[chart.savings_account_code(n)] for c in cajas for n in range(1, 5)
    )
    assert figures["savings"] == Decimal(saved) / 100 and saved == 3 * 4 * 1000 + 1000


def test_a_write_off_approval_racing_a_close_ends_without_deadlock() -> None:
    """The close locks the caja, then the loans it repays; the write-off approval used to lock
    the loan first, then the caja: two sessions waiting on each other. Now both lock the caja
    first, so one waits for the other and each ends with its own answer."""
    from cajas.loans.models import Loan
    from cajas.loans.recovery import loan_write_off_approve, loan_write_off_request
    from cajas.meetings.items import disbursement_record, repayment_record
    from tests.factories import APPLY, caja_with_savings, run, voted_loan

    caja = caja_with_savings()
    loan = voted_loan(caja)
    run(caja, APPLY, during=[lambda m: disbursement_record(meeting_id=m.pk, loan_id=loan.pk)])
    later = APPLY + dt.timedelta(days=31)
    loan_write_off_request(loan_id=loan.pk, member=1, reason="se fue", on=later)
    meeting = meeting_open(caja_id=caja.pk, date=later, opened_by="t")
    repayment_record(meeting_id=meeting.pk, loan_id=loan.pk, amount="5.00")
    counted = decimal_string(meeting_expected_cash(meeting=meeting))
    results = in_threads(
        lambda: meeting_close(meeting_id=meeting.pk, counted_cash=counted, closed_by="t"),
        lambda: loan_write_off_approve(loan_id=loan.pk, member=2, on=later, recorded_by="p"),
    )
    for result in results:  # each ends with a result or a rule's refusal, never a deadlock
        assert not isinstance(result, Exception) or isinstance(result, RuleViolation), result
    assert verify_caja(caja) == []
    assert Loan.objects.get(pk=loan.pk).status in ("written_off", "disbursed")
