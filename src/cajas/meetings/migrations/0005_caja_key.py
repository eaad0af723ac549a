"""The caja key on every caja-owned row (docs/scaling.md, issue 14 part 6): added, filled from
the parent row, then required."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0004_fines_owed"),
        ("org", "0004_caja_figures_stale"),
    ]

    operations = [
        migrations.AddField(
            model_name="attendance",
            name="caja",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.RunSQL(
            "UPDATE meetings_attendance SET caja_id = (SELECT p.caja_id FROM meetings_meeting p "
            "WHERE p.id = meetings_attendance.meeting_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="attendance",
            name="caja",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.AddField(
            model_name="meetingitem",
            name="caja",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.RunSQL(
            "UPDATE meetings_meetingitem SET caja_id = (SELECT p.caja_id FROM meetings_meeting p "
            "WHERE p.id = meetings_meetingitem.meeting_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="meetingitem",
            name="caja",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
    ]
