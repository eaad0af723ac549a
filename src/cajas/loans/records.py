"""A loan's own rows as every stage writes them: the loan locked (after its caja), its status
checked, its schedule written. Shared by ``application``, ``at_meeting`` and ``recovery``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cajas.loans.models import Installment, Loan, LoanStatus
from cajas.loans.rules import LoanNotInStatus
from cajas.loans.schedule import add_period, build_schedule
from cajas.org.models import Caja
from cajas.org.services import caja_lock

_STATUS_ES = {
    LoanStatus.APPLIED: "solicitado",
    LoanStatus.APPROVED: "aprobado",
    LoanStatus.REJECTED: "rechazado",
    LoanStatus.DISBURSED: "desembolsado",
    LoanStatus.REPAID: "cancelado",
    LoanStatus.WRITTEN_OFF: "castigado",
}
_ACTIONS = {
    "vote": ("votar", "voted on"),
    "decide": ("decidir", "decided"),
    "disburse": ("desembolsar", "disbursed"),
    "repay": ("recibir pagos", "repaid"),
    "restructure": ("reestructurar", "restructured"),
    "write_off": ("castigar", "written off"),
}


def require_status(loan: Loan, action: str, *allowed: str) -> None:
    """Refuse ``action`` (a key of ``_ACTIONS``) unless the loan is in one of ``allowed``."""
    if loan.status not in allowed:
        es, en = _ACTIONS[action]
        raise LoanNotInStatus(
            number=loan.number,
            status_es=_STATUS_ES[LoanStatus(loan.status)],
            status_en=LoanStatus(loan.status).label,
            action_es=es,
            action_en=en,
        )


def loan_locked(loan_id: int, *related: str) -> tuple[Caja, Loan]:
    """Lock the loan's caja row, then the loan: every service locks the caja first, then
    loans or meetings, as the meeting close does, so two of them never wait on each other in
    opposite orders (a deadlock on PostgreSQL)."""
    caja_id = Loan.objects.filter(pk=loan_id).values_list("caja_id", flat=True).get()
    caja = caja_lock(caja_id=caja_id)
    loan = Loan.objects.select_for_update().select_related(*related).get(pk=loan_id)
    return caja, loan


def schedule_write(
    loan: Loan,
    start: dt.date,
    *,
    version: int,
    principal: int,
    term: int,
    monthly_rate_percent: Decimal,
    carried_fee: int = 0,
) -> None:
    """Write schedule ``version`` of the loan from ``start`` (replacing rows of that version),
    and make it the loan's current one. ``carried_fee`` (late fees left unpaid when a loan is
    restructured) is added to the first installment."""
    schedule = build_schedule(
        principal=principal,
        monthly_rate=monthly_rate_percent / 100,
        method=loan.method,
        term=term,
        frequency=loan.frequency,
    )
    Installment.objects.filter(loan=loan, version=version).delete()
    Installment.objects.bulk_create(
        [
            Installment(
                loan=loan,
                caja_id=loan.caja_id,
                version=version,
                number=i.number,
                due_date=add_period(start, loan.frequency, i.number),
                principal_cents=i.principal,
                interest_cents=i.interest,
                late_fee_cents=carried_fee if i.number == 1 else 0,
            )
            for i in schedule.installments
        ]
    )
    loan.schedule_version = version
    loan.save(update_fields=["schedule_version"])
