"""Attendance's own index on ``meeting_id`` dropped: ``attendance_unique (meeting_id,
membership_id)`` serves every lookup of it (issue 14 part 5)."""

import django.db.models.deletion
from django.db import migrations, models

from cajas.core.migration_ops import drop_covered_index


class Migration(migrations.Migration):
    dependencies = [("meetings", "0006_meeting_changes")]

    operations = [
        drop_covered_index(
            "attendance",
            "meeting",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="attendance",
                to="meetings.meeting",
            ),
            table="meetings_attendance",
            column="meeting_id",
        )
    ]
