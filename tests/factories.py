"""Builders for the corrections tests: caja A's officers and facilitator, and a closed meeting.

Alice is the treasurer of caja A (``conftest.alice``). Diana is its president, Fabio its
facilitator, Marta a plain member. Members 1–5 of caja A are plain members without a login.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import User

from cajas.access.models import StaffAssignment, StaffRole
from cajas.core.money import decimal_string
from cajas.ledger.models import JournalEntry
from cajas.meetings.models import Meeting
from cajas.meetings.services import (
    SheetRow,
    item_record,
    meeting_close,
    meeting_expected_cash,
    meeting_open,
    meeting_sheet_save,
)
from cajas.org.models import Caja
from tests.conftest import FOUNDED, enrol, user_for

FIRST_MEETING = FOUNDED + dt.timedelta(days=28)


def officer(caja: Caja, role: str, username: str) -> User:
    """An officer of ``caja`` with a login (``role``: president, treasurer, secretary)."""
    return user_for(enrol(caja, role=role, given_names=username.title()), username)


def plain_member(caja: Caja, username: str) -> User:
    return user_for(enrol(caja, given_names=username.title()), username)


def facilitator(caja: Caja, username: str) -> User:
    user = User.objects.create_user(username=username, password="secreto-123")
    StaffAssignment.objects.create(
        user=user, role=StaffRole.FACILITATOR, program=caja.program, caja=caja
    )
    return user


def program_admin(caja: Caja, username: str) -> User:
    user = User.objects.create_user(username=username, password="secreto-123")
    StaffAssignment.objects.create(user=user, role=StaffRole.PROGRAM_ADMIN, program=caja.program)
    return user


def closed_meeting(
    caja: Caja,
    day: dt.date = FIRST_MEETING,
    *,
    shares: dict[int, int] | None = None,
    fines: Sequence[tuple[int, str]] = (),
    expenses: Sequence[str] = (),
    members: Sequence[int] = (1, 2, 3, 4, 5),
) -> Meeting:
    """Open, record and close a meeting whose cash count matches: every member in ``members``
    buys ``shares[n]`` shares (default 2, i.e. 10.00) and pays the social fund (1.00); then
    the fines ``(member, amount)`` and the expenses."""
    meeting = meeting_open(caja_id=caja.pk, date=day, opened_by="alice")
    shares = shares or {}
    rows = [SheetRow(member=n, shares=shares.get(n, 2), social_fund=True) for n in members]
    meeting_sheet_save(meeting_id=meeting.pk, rows=rows)
    for member, amount in fines:
        item_record(
            meeting_id=meeting.pk, kind="fine", amount=amount, member=member, description="multa"
        )
    for amount in expenses:
        item_record(meeting_id=meeting.pk, kind="expense", amount=amount, description="útiles")
    counted = meeting_expected_cash(meeting=meeting)
    return meeting_close(
        meeting_id=meeting.pk, counted_cash=decimal_string(counted), closed_by="alice"
    )


def entry_of(meeting: Meeting, kind: str, member: int | None = None) -> JournalEntry:
    """The entry ``meeting`` posted for ``kind`` (and member number ``member``)."""
    entries = JournalEntry.objects.filter(meeting=meeting, kind=kind)
    if member is not None:
        entries = entries.filter(membership__number=member)
    return entries.get()
