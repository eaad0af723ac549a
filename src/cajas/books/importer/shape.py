"""The shape of a whole book document (``docs/book-format.md``), section by section."""

from __future__ import annotations

from cajas.books.format import (
    BYLAWS_FIELDS,
    INSTALLMENT_COLUMNS,
    LEGACY_CONSENT_DATES,
    LOAN_FIELDS,
    LOAN_REQUIRED,
    PAYOUT_COLUMNS,
    PERSON_FIELDS,
    SHAREOUT_FIGURES,
)
from cajas.books.importer.columns import column, columns
from cajas.books.importer.scalars import Day, Flag, Int, Stamp, Text
from cajas.books.importer.spec import INT32, Anything, Obj, Row, Seq
from cajas.core.money import MAX_AMOUNT_CENTS
from cajas.ledger.models import Account, JournalEntry, JournalLine
from cajas.loans.models import Installment, Loan, Restructuring, Vote
from cajas.meetings.models import Attendance, Meeting, MeetingItem
from cajas.members.models import Consent, Membership, MobilityStatus, Person
from cajas.org.models import Bylaws, Caja, Cycle, Partner, Program, Territory
from cajas.shareouts.models import ShareOut, ShareOutPayout

NUMBER = Int(1, INT32)
"""A member, meeting, cycle, loan or entry number."""
REFERENCE = Int(1, INT32, nullable=True)
HEX64 = Text(64, nullable=True, pattern=r"[0-9a-f]{64}")

PROGRAM = Obj(
    {
        "code": column(Program, "code", blank=False),
        "name": column(Program, "name", blank=False),
        "currency": column(Program, "currency", pattern=r"[A-Z]{3}"),
    },
    ("code", "name"),
)
PARTNER = Obj(
    {
        "code": column(Partner, "code", blank=False),
        "name": column(Partner, "name", blank=False),
    },
    ("code", "name"),
)
CAJA = Obj(
    {
        "code": column(Caja, "code", blank=False),
        "name": column(Caja, "name", blank=False),
        "founded_on": column(Caja, "founded_on"),
        "status": column(Caja, "status", blank=False),
    },
    ("code", "name", "founded_on"),
)
BYLAWS = Obj(
    {
        "version": NUMBER,
        "effective_from": Day(),
        "approved_on": Day(),
        **columns(
            Bylaws,
            BYLAWS_FIELDS,
            share_value_cents=Int(1, MAX_AMOUNT_CENTS),
            max_members=Int(1, 10_000),
            min_age_years=Int(0, 120),
            max_shares_per_meeting=Int(1, 10_000),
            min_shares_per_meeting=Int(0, 10_000),
            loan_max_term_months=Int(1, 600),
        ),
    },
    ("version", "effective_from", "approved_on"),
)
CONSENT = Obj(
    {
        "purpose": column(Consent, "purpose", blank=False),
        "given_at": Stamp(),
        "how": column(Consent, "how", blank=False),
        "attestation": column(Consent, "attestation"),
        "withdrawn_at": Stamp(nullable=True),
        "withdrawn_how": column(Consent, "withdrawn_how"),
    },
    ("purpose", "given_at", "how"),
)
PERSON = Obj(
    {
        "consents": Seq(CONSENT, 100),
        **{name: Day(nullable=True) for name in LEGACY_CONSENT_DATES},
        **columns(
            Person,
            PERSON_FIELDS,
            given_names=column(Person, "given_names", blank=False),
            family_names=column(Person, "family_names", blank=False),
            nationality=column(Person, "nationality", pattern=r"[A-Z]{2}"),
            mobility_status=column(Person, "mobility_status", choices=tuple(MobilityStatus.values)),
            document_type=column(Person, "document_type", nullable=True),
            document_number=column(Person, "document_number", nullable=True),
            phone=column(Person, "phone", nullable=True),
        ),
    },
    ("code", "given_names", "family_names", "gender", "birth_date", "nationality"),
)
MEMBER = Obj(
    {
        "number": NUMBER,
        "role": column(Membership, "role", blank=False),
        "joined_on": Day(),
        "left_on": Day(nullable=True),
        "left_reason": column(Membership, "left_reason"),
        "person": PERSON,
    },
    ("number", "role", "joined_on", "person"),
)
CYCLE = Obj(
    {
        "number": NUMBER,
        "started_on": Day(),
        "ended_on": Day(nullable=True),
        "status": column(Cycle, "status", blank=False),
    },
    ("number", "started_on", "status"),
)
ITEM = Obj(
    {
        "member": REFERENCE,
        "kind": column(MeetingItem, "kind", blank=False),
        "shares": column(MeetingItem, "shares", hi=10_000),
        "amount_cents": column(MeetingItem, "amount_cents"),
        "description": column(MeetingItem, "description"),
        "fine_reason": column(MeetingItem, "fine_reason"),
        "proposed": Flag(),
        "waived": Flag(),
        "loan": REFERENCE,
        "prepay": Flag(),
    },
    ("kind", "amount_cents"),
)
MEETING = Obj(
    {
        "number": NUMBER,
        "cycle": NUMBER,
        "date": Day(),
        **columns(
            Meeting,
            [
                "kind",
                "status",
                "opened_by",
                "closed_by",
                "closed_at",
                "expected_cash_cents",
                "counted_cash_cents",
                "cash_difference_cents",
                "notes",
            ],
            kind=column(Meeting, "kind", blank=False),
            status=column(Meeting, "status", blank=False),
        ),
        "attendance": Seq(Row((NUMBER, column(Attendance, "status", blank=False), Flag()))),
        "items": Seq(ITEM),
    },
    ("number", "cycle", "date", "status"),
)
INSTALLMENT = Row(
    tuple(column(Installment, c) for c in INSTALLMENT_COLUMNS),
)
RESTRUCTURING = Obj(
    columns(
        Restructuring,
        [
            "from_version",
            "to_version",
            "on",
            "reason",
            "outstanding_cents",
            "term",
            "monthly_rate_percent",
            "recorded_by",
        ],
    ),
    (
        "from_version",
        "to_version",
        "on",
        "reason",
        "outstanding_cents",
        "term",
        "monthly_rate_percent",
    ),
)
LOAN = Obj(
    {
        "number": NUMBER,
        "member": NUMBER,
        **columns(
            Loan,
            LOAN_FIELDS,
            principal_cents=Int(1, MAX_AMOUNT_CENTS),
            term=Int(1, 600),
        ),
        "disbursed_at": REFERENCE,
        "write_off_requested_by": REFERENCE,
        "written_off_by": REFERENCE,
        "guarantors": Seq(NUMBER, 1_000),
        "votes": Seq(Row((NUMBER, Text(8, tuple(Vote.values), blank=False), REFERENCE)), 1_000),
        "installments": Seq(INSTALLMENT, 10_000),
        "restructurings": Seq(RESTRUCTURING, 1_000),
    },
    tuple(LOAN_REQUIRED),
)
PAYOUT = Row(
    (NUMBER, *(column(ShareOutPayout, c) for c in PAYOUT_COLUMNS)),
)
SHAREOUT = Obj(
    {
        "cycle": NUMBER,
        "meeting": NUMBER,
        "date": Day(),
        **columns(
            ShareOut,
            SHAREOUT_FIGURES,
            executed_by=column(ShareOut, "executed_by", blank=False),
        ),
        "value_per_share": column(ShareOut, "value_per_share"),
        "executed_at": column(ShareOut, "executed_at"),
        "payouts": Seq(PAYOUT, 10_000),
    },
    ("cycle", "meeting", "date", "value_per_share", "executed_at", "payouts", *SHAREOUT_FIGURES),
)
ACCOUNT = Obj(
    {
        "code": column(Account, "code", blank=False),
        "kind": column(Account, "kind", blank=False),
        "member": REFERENCE,
        "loan": REFERENCE,
    },
    ("code", "kind"),
)
LINE = Row(
    (
        column(Account, "code", blank=False),
        column(JournalLine, "debit", lo=0, hi=MAX_AMOUNT_CENTS),
        column(JournalLine, "credit", lo=0, hi=MAX_AMOUNT_CENTS),
    )
)
ENTRY = Obj(
    {
        "seq": NUMBER,
        "date": Day(),
        "kind": column(JournalEntry, "kind", blank=False),
        "memo": column(JournalEntry, "memo"),
        "key": column(JournalEntry, "idempotency_key", blank=False),
        "member": REFERENCE,
        "meeting": REFERENCE,
        "reverses": REFERENCE,
        "reason": column(JournalEntry, "reason"),
        "recorded_by": column(JournalEntry, "recorded_by", nullable=True),
        "recorded_at": column(JournalEntry, "recorded_at", nullable=True),
        "digest": HEX64,
        "prev_hash": HEX64,
        "hash": HEX64,
        "lines": Seq(LINE, 1_000),
    },
    ("seq", "date", "kind", "key", "lines"),
)
CHAIN_HEAD = Obj(
    {"seq": Int(0, INT32), "hash": Text(64, pattern=r"[0-9a-f]{64}")},
    ("seq", "hash"),
    nullable=True,
)
TOP = [
    "format",
    "version",
    "program",
    "partner",
    "territory",
    "caja",
    "bylaws",
    "members",
    "cycles",
    "meetings",
    "journal",
]
ELEMENT = Anything()
DOCUMENT = Obj(
    {
        "program": PROGRAM,
        "partner": PARTNER,
        "territory": column(Territory, "name", blank=False),
        "caja": CAJA,
        "bylaws": Seq(ELEMENT, 1_000),
        "members": Seq(ELEMENT, 10_000),
        "cycles": Seq(ELEMENT, 1_000),
        "meetings": Seq(ELEMENT, 20_000),
        "loans": Seq(ELEMENT, 20_000, nullable=True),
        "shareouts": Seq(ELEMENT, 1_000, nullable=True),
        "accounts": Seq(ELEMENT, 50_000, nullable=True),
        "journal": Seq(ELEMENT),
        "chain_head": CHAIN_HEAD,
    },
    tuple(TOP),
)
"""The document's frame: top-level values and the type of each section. Each element of a
section (a member, an entry…) is checked against its own spec as the importer reaches it, so
one malformed member does not stop the checks of everything else."""
