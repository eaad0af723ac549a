"""Members and balances of a caja, as the caja page shows them.

Whoever sees the caja's roll on the web (officers, the caja's facilitator, the program staff
over it) gets every active member with her name; a plain member gets her own line only. The
name is the only personal detail: never the document, the migratory status or the phone. Every
member also carries her pseudonymous code, the name used for her outside the caja.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from cajas.access.models import AccessWhat
from cajas.access.selectors import membership_of_user, user_sees_all_members
from cajas.api.errors import errors
from cajas.api.scope import CajaId, caja_for, log_read
from cajas.ledger.selectors import caja_summary
from cajas.meetings.selectors import MemberLine, member_lines
from cajas.org.models import Caja

router = Router(tags=["members"])


class MemberOut(Schema):
    number: int
    code: str
    name: str | None
    role: str
    joined_on: str
    savings_cents: int
    shares_this_cycle: int


class SummaryOut(Schema):
    cash_cents: int
    bank_cents: int
    savings_cents: int
    social_fund_cents: int
    income_cents: int
    expenses_cents: int
    profit_cents: int


class BalancesOut(Schema):
    caja_id: int
    summary: SummaryOut | None
    members: list[MemberOut]


def summary_out(caja: Caja) -> SummaryOut:
    return SummaryOut(**{f"{k}_cents": v for k, v in caja_summary(caja=caja).items()})


def member_out(line: MemberLine, *, named: bool) -> MemberOut:
    m = line.membership
    return MemberOut(
        number=m.number,
        code=m.person.code,
        name=m.person.full_name if named else None,
        role=m.role,
        joined_on=m.joined_on.isoformat(),
        savings_cents=line.savings,
        shares_this_cycle=line.shares,
    )


def lines_for(request: HttpRequest, caja: Caja) -> tuple[bool, list[MemberLine]]:
    """The members the caja page lists for this user: all of them, or her own line."""
    sees_all = user_sees_all_members(user=request.user, caja=caja)
    own = None if sees_all else membership_of_user(user=request.user, caja=caja)
    if sees_all:
        log_read(request, AccessWhat.MEMBER_LIST, caja=caja)
    return sees_all, member_lines(caja=caja, only=own) if sees_all or own else []


@router.get(
    "/{caja_id}/members",
    response={200: list[MemberOut], **errors(404, 422)},
    operation_id="members_list",
)
def members_list(request: HttpRequest, caja_id: CajaId) -> list[MemberOut]:
    """The caja's active members (or, for a plain member, her own line)."""
    caja = caja_for(request, caja_id)
    _sees_all, lines = lines_for(request, caja)
    return [member_out(line, named=True) for line in lines]


@router.get(
    "/{caja_id}/balances",
    response={200: BalancesOut, **errors(404, 422)},
    operation_id="balances",
)
def balances(request: HttpRequest, caja_id: CajaId) -> BalancesOut:
    """The caja's figures (cash, savings, social fund, income, expenses, profit) for those who
    see them on the caja page, and the savings of the members the user may see."""
    caja = caja_for(request, caja_id)
    sees_all, lines = lines_for(request, caja)
    return BalancesOut(
        caja_id=caja.pk,
        summary=summary_out(caja) if sees_all else None,
        members=[member_out(line, named=True) for line in lines],
    )
