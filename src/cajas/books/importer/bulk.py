"""Bulk inserts for the importer: rows go in by ``executemany`` (SQLite) or multi-row
``INSERT … VALUES`` statements (PostgreSQL), never one ORM ``save()`` per row; ids are reserved
first where rows refer to rows not yet written.

The journal's lines go in whole entries per statement on PostgreSQL, whose statement-level
trigger checks that every entry a statement touches balances (ledger migration 0006).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

from cajas.core.bulk_sql import insert_many
from cajas.ledger import journal_sql
from cajas.ledger.journal_sql import whole_groups

CHUNK_ROWS = journal_sql.CHUNK_ROWS  # rows per multi-row statement, as the journal's


def _columns(model: type[models.Model], fields: Sequence[str]) -> str:
    columns = []
    for name in fields:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field) and field.column
        columns.append(field.column)
    return ", ".join(columns)


def _values(count: int, width: int) -> str:
    row = "(" + ", ".join(["%s"] * width) + ")"
    return ", ".join([row] * count)


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (values in the order of ``fields``, already as the database takes them)
    into ``model``'s table."""
    if not rows:
        return
    table = model._meta.db_table
    insert = f"INSERT INTO {table} ({_columns(model, fields)}) VALUES "  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            insert_many(cursor, insert, len(fields), rows)
            return
        for start in range(0, len(rows), CHUNK_ROWS):
            batch = rows[start : start + CHUNK_ROWS]
            cursor.execute(
                insert + _values(len(batch), len(fields)),
                [value for row in batch for value in row],
            )


def reserve_ids(model: type[models.Model], count: int) -> Sequence[int]:
    """``count`` ids for new rows of ``model``, taken now, so that rows which refer to each
    other can be built before any is written. Call it in a transaction that has written:
    on SQLite it then holds the database's one write lock, so the ids after the highest ever
    given (``sqlite_sequence``, as ``AUTOINCREMENT`` counts) are this transaction's alone; on
    PostgreSQL they are drawn from the table's sequence, as ``INSERT`` would."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            (top,) = cursor.fetchone()
            cursor.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table]
            )
            top = max(top, cursor.fetchone()[0])
            return range(top + 1, top + count + 1)
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def insert_groups(
    model: type[models.Model], fields: Sequence[str], groups: Sequence[Sequence[Sequence[Any]]]
) -> None:
    """Insert groups of rows (an entry's lines), each group whole in one statement."""
    if connection.vendor == "sqlite":
        insert_rows(model, fields, [row for group in groups for row in group])
        return
    table = model._meta.db_table
    insert = f"INSERT INTO {table} ({_columns(model, fields)}) VALUES "  # noqa: S608
    with connection.cursor() as cursor:
        for chunk in whole_groups(groups):
            cursor.execute(
                insert + _values(len(chunk), len(fields)),
                [value for row in chunk for value in row],
            )


def insert_dicts(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows given as ``{attname: value}`` (values as the database takes them); a column
    a row leaves out gets the field's default, as ``Model()`` would give it."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields if f.has_default() or f.null}
    names = [f.attname for f in fields]
    pick = operator.itemgetter(*names)  # in C; a tuple when there are two names or more
    values = pick if len(names) > 1 else lambda row: (pick(row),)
    insert_rows(model, [f.name for f in fields], [values({**defaults, **row}) for row in rows])
