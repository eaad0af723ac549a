"""Read models for the web pages, computed with aggregates (scoped by the caller). The caja
page's (``caja_rows``, ``member_lines``, ``recent_meetings``) live in ``meetings.selectors``,
where the API reads them too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cajas.meetings.models import Meeting, MeetingItem
from cajas.meetings.selectors import MemberLine, caja_rows, member_lines, recent_meetings
from cajas.org.models import Caja

__all__ = [
    "CollectLine",
    "MemberLine",
    "caja_rows",
    "meeting_loans",
    "member_lines",
    "recent_meetings",
]


@dataclass
class CollectLine:
    """A loan to collect at the meeting: what was due by its date, what the meeting has
    already received on it, and what is still left to pay today."""

    line: Any  # cajas.loans.selectors.LoanLine
    paid_here: int
    error: str = ""

    @property
    def loan(self) -> Any:
        return self.line.loan

    @property
    def due_left(self) -> int:
        return max(self.line.due_now - self.paid_here, 0)

    @property
    def payoff_left(self) -> int:
        return max(self.line.payoff - self.paid_here, 0)


def meeting_loans(caja: Caja, meeting: Meeting, items: list[MeetingItem]) -> dict[str, list[Any]]:
    """Loans the treasurer can act on at this meeting: approved ones to hand over and
    disbursed ones to collect (with what is due by the meeting's date, less what the meeting
    has already received on each)."""
    from cajas.loans.models import Loan, LoanStatus
    from cajas.loans.selectors import loan_lines

    pending = {i.loan_id for i in items if i.kind == "loan_disbursement"}
    paid: dict[int, int] = {}
    for i in items:
        if i.kind == "loan_repayment" and i.loan_id is not None and not i.waived:
            paid[i.loan_id] = paid.get(i.loan_id, 0) + i.amount_cents
    approved = [
        loan
        for loan in Loan.objects.filter(caja=caja, status=LoanStatus.APPROVED).select_related(
            "membership__person"
        )
        if loan.pk not in pending
    ]
    collect = [
        CollectLine(line, paid.get(line.loan.pk, 0))
        for line in loan_lines(caja, meeting.date)
        if line.loan.status in (LoanStatus.DISBURSED, LoanStatus.WRITTEN_OFF)
    ]
    return {"approved": approved, "collect": collect}
