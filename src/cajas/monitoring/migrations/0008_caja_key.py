"""The caja key on the last two caja-owned tables (docs/scaling.md, issue 14 part 6): added,
filled from the parent row, then required."""

import django.db.models.deletion
from django.db import migrations, models


def _key(model: str, table: str, parent_table: str, parent_column: str) -> list:
    field = models.ForeignKey(
        null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="org.caja"
    )
    return [
        migrations.AddField(model_name=model, name="caja", field=field),
        migrations.RunSQL(
            f"UPDATE {table} SET caja_id = (SELECT p.caja_id FROM {parent_table} p "
            f"WHERE p.id = {table}.{parent_column})",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name=model,
            name="caja",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="org.caja"
            ),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0007_group_sums"),
        ("members", "0001_initial"),
        ("org", "0004_caja_figures_stale"),
    ]

    operations = [
        *_key("visitaction", "monitoring_visitaction", "monitoring_visit", "visit_id"),
        *_key(
            "informalcreditanswer",
            "monitoring_informalcreditanswer",
            "members_membership",
            "membership_id",
        ),
    ]
