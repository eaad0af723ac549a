"""A share-out as executed: the figures every member saw, kept for the report and the book."""

from __future__ import annotations

from django.db import models

from cajas.org.models import Caja, Cycle, ShareOutMethod


class ShareOut(models.Model):
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="shareouts")
    cycle = models.OneToOneField(Cycle, on_delete=models.PROTECT, related_name="shareout")
    meeting = models.OneToOneField(
        "meetings.Meeting", on_delete=models.PROTECT, related_name="shareout"
    )
    date = models.DateField()
    method = models.CharField(max_length=12, choices=ShareOutMethod.choices)
    netting = models.BooleanField()
    cash_cents = models.BigIntegerField()
    bank_cents = models.BigIntegerField()
    loans_outstanding_cents = models.BigIntegerField()
    social_fund_cents = models.BigIntegerField()
    reserve_kept_cents = models.BigIntegerField()
    profit_cents = models.BigIntegerField()
    reserve_cents = models.BigIntegerField()
    distributable_cents = models.BigIntegerField()
    value_per_share = models.DecimalField(max_digits=14, decimal_places=4)
    executed_by = models.CharField(max_length=150)
    executed_at = models.DateTimeField()

    class Meta:
        ordering = ["caja", "date"]

    def __str__(self) -> str:
        return f"share-out of {self.caja_id} cycle {self.cycle_id}"


class ShareOutPayout(models.Model):
    shareout = models.ForeignKey(ShareOut, on_delete=models.CASCADE, related_name="payouts")
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="+")
    """The caja key on every caja-owned row (docs/scaling.md), kept with the parent's."""
    membership = models.ForeignKey(
        "members.Membership", on_delete=models.PROTECT, related_name="payouts"
    )
    shares = models.DecimalField(max_digits=14, decimal_places=4)
    savings_cents = models.BigIntegerField()
    profit_cents = models.BigIntegerField()
    deductions_cents = models.BigIntegerField()
    reinvested_cents = models.BigIntegerField()
    amount_cents = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shareout", "membership"], name="payout_once")
        ]

    def __str__(self) -> str:
        return f"payout to {self.membership_id}"


class MemberExit(models.Model):
    """A member leaving during a cycle: savings back, less what they owe; for a death, the
    social fund may help the family. Posted at a meeting, kept for the settlement document."""

    membership = models.OneToOneField(
        "members.Membership", on_delete=models.PROTECT, related_name="exit"
    )
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="+")
    """The caja key on every caja-owned row (docs/scaling.md), kept with the parent's."""
    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.PROTECT, related_name="exits")
    date = models.DateField()
    reason = models.CharField(max_length=12)
    savings_cents = models.BigIntegerField()
    debts_cents = models.BigIntegerField()
    social_fund_help_cents = models.BigIntegerField(default=0)
    paid_cents = models.BigIntegerField()
    recorded_by = models.CharField(max_length=150)

    def __str__(self) -> str:
        return f"exit of {self.membership_id}"
