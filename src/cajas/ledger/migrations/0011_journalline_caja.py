"""The caja key on every journal line (docs/scaling.md, issue 14 part 6): added, filled from the
line's entry, then required.

Lines cannot be UPDATEd (0002): the fill runs with that trigger off and puts it back after. On
SQLite the required column rebuilds the table, which drops the trigger; it is created again.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

SQLITE_TRIGGER = """CREATE TRIGGER IF NOT EXISTS ledger_line_no_update
    BEFORE UPDATE ON ledger_journalline
    BEGIN SELECT RAISE(ABORT, 'journal lines are immutable: post a reversal'); END"""


def _immutability_off(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS ledger_line_no_update", params=None)
    elif vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE ledger_journalline DISABLE TRIGGER ledger_line_immutable", params=None
        )


def _immutability_on(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER, params=None)
    elif vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE ledger_journalline ENABLE TRIGGER ledger_line_immutable", params=None
        )


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0010_fines_receivable"),
        ("org", "0004_caja_figures_stale"),
    ]

    operations = [
        migrations.RunPython(_immutability_off, _immutability_on),
        migrations.AddField(
            model_name="journalline",
            name="caja",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.RunSQL(
            "UPDATE ledger_journalline SET caja_id = (SELECT e.caja_id FROM "
            "ledger_journalentry e WHERE e.id = ledger_journalline.entry_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="journalline",
            name="caja",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.RunPython(_immutability_on, _immutability_off),
    ]
