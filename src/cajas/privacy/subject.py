"""The data-subject export (LOPDP right of access and portability): everything the program
holds about one person, and nothing about anyone else, as JSON and as a PDF.

It holds her person fields (decrypted), memberships, attendance, her meeting items, the journal
entries posted for her (savings, social fund, fines, loans) with their lines, her loans and
their schedules, her consents and the access-log entries about her. Other members appear
nowhere: a loan's votes and guarantors, and the other lines of a meeting, are left out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cajas.access.models import AccessLog
from cajas.documents.render import render_pdf
from cajas.ledger.models import JournalEntry, JournalLine
from cajas.loans.models import Installment, Loan
from cajas.meetings.models import Attendance, MeetingItem
from cajas.members.models import PERSON_DATA_FIELDS, Membership, Person
from cajas.members.selectors import consents_of

FORMAT = "cajas-data-subject"
VERSION = 1

PERSON_FIELDS = [*PERSON_DATA_FIELDS, "erased_at"]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal
        return str(value)
    return value


def subject_export(*, person: Person) -> dict[str, Any]:
    """Her data as plain JSON values (amounts in integer cents)."""
    memberships = list(
        Membership.objects.filter(person=person).select_related("caja").order_by("caja_id")
    )
    ids = [m.pk for m in memberships]
    caja_of: dict[int | None, str] = {m.pk: m.caja.code for m in memberships}
    user = person.user
    loans = list(
        Loan.objects.filter(membership_id__in=ids)
        .select_related("caja")
        .order_by("caja_id", "number")
    )
    installments = _installments_by_loan(loans)
    entries = list(JournalEntry.objects.filter(membership_id__in=ids).order_by("caja_id", "seq"))
    lines = _lines_by_entry(entries)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _plain(timezone.now()),
        "person": {f: _plain(getattr(person, f)) for f in PERSON_FIELDS}
        | {"username": user.get_username() if user else None},
        "memberships": _memberships(memberships),
        "attendance": _attendance(ids, caja_of),
        "meeting_items": _meeting_items(ids, caja_of),
        "journal": _journal(entries, lines, caja_of),
        "loans": _loans(loans, installments),
        "consents": _consents(person),
        "access_log": _access_log(person),
    }


def _installments_by_loan(loans: list[Loan]) -> dict[int, list[dict[str, Any]]]:
    """Every schedule version of her loans, by loan id."""
    installments: dict[int, list[dict[str, Any]]] = {}
    for i in Installment.objects.filter(loan__in=loans).order_by("loan_id", "version", "number"):
        installments.setdefault(i.loan_id, []).append(
            {
                "version": i.version,
                "number": i.number,
                "due_date": _plain(i.due_date),
                "principal_cents": i.principal_cents,
                "interest_cents": i.interest_cents,
                "paid_principal_cents": i.paid_principal_cents,
                "paid_interest_cents": i.paid_interest_cents,
                "late_fee_cents": i.late_fee_cents,
                "paid_late_fee_cents": i.paid_late_fee_cents,
            }
        )
    return installments


def _lines_by_entry(entries: list[JournalEntry]) -> dict[int, list[list[Any]]]:
    """The lines of her entries, [account code, debit, credit], by entry id."""
    lines: dict[int, list[list[Any]]] = {}
    for entry_id, code, debit, credit in (
        JournalLine.objects.filter(entry__in=entries)
        .order_by("entry_id", "id")
        .values_list("entry_id", "account__code", "debit", "credit")
    ):
        lines.setdefault(entry_id, []).append([code, debit, credit])
    return lines


def _memberships(memberships: list[Membership]) -> list[dict[str, Any]]:
    """Her memberships, in every caja."""
    return [
        {
            "caja": m.caja.code,
            "caja_name": m.caja.name,
            "number": m.number,
            "role": m.role,
            "joined_on": _plain(m.joined_on),
            "left_on": _plain(m.left_on),
            "left_reason": m.left_reason,
        }
        for m in memberships
    ]


def _attendance(ids: list[int], caja_of: dict[int | None, str]) -> list[dict[str, Any]]:
    """Her attendance at each meeting."""
    return [
        {
            "caja": caja_of[a.membership_id],
            "meeting": a.meeting.number,
            "date": _plain(a.meeting.date),
            "status": a.status,
            "late": a.late,
        }
        for a in Attendance.objects.filter(membership_id__in=ids)
        .select_related("meeting")
        .order_by("meeting__caja_id", "meeting__number")
    ]


def _meeting_items(ids: list[int], caja_of: dict[int | None, str]) -> list[dict[str, Any]]:
    """Her lines of each meeting (not the other members')."""
    return [
        {
            "caja": caja_of[i.membership_id],
            "meeting": i.meeting.number,
            "kind": i.kind,
            "shares": i.shares,
            "amount_cents": i.amount_cents,
            "description": i.description,
            "fine_reason": i.fine_reason,
            "waived": i.waived,
            "loan": i.loan.number if i.loan is not None else None,
        }
        for i in MeetingItem.objects.filter(membership_id__in=ids)
        .select_related("meeting", "loan")
        .order_by("meeting__caja_id", "meeting__number", "id")
    ]


def _journal(
    entries: list[JournalEntry], lines: dict[int, list[list[Any]]], caja_of: dict[int | None, str]
) -> list[dict[str, Any]]:
    """The journal entries posted for her, with their lines."""
    return [
        {
            "caja": caja_of[e.membership_id],
            "seq": e.seq,
            "date": _plain(e.date),
            "kind": e.kind,
            "memo": e.memo,
            "reason": e.reason,
            "lines": lines.get(e.pk, []),
        }
        for e in entries
    ]


def _loans(
    loans: list[Loan], installments: dict[int, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Her loans with every schedule version (no votes or guarantors: they name others)."""
    return [
        {
            "caja": loan.caja.code,
            "number": loan.number,
            "purpose": loan.purpose,
            "principal_cents": loan.principal_cents,
            "term": loan.term,
            "frequency": loan.frequency,
            "method": loan.method,
            "monthly_rate_percent": _plain(loan.monthly_rate_percent),
            "tea_percent": _plain(loan.tea_percent),
            "status": loan.status,
            "applied_on": _plain(loan.applied_on),
            "decided_on": _plain(loan.decided_on),
            "disbursed_on": _plain(loan.disbursed_on),
            "repaid_on": _plain(loan.repaid_on),
            "written_off_on": _plain(loan.written_off_on),
            "installments": installments.get(loan.pk, []),
        }
        for loan in loans
    ]


def _consents(person: Person) -> list[dict[str, Any]]:
    """Her consents, given and withdrawn."""
    return [
        {
            "purpose": c.purpose,
            "given_at": _plain(c.given_at),
            "how": c.how,
            "recorded_by": c.recorded_by.get_username() if c.recorded_by else None,
            "attestation": c.attestation,
            "withdrawn_at": _plain(c.withdrawn_at),
            "withdrawn_by": c.withdrawn_by.get_username() if c.withdrawn_by else None,
        }
        for c in consents_of(person_id=person.pk)
    ]


def _access_log(person: Person) -> list[dict[str, Any]]:
    """Who read or exported her data."""
    return [
        {
            "at": _plain(r.at),
            "user": r.username,
            "what": r.what,
            "detail": r.detail,
            "ip": r.ip,
        }
        for r in AccessLog.objects.filter(person=person).order_by("at", "pk")
    ]


SECTIONS = [
    ("memberships", _("Memberships")),
    ("attendance", _("Attendance")),
    ("meeting_items", _("Meeting items")),
    ("journal", _("Journal entries")),
    ("loans", _("Loans")),
    ("consents", _("Consents")),
    ("access_log", _("Who read or exported her data")),
]


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):  # a loan's installments
            return "; ".join(
                f"{i['number']} {i['due_date']} {i['principal_cents']}+{i['interest_cents']}"
                for i in value
            )
        return "; ".join(" ".join(str(x) for x in line) for line in value)
    return str(value)


def subject_export_html(*, person: Person, lang: str = "es") -> str:
    """The same export as a printable page: the person's fields, then one table per section
    (column names are the JSON keys, so the PDF and the JSON read the same)."""
    data = subject_export(person=person)
    with translation.override(lang):
        tables = []
        for key, title in SECTIONS:
            rows = data[key]
            headers = list(rows[0]) if rows else []
            tables.append(
                {
                    "title": str(title),
                    "headers": headers,
                    "rows": [[_cell(r[h]) for h in headers] for r in rows],
                }
            )
        return render_to_string(
            "privacy/subject.html",
            {
                "person": [(k, _cell(v)) for k, v in data["person"].items()],
                "tables": tables,
                "exported_at": data["exported_at"],
                "lang": lang,
            },
        )


def subject_export_pdf(*, person: Person, lang: str = "es") -> bytes:
    return render_pdf(subject_export_html(person=person, lang=lang))
