"""The ``loans`` section (optional): every loan with its votes, guarantors, schedule versions
and restructurings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from cajas.books.format import INSTALLMENT_COLUMNS, LOAN_FIELDS, ImportErrors, repeated, show
from cajas.books.importer.shape import LOAN
from cajas.loans.models import (
    Installment,
    Loan,
    LoanGuarantor,
    LoanPurpose,
    LoanStatus,
    LoanVote,
    Restructuring,
    Vote,
)
from cajas.meetings.models import Meeting
from cajas.members.models import Membership
from cajas.org.models import Caja
from cajas.org.terms import InterestMethod, LoanFrequency

_DATES = {"applied_on", "decided_on", "disbursed_on", "repaid_on", "written_off_on"}
_DECIMALS = {"monthly_rate_percent", "tea_percent", "cap_percent"}
_CHOICES = {
    "purpose": LoanPurpose.values,
    "frequency": [f.value for f in LoanFrequency],
    "method": [m.value for m in InterestMethod],
    "status": LoanStatus.values,
}


def _loan_values(raw: dict[str, Any], path: str, errs: ImportErrors) -> dict[str, Any]:
    """The loan's own fields, parsed (dates, decimals) and checked against their rules."""
    values: dict[str, Any] = {}
    for name in LOAN_FIELDS:
        value = raw.get(name)
        fpath = f"{path}.{name}"
        if name in _DATES:
            if value is None:
                values[name] = None
                continue
            try:
                values[name] = dt.date.fromisoformat(value)
            except (TypeError, ValueError):
                errs.add(fpath, f"fecha inválida / invalid date {show(value)}")
        elif name in _DECIMALS:
            try:
                values[name] = Decimal(str(value))
            except InvalidOperation:
                errs.add(fpath, f"número inválido / invalid number {show(value)}")
        elif name in _CHOICES:
            if value not in _CHOICES[name]:
                errs.add(fpath, f"valor desconocido / unknown value {show(value)}")
            values[name] = value
        elif name.endswith("_cents") or name in {"term", "schedule_version"}:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                errs.add(fpath, f"entero no negativo / a non-negative integer, not {show(value)}")
            values[name] = value
        else:
            values[name] = value if value is not None else ""
    return values


def loans_check(
    raw_loans: Any, members: set[int], meetings: set[int], errs: ImportErrors
) -> dict[int, dict[str, Any]]:
    """Parse and check the section; every problem is added to ``errs`` with its path."""
    checked: dict[int, dict[str, Any]] = {}
    if raw_loans is None:
        return checked
    if not isinstance(raw_loans, list):
        errs.add("$.loans", "debe ser una lista / must be a list")
        return checked
    for k, raw in enumerate(raw_loans):
        path = f"$.loans[{k}]"
        if not LOAN.check(raw, path, errs):
            continue
        values = _loan_values(raw, path, errs)
        if raw["number"] in checked:
            errs.add(f"{path}.number", f"número repetido / duplicate number {raw['number']}")
        for ref in ("member", "write_off_requested_by", "written_off_by"):
            if raw.get(ref) is not None and raw[ref] not in members:
                errs.add(f"{path}.{ref}", f"socio inexistente / unknown member {show(raw[ref])}")
        if raw.get("disbursed_at") is not None and raw["disbursed_at"] not in meetings:
            errs.add(
                f"{path}.disbursed_at",
                f"reunión inexistente / unknown meeting {show(raw['disbursed_at'])}",
            )
        for j, g in enumerate(raw.get("guarantors", [])):
            if g not in members:
                errs.add(f"{path}.guarantors[{j}]", f"socio inexistente / unknown member {show(g)}")
        for j, v in enumerate(raw.get("votes", [])):
            if (
                not isinstance(v, list)
                or len(v) != 3
                or v[0] not in members
                or v[1] not in Vote.values
                or (v[2] is not None and v[2] not in meetings)
            ):
                errs.add(f"{path}.votes[{j}]", f"voto inválido / invalid vote {show(v)}")
        repeated(raw.get("guarantors", []), f"{path}.guarantors", errs)
        repeated([v[0] for v in raw.get("votes", [])], f"{path}.votes", errs)
        repeated([(r[0], r[1]) for r in raw.get("installments", [])], f"{path}.installments", errs)
        rows = []
        for j, row in enumerate(raw.get("installments", [])):
            try:
                assert isinstance(row, list) and len(row) == len(INSTALLMENT_COLUMNS)
                parsed = dict(zip(INSTALLMENT_COLUMNS, row, strict=True))
                parsed["due_date"] = dt.date.fromisoformat(parsed["due_date"])
                assert all(
                    isinstance(parsed[c], int) and parsed[c] >= 0
                    for c in INSTALLMENT_COLUMNS
                    if c != "due_date"
                )
                rows.append(parsed)
            except (AssertionError, TypeError, ValueError):
                errs.add(
                    f"{path}.installments[{j}]", f"cuota inválida / invalid installment {show(row)}"
                )
        checked[raw["number"]] = {"raw": raw, "values": values, "installments": rows}
    return checked


def loans_write(
    caja: Caja,
    checked: dict[int, dict[str, Any]],
    members: dict[int, Membership],
    meetings: dict[int, Meeting],
) -> dict[int, Loan]:
    loans: dict[int, Loan] = {}
    for number, item in sorted(checked.items()):
        raw, values = item["raw"], item["values"]
        loan = Loan.objects.create(
            caja=caja,
            number=number,
            membership=members[raw["member"]],
            disbursed_at=meetings.get(raw.get("disbursed_at") or 0),
            write_off_requested_by=members.get(raw.get("write_off_requested_by") or 0),
            written_off_by=members.get(raw.get("written_off_by") or 0),
            **values,
        )
        LoanGuarantor.objects.bulk_create(
            [
                LoanGuarantor(loan=loan, caja=caja, membership=members[g])
                for g in raw.get("guarantors", [])
            ]
        )
        LoanVote.objects.bulk_create(
            [
                LoanVote(
                    loan=loan,
                    caja=caja,
                    membership=members[m],
                    vote=v,
                    meeting=meetings.get(mt or 0),
                )
                for m, v, mt in raw.get("votes", [])
            ]
        )
        Installment.objects.bulk_create(
            [Installment(loan=loan, caja=caja, **r) for r in item["installments"]]
        )
        Restructuring.objects.bulk_create(
            [
                Restructuring(
                    loan=loan,
                    caja=caja,
                    from_version=r["from_version"],
                    to_version=r["to_version"],
                    on=dt.date.fromisoformat(r["on"]),
                    reason=r["reason"],
                    outstanding_cents=r["outstanding_cents"],
                    term=r["term"],
                    monthly_rate_percent=Decimal(r["monthly_rate_percent"]),
                    recorded_by=r.get("recorded_by", ""),
                )
                for r in raw.get("restructurings", [])
            ]
        )
        loans[number] = loan
    return loans
