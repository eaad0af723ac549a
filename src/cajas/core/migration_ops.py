"""Migration operations of our own, for the apps' migrations (a lower layer: imports Django only).

``drop_covered_index``: a foreign key's own index where a unique constraint already begins with
its column (``UNIQUE (caja_id, seq)`` serves every lookup of ``caja_id``). Every row written
pays for each index; one no query plan uses only costs. Changing ``db_index`` by ``AlterField``
would make SQLite copy the whole table (and drop its triggers), so the index is dropped by name,
as the database reports it.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def drop_covered_index(
    model_name: str, field_name: str, field: models.Field[Any, Any], table: str, column: str
) -> migrations.SeparateDatabaseAndState:
    """``field`` is the field as the model now declares it (``db_index=False``)."""

    def names(schema_editor: Any) -> list[str]:
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, table)
        return [
            name
            for name, info in found.items()
            if info["columns"] == [column]
            and info["index"]
            and not info["unique"]
            and not info["primary_key"]
        ]

    def drop(apps: Any, schema_editor: Any) -> None:
        for name in names(schema_editor):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}", params=None)

    def create(apps: Any, schema_editor: Any) -> None:
        if not names(schema_editor):
            name, q = f"{table}_{column}_index", schema_editor.quote_name
            schema_editor.execute(
                f"CREATE INDEX {q(name)} ON {q(table)} ({q(column)})", params=None
            )

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name, field_name, field)],
        database_operations=[migrations.RunPython(drop, create)],
    )
