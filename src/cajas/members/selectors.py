"""Reading memberships: a member by her number in the caja."""

from __future__ import annotations

import datetime as dt

from cajas.members.models import Membership
from cajas.members.rules import MemberNotActive


def membership_by_number(caja_id: int, number: int) -> Membership | None:
    """The caja's member with this number (active or not), or None."""
    return Membership.objects.filter(caja_id=caja_id, number=number).first()


def active_membership(caja_id: int, number: int, on: dt.date, field: str = "member") -> Membership:
    """The caja's member with this number, active on ``on``; refused (``MemberNotActive``,
    naming ``field``) when there is none or she had left or not yet joined."""
    membership = membership_by_number(caja_id, number)
    if membership is None or not membership.active_on(on):
        raise MemberNotActive(number=number, field=field)
    return membership
