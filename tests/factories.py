"""Builders the tests share: a program, a caja, a member, a login, the row counts that say
"nothing was written" (``db_snapshot``); the personas (fixtures) are in ``conftest.py``.

For the passbook and documents tests: a caja with officers and savings, meetings run through
the services, a loan voted on by the committee. For the corrections tests: caja A's officers
and facilitator, and a closed meeting. Alice is the treasurer of caja A (``conftest.alice``);
Diana is its president, Fabio its facilitator, Marta a plain member.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection

from cajas.access.models import StaffAssignment, StaffRole
from cajas.core.errors import RuleViolation
from cajas.core.money import decimal_string
from cajas.ledger.models import JournalEntry
from cajas.ledger.services import caja_found
from cajas.loans.application import loan_apply, loan_decide, loan_vote
from cajas.loans.models import Loan
from cajas.meetings.close import meeting_close
from cajas.meetings.items import disbursement_record, item_record
from cajas.meetings.models import Meeting
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import cash_for_lending, meeting_expected_cash
from cajas.meetings.sheet import SheetRow, meeting_sheet_save
from cajas.members.models import Membership
from cajas.members.services import ConsentGiven, member_enrol
from cajas.org.models import Caja, Partner, Program, Territory

FOUNDED = dt.date(2025, 1, 6)
_counter = itertools.count(1)


def make_program(code: str = "oim-ec") -> Program:
    program, _ = Program.objects.get_or_create(
        code=code, defaults={"name": "OIM Ecuador", "target_members": 1500, "target_territories": 8}
    )
    return program


def make_caja(
    *,
    members: int = 0,
    code: str | None = None,
    partner_code: str = "fudela",
    territory: str = "Quito",
    bylaws: dict[str, Any] | None = None,
    program: Program | None = None,
) -> Caja:
    program = program or make_program()
    partner, _ = Partner.objects.get_or_create(
        program=program, code=partner_code, defaults={"name": partner_code.title()}
    )
    place, _ = Territory.objects.get_or_create(program=program, name=territory)
    n = next(_counter)
    caja = caja_found(
        partner=partner,
        territory=place,
        code=code or f"caja-{n}",
        name=f"Caja {n}",
        founded_on=FOUNDED,
        bylaws=bylaws,
    )
    for _ in range(members):
        enrol(caja)
    return caja


def enrol(caja: Caja, *, role: str = "member", **overrides: Any) -> Membership:
    n = next(_counter)
    fields: dict[str, Any] = {
        "given_names": f"Socia{n}",
        "family_names": "Pérez",
        "gender": "female" if n % 2 else "male",
        "birth_date": dt.date(1990, 5, 17),
        "nationality": "VE",
        "phone": "0990000000",
        "document_type": "passport",
        "document_number": f"P{n:07d}",
        "mobility_status": "in_process",
        # Recorded on enrolment (members.services.person_create: no status without it).
        "sensitive_data_consent": ConsentGiven(),
    }
    fields.update(overrides)
    return member_enrol(caja_id=caja.pk, joined_on=FOUNDED, role=role, **fields)


def db_snapshot() -> dict[str, int]:
    """Row counts of every table of every Cajas app: 'writes nothing' means this does not
    change. Two tables are left out, and only these: the access log (``access.AccessLog``),
    because it records reads — a refused form's page is still read, and that read is logged;
    and a member import's upload (``imports.MemberImport``), the file held while it is checked,
    which exists before anything is refused. Their tests count those rows themselves.
    One query for all of them (the hostile-input test takes a snapshot per request)."""
    models = [
        m
        for m in apps.get_models()
        if m._meta.app_config is not None
        and m._meta.app_config.name.startswith("cajas.")
        and m._meta.label not in ("access.AccessLog", "imports.MemberImport")
    ]
    quote = connection.ops.quote_name
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)})" for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")  # table names from the models
        row = cursor.fetchone()
    return {m._meta.label: int(n) for m, n in zip(models, row, strict=True)}


def user_for(membership: Membership, username: str) -> User:
    user = User.objects.create_user(username=username, password="secreto-123")
    membership.person.user = user
    membership.person.save(update_fields=["user"])
    return user


M1 = FOUNDED  # 2025-01-06
M2 = FOUNDED + dt.timedelta(days=35)  # 2025-02-10
APPLY = FOUNDED + dt.timedelta(days=70)  # 2025-03-17, past the 60 days of membership
FIRST_MEETING = FOUNDED + dt.timedelta(days=28)


def caja_with_savings() -> Caja:
    """President 1 (Ana), treasurer 2 (Luis), secretary 3 (Rosa), members 4–6; everyone buys
    3 shares of 5.00 and pays 1.00 to the social fund at two meetings (M1, M2)."""
    caja = make_caja()
    enrol(caja, role="president", given_names="Ana", family_names="Pérez")
    enrol(caja, role="treasurer", given_names="Luis", family_names="Ramos")
    enrol(caja, role="secretary", given_names="Rosa", family_names="Mena")
    for _ in range(3):
        enrol(caja)
    for day in (M1, M2):
        run(caja, day, [SheetRow(member=n, shares=3, social_fund=True) for n in range(1, 7)])
    return caja


def run(
    caja: Caja,
    day: dt.date,
    rows: Sequence[SheetRow] | None = None,
    *,
    kind: str = "ordinary",
    during: Sequence[Callable[[Meeting], object]] = (),
) -> Meeting:
    """Open a meeting, save the sheet, do what ``during`` does, close it with the cash right."""
    meeting = meeting_open(caja_id=caja.pk, date=day, opened_by="tesorera", kind=kind)
    meeting_sheet_save(
        meeting_id=meeting.pk, rows=rows or [SheetRow(member=n) for n in range(1, 7)]
    )
    for action in during:
        action(meeting)
    return meeting_close(
        meeting_id=meeting.pk,
        counted_cash=decimal_string(meeting_expected_cash(meeting=meeting)),
        closed_by="tesorera",
    )


def voted_loan(
    caja: Caja,
    *,
    member: int = 4,
    amount: str = "60",
    term: int = 3,
    votes: dict[int, str] | None = None,
    on: dt.date = APPLY,
) -> Loan:
    """Member 4 applies; the committee votes (default: 1 and 2 in favour, 3 abstains)."""
    loan = loan_apply(
        caja_id=caja.pk,
        member=member,
        amount=amount,
        term=term,
        purpose="business",
        on=on,
        cash_available=cash_for_lending(caja_id=caja.pk),
    )
    for number, vote in (votes or {1: "yes", 2: "yes", 3: "abstain"}).items():
        loan_vote(loan_id=loan.pk, member=number, vote=vote, on=on)
    return loan_decide(
        loan_id=loan.pk, on=on, cash_available=cash_for_lending(caja_id=loan.caja_id)
    )


def officer(caja: Caja, role: str, username: str) -> User:
    """An officer of ``caja`` with a login (``role``: president, treasurer, secretary)."""
    return user_for(enrol(caja, role=role, given_names=username.title()), username)


def plain_member(caja: Caja, username: str) -> User:
    return user_for(enrol(caja, given_names=username.title()), username)


def facilitator(caja: Caja, username: str) -> User:
    user = User.objects.create_user(username=username, password="secreto-123")
    StaffAssignment.objects.create(
        user=user, role=StaffRole.FACILITATOR, program=caja.program, caja=caja
    )
    return user


def program_admin(caja: Caja, username: str) -> User:
    user = User.objects.create_user(username=username, password="secreto-123")
    StaffAssignment.objects.create(user=user, role=StaffRole.PROGRAM_ADMIN, program=caja.program)
    return user


def closed_meeting(
    caja: Caja,
    day: dt.date = FIRST_MEETING,
    *,
    shares: dict[int, int] | None = None,
    fines: Sequence[tuple[int, str]] = (),
    expenses: Sequence[str] = (),
    members: Sequence[int] = (1, 2, 3, 4, 5),
) -> Meeting:
    """Open, record and close a meeting whose cash count matches: every member in ``members``
    buys ``shares[n]`` shares (default 2, i.e. 10.00) and pays the social fund (1.00); then
    the fines ``(member, amount)`` and the expenses."""
    meeting = meeting_open(caja_id=caja.pk, date=day, opened_by="alice")
    shares = shares or {}
    rows = [SheetRow(member=n, shares=shares.get(n, 2), social_fund=True) for n in members]
    meeting_sheet_save(meeting_id=meeting.pk, rows=rows)
    for member, amount in fines:
        item_record(
            meeting_id=meeting.pk, kind="fine", amount=amount, member=member, description="multa"
        )
    for amount in expenses:
        item_record(meeting_id=meeting.pk, kind="expense", amount=amount, description="útiles")
    counted = meeting_expected_cash(meeting=meeting)
    return meeting_close(
        meeting_id=meeting.pk, counted_cash=decimal_string(counted), closed_by="alice"
    )


def entry_of(meeting: Meeting, kind: str, member: int | None = None) -> JournalEntry:
    """The entry ``meeting`` posted for ``kind`` (and member number ``member``)."""
    entries = JournalEntry.objects.filter(meeting=meeting, kind=kind)
    if member is not None:
        entries = entries.filter(membership__number=member)
    return entries.get()


def loan_caja(**bylaws: object) -> Caja:
    """For the loan tests: president 1, treasurer 2, secretary 3, members 4–6; each saved
    50.00 (5 shares of 5.00 and the social fund) at two meetings, M1 and M2."""
    caja = make_caja(bylaws=bylaws or None)
    enrol(caja, role="president")
    enrol(caja, role="treasurer")
    enrol(caja, role="secretary")
    for _ in range(3):
        enrol(caja)
    for day in (M1, M2):
        rows = [SheetRow(member=n, shares=5, social_fund=True) for n in range(1, 7)]
        loan_meeting(caja, day, rows)
    return caja


def loan_meeting(caja: Caja, day: dt.date, rows: list[SheetRow] | None = None, *, loans=()):  # type: ignore[no-untyped-def]
    meeting = meeting_open(caja_id=caja.pk, date=day, opened_by="tesorera")
    meeting_sheet_save(
        meeting_id=meeting.pk, rows=rows or [SheetRow(member=n) for n in range(1, 7)]
    )
    for action in loans:
        action(meeting.pk)
    expected = meeting_expected_cash(meeting=meeting)
    return meeting_close(
        meeting_id=meeting.pk, counted_cash=decimal_string(expected), closed_by="tesorera"
    )


def approved_loan(caja: Caja, amount: str = "120", term: int = 3, **kw: object) -> Loan:
    """Member 4 applies on APPLY; president and treasurer vote yes; approved."""
    loan = loan_apply(
        caja_id=caja.pk,
        member=4,
        amount=amount,
        term=term,
        purpose="business",
        on=APPLY,
        **kw,
        cash_available=cash_for_lending(caja_id=caja.pk),
    )
    loan_vote(loan_id=loan.pk, member=1, vote="yes", on=APPLY)
    loan_vote(loan_id=loan.pk, member=2, vote="yes", on=APPLY)
    return loan_decide(
        loan_id=loan.pk, on=APPLY, cash_available=cash_for_lending(caja_id=loan.caja_id)
    )


def disbursed_loan(caja: Caja, **kw: object) -> Loan:
    """``approved_loan``, handed over at a meeting on APPLY."""
    loan = approved_loan(caja, **kw)
    loan_meeting(caja, APPLY, loans=[lambda m: disbursement_record(meeting_id=m, loan_id=loan.pk)])
    loan.refresh_from_db()
    return loan


def assert_rejected(exc_type: type[RuleViolation], call, *, es: str, en: str) -> RuleViolation:  # type: ignore[no-untyped-def]
    """``call`` is refused with ``exc_type``, saying ``es`` and ``en``, and writes nothing."""
    before = db_snapshot()
    with pytest.raises(exc_type) as raised:
        call()
    assert raised.value.es == es
    assert raised.value.en == en
    assert db_snapshot() == before
    return raised.value


TODAY = dt.date.today()
LAST_MONTH = TODAY - dt.timedelta(days=31)


def caja_of_40() -> tuple[Caja, Loan, Loan]:
    """Alice (member 2) is the treasurer of a caja of 40 with two meetings behind it, Rosa
    (member 3) its secretary: member 5 owes a loan handed over last month, member 6 has one
    approved and waiting. The meetings were a month apart; the next is today."""
    caja = make_caja(
        code="caja-40",
        bylaws={"loan_savings_multiple": Decimal("5"), "loan_min_membership_days": 0},
    )
    enrol(caja, role="president")
    user_for(enrol(caja, role="treasurer", given_names="Alice"), "alice")
    user_for(enrol(caja, role="secretary", given_names="Rosa"), "rosa")
    for _ in range(37):
        enrol(caja)
    first = meeting_open(caja_id=caja.pk, date=FOUNDED, opened_by="t")
    meeting_sheet_save(
        meeting_id=first.pk,
        rows=[SheetRow(member=n, shares=1 + n % 3, social_fund=True) for n in range(1, 41)],
    )
    meeting_close(
        meeting_id=first.pk,
        counted_cash=decimal_string(meeting_expected_cash(meeting=first)),
        closed_by="t",
    )
    loans = []
    for member in (5, 6):
        loan = loan_apply(
            caja_id=caja.pk,
            member=member,
            amount="20",
            term=3,
            purpose="business",
            on=LAST_MONTH,
            cash_available=cash_for_lending(caja_id=caja.pk),
        )
        loan_vote(loan_id=loan.pk, member=1, vote="yes", on=LAST_MONTH)
        loan_vote(loan_id=loan.pk, member=3, vote="yes", on=LAST_MONTH)
        loans.append(
            loan_decide(
                loan_id=loan.pk,
                on=LAST_MONTH,
                cash_available=cash_for_lending(caja_id=loan.caja_id),
            )
        )
    second = meeting_open(caja_id=caja.pk, date=LAST_MONTH, opened_by="t")
    meeting_sheet_save(
        meeting_id=second.pk,
        rows=[SheetRow(member=n, shares=1 + n % 3, social_fund=True) for n in range(1, 41)],
    )
    disbursement_record(meeting_id=second.pk, loan_id=loans[0].pk)
    meeting_close(
        meeting_id=second.pk,
        counted_cash=decimal_string(meeting_expected_cash(meeting=second)),
        closed_by="t",
    )
    return caja, loans[0], loans[1]


def xlsx_of(rows: Sequence[Sequence[object]]) -> bytes:
    """An XLSX whose first sheet holds ``rows`` (the first is the header), as a person saves
    it from Excel: for the member-import tests."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
