"""The caja is the unit of data (docs/scaling.md): every caja-owned table carries the caja key
directly, not through a parent, and every write touches one caja only.

Models that hold a caja's data without the key yet are listed in ``STILL_WITHOUT_KEY``: the
list may only shrink (a new caja-owned model without the key fails, and so does a listed model
once it has the key, until it leaves the list).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection, models
from django.db.models import F

from cajas.meetings.items import disbursement_record
from cajas.meetings.opening import meeting_open
from cajas.members.services import membership_end
from cajas.monitoring.services import visit_record
from cajas.monitoring.survey import informal_credit_record
from cajas.org.models import Caja
from cajas.shareouts.services import shareout_execute
from tests.factories import APPLY, caja_with_savings, enrol, run, voted_loan

pytestmark = pytest.mark.django_db

STILL_WITHOUT_KEY: set[str] = set()
"""Caja-owned models still reached through a parent: none left (the list may only shrink)."""


def _path_to_caja(model: type[models.Model], depth: int = 3) -> bool:
    if depth == 0:
        return False
    for f in model._meta.concrete_fields:
        if f.is_relation and f.related_model is Caja:
            return True
    return any(
        _path_to_caja(f.related_model, depth - 1)
        for f in model._meta.concrete_fields
        if f.is_relation
        and f.related_model is not model
        and f.related_model.__module__.startswith("cajas")
    )


def _caja_owned() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models()
        if m.__module__.startswith("cajas.")
        and m is not Caja
        and _path_to_caja(m)
        # staff assignments and access logs are the program's, with an optional caja
        and m._meta.label not in {"access.StaffAssignment", "access.AccessLog"}
    ]


def _has_key(model: type[models.Model]) -> bool:
    try:
        field = model._meta.get_field("caja")
    except Exception:
        return False
    return field.related_model is Caja and not field.null


def test_every_caja_owned_model_carries_the_caja_key_directly() -> None:
    without = {m._meta.label for m in _caja_owned() if not _has_key(m)}
    assert without == STILL_WITHOUT_KEY


_INSERT = re.compile(r'INSERT INTO "?(\w+)"? \(([^)]*)\) VALUES', re.IGNORECASE)


class Writes:
    """The caja ids of the rows inserted while it watches (``caja_id`` columns, or a caja's own
    row)."""

    def __init__(self) -> None:
        self.cajas: set[int] = set()

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        result = execute(sql, params, many, context)
        match = _INSERT.match(sql.strip())
        if match:
            columns = [c.strip().strip('"') for c in match.group(2).split(",")]
            rows = list(params) if many else _rows(list(params or []), len(columns))
            if match.group(1) == Caja._meta.db_table:
                self.cajas.add(-1)  # a new caja: its id is not in the statement
            elif "caja_id" in columns:
                at = columns.index("caja_id")
                self.cajas.update(row[at] for row in rows)
        return result


def _rows(flat: list[Any], width: int) -> list[list[Any]]:
    return [flat[i : i + width] for i in range(0, len(flat), width)]


@contextmanager
def writes() -> Iterator[Writes]:
    watcher = Writes()
    with connection.execute_wrapper(watcher):
        yield watcher


def _state_by_caja() -> dict[int, int]:
    """A digest of every caja-owned row (and of the caja's own row), per caja: what a step
    inserted, updated or deleted shows as a changed digest."""
    rows: dict[int, list[Any]] = {}
    for caja in Caja.objects.order_by("pk").values():
        rows.setdefault(caja["id"], []).append(("caja", sorted(caja.items())))
    for model in _caja_owned():
        for row in model.objects.order_by("pk").values():
            rows.setdefault(row["caja_id"], []).append((model._meta.label, sorted(row.items())))
    return {caja: hash(repr(r)) for caja, r in rows.items()}


def _changed(before: dict[int, int], after: dict[int, int]) -> set[int]:
    return {c for c in before.keys() | after.keys() if before.get(c) != after.get(c)}


def _keyed_children_match_their_parents() -> list[str]:
    wrong = []
    for model in _caja_owned():
        if not _has_key(model):
            continue
        for f in model._meta.concrete_fields:
            parent = f.related_model
            if not f.is_relation or parent is Caja or parent is None or not _has_key(parent):
                continue
            rows = model.objects.filter(**{f"{f.name}__isnull": False})
            if rows.exclude(caja_id=F(f"{f.name}__caja_id")).exists():
                wrong.append(f"{model._meta.label}.{f.name}")
    return wrong


def test_every_write_service_touches_one_caja_and_keys_follow_their_parents() -> None:
    cajas = [caja_with_savings(), caja_with_savings()]
    steps: list[tuple[str, Callable[[Caja], object]]] = [
        ("loan applied, voted, decided", lambda c: voted_loan(c, amount="20")),
        (
            "meeting with the disbursement",
            lambda c: run(
                c,
                APPLY + dt.timedelta(days=1),
                during=[
                    lambda m: disbursement_record(meeting_id=m.pk, loan_id=c.loans.get(number=1).pk)
                ],
            ),
        ),
        (
            "share-out",
            lambda c: shareout_execute(
                meeting_id=meeting_open(
                    caja_id=c.pk,
                    date=APPLY + dt.timedelta(days=2),
                    opened_by="t",
                    kind="assembly",
                ).pk,
                executed_by="tesorera",
            ),
        ),
    ]
    for name, step in steps + _member_steps():
        for caja in cajas:  # interleaved: each call writes its own caja's rows only
            before = _state_by_caja()
            with writes() as seen:
                step(caja)
            assert seen.cajas <= {caja.pk}, (name, caja.code, seen.cajas)  # rows inserted
            changed = _changed(before, _state_by_caja())  # inserted, updated or deleted
            assert changed == {caja.pk}, (name, caja.code, changed)
    assert _keyed_children_match_their_parents() == []


def _member_steps() -> list[tuple[str, Callable[[Caja], object]]]:
    """Services around the members and the follow-up, each on one caja."""
    today = APPLY + dt.timedelta(days=3)
    visitor = User.objects.create_user(username="fabio")
    return [
        ("member enrolled", lambda c: enrol(c)),
        (
            "informal-credit answer",
            lambda c: informal_credit_record(
                membership=c.memberships.get(number=4), used=True, on=today
            ),
        ),
        (
            "follow-up visit with actions",
            lambda c: visit_record(
                caja=c,
                visitor=visitor,
                date=today,
                reason="alerta",
                checklist={},
                findings="",
                actions=[("Revisar el cuaderno", today + dt.timedelta(days=7))],
            ),
        ),
        (
            "member leaves",
            lambda c: membership_end(caja_id=c.pk, number=6, left_on=today, reason="moved"),
        ),
    ]
