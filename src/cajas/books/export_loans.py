"""The ``loans`` section of the export: every loan with its votes, guarantors, schedule
versions and restructurings, keyed by member and meeting numbers."""

from __future__ import annotations

from typing import Any

from cajas.books.format import INSTALLMENT_COLUMNS, LOAN_FIELDS, plain
from cajas.loans.models import Installment, Loan, LoanGuarantor, LoanVote, Restructuring
from cajas.org.models import Caja


def loans_export(
    caja: Caja, number_of: dict[int, int], meeting_number: dict[int, int]
) -> list[dict[str, Any]]:
    loans = list(Loan.objects.filter(caja=caja).order_by("number"))
    ids = [loan.pk for loan in loans]
    votes: dict[int, list[list[Any]]] = {}
    for v in LoanVote.objects.filter(loan_id__in=ids).order_by("loan_id", "membership__number"):
        votes.setdefault(v.loan_id, []).append(
            [number_of[v.membership_id], v.vote, meeting_number.get(v.meeting_id or 0)]
        )
    guarantors: dict[int, list[int]] = {}
    for g in LoanGuarantor.objects.filter(loan_id__in=ids).order_by(
        "loan_id", "membership__number"
    ):
        guarantors.setdefault(g.loan_id, []).append(number_of[g.membership_id])
    rows: dict[int, list[list[Any]]] = {}
    for i in Installment.objects.filter(loan_id__in=ids).order_by("loan_id", "version", "number"):
        rows.setdefault(i.loan_id, []).append([plain(getattr(i, c)) for c in INSTALLMENT_COLUMNS])
    restructurings: dict[int, list[dict[str, Any]]] = {}
    for r in Restructuring.objects.filter(loan_id__in=ids).order_by("loan_id", "id"):
        restructurings.setdefault(r.loan_id, []).append(
            {
                "from_version": r.from_version,
                "to_version": r.to_version,
                "on": plain(r.on),
                "reason": r.reason,
                "outstanding_cents": r.outstanding_cents,
                "term": r.term,
                "monthly_rate_percent": plain(r.monthly_rate_percent),
                "recorded_by": r.recorded_by,
            }
        )
    return [
        {
            "number": loan.number,
            "member": number_of[loan.membership_id],
            **{name: plain(getattr(loan, name)) for name in LOAN_FIELDS},
            "disbursed_at": meeting_number.get(loan.disbursed_at_id or 0),
            "write_off_requested_by": number_of.get(loan.write_off_requested_by_id or 0),
            "written_off_by": number_of.get(loan.written_off_by_id or 0),
            "guarantors": guarantors.get(loan.pk, []),
            "votes": votes.get(loan.pk, []),
            "installments": rows.get(loan.pk, []),
            "restructurings": restructurings.get(loan.pk, []),
        }
        for loan in loans
    ]
