"""Staff roles and their scope (DESIGN.md §10).

Caja officers and members get their access from their ``Membership`` (through ``Person.user``);
program and partner staff get it from a ``StaffAssignment``:

- program admin and auditor: every caja of a program (the auditor read-only);
- partner supervisor: every caja of one partner (read-only);
- facilitator: the cajas assigned to them, one row each (may record meetings with the officers).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cajas.org.models import Caja, Partner, Program


class StaffRole(models.TextChoices):
    PROGRAM_ADMIN = "program_admin", _("Program admin")
    PARTNER_SUPERVISOR = "partner_supervisor", _("Partner supervisor")
    FACILITATOR = "facilitator", _("Facilitator")
    AUDITOR = "auditor", _("Auditor (read-only)")


class StaffAssignment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_assignments"
    )
    role = models.CharField(max_length=20, choices=StaffRole.choices)
    program = models.ForeignKey(Program, on_delete=models.CASCADE)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, null=True, blank=True)
    caja = models.ForeignKey(Caja, on_delete=models.CASCADE, null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="staff_scope_matches_role",
                condition=(
                    Q(
                        role__in=["program_admin", "auditor"],
                        partner__isnull=True,
                        caja__isnull=True,
                    )
                    | Q(role="partner_supervisor", partner__isnull=False, caja__isnull=True)
                    | Q(role="facilitator", caja__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        scope = self.caja or self.partner or self.program
        return f"{self.user} — {self.get_role_display()} — {scope}"
