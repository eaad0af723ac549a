"""Import a caja's book (format ``cajas-book`` v1, see ``docs/book-format.md``).

Everything is checked first; any error means nothing is written and every error is listed
with its place in the file (``$.journal[12].lines[0]``). Hashes and digests are optional so
that books kept on paper or in spreadsheets can be typed in; when present they must match.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import translation

from cajas.books.book_spec import (
    ACCOUNT,
    BYLAWS,
    CYCLE,
    DOCUMENT,
    ENTRY,
    MEETING,
    MEMBER,
)
from cajas.books.format import (
    BYLAWS_FIELDS,
    FORMAT,
    PERSON_FIELDS,
    VERSION,
    ImportErrors,
    book_parse,
    repeated,
    show,
)
from cajas.books.loans_section import (
    loans_check,
    loans_write,
    shareouts_check,
    shareouts_write,
)
from cajas.core.errors import RuleViolation
from cajas.core.money import MAX_AMOUNT_CENTS
from cajas.ledger import chart
from cajas.ledger.models import Account, AccountKind, JournalEntry, JournalLine
from cajas.ledger.rules import (
    GENESIS_HASH,
    Line,
    chain_hash,
    check_lines,
    content_digest,
    content_of,
)
from cajas.ledger.services import balances_rebuild
from cajas.ledger.verify import verify_caja
from cajas.meetings.models import (
    LOAN_ITEM_KINDS,
    Attendance,
    AttendanceStatus,
    ItemKind,
    Meeting,
    MeetingItem,
    MeetingStatus,
)
from cajas.members.models import OFFICER_ROLES, Membership, Person, Role
from cajas.members.rules import OfficerRoleTaken, age_on
from cajas.org.models import Bylaws, Caja, Cycle, CycleStatus, Partner, Program, Territory

__all__ = ["ImportErrors", "book_import", "book_parse"]


def _date(value: Any, path: str, errs: ImportErrors, *, optional: bool = False) -> dt.date | None:
    if value is None and optional:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        errs.add(path, f"fecha inválida / invalid date: {show(value)}")
        return None


def _datetime(value: Any, path: str, errs: ImportErrors) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        errs.add(path, f"fecha y hora inválida / invalid timestamp: {show(value)}")
        return None
    if parsed.tzinfo is None:
        errs.add(path, "falta la zona horaria / timestamp needs a time zone")
        return None
    return parsed


def _int(value: Any, path: str, errs: ImportErrors, *, minimum: int = 0) -> int:
    if type(value) is not int or value < minimum:
        errs.add(
            path,
            f"se esperaba un entero ≥ {minimum} / expected an integer ≥ {minimum}: {show(value)}",
        )
        return minimum
    return value


def _require(doc: dict[str, Any], keys: list[str], path: str, errs: ImportErrors) -> bool:
    if not isinstance(doc, dict):
        errs.add(path, "se esperaba un objeto / expected an object")
        return False
    missing = [k for k in keys if k not in doc]
    for k in missing:
        errs.add(f"{path}.{k}", "falta este campo / missing field")
    return not missing


def book_import(document: dict[str, Any], *, recorded_by: str = "import") -> Caja:
    """Check ``document`` completely, then write it in one transaction. Raises
    ``ImportErrors`` listing every problem; on any error nothing is written."""
    errs = ImportErrors()
    if not _require(document, ["format", "version"], "$", errs):
        raise errs
    if document["format"] != FORMAT or document["version"] != VERSION:
        errs.add("$.format", f"se esperaba {FORMAT} v{VERSION} / expected {FORMAT} v{VERSION}")
        raise errs
    if not DOCUMENT.check(document, "$", errs):
        raise errs
    plan = _Plan(document, errs, recorded_by)
    plan.check()
    if errs.errors:
        raise errs
    try:
        with transaction.atomic():
            caja = plan.write()
            problems = verify_caja(caja)
            if problems:
                for p in problems:
                    errs.add(f"$.journal[{(p.seq or 1) - 1}]", str(p))
                raise errs
    except DatabaseError as exc:  # a constraint no check above foresaw: still nothing written
        errs.add("$", f"{DATABASE_REFUSED} / the database refused the book: {str(exc)[:200]}")
        raise errs from None
    return caja


DATABASE_REFUSED = "la base de datos rechazó el libro"
"""Marks the last-resort error; the fuzz test asserts no malformed book reaches it."""


class _Plan:
    """Checked, parsed contents of a book document, ready to write."""

    def __init__(self, doc: dict[str, Any], errs: ImportErrors, recorded_by: str) -> None:
        self.doc, self.errs, self.recorded_by = doc, errs, recorded_by
        self.members: dict[int, dict[str, Any]] = {}
        self.meetings: dict[int, dict[str, Any]] = {}
        self.cycles: dict[int, dict[str, Any]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.entries: list[dict[str, Any]] = []
        self.bylaws: list[Bylaws] = []
        self.loans: dict[int, dict[str, Any]] = {}
        self.shareouts: list[dict[str, Any]] = []
        # Numbers of every element, well-formed or not: a reference to a malformed member is
        # not also reported as a reference to an unknown one.
        self.known: dict[str, set[Any]] = {
            section: {
                e.get(key)
                for e in doc.get(section) or []
                if isinstance(e, dict) and type(e.get(key)) is (str if key == "code" else int)
            }
            for section, key in (
                ("members", "number"),
                ("meetings", "number"),
                ("cycles", "number"),
                ("loans", "number"),
                ("accounts", "code"),
            )
        }

    # -- checks -------------------------------------------------------------------------
    def check(self) -> None:
        d, e = self.doc, self.errs
        # the frame (program, partner, caja) is checked by DOCUMENT already
        if Caja.objects.filter(code=d["caja"]["code"]).exists():
            e.add(
                "$.caja.code",
                f"ya existe una caja con el código «{d['caja']['code']}» / "
                f"a caja with code “{d['caja']['code']}” already exists",
            )
        self.founded_on = _date(d["caja"]["founded_on"], "$.caja.founded_on", e)
        self._check_bylaws()
        self._check_members()
        self._check_cycles()
        self._check_meetings()
        self.loans = loans_check(
            self.doc.get("loans"), self.known["members"], self.known["meetings"], self.errs
        )
        self._check_loan_references()
        self.shareouts = shareouts_check(
            self.doc.get("shareouts"),
            self.known["members"],
            self.known["meetings"],
            self.known["cycles"],
            self.errs,
        )
        self._check_accounts()
        self._check_journal()

    def _check_bylaws(self) -> None:
        versions = self.doc["bylaws"]
        if not isinstance(versions, list) or not versions:
            self.errs.add(
                "$.bylaws", "se necesita al menos una versión / at least one version needed"
            )
            return
        for i, raw in enumerate(versions):
            path = f"$.bylaws[{i}]"
            if not BYLAWS.check(raw, path, self.errs):
                continue
            values = {k: raw[k] for k in BYLAWS_FIELDS if k in raw}
            bylaws = Bylaws(
                version=raw["version"],
                effective_from=raw["effective_from"],
                approved_on=raw["approved_on"],
                **values,
            )
            try:
                bylaws.full_clean(exclude=["caja"], validate_constraints=False)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    self.errs.add(f"{path}.{name}", "; ".join(messages))
                continue
            if bylaws.version != i + 1:
                self.errs.add(
                    f"{path}.version", f"se esperaba la versión {i + 1} / expected version {i + 1}"
                )
            self.bylaws.append(bylaws)

    def _check_members(self) -> None:
        seen_codes: Counter[str] = Counter()
        min_age = self.bylaws[0].min_age_years if self.bylaws else 18
        for i, raw in enumerate(self.doc["members"]):
            path = f"$.members[{i}]"
            if not MEMBER.check(raw, path, self.errs):
                continue
            number = _int(raw["number"], f"{path}.number", self.errs, minimum=1)
            if number in self.members:
                self.errs.add(f"{path}.number", f"número repetido / duplicate number {number}")
            if raw["role"] not in Role.values:
                self.errs.add(f"{path}.role", f"rol desconocido / unknown role {show(raw['role'])}")
            joined = _date(raw["joined_on"], f"{path}.joined_on", self.errs)
            left = _date(raw.get("left_on"), f"{path}.left_on", self.errs, optional=True)
            person = raw["person"]
            seen_codes[person["code"]] += 1
            if seen_codes[person["code"]] > 1:
                self.errs.add(
                    f"{path}.person.code", "código repetido en el archivo / duplicate code"
                )
            if Person.objects.filter(code=person["code"]).exists():
                self.errs.add(
                    f"{path}.person.code",
                    f"la persona {person['code']} ya está registrada / already registered",
                )
            candidate = Person(**{k: person[k] for k in PERSON_FIELDS if person.get(k) is not None})
            try:
                candidate.full_clean(exclude=["user", "code"], validate_unique=False)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    self.errs.add(f"{path}.person.{name}", "; ".join(messages))
                continue
            birth = dt.date.fromisoformat(person["birth_date"])
            if joined and age_on(birth, joined) < min_age:
                self.errs.add(
                    f"{path}.person.birth_date",
                    f"menor de {min_age} años al ingresar / under {min_age} when joining (MEM-001)",
                )
            if joined and left and left < joined:
                self.errs.add(
                    f"{path}.left_on",
                    "la salida es anterior al ingreso / left before joining",
                )
            self.members[number] = {
                "raw": raw,
                "joined": joined,
                "left": left,
                "person": candidate,
                "path": path,
            }
        self._check_officers()
        active = sum(1 for m in self.members.values() if m["left"] is None)
        if self.bylaws and active > self.bylaws[-1].max_members:
            self.errs.add(
                "$.members",
                f"{active} socios activos, el máximo es {self.bylaws[-1].max_members} "
                f"/ {active} active members, the maximum is {self.bylaws[-1].max_members} (CAJA-001)",
            )

    def _check_officers(self) -> None:
        """One active holder per officer role, as ``members`` enforces on enrolment."""
        holders: dict[str, dict[str, Any]] = {}
        for m in self.members.values():
            role = m["raw"]["role"]
            if m["left"] is not None or role not in OFFICER_ROLES:
                continue
            if role not in holders:
                holders[role] = m
                continue
            label = Role(role).label
            with translation.override("es"):
                role_es = str(label).lower()
            with translation.override("en"):
                role_en = str(label).lower()
            taken = OfficerRoleTaken(
                role_es=role_es, role_en=role_en, holder=holders[role]["person"].full_name
            )
            self.errs.add(f"{m['path']}.role", f"{taken.es} / {taken.en}")

    def _check_cycles(self) -> None:
        open_count = 0
        for i, raw in enumerate(self.doc["cycles"]):
            path = f"$.cycles[{i}]"
            if not CYCLE.check(raw, path, self.errs):
                continue
            number = _int(raw["number"], f"{path}.number", self.errs, minimum=1)
            if raw["status"] not in CycleStatus.values:
                self.errs.add(
                    f"{path}.status", f"estado desconocido / unknown status {show(raw['status'])}"
                )
            open_count += raw["status"] == CycleStatus.OPEN
            if number in self.cycles:
                self.errs.add(f"{path}.number", f"número repetido / duplicate number {number}")
            started = _date(raw["started_on"], f"{path}.started_on", self.errs)
            ended = _date(raw.get("ended_on"), f"{path}.ended_on", self.errs, optional=True)
            if started and ended and ended < started:
                self.errs.add(
                    f"{path}.ended_on", "termina antes de empezar / ends before it starts"
                )
            self.cycles[number] = {"started": started, "ended": ended, "status": raw["status"]}
        if open_count > 1:
            self.errs.add("$.cycles", "más de un ciclo abierto / more than one open cycle")

    def _check_meetings(self) -> None:
        for i, raw in enumerate(self.doc["meetings"]):
            path = f"$.meetings[{i}]"
            if not MEETING.check(raw, path, self.errs):
                continue
            number = _int(raw["number"], f"{path}.number", self.errs, minimum=1)
            if number in self.meetings:
                self.errs.add(f"{path}.number", f"número repetido / duplicate number {number}")
            if raw["cycle"] not in self.known["cycles"]:
                self.errs.add(
                    f"{path}.cycle", f"ciclo inexistente / unknown cycle {show(raw['cycle'])}"
                )
            if raw["status"] not in MeetingStatus.values:
                self.errs.add(
                    f"{path}.status", f"estado desconocido / unknown status {show(raw['status'])}"
                )
            for j, row in enumerate(raw.get("attendance", [])):
                if (
                    not isinstance(row, list)
                    or len(row) != 3
                    or row[0] not in self.known["members"]
                    or row[1] not in AttendanceStatus.values
                ):
                    self.errs.add(
                        f"{path}.attendance[{j}]",
                        f"asistencia inválida / invalid attendance {show(row)}",
                    )
            repeated([row[0] for row in raw.get("attendance", [])], f"{path}.attendance", self.errs)
            for j, item in enumerate(raw.get("items", [])):
                ipath = f"{path}.items[{j}]"
                if item["kind"] not in ItemKind.values:
                    self.errs.add(
                        f"{ipath}.kind", f"tipo desconocido / unknown kind {show(item['kind'])}"
                    )
                _int(item["amount_cents"], f"{ipath}.amount_cents", self.errs, minimum=1)
                if item.get("member") is not None and item["member"] not in self.known["members"]:
                    self.errs.add(
                        f"{ipath}.member",
                        f"socio inexistente / unknown member {show(item['member'])}",
                    )
            self.meetings[number] = {
                "raw": raw,
                "date": _date(raw["date"], f"{path}.date", self.errs),
                "closed_at": _datetime(raw.get("closed_at"), f"{path}.closed_at", self.errs),
                "path": path,
            }
        last: dt.date | None = None
        for _number, m in sorted(self.meetings.items()):
            if last and m["date"] and m["date"] < last:
                self.errs.add(
                    f"{m['path']}.date",
                    "fecha anterior a la de la reunión precedente / "
                    "date before the previous meeting's",
                )
            last = m["date"] or last

    def _check_loan_references(self) -> None:
        for m in self.meetings.values():  # well-formed meetings only
            for j, item in enumerate(m["raw"].get("items", [])):
                loan = item.get("loan")
                if item["kind"] in LOAN_ITEM_KINDS and loan not in self.known["loans"]:
                    self.errs.add(
                        f"{m['path']}.items[{j}].loan",
                        f"préstamo inexistente / unknown loan {show(loan)}",
                    )

    def _check_accounts(self) -> None:
        raw_accounts = self.doc.get("accounts")
        if raw_accounts is None:  # typed-in books: the standard chart plus one per member
            raw_accounts = [
                {"code": c, "kind": k.value, "member": None} for c, k in chart.CAJA_ACCOUNTS.items()
            ]
            raw_accounts += [
                {"code": chart.savings_account_code(n), "kind": "liability", "member": n}
                for n in sorted(self.members)
            ]
        for i, raw in enumerate(raw_accounts):
            path = f"$.accounts[{i}]"
            if not ACCOUNT.check(raw, path, self.errs):
                continue
            if raw["code"] in self.accounts:
                self.errs.add(f"{path}.code", f"cuenta repetida / duplicate account {raw['code']}")
            if raw["kind"] not in AccountKind.values:
                self.errs.add(
                    f"{path}.kind", f"tipo desconocido / unknown kind {show(raw['kind'])}"
                )
            if raw.get("member") is not None and raw["member"] not in self.known["members"]:
                self.errs.add(
                    f"{path}.member", f"socio inexistente / unknown member {show(raw['member'])}"
                )
            if raw.get("loan") is not None and raw["loan"] not in self.known["loans"]:
                self.errs.add(
                    f"{path}.loan", f"préstamo inexistente / unknown loan {show(raw['loan'])}"
                )
            self.accounts[raw["code"]] = raw

    def _check_journal(self) -> None:
        """Each entry's lines, references and place in the hash chain. Once an entry is
        refused the chain after it cannot match, so it is not checked further: one bad
        value is reported once, not as a hash mismatch on every later entry."""
        prev = GENESIS_HASH
        self.running: dict[str, int] = {}
        self.negative: set[str] = set()
        chained = True
        keys: set[str] = set()
        reversed_: set[int] = set()
        for i, raw in enumerate(self.doc["journal"]):
            path = f"$.journal[{i}]"
            before = len(self.errs.errors)
            if not ENTRY.check(raw, path, self.errs):
                chained = False
                continue
            if raw["key"] in keys:
                self.errs.add(f"{path}.key", f"clave repetida / duplicate key {show(raw['key'])}")
            keys.add(raw["key"])
            if raw.get("reverses") is not None:
                if raw["reverses"] in reversed_:
                    self.errs.add(
                        f"{path}.reverses", "ese asiento ya fue revertido / already reversed"
                    )
                reversed_.add(raw["reverses"])
            entry = self._check_entry(i, raw, path)
            self._check_chain(raw, entry, prev, path, report=chained)
            self._check_running(entry["lines"], path)
            chained = chained and len(self.errs.errors) == before
            self.entries.append(entry)
            prev = entry["hash"]
        head = self.doc.get("chain_head")
        if (
            chained
            and head is not None
            and (head["seq"] != len(self.entries) or head["hash"] != prev)
        ):
            self.errs.add(
                "$.chain_head", "no coincide con el último asiento / does not match the last entry"
            )

    def _check_entry(self, i: int, raw: dict[str, Any], path: str) -> dict[str, Any]:
        if raw["seq"] != i + 1:
            self.errs.add(f"{path}.seq", f"se esperaba {i + 1} / expected {i + 1}")
        day = _date(raw["date"], f"{path}.date", self.errs)
        if day and self.founded_on and day < self.founded_on:
            self.errs.add(
                f"{path}.date", "anterior a la fundación de la caja / before the caja was founded"
            )
        when = _datetime(raw.get("recorded_at"), f"{path}.recorded_at", self.errs)
        lines = []
        for j, line in enumerate(raw["lines"]):
            if line[0] not in self.accounts:
                if line[0] in self.known["accounts"]:  # malformed, reported already
                    continue
                self.errs.add(
                    f"{path}.lines[{j}]", f"cuenta inexistente / unknown account {show(line[0])}"
                )
                continue
            lines.append(Line(line[0], line[1], line[2]))
        try:
            check_lines(lines)
        except RuleViolation as exc:
            self.errs.add(f"{path}.lines", f"{exc.es} / {exc.en}")
        for ref, table in (("member", self.known["members"]), ("meeting", self.known["meetings"])):
            if raw.get(ref) is not None and raw[ref] not in table:
                self.errs.add(
                    f"{path}.{ref}", f"referencia inexistente / unknown {ref} {show(raw[ref])}"
                )
        if raw.get("reverses") is not None and not raw["reverses"] < raw["seq"]:
            self.errs.add(
                f"{path}.reverses",
                "debe apuntar a un asiento anterior / must point to an earlier entry",
            )
        content = content_of(
            key=raw["key"],
            kind=raw["kind"],
            date=raw["date"],
            memo=raw.get("memo") or "",
            member=raw.get("member"),
            meeting=raw.get("meeting"),
            reverses=raw.get("reverses"),
            reason=raw.get("reason") or "",
            lines=lines,
        )
        return {
            "raw": raw,
            "date": day,
            "when": when or dt.datetime.now(dt.UTC),
            "digest": content_digest(content),
            "lines": lines,
            "recorded_by": raw.get("recorded_by") or self.recorded_by,
        }

    def _check_chain(
        self, raw: dict[str, Any], entry: dict[str, Any], prev: str, path: str, *, report: bool
    ) -> None:
        """Fill ``entry``'s hashes from ``prev``; report a stored digest that does not match
        the content, and (while ``report``) stored hashes that do not match the chain."""
        entry["prev"] = prev
        entry["hash"] = chain_hash(
            prev_hash=prev,
            caja=self.doc["caja"]["code"],
            seq=raw["seq"],
            digest=entry["digest"],
            recorded_by=entry["recorded_by"],
            recorded_at=entry["when"].astimezone(dt.UTC).isoformat(timespec="microseconds"),
        )
        if raw.get("digest") not in (None, entry["digest"]):
            self.errs.add(
                f"{path}.digest",
                "el contenido no coincide con su resumen / content does not match its digest",
            )
        elif not report:
            return
        elif raw.get("prev_hash") not in (None, prev):
            self.errs.add(f"{path}.prev_hash", "la cadena de hashes está rota / hash chain broken")
        elif raw.get("hash") not in (None, entry["hash"]):
            self.errs.add(
                f"{path}.hash",
                "el hash no coincide con el contenido / hash does not match the content",
            )

    def _check_running(self, lines: list[Line], path: str) -> None:
        """Balances that must not go negative, each reported once (where it first does)."""
        for line in lines:
            kind = self.accounts[line.account]["kind"]
            delta = (
                line.debit - line.credit
                if kind in ("asset", "expense")
                else line.credit - line.debit
            )
            balance = self.running.get(line.account, 0) + delta
            self.running[line.account] = balance
            if line.account in self.negative:
                continue
            if (chart.must_stay_non_negative(line.account) and balance < 0) or abs(
                balance
            ) > MAX_AMOUNT_CENTS * 1000:
                self.negative.add(line.account)
                self.errs.add(
                    f"{path}.lines",
                    f"el saldo de {line.account} queda negativo o fuera de rango / "
                    f"balance of {line.account} goes negative or out of range",
                )

    # -- writing ------------------------------------------------------------------------
    def write(self) -> Caja:
        d = self.doc
        program, _ = Program.objects.get_or_create(
            code=d["program"]["code"],
            defaults={
                "name": d["program"]["name"],
                "currency": d["program"].get("currency", "USD"),
            },
        )
        partner, _ = Partner.objects.get_or_create(
            program=program, code=d["partner"]["code"], defaults={"name": d["partner"]["name"]}
        )
        territory, _ = Territory.objects.get_or_create(program=program, name=d["territory"])
        assert self.founded_on is not None  # check() reported it otherwise
        caja = Caja.objects.create(
            program=program,
            partner=partner,
            territory=territory,
            code=d["caja"]["code"],
            name=d["caja"]["name"],
            founded_on=self.founded_on,
            status=d["caja"].get("status", "active"),
            last_seq=len(self.entries),
            last_hash=self.entries[-1]["hash"] if self.entries else GENESIS_HASH,
        )
        for bylaws in self.bylaws:
            bylaws.caja = caja
            bylaws.save()
        members = {}
        for number, m in sorted(self.members.items()):
            person = m["person"]
            person.save()
            members[number] = Membership.objects.create(
                caja=caja,
                person=person,
                number=number,
                role=m["raw"]["role"],
                joined_on=m["joined"],
                left_on=m["left"],
                left_reason=m["raw"].get("left_reason", ""),
            )
        cycles = {
            n: Cycle.objects.create(
                caja=caja,
                number=n,
                started_on=c["started"],
                ended_on=c["ended"],
                status=c["status"],
            )
            for n, c in sorted(self.cycles.items())
        }
        meetings = {}
        for number, m in sorted(self.meetings.items()):
            raw = m["raw"]
            meeting = Meeting.objects.create(
                caja=caja,
                cycle=cycles[raw["cycle"]],
                number=number,
                date=m["date"],
                kind=raw.get("kind", "ordinary"),
                status=raw["status"],
                opened_by=raw.get("opened_by", self.recorded_by),
                closed_by=raw.get("closed_by", ""),
                closed_at=m["closed_at"],
                expected_cash_cents=raw.get("expected_cash_cents"),
                counted_cash_cents=raw.get("counted_cash_cents"),
                cash_difference_cents=raw.get("cash_difference_cents", 0),
                notes=raw.get("notes", ""),
            )
            Attendance.objects.bulk_create(
                [
                    Attendance(meeting=meeting, membership=members[n], status=s, late=late)
                    for n, s, late in raw.get("attendance", [])
                ]
            )
            meetings[number] = meeting
        loans = loans_write(caja, self.loans, members, meetings)
        for number, m in sorted(self.meetings.items()):
            MeetingItem.objects.bulk_create(
                [
                    MeetingItem(
                        meeting=meetings[number],
                        membership=members.get(i["member"]) if i.get("member") else None,
                        kind=i["kind"],
                        shares=i.get("shares"),
                        amount_cents=i["amount_cents"],
                        description=i.get("description", ""),
                        fine_reason=i.get("fine_reason", ""),
                        proposed=i.get("proposed", False),
                        waived=i.get("waived", False),
                        loan=loans.get(i.get("loan") or 0),
                        prepay=i.get("prepay", False),
                    )
                    for i in m["raw"].get("items", [])
                ]
            )
        accounts = {
            code: Account.objects.create(
                caja=caja,
                code=code,
                kind=raw["kind"],
                membership=members.get(raw["member"]) if raw.get("member") else None,
                loan=loans.get(raw.get("loan") or 0),
            )
            for code, raw in sorted(self.accounts.items())
        }
        by_seq: dict[int, JournalEntry] = {}
        for e in self.entries:
            raw = e["raw"]
            entry = JournalEntry.objects.create(
                caja=caja,
                seq=raw["seq"],
                date=e["date"],
                kind=raw["kind"],
                memo=raw.get("memo", ""),
                idempotency_key=raw["key"],
                membership=members.get(raw["member"]) if raw.get("member") else None,
                meeting=meetings.get(raw["meeting"]) if raw.get("meeting") else None,
                reverses=by_seq.get(raw["reverses"]) if raw.get("reverses") else None,
                reason=raw.get("reason", ""),
                recorded_by=e["recorded_by"],
                recorded_at=e["when"],
                content_digest=e["digest"],
                prev_hash=e["prev"],
                hash=e["hash"],
            )
            by_seq[entry.seq] = entry
            JournalLine.objects.bulk_create(
                [
                    JournalLine(
                        entry=entry, account=accounts[x.account], debit=x.debit, credit=x.credit
                    )
                    for x in e["lines"]
                ]
            )
        shareouts_write(caja, self.shareouts, members, meetings, cycles)
        balances_rebuild(caja_id=caja.pk)
        return caja
