"""Caja health rules (configurable data), follow-up visits with agreed actions, and the
per-caja figures kept for the program dashboard (``cajas.monitoring.figures``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cajas.org.models import Caja, Program


class HealthRule(models.Model):
    """One documented check of a caja's administrative health. ``threshold`` is read per
    rule (a percentage, a count or a number of days); ``weight`` is what a triggered rule takes
    off the caja's score of 100."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="health_rules")
    code = models.CharField(max_length=30)
    threshold = models.DecimalField(max_digits=8, decimal_places=2)
    weight = models.PositiveIntegerField(default=20)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="health_rule_unique")
        ]
        ordering = ["program", "code"]

    def __str__(self) -> str:
        return f"{self.code} > {self.threshold}"


class VisitStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Visit(models.Model):
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="visits")
    date = models.DateField()
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits"
    )
    reason = models.CharField(max_length=200, blank=True)
    checklist = models.JSONField(default=dict)
    findings = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=VisitStatus.choices, default=VisitStatus.OPEN)
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"visit to {self.caja_id} on {self.date}"


class VisitAction(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=300)
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.description


class Stage(models.TextChoices):
    FORMATION = "formation", _("Formation")
    SUPERVISED = "supervised", _("Supervised")
    INDEPENDENT = "independent", _("Independent")
    GRADUATED = "graduated", _("Graduated")


class StageCriterion(models.Model):
    """What a caja needs to reach a sustainability stage (data, per program)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="stage_criteria")
    stage = models.CharField(max_length=12, choices=Stage.choices)
    min_months = models.PositiveIntegerField(default=0)
    min_shareouts = models.PositiveIntegerField(default=0)
    min_health = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "stage"], name="stage_criterion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.stage}: {self.min_months} months, {self.min_shareouts} share-outs"


class SurveyMoment(models.TextChoices):
    JOINING = "joining", _("On joining")
    CYCLE_END = "cycle_end", _("At the end of a cycle")


class InformalCreditAnswer(models.Model):
    """The short questionnaire: did the member borrow from an informal lender ("gota a gota",
    "chulco") in the last months? Asked on joining and at the end of each cycle."""

    membership = models.ForeignKey(
        "members.Membership", on_delete=models.CASCADE, related_name="informal_answers"
    )
    moment = models.CharField(max_length=10, choices=SurveyMoment.choices)
    asked_on = models.DateField()
    used_informal_credit = models.BooleanField()

    class Meta:
        ordering = ["membership", "asked_on", "id"]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.moment} {self.used_informal_credit}"


class FigureCell(models.Model):
    """One caja's kept figures for one cell (gender × nationality): the dashboard's gender and
    nationality filters select cells."""

    caja = models.ForeignKey(Caja, on_delete=models.CASCADE, related_name="+")
    gender = models.CharField(max_length=12)
    nationality = models.CharField(max_length=2)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.caja_id} {self.gender}/{self.nationality}"


class FigureFlow(FigureCell):
    """Dated changes of one caja's members and credits granted, per cell (gender ×
    nationality): +1 member on joining, −1 on leaving, +1 credit and its principal on
    disbursement. Summed up to a date they give that date's figures."""

    on = models.DateField()
    members = models.IntegerField(default=0)
    credits_count = models.IntegerField(default=0)
    credits_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["caja", "gender", "nationality", "on"], name="figure_flow_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{super().__str__()} {self.on}"


class FigureState(FigureCell):
    """One caja's figures now, per cell: savings, loans outstanding, borrowers."""

    savings_cents = models.BigIntegerField(default=0)
    loans_count = models.IntegerField(default=0)
    loans_cents = models.BigIntegerField(default=0)
    borrowers = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["caja", "gender", "nationality"], name="figure_state_unique"
            )
        ]


class FigureRisk(FigureCell):
    """Principal owed on one caja's outstanding loans, per cell and by the due date of each
    loan's oldest unpaid installment: the loans are at risk (PAR30) on any date more than 30
    days after it, with no event needed for time to pass."""

    oldest_due = models.DateField()
    owed_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["caja", "gender", "nationality", "oldest_due"], name="figure_risk_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{super().__str__()} {self.oldest_due}"


class FigureCycle(models.Model):
    """One caja's financial figures in its current cycle, whole (not split by cell), as the
    SAVIX MIS defines them (docs/domain.md §9). Balances are the accounts' kept balances."""

    caja = models.OneToOneField(Caja, on_delete=models.CASCADE, related_name="+")
    started_on = models.DateField()
    members_at_start = models.IntegerField(default=0)
    members_now = models.IntegerField(default=0)
    loan_fund_cash_cents = models.BigIntegerField(default=0)  # cash + bank − social fund
    other_funds_cents = models.BigIntegerField(default=0)  # the social fund
    loans_cents = models.BigIntegerField(default=0)  # principal owed on loans outstanding
    assets_cents = models.BigIntegerField(default=0)
    savings_cents = models.BigIntegerField(default=0)
    profit_cents = models.BigIntegerField(default=0)  # income − expenses this cycle
    loans_granted = models.IntegerField(default=0)  # disbursed this cycle
    written_off_count = models.IntegerField(default=0)
    written_off_cents = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.caja_id} since {self.started_on}"
