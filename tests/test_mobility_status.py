"""The migratory status is one of ``MobilityStatus`` (members migration 0004): the model field
takes its choices, and the migration rewrote other spellings of a choice as its value."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from cajas.members.models import MobilityStatus, Person
from cajas.members.services import mobility_status_record
from tests.factories import db_snapshot, enrol, make_caja

pytestmark = pytest.mark.django_db


def test_the_field_offers_the_statuses_and_refuses_other_text() -> None:
    member = enrol(make_caja())
    assert Person._meta.get_field("mobility_status").choices == MobilityStatus.choices
    before = db_snapshot()
    with pytest.raises(ValidationError):
        mobility_status_record(person_id=member.person_id, status="tourist")
    assert Person.objects.get(pk=member.person_id).mobility_status == "in_process"
    assert db_snapshot() == before


def test_the_migration_rewrites_other_spellings_and_keeps_what_it_cannot_read() -> None:
    caja = make_caja()
    people = [enrol(caja).person_id for _ in range(4)]
    for pk, text in zip(
        people, [" In process ", "REFUGEE", "Asylum seeker", "turista"], strict=True
    ):
        Person.objects.filter(pk=pk).update(mobility_status=text)  # as text was stored before
    migration = importlib.import_module("cajas.members.migrations.0004_mobility_status_choices")
    migration.statuses_as_choices(apps, None)
    assert [Person.objects.get(pk=pk).mobility_status for pk in people] == [
        "in_process",
        "refugee",
        "asylum_seeker",
        "turista",
    ]
