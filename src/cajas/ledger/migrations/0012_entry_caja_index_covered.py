"""The entries' own index on ``caja_id`` dropped: ``entry_seq_unique (caja_id, seq)`` serves every
lookup of it (issue 14 part 5: fewer indexes on the journal where no query plan uses them)."""

import django.db.models.deletion
from django.db import migrations, models

from cajas.core.migration_ops import drop_covered_index


class Migration(migrations.Migration):
    dependencies = [("ledger", "0011_journalline_caja")]

    operations = [
        drop_covered_index(
            "journalentry",
            "caja",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="journal_entries",
                to="org.caja",
            ),
            table="ledger_journalentry",
            column="caja_id",
        )
    ]
