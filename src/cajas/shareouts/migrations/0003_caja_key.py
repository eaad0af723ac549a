"""The caja key on every caja-owned row (docs/scaling.md, issue 14 part 6): added, filled from
the parent row, then required."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shareouts", "0002_memberexit"),
        ("org", "0004_caja_figures_stale"),
    ]

    operations = [
        migrations.AddField(
            model_name="shareoutpayout",
            name="caja",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.RunSQL(
            "UPDATE shareouts_shareoutpayout SET caja_id = (SELECT p.caja_id FROM shareouts_shareout p "
            "WHERE p.id = shareouts_shareoutpayout.shareout_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="shareoutpayout",
            name="caja",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.AddField(
            model_name="memberexit",
            name="caja",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.RunSQL(
            "UPDATE shareouts_memberexit SET caja_id = (SELECT p.caja_id FROM members_membership p "
            "WHERE p.id = shareouts_memberexit.membership_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="memberexit",
            name="caja",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
    ]
