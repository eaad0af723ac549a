"""Tampering with any stored entry, line or hash makes `cajas verify` fail and name the entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from cajas.ledger.models import JournalEntry, JournalLine
from cajas.ledger.verify import verify_caja
from cajas.meetings.sheet import SheetRow
from cajas.org.models import Caja
from tests.factories import FOUNDED, make_caja
from tests.helpers import run_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def caja() -> Caja:
    caja = make_caja(members=3)
    rows = [SheetRow(member=n, shares=2, social_fund=True) for n in (1, 2, 3)]
    run_meeting(caja, FOUNDED + dt.timedelta(days=7), rows)
    run_meeting(caja, FOUNDED + dt.timedelta(days=14), rows, expenses=["2.50"])
    return caja


@contextmanager
def triggers_off() -> Iterator[None]:
    """What an attacker with direct database access can do: bypass the immutability triggers."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run pending (foreign key) checks
            cur.execute("ALTER TABLE ledger_journalentry DISABLE TRIGGER USER")
            cur.execute("ALTER TABLE ledger_journalline DISABLE TRIGGER USER")
        else:
            cur.execute("DROP TRIGGER ledger_entry_no_update")
            cur.execute("DROP TRIGGER ledger_line_no_update")
    yield
    # The test transaction is rolled back afterwards, which restores the triggers.


def entry_of(caja: Caja, seq: int) -> JournalEntry:
    return JournalEntry.objects.get(caja=caja, seq=seq)


def test_an_untouched_book_verifies(caja: Caja, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify_caja(caja) == []
    call_command("verify", caja=str(caja.pk))
    assert "every invariant holds" in capsys.readouterr().out


TAMPERING = {
    "line amount": "UPDATE ledger_journalline SET debit = debit + 100 WHERE debit > 0 AND entry_id = %s",
    "both sides of a line": "UPDATE ledger_journalline SET debit = debit + 100, credit = credit + 0 "
    "WHERE debit > 0 AND entry_id = %s",
    "memo": "UPDATE ledger_journalentry SET memo = 'otro' WHERE id = %s",
    "date": "UPDATE ledger_journalentry SET date = '2020-01-01' WHERE id = %s",
    "stored hash": "UPDATE ledger_journalentry SET hash = repeat('a', 64) WHERE id = %s",
    "idempotency key": "UPDATE ledger_journalentry SET idempotency_key = 'x' WHERE id = %s",
    "recorded by": "UPDATE ledger_journalentry SET recorded_by = 'mallory' WHERE id = %s",
}


@pytest.mark.parametrize("what", sorted(TAMPERING))
def test_tampering_is_detected_and_named(caja: Caja, what: str) -> None:
    target = entry_of(caja, 5)
    sql = TAMPERING[what]
    if connection.vendor == "sqlite":
        sql = sql.replace("repeat('a', 64)", "'" + "a" * 64 + "'")
    with triggers_off(), connection.cursor() as cur:
        cur.execute(sql, [target.pk])
    problems = verify_caja(caja)
    assert problems, what
    assert problems[0].seq == 5
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify", caja=caja.code)
    assert exit_info.value.code == 1


def test_removing_the_last_entry_is_detected(caja: Caja) -> None:
    last = entry_of(caja, caja.last_seq if caja.last_seq else 1)
    caja.refresh_from_db()
    last = entry_of(caja, caja.last_seq)
    with triggers_off(), connection.cursor() as cur:
        cur.execute("DELETE FROM ledger_journalline WHERE entry_id = %s", [last.pk])
        cur.execute("DELETE FROM ledger_journalentry WHERE id = %s", [last.pk])
    problems = verify_caja(caja)
    assert all(p.seq is None for p in problems)
    assert "entries removed or head altered" in problems[-1].message
    # The accounts the removed entry touched no longer add up to their kept balances.
    assert len(problems) == 3
    assert all("its lines add up to" in p.message for p in problems[:-1])


def test_a_tampered_account_balance_is_detected(caja: Caja) -> None:
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE ledger_account SET balance_cents = balance_cents + 100 "
            "WHERE caja_id = %s AND code = '1101'",
            [caja.pk],
        )
    problems = verify_caja(caja)
    assert len(problems) == 1
    assert problems[0].message.startswith("account 1101 says its balance is")


def test_the_database_refuses_to_update_entries(caja: Caja) -> None:
    expected = IntegrityError if connection.vendor == "postgresql" else Exception
    with pytest.raises(expected) as exc, transaction.atomic():
        JournalLine.objects.filter(entry__caja=caja).update(debit=1)
    assert "immutable" in str(exc.value)
    # and the entries (a migration that rebuilds a SQLite table drops its triggers)
    with pytest.raises(expected) as exc, transaction.atomic():
        JournalEntry.objects.filter(caja=caja).update(memo="cambiado")
    assert "immutable" in str(exc.value)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the balance trigger is PostgreSQL's")
def test_postgresql_rejects_an_insert_that_unbalances_an_entry(caja: Caja) -> None:
    entry = entry_of(caja, 1)
    account = entry.lines.first().account
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        JournalLine.objects.create(entry=entry, caja=caja, account=account, debit=5)
    assert "does not balance" in str(exc.value)
    # Lines that keep the entry balanced in one statement are accepted by the trigger (the
    # hash chain still catches them: see the tamper tests).
    with transaction.atomic():
        JournalLine.objects.bulk_create(
            [
                JournalLine(entry=entry, caja=caja, account=account, debit=5),
                JournalLine(entry=entry, caja=caja, account=account, credit=5),
            ]
        )
        transaction.set_rollback(True)


@given(
    caja=st.text(max_size=20),
    by=st.text(max_size=20),
    at=st.text(max_size=40),
    seq=st.integers(min_value=1, max_value=10**9),
)
def test_the_posting_fast_path_links_exactly_as_chain_hash(
    caja: str, by: str, at: str, seq: int
) -> None:
    from cajas.ledger.rules import ChainLinker, chain_hash

    prev, digest = "a" * 64, "b" * 64
    fast = ChainLinker(caja=caja, recorded_by=by, recorded_at=at)
    assert fast.link(prev_hash=prev, seq=seq, digest=digest) == chain_hash(
        prev_hash=prev, caja=caja, seq=seq, digest=digest, recorded_by=by, recorded_at=at
    )


@given(
    caja=st.text(max_size=20),
    by=st.text(max_size=20),
    at=st.text(max_size=40),
    seq=st.integers(min_value=1, max_value=10**9),
)
def test_chain_hash_is_the_sha256_of_its_definition(caja: str, by: str, at: str, seq: int) -> None:
    """The place is written by hand for speed; it must stay ``json.dumps``'s text."""
    import hashlib
    import json

    from cajas.ledger.rules import chain_hash

    prev, digest = "a" * 64, "b" * 64
    place = json.dumps([caja, seq, by, at], ensure_ascii=False)
    assert (
        chain_hash(
            prev_hash=prev, caja=caja, seq=seq, digest=digest, recorded_by=by, recorded_at=at
        )
        == hashlib.sha256((prev + digest + place).encode()).hexdigest()
    )


_NUMBER = st.none() | st.integers(min_value=-(10**12), max_value=10**12) | st.booleans()


@given(
    texts=st.lists(st.text(max_size=30), min_size=5, max_size=5),
    numbers=st.lists(_NUMBER, min_size=3, max_size=3),
    lines=st.lists(
        st.tuples(
            st.text(max_size=12), st.integers(0, 10**9), st.integers(0, 10**9) | st.booleans()
        ),
        max_size=4,
    ),
)
def test_the_entry_digest_is_the_sha256_of_the_canonical_content(
    texts: list[str], numbers: list[int | None], lines: list[tuple[str, int, int]]
) -> None:
    """Written by hand where every value has its exact type, by the encoder otherwise (a
    ``True`` among the numbers); the same digest either way, and the same as ``json.dumps``."""
    import hashlib
    import json

    from cajas.ledger.rules import Line, content_of, entry_digest

    key, kind, date, memo, reason = texts
    member, meeting, reverses = numbers
    values = {
        "key": key,
        "kind": kind,
        "date": date,
        "memo": memo,
        "member": member,
        "meeting": meeting,
        "reverses": reverses,
        "reason": reason,
        "lines": [Line(*line) for line in lines],
    }
    text = json.dumps(
        content_of(**values), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert entry_digest(**values) == hashlib.sha256(text.encode()).hexdigest()
