"""A meeting's rows as every meeting service writes them: the caja locked first, then the
meeting; and the idempotency key of an item's journal entry."""

from __future__ import annotations

from django.db import connection

from cajas.meetings.models import Meeting, MeetingStatus
from cajas.meetings.rules import MeetingClosed
from cajas.org.models import Caja


def meeting_locked(meeting_id: int) -> tuple[Caja, Meeting]:
    """Lock the meeting's caja row and the meeting's for the transaction, in one statement:
    every service locks the caja first, then loans or meetings, so two of them never wait on
    each other in opposite orders. Plain SQL: this runs on every close and every edit, and
    the ORM took longer to compile these than to run them. (No-op lock on SQLite, whose
    IMMEDIATE transactions already serialise writers.)"""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    cajas = list(
        Caja.objects.raw(
            f"SELECT c.* FROM {Caja._meta.db_table} c "  # noqa: S608
            f"JOIN {Meeting._meta.db_table} m ON m.caja_id = c.id WHERE m.id = %s{lock}",
            [meeting_id],
        )
    )
    if not cajas:
        raise Meeting.DoesNotExist(f"no meeting {meeting_id}")
    meeting = next(
        iter(
            Meeting.objects.raw(
                f"SELECT * FROM {Meeting._meta.db_table} WHERE id = %s",  # noqa: S608
                [meeting_id],
            )
        )
    )
    meeting.caja = cajas[0]
    return cajas[0], meeting


def open_meeting_locked(meeting_id: int) -> Meeting:
    """The meeting, locked with its caja; refused (``MeetingClosed``) once it is closed."""
    _caja, meeting = meeting_locked(meeting_id)
    if meeting.status != MeetingStatus.OPEN:
        raise MeetingClosed(number=meeting.number)
    return meeting


def item_key(meeting_number: int, item_id: int) -> str:
    """The idempotency key of the journal entry an item posts: the same item never posts
    twice, whatever retries the close."""
    return f"meeting:{meeting_number}:item:{item_id}"
