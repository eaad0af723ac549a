"""Installments' own index on ``loan_id`` dropped: ``installment_unique (loan_id, version,
number)`` serves every lookup of it (issue 14 part 5: a close reads the open loans'
installments by it)."""

import django.db.models.deletion
from django.db import migrations, models

from cajas.core.migration_ops import drop_covered_index


class Migration(migrations.Migration):
    dependencies = [("loans", "0003_caja_key")]

    operations = [
        drop_covered_index(
            "installment",
            "loan",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="installments",
                to="loans.loan",
            ),
            table="loans_installment",
            column="loan_id",
        )
    ]
