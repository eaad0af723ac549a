"""Program → implementing partners → territories → cajas, each caja with versioned bylaws and
cycles."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cajas.org.terms import InterestMethod, LoanFrequency


class Program(models.Model):
    """One agency's initiative (e.g. IOM Ecuador's cajas for migrants and host communities)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="USD")
    target_members = models.PositiveIntegerField(default=0)
    target_territories = models.PositiveIntegerField(default=0)
    # Crédito digno: what an informal lender ("gota a gota") charges, for comparison.
    informal_monthly_rate_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("20")
    )

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """An implementing partner (socio implementador) that sets up and follows cajas."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="partners")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="partner_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Territory(models.Model):
    """A city or territory where the program works."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="territories")
    name = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="territory_name_unique")
        ]
        ordering = ["name"]
        verbose_name_plural = "territories"

    def __str__(self) -> str:
        return self.name


class CajaStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DISSOLVED = "dissolved", _("Dissolved")


class MeetingFrequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    FORTNIGHTLY = "fortnightly", _("Fortnightly")
    MONTHLY = "monthly", _("Monthly")


class Caja(models.Model):
    """A community savings-and-credit group.

    ``last_seq`` and ``last_hash`` are the head of the caja's journal hash chain; the row is
    locked (``SELECT … FOR UPDATE``) by every service that posts, which serialises postings per
    caja.
    """

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="cajas")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="cajas")
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="cajas")
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    founded_on = models.DateField()
    status = models.CharField(max_length=12, choices=CajaStatus.choices, default=CajaStatus.ACTIVE)
    last_seq = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # Set by every posting and every caja lock; the program dashboard refreshes the caja's kept
    # figures (``cajas.monitoring.figures``) before it reads them.
    figures_stale = models.BooleanField(default=True, db_default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


LOAN_FREQUENCIES = [
    (LoanFrequency.WEEKLY.value, _("Weekly")),
    (LoanFrequency.FORTNIGHTLY.value, _("Fortnightly")),
    (LoanFrequency.MONTHLY.value, _("Monthly")),
]


class LoanApprovalBy(models.TextChoices):
    COMMITTEE = "committee", _("Credit committee (the caja's officers)")
    ASSEMBLY = "assembly", _("Assembly of members")


class ShareOutMethod(models.TextChoices):
    SHARES = "shares", _("In proportion to shares")
    SHARE_TIME = "share_time", _("In proportion to shares and the time they were held")


class ShareOutLoans(models.TextChoices):
    COLLECT = "collect", _("Loans are collected before the share-out")
    NET = "net", _("Loans still owed are deducted from the borrower's payout")


INTEREST_METHODS = [
    (InterestMethod.FLAT.value, _("Flat on the original principal")),
    (InterestMethod.FRENCH.value, _("Declining balance, equal installments")),
    (InterestMethod.GERMAN.value, _("Declining balance, equal principal")),
]


class Bylaws(models.Model):
    """The caja's rules as data (docs/domain.md §6), versioned: a change is a new version.

    Money in cents; percentages as Decimals (``Decimal("5")`` = 5 %); ``None`` switches an
    optional regulatory rule off.
    """

    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="bylaws_versions")
    version = models.PositiveIntegerField()
    effective_from = models.DateField()
    approved_on = models.DateField()
    # CAJA-001, CAJA-002, CAJA-003
    max_members = models.PositiveIntegerField(default=40)
    max_capital_cents = models.BigIntegerField(default=500_000)
    min_founding_members = models.PositiveIntegerField(default=10)
    # MEM-001
    min_age_years = models.PositiveIntegerField(default=18)
    # SAV-001, SAV-002
    share_value_cents = models.BigIntegerField(default=500)
    min_shares_per_meeting = models.PositiveIntegerField(default=1)
    max_shares_per_meeting = models.PositiveIntegerField(default=5)
    max_member_savings_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    # FUND-001
    social_fund_per_meeting_cents = models.BigIntegerField(default=100)
    # FINE-001
    fine_absence_cents = models.BigIntegerField(default=100)
    fine_lateness_cents = models.BigIntegerField(default=50)
    fine_late_repayment_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("1")
    )
    entry_fee_cents = models.BigIntegerField(default=2000)
    # LOAN-001 … LOAN-005
    loan_savings_multiple = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("3")
    )
    loan_max_assets_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    loan_max_term_months = models.PositiveIntegerField(default=12)
    loan_guarantor_above_cents = models.BigIntegerField(default=30_000)
    loan_interest_method = models.CharField(
        max_length=10, choices=INTEREST_METHODS, default=InterestMethod.FRENCH.value
    )
    loan_monthly_rate_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("1.5")
    )
    loan_min_membership_days = models.PositiveIntegerField(default=60)
    loan_max_open_per_member = models.PositiveIntegerField(default=1)
    loan_default_interest_after_days = models.PositiveIntegerField(default=5)
    loan_suspension_after_days = models.PositiveIntegerField(default=60)
    loan_frequency = models.CharField(
        max_length=12, choices=LOAN_FREQUENCIES, default=LoanFrequency.MONTHLY.value
    )
    loan_approval_by = models.CharField(
        max_length=10, choices=LoanApprovalBy.choices, default=LoanApprovalBy.COMMITTEE
    )
    loan_rate_cap_segment = models.CharField(max_length=40, default="microcredito_minorista")
    # GOV-001, GOV-002
    quorum_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("50"))
    amendment_majority_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("66.67")
    )
    reserve_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("10"))
    shareout_method = models.CharField(
        max_length=12, choices=ShareOutMethod.choices, default=ShareOutMethod.SHARES
    )
    shareout_loans = models.CharField(
        max_length=8, choices=ShareOutLoans.choices, default=ShareOutLoans.NET
    )
    meeting_frequency = models.CharField(
        max_length=12, choices=MeetingFrequency.choices, default=MeetingFrequency.MONTHLY
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caja", "version"], name="bylaws_version_unique"),
            models.CheckConstraint(
                condition=Q(min_shares_per_meeting__lte=models.F("max_shares_per_meeting")),
                name="bylaws_share_range",
            ),
            models.CheckConstraint(condition=Q(share_value_cents__gt=0), name="bylaws_share_value"),
            models.CheckConstraint(condition=Q(max_members__gt=0), name="bylaws_max_members"),
        ]
        ordering = ["caja", "version"]
        verbose_name_plural = "bylaws"

    def __str__(self) -> str:
        return f"{self.caja} v{self.version}"


class CycleStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Cycle(models.Model):
    """The period between two share-outs."""

    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="cycles")
    number = models.PositiveIntegerField()
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=CycleStatus.choices, default=CycleStatus.OPEN)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caja", "number"], name="cycle_number_unique"),
            models.UniqueConstraint(
                fields=["caja"], condition=Q(status="open"), name="one_open_cycle_per_caja"
            ),
        ]
        ordering = ["caja", "number"]

    def __str__(self) -> str:
        return f"{self.caja} — {self.number}"

    @property
    def is_open(self) -> bool:
        return self.status == CycleStatus.OPEN
