"""Staff roles and their scope (docs/domain.md §10).

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


class AccessWhat(models.TextChoices):
    MEMBER_PAGE = "member_page", _("Member page")
    PASSBOOK = "passbook", _("Own passbook")
    MEMBER_LIST = "member_list", _("Member list with names")
    DOCUMENT = "document", _("Document")
    EXPORT = "export", _("Book or statements export")
    SUBJECT_EXPORT = "subject_export", _("Data-subject export")
    ERASURE = "erasure", _("Erasure")


class AccessLog(models.Model):
    """Who read or exported personal data, what, when and from where (LOPDP). One row per
    request: a page listing many people is one row naming the caja, not one per person."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    person = models.ForeignKey(
        "members.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    caja = models.ForeignKey(
        Caja, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    what = models.CharField(max_length=16, choices=AccessWhat.choices)
    detail = models.CharField(max_length=100, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["person", "at"], name="accesslog_person_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.what}"
