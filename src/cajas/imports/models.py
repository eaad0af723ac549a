"""A member file on its way in: uploaded, checked in chunks (the page shows the progress),
then written all at once or not at all (``imports.services``).

The file and the rows read from it hold personal data (document numbers, migratory status), so
both are encrypted at rest like ``Person``'s fields and emptied once the import is written; an
import left unfinished is deleted after ``services.TTL``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cajas.core.fields import EncryptedTextField
from cajas.org.models import Caja


class ImportStatus(models.TextChoices):
    READING = "reading", "reading"  # rows still being read and checked, chunk by chunk
    CHECKED = "checked", "checked"  # every row checked: errors to show, or ready to write
    DONE = "done", "done"  # written


class MemberImport(models.Model):
    caja = models.ForeignKey(Caja, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()
    filename = models.CharField(max_length=200)
    kind = models.CharField(max_length=4)  # xlsx | csv
    size = models.PositiveIntegerField()
    # The uploader ticked that the people whose consent the file marks gave it in her presence.
    attested = models.BooleanField(default=False)
    content = EncryptedTextField(blank=True, default="")  # the file, base64
    headers = models.JSONField(default=dict)  # field → the header as the file spells it
    ignored = models.JSONField(default=list)  # headers of columns not read
    status = models.CharField(
        max_length=8, choices=ImportStatus.choices, default=ImportStatus.READING
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    rows_other = models.PositiveIntegerField(default=0)  # rows of other cajas, left out
    candidates = EncryptedTextField(blank=True, default="")  # JSON list of rows read well
    errors = models.JSONField(default=list)  # [{row, column, code, es, en}]
    added = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["xlsx", "csv"]), name="member_import_kind"
            ),
            models.CheckConstraint(
                condition=Q(rows_read__lte=models.F("rows_total")), name="member_import_progress"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.caja_id} {self.filename} {self.status}"

    @property
    def percent(self) -> int:
        if self.status != ImportStatus.READING or not self.rows_total:
            return 100 if self.status != ImportStatus.READING else 0
        return min(99, self.rows_read * 100 // self.rows_total)
