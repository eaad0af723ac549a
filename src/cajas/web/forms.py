"""Parsing the meeting sheet and the small forms; rule checks stay in the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cajas.core.parsing import (
    MAX_ID,
    InputInvalid,
    parse_int_list,
    parse_optional_date,
    parse_optional_int,
)
from cajas.loans.caps import SEED_CAPS
from cajas.loans.models import LoanPurpose
from cajas.meetings.models import (
    FINE_OWED_KINDS,
    LOAN_ITEM_KINDS,
    AttendanceStatus,
    ItemKind,
    MeetingKind,
)
from cajas.meetings.sheet import SheetRow


class NumberField(forms.IntegerField):
    """A whole number in ASCII digits within bounds, read by ``core.parsing`` (Django's own
    ``IntegerField`` takes ``٣`` for 3 and any size)."""

    def __init__(self, *, field: str, minimum: int = 1, maximum: int = MAX_ID, **kw: Any) -> None:
        self.parse_as, self.minimum, self.maximum = field, minimum, maximum
        kw.setdefault("widget", forms.NumberInput(attrs={"min": minimum, "max": maximum}))
        super().__init__(**kw)

    def to_python(self, value: Any) -> int | None:
        try:
            return parse_optional_int(
                value, field=self.parse_as, minimum=self.minimum, maximum=self.maximum
            )
        except InputInvalid as exc:
            raise forms.ValidationError(exc.message(get_language()), code=exc.code) from None


class WindowDateField(forms.DateField):
    """A ``YYYY-MM-DD`` date between 2000-01-01 and a year from today (``core.parsing``)."""

    def __init__(self, *, field: str = "date", **kw: Any) -> None:
        self.parse_as = field
        super().__init__(**kw)

    def to_python(self, value: Any) -> dt.date | None:
        try:
            return parse_optional_date(value, field=self.parse_as)
        except InputInvalid as exc:
            raise forms.ValidationError(exc.message(get_language()), code=exc.code) from None


class OpenMeetingForm(forms.Form):
    date = WindowDateField(
        label=_("Meeting date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Enter the meeting's date."),
            "invalid": _("Enter a valid date."),
        },
    )
    kind = forms.ChoiceField(
        label=_("Kind of meeting"),
        choices=MeetingKind.choices,
        initial=MeetingKind.ORDINARY,
        required=False,
    )

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or MeetingKind.ORDINARY


class ItemForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=[
            (k.value, k.label)
            for k in ItemKind
            if k not in (ItemKind.SHARES, *LOAN_ITEM_KINDS, *FINE_OWED_KINDS)
        ],
    )
    member = NumberField(field="member", label=_("Member no."), required=False, maximum=9999)
    amount = forms.CharField(
        label=_("Amount (USD)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class SimulateForm(forms.Form):
    amount = forms.CharField(label=_("Amount (USD)"), max_length=20)
    term = NumberField(field="term", label=_("Number of installments"), maximum=520)
    member = NumberField(field="member", label=_("Member no."), required=False, maximum=9999)


class LoanApplyForm(SimulateForm):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=LoanPurpose.choices)
    guarantors = forms.CharField(
        label=_("Guarantors (member numbers, separated by commas)"), max_length=60, required=False
    )

    def guarantor_numbers(self) -> list[int]:
        return parse_int_list(self.cleaned_data.get("guarantors"), field="guarantors", maximum=9999)

    def clean_guarantors(self) -> str:
        raw = (self.cleaned_data.get("guarantors") or "").replace(" ", "")
        try:
            parse_int_list(raw, field="guarantors", maximum=9999)
        except InputInvalid:
            raise forms.ValidationError(
                _("Write member numbers separated by commas, e.g. 3, 12.")
            ) from None
        return raw


class RateCapForm(forms.Form):
    segment = forms.ChoiceField(
        label=_("Credit segment"), choices=[(c.segment, c.name_es) for c in SEED_CAPS]
    )
    tea_percent = forms.CharField(label=_("Maximum TEA (%)"), max_length=10)
    effective_from = WindowDateField(
        field="effective_from",
        label=_("In force from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    source = forms.CharField(label=_("Resolution"), max_length=100, required=False)


class RepayForm(forms.Form):
    amount = forms.CharField(label=_("Amount (USD)"), max_length=20)
    prepay = forms.BooleanField(label=_("Prepayment (pay principal ahead)"), required=False)


class RestructureForm(forms.Form):
    term = NumberField(field="term", label=_("New number of installments"), maximum=520)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class WriteOffForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class CloseForm(forms.Form):
    counted_cash = forms.CharField(
        label=_("Cash counted (USD)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"required": _("Count the cash in the box and enter the amount.")},
    )


class SheetError(ValueError):
    pass


def parse_sheet(data: QueryDict, members: list[int]) -> list[SheetRow]:
    """The sheet's lines for ``members`` (each line's fields end in the member's number)."""
    rows = []
    for number in members:
        status = data.get(f"status_{number}", AttendanceStatus.PRESENT)
        if status not in AttendanceStatus.values:
            raise SheetError(number)
        raw = (data.get(f"shares_{number}") or "0").strip()
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 3):
            raise SheetError(number)
        rows.append(
            SheetRow(
                member=number,
                status=status,
                late=data.get(f"late_{number}") == "on",
                shares=int(raw),
                social_fund=data.get(f"fund_{number}") == "on",
            )
        )
    return rows


def today() -> dt.date:
    return timezone.localdate()


class LoginForm(AuthenticationForm):
    """Django's login form, with the username's length checked before anyone tries it: Django
    sets the limit on the field after building it, so it is not validated, and the lockout
    (django-axes) would store an over-long name, which PostgreSQL refuses."""

    def clean_username(self) -> str:
        username: str = self.cleaned_data.get("username", "")
        limit = User._meta.get_field("username").max_length or 150
        if len(username) > limit:
            raise forms.ValidationError(
                _("A username has at most %(n)s characters.") % {"n": limit}, code="max_length"
            )
        return username
