"""Meetings: attendance and what each member brings, recorded while the meeting is open and
posted to the journal in one transaction when it closes. A closed meeting is never edited."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cajas.core.conditions import one_of
from cajas.members.models import Membership
from cajas.org.models import Caja, Cycle


class MeetingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class MeetingKind(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary meeting")
    EXTRAORDINARY = "extraordinary", _("Extraordinary meeting")
    ASSEMBLY = "assembly", _("General assembly")


class SheetState(models.TextChoices):
    """How the attendance and savings sheet came to be: recorded line by line (services,
    imports), or proposed as the usual meeting when it opened and then confirmed by the
    treasurer. A proposed sheet must be confirmed before the meeting closes."""

    RECORDED = "recorded", _("Recorded")
    PROPOSED = "proposed", _("Proposed, not yet confirmed")
    CONFIRMED = "confirmed", _("Confirmed")


class Meeting(models.Model):
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="meetings")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="meetings")
    number = models.PositiveIntegerField()
    date = models.DateField()
    kind = models.CharField(
        max_length=14, choices=MeetingKind.choices, default=MeetingKind.ORDINARY
    )
    status = models.CharField(
        max_length=8, choices=MeetingStatus.choices, default=MeetingStatus.OPEN
    )
    opened_by = models.CharField(max_length=150)
    closed_by = models.CharField(max_length=150, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    expected_cash_cents = models.BigIntegerField(null=True, blank=True)
    counted_cash_cents = models.BigIntegerField(null=True, blank=True)
    cash_difference_cents = models.BigIntegerField(default=0)
    notes = models.TextField(blank=True)
    sheet = models.CharField(max_length=10, choices=SheetState.choices, default=SheetState.RECORDED)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caja", "number"], name="meeting_number_unique"),
            models.UniqueConstraint(
                fields=["caja"], condition=Q(status="open"), name="one_open_meeting_per_caja"
            ),
        ]
        ordering = ["caja", "number"]

    def __str__(self) -> str:
        return f"{self.caja} — {self.number} ({self.date})"

    @property
    def is_open(self) -> bool:
        return self.status == MeetingStatus.OPEN

    @property
    def cash_flagged(self) -> bool:
        return self.cash_difference_cents != 0


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    REPRESENTED = "represented", _("Represented")
    EXCUSED = "excused", _("Excused")
    ABSENT = "absent", _("Absent")


# A member at the meeting in person or through someone (she buys shares, counts for quorum).
ATTENDING = (AttendanceStatus.PRESENT, AttendanceStatus.REPRESENTED)


class Attendance(models.Model):
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="attendance", db_index=False
    )
    """No index of its own: ``attendance_unique`` begins with it (meetings migration 0007)."""
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="+")
    """The caja key on every caja-owned row (docs/scaling.md), kept with the parent's."""
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(
        max_length=12, choices=AttendanceStatus.choices, default=AttendanceStatus.PRESENT
    )
    late = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "membership"], name="attendance_unique")
        ]
        ordering = ["meeting", "membership__number"]

    def __str__(self) -> str:
        return f"{self.meeting_id}/{self.membership_id}: {self.status}"


class ItemKind(models.TextChoices):
    SHARES = "shares", _("Share purchase")
    SOCIAL_FUND = "social_fund", _("Social fund")
    FINE = "fine", _("Fine")
    FINE_PAYMENT = "fine_payment", _("Payment of a fine owed")
    FINE_WAIVER = "fine_waiver", _("Fine owed, waived")
    ENTRY_FEE = "entry_fee", _("Entry fee")
    OTHER_INCOME = "other_income", _("Other income")
    EXPENSE = "expense", _("Expense")
    LOAN_DISBURSEMENT = "loan_disbursement", _("Loan disbursement")
    LOAN_REPAYMENT = "loan_repayment", _("Loan repayment")


LOAN_ITEM_KINDS = (ItemKind.LOAN_DISBURSEMENT, ItemKind.LOAN_REPAYMENT)
# Settling a fine owed from an earlier meeting (a fine for an absence is the member's debt).
FINE_OWED_KINDS = (ItemKind.FINE_PAYMENT, ItemKind.FINE_WAIVER)


class FineReason(models.TextChoices):
    ABSENCE = "absence", _("Absence")
    LATENESS = "lateness", _("Lateness")
    OTHER = "other", _("Other")


class MeetingItem(models.Model):
    """One thing recorded at an open meeting; posted as one journal entry when it closes.

    Fines the system proposes (absence, lateness) have ``proposed=True``; the treasurer may
    change their amount or waive them (``waived=True`` keeps the record, posts nothing).
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="items")
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="+")
    """The caja key on every caja-owned row (docs/scaling.md), kept with the parent's."""
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="meeting_items"
    )
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    loan = models.ForeignKey(
        "loans.Loan", on_delete=models.PROTECT, null=True, blank=True, related_name="items"
    )
    # A repayment beyond what is due now pays principal ahead (only when marked so).
    prepay = models.BooleanField(default=False)
    shares = models.PositiveIntegerField(null=True, blank=True)
    amount_cents = models.BigIntegerField()
    description = models.CharField(max_length=200, blank=True)
    fine_reason = models.CharField(max_length=10, choices=FineReason.choices, blank=True)
    proposed = models.BooleanField(default=False)
    waived = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="item_amount_positive"),
            models.CheckConstraint(
                name="item_member_matches_kind",
                condition=(
                    (
                        one_of(
                            "kind",
                            [
                                "shares",
                                "social_fund",
                                "fine",
                                "fine_payment",
                                "fine_waiver",
                                "entry_fee",
                            ],
                        )
                        & Q(membership__isnull=False)
                    )
                    | (
                        one_of("kind", ["loan_disbursement", "loan_repayment"])
                        & Q(membership__isnull=False, loan__isnull=False)
                    )
                    | (one_of("kind", ["other_income", "expense"]) & Q(membership__isnull=True))
                ),
            ),
            models.UniqueConstraint(
                fields=["meeting", "membership", "kind"],
                condition=one_of("kind", ["shares", "social_fund", "entry_fee"]),
                name="one_item_per_member_and_kind",
            ),
        ]
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_cents}"


class ChangeKind(models.TextChoices):
    """What a change sent from a phone does to an open meeting (meetings/sync.py)."""

    ROW = "row", _("A member's line")
    USUAL = "usual", _("Everything as usual")
    ITEM_ADD = "item_add", _("Item added")
    ITEM_REMOVE = "item_remove", _("Item removed")
    ITEM_AMOUNT = "item_amount", _("Item amount changed")
    FINE_PAY = "fine_pay", _("Fine owed paid")
    FINE_WAIVE = "fine_waive", _("Fine owed waived")
    DISBURSE = "disburse", _("Loan handed over")
    REPAY = "repay", _("Loan repayment")
    CLOSE = "close", _("Close")


class MeetingChange(models.Model):
    """A change to an open meeting made on a phone (possibly with no signal) and applied once.

    The phone gives each change a random key when it is made; applying a key a second time
    (a retry after a lost answer, a reload, a second sync) returns what the first one did and
    writes nothing. It is also the meeting's record of who changed what, from which device.
    """

    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="changes")
    key = models.CharField(max_length=64)
    kind = models.CharField(max_length=12, choices=ChangeKind.choices)
    member = models.PositiveIntegerField(null=True, blank=True)
    device = models.CharField(max_length=64, blank=True)
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField()
    # What it did: the fields written, the conflicts left for the treasurer, the line after.
    outcome = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "key"], name="meeting_change_key_unique")
        ]
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return f"{self.meeting} {self.kind} {self.key}"
