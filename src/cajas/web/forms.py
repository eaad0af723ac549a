"""Parsing the meeting sheet and the small forms; rule checks stay in the services."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from cajas.meetings.models import AttendanceStatus, ItemKind
from cajas.meetings.services import SheetRow


class OpenMeetingForm(forms.Form):
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ItemForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=[(k.value, k.label) for k in ItemKind if k != ItemKind.SHARES],
    )
    member = forms.IntegerField(label=_("Member no."), required=False, min_value=1)
    amount = forms.CharField(label=_("Amount (USD)"), max_length=20)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class CloseForm(forms.Form):
    counted_cash = forms.CharField(label=_("Cash counted (USD)"), max_length=20)


class SheetError(ValueError):
    pass


def parse_sheet(data: QueryDict, members: list[int]) -> list[SheetRow]:
    rows = []
    for number in members:
        status = data.get(f"status_{number}", AttendanceStatus.PRESENT)
        if status not in AttendanceStatus.values:
            raise SheetError(number)
        raw = (data.get(f"shares_{number}") or "0").strip()
        if not raw.isdigit():
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
    from django.utils import timezone

    return timezone.localdate()
