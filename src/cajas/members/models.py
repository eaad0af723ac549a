"""People and their memberships in cajas.

A ``Person`` holds the minimum personal data; the identity document (type and number) and the
human-mobility status are sensitive and encrypted at rest (a ``refugee_id`` document type would
reveal the status next to it). Outside the caja a person is named by
their pseudonymous ``code``. A ``Membership`` is one person in one caja with a role, from
``joined_on`` until ``left_on``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cajas.core.fields import EncryptedTextField
from cajas.org.models import Caja


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNDISCLOSED = "undisclosed", _("Prefers not to say")


class DocumentType(models.TextChoices):
    NONE = "none", _("No document")
    CEDULA = "cedula", _("Ecuadorian ID card (cédula)")
    FOREIGN_ID = "foreign_id", _("Foreign ID card")
    PASSPORT = "passport", _("Passport")
    REFUGEE_ID = "refugee_id", _("Refugee ID")
    VISA = "visa", _("Visa")
    OTHER = "other", _("Other document")


class MobilityStatus(models.TextChoices):
    REGULAR = "regular", _("Regular migratory status")
    IN_PROCESS = "in_process", _("Regularisation in process")
    IRREGULAR = "irregular", _("Irregular migratory status")
    REFUGEE = "refugee", _("Recognised refugee")
    ASYLUM_SEEKER = "asylum_seeker", _("Asylum seeker")
    HOST_COMMUNITY = "host_community", _("Host community (not in human mobility)")


# A person's own data, as a book carries it and the data-subject export shows it.
PERSON_DATA_FIELDS = [
    "code",
    "given_names",
    "family_names",
    "gender",
    "birth_date",
    "nationality",
    "phone",
    "document_type",
    "document_number",
    "mobility_status",
]


class Person(models.Model):
    code = models.CharField(max_length=12, unique=True)
    given_names = models.CharField(max_length=100)
    family_names = models.CharField(max_length=100)
    gender = models.CharField(max_length=12, choices=Gender.choices)
    birth_date = models.DateField()
    nationality = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. VE, EC, CO")
    phone = models.CharField(max_length=20, blank=True)
    # Encrypted like the number: the type alone (refugee_id) reveals the migratory status.
    # ``choices`` still validates it in ``full_clean`` and forms.
    document_type = EncryptedTextField(choices=DocumentType.choices, default=DocumentType.NONE)
    document_number = EncryptedTextField(blank=True, default="")
    # Kept only while a ``sensitive_data`` consent is in force (members.services).
    mobility_status = EncryptedTextField(choices=MobilityStatus.choices, blank=True, default="")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # Set by the erasure (privacy.erasure): the fields above hold a tombstone.
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["family_names", "given_names"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_names}"

    @property
    def is_migrant(self) -> bool:
        return self.nationality != "EC"


class Role(models.TextChoices):
    PRESIDENT = "president", _("President")
    TREASURER = "treasurer", _("Treasurer")
    SECRETARY = "secretary", _("Secretary")
    BOARD_MEMBER = "board_member", _("Board member (vocal)")
    MEMBER = "member", _("Member")


OFFICER_ROLES = (Role.PRESIDENT, Role.TREASURER, Role.SECRETARY)
# The board that votes on loans when the bylaws leave it to the committee, and whose members
# may ask for and approve a write-off.
COMMITTEE_ROLES = (*OFFICER_ROLES, Role.BOARD_MEMBER)


class LeaveReason(models.TextChoices):
    WITHDRAWAL = "withdrawal", _("Withdrawal")
    EXCLUSION = "exclusion", _("Exclusion")
    DEATH = "death", _("Death")
    TRANSFER = "transfer", _("Moved to another caja")


class Membership(models.Model):
    caja = models.ForeignKey(Caja, on_delete=models.PROTECT, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    number = models.PositiveIntegerField(help_text="Member number within the caja")
    role = models.CharField(max_length=14, choices=Role.choices, default=Role.MEMBER)
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)
    left_reason = models.CharField(max_length=12, choices=LeaveReason.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caja", "number"], name="membership_number_unique"),
            models.UniqueConstraint(
                fields=["caja", "person"],
                condition=Q(left_on__isnull=True),
                name="one_active_membership_per_caja",
            ),
        ]
        ordering = ["caja", "number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.person}"

    @property
    def is_active(self) -> bool:
        return self.left_on is None

    def active_on(self, day: dt.date) -> bool:
        return self.joined_on <= day and (self.left_on is None or self.left_on > day)


class ConsentPurpose(models.TextChoices):
    SENSITIVE_DATA = "sensitive_data", _("Recording my migratory status (sensitive data)")
    CREDIT_LETTER = "credit_letter", _("A credit-history letter about me, to show a bank")
    WHATSAPP_RECEIPTS = "whatsapp_receipts", _("My meeting receipts sent by WhatsApp")


class ConsentHow(models.TextChoices):
    SELF = "self", _("By the member, on her own login")
    ATTESTED = "attested", _("By an officer, with the member present")
    # Consents dated before records existed, or carried by an imported book: who is not known.
    RECORDED = "recorded", _("Recorded before consent records (who is not known)")


class Consent(models.Model):
    """One consent of one person for one purpose (LOPDP: explicit and revocable). Never
    deleted: a withdrawal sets ``withdrawn_at``; a new consent is a new row."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices)
    given_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    how = models.CharField(max_length=10, choices=ConsentHow.choices)
    # For ``attested``: what the officer confirmed (the checkbox's words, in Spanish).
    attestation = models.TextField(blank=True, default="")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawn_how = models.CharField(max_length=10, choices=ConsentHow.choices, blank=True)

    class Meta:
        ordering = ["person", "purpose", "given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "purpose"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_consent_in_force_per_purpose",
            ),
            models.CheckConstraint(
                name="consent_attested_has_attestation",
                condition=~Q(how="attested") | ~Q(attestation=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.code} {self.purpose}"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None
