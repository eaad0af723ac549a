"""Corrections of closed meetings, with maker-checker (docs/domain.md §5: a correction is a new entry
that reverses an earlier one and points at it, with a reason and who made it).

An officer proposes the right amount for one posted entry of a closed meeting; a different
officer, or the caja's facilitator, approves or rejects it. Nothing reaches the journal until
approval, which posts the reversal of the entry and, unless the right amount is zero, a
replacement with the same accounts and the right amount. The ``Correction`` row is the
audit trail linking the three entries.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import pgettext_lazy

from cajas.ledger.models import JournalEntry
from cajas.meetings.models import Meeting
from cajas.members.models import Membership
from cajas.org.models import Caja


class CorrectionStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("correction", "Proposed")
    APPROVED = "approved", pgettext_lazy("correction", "Approved")
    REJECTED = "rejected", pgettext_lazy("correction", "Rejected")


class Correction(models.Model):
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="corrections")
    # Numbered 1, 2, 3… per caja, like meetings and loans: the number goes into the URLs and
    # the replacement entry's idempotency key, never a database id a user could guess.
    number = models.PositiveIntegerField()
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="corrections")
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="corrections")
    # What the entry says (at proposal) and what it should have said; 0 = it should not exist.
    posted_cents = models.BigIntegerField()
    amount_cents = models.BigIntegerField()
    reason = models.CharField(max_length=160)
    proposed_by = models.CharField(max_length=150)
    # Null only when the program admin corrected the book with ``cajas entry reverse``.
    proposed_by_membership = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections_proposed",
    )
    proposed_at = models.DateTimeField()
    status = models.CharField(
        max_length=8, choices=CorrectionStatus.choices, default=CorrectionStatus.PROPOSED
    )
    decided_by = models.CharField(max_length=150, blank=True)
    # Null when a facilitator (or the program admin) decided: they have no membership.
    decided_by_membership = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=160, blank=True)
    reversal = models.OneToOneField(
        JournalEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="correction_reversing",
    )
    replacement = models.OneToOneField(
        JournalEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="correction_replacing",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caja", "number"], name="correction_number_unique"),
            # One live proposal or approval per entry: a second one would reverse it twice.
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(status__in=["proposed", "approved"]),
                name="one_live_correction_per_entry",
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0), name="correction_amount_not_negative"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="correction_reason_required"),
            models.CheckConstraint(
                name="correction_posted_when_approved",
                condition=(
                    Q(status="approved", reversal__isnull=False, decided_at__isnull=False)
                    | Q(
                        status="rejected",
                        reversal__isnull=True,
                        replacement__isnull=True,
                        decided_at__isnull=False,
                    )
                    | Q(status="proposed", reversal__isnull=True, replacement__isnull=True)
                ),
            ),
        ]
        ordering = ["caja", "number"]

    def __str__(self) -> str:
        return f"{self.caja_id} correction {self.number} of #{self.entry_id} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == CorrectionStatus.PROPOSED
