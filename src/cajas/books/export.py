"""Export a caja's complete book as a versioned JSON document (format ``cajas-book``, v1).

The format is documented in ``docs/book-format.md``. Everything is keyed by natural keys
(codes and numbers), never database ids, so a book moves between installations and an
export → import → export round trip gives the same document. Amounts are integer cents.
The document holds personal data, sensitive fields included, in clear: treat the file as
confidential. Each section with more than a few lines has its module (``export_*.py``).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from cajas.books.export_journal import accounts_export, journal_export
from cajas.books.export_loans import loans_export
from cajas.books.export_meetings import meetings_export
from cajas.books.export_shareouts import shareouts_export
from cajas.books.format import BYLAWS_FIELDS, FORMAT, PERSON_FIELDS, VERSION, plain
from cajas.meetings.models import Meeting
from cajas.members.models import Membership
from cajas.org.models import Caja


def consents_export(person: Any) -> list[dict[str, Any]]:
    """A person's consents (members.Consent) without who recorded them (users do not travel
    with a book)."""
    return [
        {
            "purpose": c.purpose,
            "given_at": plain(c.given_at),
            "how": c.how,
            "attestation": c.attestation,
            "withdrawn_at": plain(c.withdrawn_at) if c.withdrawn_at else None,
            "withdrawn_how": c.withdrawn_how,
        }
        for c in sorted(person.consents.all(), key=lambda c: (c.given_at, c.purpose))
    ]


def book_sections(caja: Caja) -> dict[str, Any]:
    """The book's sections in order; ``meetings`` and ``journal`` are generators reading the
    database a chunk at a time (``book_write`` streams them)."""
    caja.refresh_from_db()
    program, partner = caja.program, caja.partner
    members = list(
        Membership.objects.filter(caja=caja)
        .select_related("person")
        .prefetch_related("person__consents")
        .order_by("number")
    )
    number_of = {m.pk: m.number for m in members}
    meetings = list(Meeting.objects.filter(caja=caja).select_related("cycle").order_by("number"))
    meeting_number = {m.pk: m.number for m in meetings}
    sections = {
        "format": FORMAT,
        "version": VERSION,
        "program": {"code": program.code, "name": program.name, "currency": program.currency},
        "partner": {"code": partner.code, "name": partner.name},
        "territory": caja.territory.name,
        "caja": {
            "code": caja.code,
            "name": caja.name,
            "founded_on": plain(caja.founded_on),
            "status": caja.status,
        },
        "bylaws": [
            {
                "version": b.version,
                "effective_from": plain(b.effective_from),
                "approved_on": plain(b.approved_on),
                **{name: plain(getattr(b, name)) for name in BYLAWS_FIELDS},
            }
            for b in caja.bylaws_versions.order_by("version")
        ],
        "members": [
            {
                "number": m.number,
                "role": m.role,
                "joined_on": plain(m.joined_on),
                "left_on": plain(m.left_on),
                "left_reason": m.left_reason,
                "person": {name: plain(getattr(m.person, name)) for name in PERSON_FIELDS}
                | {"consents": consents_export(m.person)},
            }
            for m in members
        ],
        "cycles": [
            {
                "number": c.number,
                "started_on": plain(c.started_on),
                "ended_on": plain(c.ended_on),
                "status": c.status,
            }
            for c in caja.cycles.order_by("number")
        ],
        "meetings": meetings_export(caja, meetings, number_of),
        "loans": loans_export(caja, number_of, meeting_number),
        "shareouts": shareouts_export(caja, number_of, meeting_number),
        "accounts": accounts_export(caja, number_of),
        "journal": journal_export(caja, number_of, meeting_number),
        "chain_head": {"seq": caja.last_seq, "hash": caja.last_hash},
    }
    return sections


STREAMED = ("meetings", "journal")


class TextOut(Protocol):
    def write(self, text: str, /) -> object: ...


def book_export(*, caja: Caja) -> dict[str, Any]:
    """The whole book as one document (in memory: for tests and small cajas)."""
    sections = book_sections(caja)
    return {k: list(v) if k in STREAMED else v for k, v in sections.items()}


def _dump(value: Any, indent: str) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n" + indent)


def book_write(caja: Caja, out: TextOut) -> None:
    """Write the book to ``out`` as ``json.dumps(book_export(caja), ensure_ascii=False,
    indent=1)`` would, character for character, holding one chunk of meetings or entries in
    memory at a time."""
    out.write("{")
    for n, (key, value) in enumerate(book_sections(caja).items()):
        out.write(("," if n else "") + "\n " + json.dumps(key) + ": ")
        if key not in STREAMED:
            out.write(_dump(value, " "))
            continue
        first = True
        for element in value:
            out.write(("[\n  " if first else ",\n  ") + _dump(element, "  "))
            first = False
        out.write("[]" if first else "\n ]")
    out.write("\n}\n")
