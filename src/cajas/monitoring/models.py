"""Caja health rules (configurable data), follow-up visits with agreed actions, and the
per-caja figures kept for the program dashboard (``cajas.monitoring.figures``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cajas.org.models import Caja, Partner, Program, Territory


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
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="+")
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

    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="+")
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


class FigureHealth(models.Model):
    """One caja's kept inputs of the health rules, the sustainability stage and the profile
    (decision 0008), as of ``as_of`` (the day of the refresh). Valid while the figures are not
    stale and before ``valid_until``: the first later day on which one of them changes with no
    event (a member's birthday moves her age band; bylaws, a meeting, a loan or a joining dated
    ahead take effect). The program pages read them for today; any other date reads the
    records."""

    caja = models.OneToOneField(Caja, on_delete=models.CASCADE, related_name="kept_health")
    as_of = models.DateField()
    valid_until = models.DateField(null=True, blank=True, db_index=True)
    # Health rules: meetings, the last four closed ones, savings, loans owed.
    last_meeting_on = models.DateField(null=True, blank=True)
    recent_present = models.IntegerField(default=0)  # present or represented
    recent_listed = models.IntegerField(default=0)
    recent_differences = models.IntegerField(default=0)  # meetings with a cash difference
    savings_accounts = models.IntegerField(default=0)
    savings_cents = models.BigIntegerField(default=0)
    top3_cents = models.BigIntegerField(default=0)  # the three largest savings
    loans_cents = models.BigIntegerField(default=0)  # principal owed on loans outstanding
    # The bylaws in force (their loan terms, for the legal rate cap); empty: none in force.
    bylaws_rate_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    bylaws_method = models.CharField(max_length=10, blank=True)
    bylaws_max_term_months = models.PositiveIntegerField(null=True)
    bylaws_frequency = models.CharField(max_length=12, blank=True)
    bylaws_cap_segment = models.CharField(max_length=40, blank=True)
    # Stage: share-outs done.
    shareouts = models.IntegerField(default=0)
    # Profile: members now by age band (ages.AGE_BANDS), dropouts in the open cycle and
    # members at its start, loans granted and crédito digno, informal-credit answers.
    age_18 = models.IntegerField(default=0)
    age_26 = models.IntegerField(default=0)
    age_36 = models.IntegerField(default=0)
    age_46 = models.IntegerField(default=0)
    age_61 = models.IntegerField(default=0)
    dropouts = models.IntegerField(default=0)
    at_cycle_start = models.IntegerField(default=0)
    loans_granted = models.IntegerField(default=0)
    tea_sum = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    cap_sum = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    informal_cost_cents = models.BigIntegerField(default=0)
    interest_cents = models.BigIntegerField(default=0)  # first schedules of the loans granted
    answered_joining = models.IntegerField(default=0)
    informal_at_joining = models.IntegerField(default=0)
    answered_now = models.IntegerField(default=0)
    informal_now = models.IntegerField(default=0)
    # What the rules make of these inputs (``kept_health.health_scores``): the score, the
    # codes of the rules triggered (comma-separated, in rule order) and the stage, under the
    # program's rules, criteria and legal caps whose fingerprint is ``rules_key``.
    score = models.IntegerField(default=100)
    alerts = models.CharField(max_length=120, blank=True)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.FORMATION)
    rules_key = models.CharField(max_length=16, blank=True)

    def __str__(self) -> str:
        return f"{self.caja_id} health as of {self.as_of}"


class GroupCell(models.Model):
    """The kept figures of every caja of one territory and partner summed, per cell (gender ×
    nationality): the program pages read these, a few rows per territory and partner, when
    the cajas they show are whole groups (``figures.whole_groups``)."""

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    gender = models.CharField(max_length=12)
    nationality = models.CharField(max_length=2)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.territory_id}/{self.partner_id} {self.gender}/{self.nationality}"


class FlowSum(GroupCell):
    """``FigureFlow`` summed over a territory and partner's cajas, per cell and day."""

    on = models.DateField()
    members = models.IntegerField(default=0)
    credits_count = models.IntegerField(default=0)
    credits_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "partner", "gender", "nationality", "on"],
                name="flow_sum_unique",
            )
        ]


class StateSum(GroupCell):
    """``FigureState`` summed over a territory and partner's cajas, per cell."""

    savings_cents = models.BigIntegerField(default=0)
    loans_count = models.IntegerField(default=0)
    loans_cents = models.BigIntegerField(default=0)
    borrowers = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "partner", "gender", "nationality"], name="state_sum_unique"
            )
        ]


class RiskSum(GroupCell):
    """``FigureRisk`` summed over a territory and partner's cajas, per cell and oldest due
    date."""

    oldest_due = models.DateField()
    owed_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "partner", "gender", "nationality", "oldest_due"],
                name="risk_sum_unique",
            )
        ]


class CycleSum(models.Model):
    """``FigureCycle`` summed over a territory and partner's cajas whose current cycle
    started on the same day (whole cajas, not split by cell)."""

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    started_on = models.DateField()
    members_at_start = models.IntegerField(default=0)
    members_now = models.IntegerField(default=0)
    loan_fund_cash_cents = models.BigIntegerField(default=0)
    other_funds_cents = models.BigIntegerField(default=0)
    loans_cents = models.BigIntegerField(default=0)
    assets_cents = models.BigIntegerField(default=0)
    savings_cents = models.BigIntegerField(default=0)
    profit_cents = models.BigIntegerField(default=0)
    loans_granted = models.IntegerField(default=0)
    written_off_count = models.IntegerField(default=0)
    written_off_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "partner", "started_on"], name="cycle_sum_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.territory_id}/{self.partner_id} since {self.started_on}"


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ProgramExport(models.Model):
    """A program export prepared in the background (the SAVIX record of every caja as XLSX):
    asked for by one user, with that user's filters and scope, its progress counted in cajas,
    its file kept in ``DATA_DIR/exports/`` for ``program_exports.KEPT`` and then deleted. The
    id is random: the status page and the file are only ever shown to the user who asked."""

    id = models.UUIDField(primary_key=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="program_exports"
    )
    kind = models.CharField(max_length=20)
    params = models.JSONField(default=dict)
    on = models.DateField()
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True)
    size = models.PositiveBigIntegerField(null=True)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="program_export_created")]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.status})"
