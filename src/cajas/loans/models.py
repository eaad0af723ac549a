"""Loans (docs/domain.md §7): application, votes, disbursement, schedule, repayments, arrears,
restructuring and write-off.

Money moves only through the journal: disbursements and repayments are meeting items posted when
the meeting closes, write-offs post at the second officer's approval. Each loan has its own
receivable account ``1301.NNNN`` whose kept balance is the principal still owed. The schedule rows
here record what is due and what has been paid against each installment; a restructuring adds a
new schedule version and keeps the old one.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cajas.org.models import INTEREST_METHODS, LOAN_FREQUENCIES, Caja


class RateCap(models.Model):
    """A legal maximum TEA for a credit segment, from a date on (editable by the program admin)."""

    segment = models.CharField(max_length=40)
    name_es = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    tea_percent = models.DecimalField(max_digits=6, decimal_places=2)
    effective_from = models.DateField()
    source = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "effective_from"], name="rate_cap_unique")
        ]
        ordering = ["segment", "-effective_from"]

    def __str__(self) -> str:
        return f"{self.segment} {self.tea_percent} % from {self.effective_from}"


class LoanPurpose(models.TextChoices):
    BUSINESS = "business", _("Business or livelihood")
    CONSUMPTION = "consumption", _("Consumption")
    EMERGENCY = "emergency", _("Emergency")
    EDUCATION = "education", _("Education")
    HOUSING = "housing", _("Housing")
    INFORMAL_PAYOFF = "informal_payoff", _("Paying off an informal lender")


class LoanStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DISBURSED = "disbursed", _("Disbursed")
    REPAID = "repaid", _("Repaid")
    WRITTEN_OFF = "written_off", _("Written off")


class Loan(models.Model):
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="loans")
    number = models.PositiveIntegerField()
    membership = models.ForeignKey(
        "members.Membership", on_delete=models.PROTECT, related_name="loans"
    )
    purpose = models.CharField(max_length=16, choices=LoanPurpose.choices)
    principal_cents = models.BigIntegerField()
    term = models.PositiveIntegerField(help_text="number of installments")
    frequency = models.CharField(max_length=12, choices=LOAN_FREQUENCIES)
    method = models.CharField(max_length=10, choices=INTEREST_METHODS)
    monthly_rate_percent = models.DecimalField(max_digits=5, decimal_places=2)
    applied_on = models.DateField()
    status = models.CharField(max_length=12, choices=LoanStatus.choices, default=LoanStatus.APPLIED)
    # Crédito digno, as shown when the member applied.
    tea_percent = models.DecimalField(max_digits=7, decimal_places=2)
    cap_percent = models.DecimalField(max_digits=6, decimal_places=2)
    cap_segment = models.CharField(max_length=40)
    informal_cost_cents = models.BigIntegerField()
    decided_on = models.DateField(null=True, blank=True)
    disbursed_on = models.DateField(null=True, blank=True)
    disbursed_at = models.ForeignKey(
        "meetings.Meeting", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    schedule_version = models.PositiveIntegerField(default=0)
    repaid_on = models.DateField(null=True, blank=True)
    write_off_requested_by = models.ForeignKey(
        "members.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    write_off_reason = models.CharField(max_length=300, blank=True)
    written_off_by = models.ForeignKey(
        "members.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    written_off_on = models.DateField(null=True, blank=True)
    written_off_cents = models.BigIntegerField(default=0)
    recovered_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caja", "number"], name="loan_number_unique"),
            models.CheckConstraint(condition=Q(principal_cents__gt=0), name="loan_principal_pos"),
        ]
        ordering = ["caja", "number"]

    def __str__(self) -> str:
        return f"{self.caja_id} loan #{self.number}"

    @property
    def above_cap(self) -> bool:
        return self.tea_percent > self.cap_percent


class LoanGuarantor(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="guarantors")
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="+")
    """The caja key on every caja-owned row (docs/scaling.md), kept with the parent's."""
    membership = models.ForeignKey(
        "members.Membership", on_delete=models.PROTECT, related_name="guarantees"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["loan", "membership"], name="guarantor_once")
        ]

    def __str__(self) -> str:
        return f"guarantor {self.membership_id} of loan {self.loan_id}"


class Vote(models.TextChoices):
    YES = "yes", _("In favour")
    NO = "no", _("Against")
    ABSTAIN = "abstain", _("Abstains")


class LoanVote(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="votes")
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="+")
    """The caja key on every caja-owned row (docs/scaling.md), kept with the parent's."""
    membership = models.ForeignKey(
        "members.Membership", on_delete=models.PROTECT, related_name="loan_votes"
    )
    vote = models.CharField(max_length=8, choices=Vote.choices)
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["loan", "membership"], name="vote_once")]

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.vote} on loan {self.loan_id}"


class Installment(models.Model):
    loan = models.ForeignKey(
        Loan, on_delete=models.CASCADE, related_name="installments", db_index=False
    )
    """No index of its own: ``installment_unique`` begins with it (loans migration 0004)."""
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="+")
    """The caja key on every caja-owned row (docs/scaling.md), kept with the parent's."""
    version = models.PositiveIntegerField()
    number = models.PositiveIntegerField()
    due_date = models.DateField()
    principal_cents = models.BigIntegerField()
    interest_cents = models.BigIntegerField()
    paid_principal_cents = models.BigIntegerField(default=0)
    paid_interest_cents = models.BigIntegerField(default=0)
    late_fee_cents = models.BigIntegerField(default=0)
    paid_late_fee_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["loan", "version", "number"], name="installment_unique")
        ]
        ordering = ["loan", "version", "number"]

    def __str__(self) -> str:
        return f"loan {self.loan_id} v{self.version} #{self.number} due {self.due_date}"

    @property
    def payment_cents(self) -> int:
        return self.principal_cents + self.interest_cents

    @property
    def unpaid_cents(self) -> int:
        return (
            self.principal_cents
            - self.paid_principal_cents
            + self.interest_cents
            - self.paid_interest_cents
        )


class Restructuring(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="restructurings")
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="+")
    """The caja key on every caja-owned row (docs/scaling.md), kept with the parent's."""
    from_version = models.PositiveIntegerField()
    to_version = models.PositiveIntegerField()
    on = models.DateField()
    reason = models.CharField(max_length=300)
    outstanding_cents = models.BigIntegerField()
    term = models.PositiveIntegerField()
    monthly_rate_percent = models.DecimalField(max_digits=5, decimal_places=2)
    recorded_by = models.CharField(max_length=150)

    def __str__(self) -> str:
        return f"loan {self.loan_id} restructured on {self.on}"
