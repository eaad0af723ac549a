"""The SQL that writes the journal, per database: ``entries_post`` decides what to write (checks,
chaining), this module writes it in as few statements as each database does best.

SQLite takes a hundred rows per statement, then ten, then one (``core/bulk_sql.py``): each
statement costs its setup, and one of thousands of placeholders costs more to convert and prepare
than the rows themselves. SQLite checks no balance in the database (``entries_post`` does), so
lines need not go in whole entries. PostgreSQL takes many rows per statement, with
``RETURNING``; its statement-level trigger checks every entry a statement touches, so lines go
in whole entries per statement.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection

from cajas.core.bulk_sql import insert_many
from cajas.ledger.models import Account, JournalEntry, JournalLine
from cajas.org.models import Caja

CHUNK_ROWS = 500  # well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters

ENTRY_COLUMNS = (
    "caja_id, seq, date, kind, memo, idempotency_key, membership_id, meeting_id, reverses_id, "
    "reason, recorded_by, recorded_at, content_digest, prev_hash, hash"
)


def digests_of_keys(caja_id: int, keys: Sequence[str]) -> dict[str, str]:
    """Idempotency key → content digest of the entries of the caja already posted with them."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT idempotency_key, content_digest FROM {JournalEntry._meta.db_table} "  # noqa: S608
            f"WHERE caja_id = %s AND idempotency_key IN ({', '.join(['%s'] * len(keys))})",
            [caja_id, *keys],
        )
        return dict(cursor.fetchall())


def entries_insert(
    caja_id: int, rows: Sequence[tuple[Any, ...]], *, first_seq: int
) -> dict[int, int]:
    """Insert the entry rows (``ENTRY_COLUMNS``); returns seq → id."""
    if connection.vendor == "sqlite":
        return _entries_insert_sqlite(caja_id, rows, first_seq=first_seq)
    return _entries_insert_postgresql(rows)


def _entry_insert() -> str:
    return f"INSERT INTO {JournalEntry._meta.db_table} ({ENTRY_COLUMNS}) VALUES "  # noqa: S608


def _entries_insert_sqlite(
    caja_id: int, rows: Sequence[tuple[Any, ...]], *, first_seq: int
) -> dict[int, int]:
    with connection.cursor() as cursor:
        insert_many(cursor, _entry_insert(), len(rows[0]), rows)
        cursor.execute(
            f"SELECT seq, id FROM {JournalEntry._meta.db_table} "  # noqa: S608
            "WHERE caja_id = %s AND seq >= %s",
            [caja_id, first_seq],
        )
        return dict(cursor.fetchall())


def _entries_insert_postgresql(rows: Sequence[tuple[Any, ...]]) -> dict[int, int]:
    ids: dict[int, int] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            cursor.execute(
                _entry_insert() + _placeholders(chunk) + " RETURNING seq, id",
                [value for row in chunk for value in row],
            )
            ids.update(cursor.fetchall())
    return ids


def lines_insert(per_entry: Sequence[list[tuple[Any, ...]]]) -> None:
    """Insert the lines, (entry id, caja id, account id, debit, credit), grouped by entry."""
    line_insert = (
        f"INSERT INTO {JournalLine._meta.db_table} "  # noqa: S608
        "(entry_id, caja_id, account_id, debit, credit) VALUES "
    )
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            insert_many(cursor, line_insert, 5, [line for lines in per_entry for line in lines])
            return
        for chunk in whole_groups(per_entry):
            cursor.execute(
                line_insert + _placeholders(chunk), [value for row in chunk for value in row]
            )


def balances_add(changes: Sequence[tuple[int, int]]) -> None:
    """Add each (account id, change) to the account's kept balance."""
    with connection.cursor() as cursor:
        for chunk in _chunks(changes):
            cases = " ".join(["WHEN %s THEN %s"] * len(chunk))
            cursor.execute(
                f"UPDATE {Account._meta.db_table} SET balance_cents = balance_cents + "  # noqa: S608
                f"CASE id {cases} END WHERE id IN ({', '.join(['%s'] * len(chunk))})",
                [value for row in chunk for value in row] + [pk for pk, _delta in chunk],
            )


def chain_head_save(caja_id: int, *, seq: int, hash: str) -> None:
    """The caja row keeps the chain head; its dashboard figures are now stale."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Caja._meta.db_table} SET last_seq = %s, last_hash = %s, "  # noqa: S608
            "figures_stale = %s WHERE id = %s",
            [seq, hash, True, caja_id],
        )


def _chunks(rows: Sequence[tuple[Any, ...]]) -> Iterator[Sequence[tuple[Any, ...]]]:
    for start in range(0, len(rows), CHUNK_ROWS):
        yield rows[start : start + CHUNK_ROWS]


def whole_groups(groups: Sequence[Sequence[Any]]) -> Iterator[list[Any]]:
    """Rows of consecutive groups, about ``CHUNK_ROWS`` at a time, never splitting a group
    (PostgreSQL checks the balance of every entry a statement touches: an entry's lines go in
    one statement). Also the book importer's."""
    chunk: list[Any] = []
    for group in groups:
        if chunk and len(chunk) + len(group) > CHUNK_ROWS:
            yield chunk
            chunk = []
        chunk.extend(group)
    if chunk:
        yield chunk


def _placeholders(rows: Sequence[tuple[Any, ...]]) -> str:
    one = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
    return ", ".join([one] * len(rows))
