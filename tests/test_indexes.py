"""No index that another already serves: every row written pays for each index, and an index
on ``caja_id`` beside ``UNIQUE (caja_id, seq)`` serves no lookup the unique one does not (issue 14
part 5). Checked on the models, whose ``db_index`` the migrations follow. And no ``IN`` list in a
condition of the tables written by the hundred thousand, which SQLite pays for at every row
(``core/conditions.py``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q

from cajas.ledger.models import JournalEntry, JournalLine
from cajas.loans.models import Installment
from cajas.meetings.models import Attendance, Meeting, MeetingItem
from cajas.meetings.opening import meeting_open
from tests.factories import FOUNDED, enrol, make_caja


def _covered_indexes() -> list[str]:
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("cajas."):
            continue
        meta = model._meta
        leading = {
            meta.get_field(c.fields[0]).column
            for c in meta.constraints
            if isinstance(c, models.UniqueConstraint) and c.fields and c.condition is None
        } | {meta.get_field(fields[0]).column for fields in meta.unique_together}
        for field in meta.concrete_fields:
            if field.db_index and not field.unique and field.column in leading:
                found.append(f"{meta.db_table}.{field.column}")
    return sorted(found)


KNOWN_COVERED = {
    "api_idempotencykey.user_id",
    "core_oncetoken.user_id",
    "corrections_correction.caja_id",
    "ledger_account.caja_id",
    "loans_loan.caja_id",
    "loans_loanguarantor.loan_id",
    "loans_loanvote.loan_id",
    "meetings_meeting.caja_id",
    "meetings_meetingchange.meeting_id",
    "members_membership.caja_id",
    "monitoring_cyclesum.territory_id",
    "monitoring_figureflow.caja_id",
    "monitoring_figurerisk.caja_id",
    "monitoring_figurestate.caja_id",
    "monitoring_flowsum.territory_id",
    "monitoring_healthrule.program_id",
    "monitoring_risksum.territory_id",
    "monitoring_stagecriterion.program_id",
    "monitoring_statesum.territory_id",
    "org_bylaws.caja_id",
    "org_cycle.caja_id",
    "org_partner.program_id",
    "org_territory.program_id",
    "shareouts_shareoutpayout.shareout_id",
}
"""Left as they are: tables written a row or a few at a time. Those a close or an import writes
by the hundred thousand (entries, attendance, installments) have lost theirs; a new covered
index, or one of these dropped, fails the test until the list says so."""


def test_no_foreign_key_has_an_index_a_unique_constraint_already_begins_with() -> None:
    assert _covered_indexes() == sorted(KNOWN_COVERED)


@pytest.mark.django_db
def test_the_journal_entries_are_found_by_caja_through_their_unique_sequence() -> None:
    if connection.vendor == "postgresql":  # an empty table: show what an index can serve
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = JournalEntry.objects.filter(caja_id=1).order_by("-seq")[:1].explain()
    assert "caja_id" in plan and "Seq Scan" not in plan and "SCAN ledger_journalentry" not in plan


@pytest.mark.django_db
def test_the_migrations_dropped_the_covered_indexes_from_the_database() -> None:
    with connection.cursor() as cursor:
        for table, column in [
            ("ledger_journalentry", "caja_id"),
            ("meetings_attendance", "meeting_id"),
            ("loans_installment", "loan_id"),
        ]:
            found = connection.introspection.get_constraints(cursor, table).values()
            assert [c for c in found if c["index"] and c["columns"] == [column]] == []
            assert any(c["unique"] and c["columns"][0] == column for c in found)


WRITTEN_IN_BULK = [JournalEntry, JournalLine, Meeting, Attendance, MeetingItem, Installment]
"""Tables a close writes by the hundred rows and a book import by the hundred thousand."""


def _lookups(q: Q) -> list[str]:
    found = []
    for child in q.children:
        found.extend(_lookups(child) if isinstance(child, Q) else [child[0]])
    return found


def test_no_condition_of_a_table_written_in_bulk_is_an_in_list() -> None:
    for model in WRITTEN_IN_BULK:
        for constraint in model._meta.constraints:
            condition = getattr(constraint, "condition", None)
            lookups = _lookups(condition) if condition is not None else []
            assert [x for x in lookups if x.endswith("__in")] == [], constraint.name


@pytest.mark.django_db
def test_the_migrated_sqlite_schema_of_those_tables_has_no_in_list() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's schema text; PostgreSQL plans IN and OR alike")
    tables = [model._meta.db_table for model in WRITTEN_IN_BULK]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE tbl_name IN (%s, %s, %s, %s, %s, %s)",
            tables,
        )
        schema = cursor.fetchall()
    assert {name for name, _sql in schema} >= {"one_item_per_member_and_kind", *tables}
    assert [name for name, sql in schema if sql and " IN (" in sql.upper()] == []


@pytest.mark.django_db(transaction=True)
def test_the_item_conditions_refuse_what_they_refused_as_in_lists() -> None:
    """A worked example on both databases: a member's item needs a member, income and expenses
    name none, a loan item needs its loan, and a member buys shares once per meeting (a fine may
    come twice)."""
    caja = make_caja()
    ana = enrol(caja)
    meeting = meeting_open(caja_id=caja.pk, date=FOUNDED + dt.timedelta(days=30), opened_by="t")

    def item(kind: str, **values: object) -> MeetingItem:
        return MeetingItem.objects.create(
            meeting=meeting, caja=caja, kind=kind, amount_cents=500, **values
        )

    item("shares", membership=ana, shares=1)
    item("fine", membership=ana)
    item("fine", membership=ana)
    item("expense", description="útiles")
    for kind, values in [
        ("shares", {"membership": ana, "shares": 1}),  # twice in one meeting
        ("shares", {}),  # no member
        ("expense", {"membership": ana}),  # an expense names no member
        ("loan_repayment", {"membership": ana}),  # no loan
        ("unknown", {"membership": ana}),  # a kind no list names
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            item(kind, **values)
    assert list(MeetingItem.objects.filter(meeting=meeting).values_list("kind", flat=True)) == [
        "shares",
        "fine",
        "fine",
        "expense",
    ]
