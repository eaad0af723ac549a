"""Bulk inserts for the importer: rows go in by ``executemany`` (SQLite) or multi-row
``INSERT … VALUES`` statements (PostgreSQL), never one ORM ``save()`` per row.

The journal's lines go in whole entries per statement on PostgreSQL, whose statement-level
trigger checks that every entry a statement touches balances (ledger migration 0006).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

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
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: tuple[str, str, int] | None = None,
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (values in the order of ``fields``, already as the database takes them)
    into ``model``'s table. With ``returning=(key, scope, scope_id)`` (say ``("seq", "caja_id",
    7)``), the ``(key, id)`` pairs of the rows inserted, ``key`` unique within the scope."""
    if not rows:
        return []
    table = model._meta.db_table
    insert = f"INSERT INTO {table} ({_columns(model, fields)}) VALUES "  # noqa: S608
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # One short statement per row: cheaper on SQLite than one of thousands of placeholders.
            cursor.executemany(insert + _values(1, len(fields)), rows)
            if returning:
                key, scope, scope_id = returning
                keys = [row[list(fields).index(key)] for row in rows]
                low, high = min(keys), max(keys)
                if all(type(k) is int for k in keys) and high - low + 1 == len(set(keys)) == len(
                    keys
                ):
                    cursor.execute(  # a run of numbers (the journal's seqs): one range
                        f"SELECT {key}, id FROM {table} WHERE {scope} = %s "  # noqa: S608
                        f"AND {key} BETWEEN %s AND %s",
                        [scope_id, low, high],
                    )
                    return cursor.fetchall()
                for start in range(0, len(keys), CHUNK_ROWS):
                    chunk = keys[start : start + CHUNK_ROWS]
                    cursor.execute(
                        f"SELECT {key}, id FROM {table} WHERE {scope} = %s "  # noqa: S608
                        f"AND {key} IN ({', '.join(['%s'] * len(chunk))})",
                        [scope_id, *chunk],
                    )
                    found.extend(cursor.fetchall())
            return found
        tail = f" RETURNING {returning[0]}, id" if returning else ""
        for start in range(0, len(rows), CHUNK_ROWS):
            batch = rows[start : start + CHUNK_ROWS]
            cursor.execute(
                insert + _values(len(batch), len(fields)) + tail,
                [value for row in batch for value in row],
            )
            if returning:
                found.extend(cursor.fetchall())
    return found


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
