"""Import a caja's book (format ``cajas-book`` v1, see ``docs/book-format.md``).

Everything is checked first; any error means nothing is written and every error is listed
with its place in the file (``$.journal[12].lines[0]``). Hashes and digests are optional so
that books kept on paper or in spreadsheets can be typed in; when present they must match.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from cajas.books.export import BYLAWS_FIELDS, FORMAT, PERSON_FIELDS, VERSION
from cajas.books.loans_section import (
    loans_check,
    loans_write,
    shareouts_check,
    shareouts_write,
)
from cajas.core.errors import RuleViolation
from cajas.ledger import chart
from cajas.ledger.models import Account, AccountKind, EntryKind, JournalEntry, JournalLine
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
from cajas.members.models import Consent, ConsentHow, ConsentPurpose, Membership, Person, Role
from cajas.members.rules import age_on
from cajas.org.models import Bylaws, Caja, Cycle, CycleStatus, Partner, Program, Territory


@dataclass
class ImportErrors(Exception):
    errors: list[tuple[str, str]] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.errors.append((path, message))

    def __str__(self) -> str:
        return "\n".join(f"{p}: {m}" for p, m in self.errors)


def _date(value: Any, path: str, errs: ImportErrors, *, optional: bool = False) -> dt.date | None:
    if value is None and optional:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        errs.add(path, f"fecha inválida / invalid date: {value!r}")
        return None


def _datetime(value: Any, path: str, errs: ImportErrors) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        errs.add(path, f"fecha y hora inválida / invalid timestamp: {value!r}")
        return None
    if parsed.tzinfo is None:
        errs.add(path, "falta la zona horaria / timestamp needs a time zone")
        return None
    return parsed


def _int(value: Any, path: str, errs: ImportErrors, *, minimum: int = 0) -> int:
    if type(value) is not int or value < minimum:
        errs.add(
            path, f"se esperaba un entero ≥ {minimum} / expected an integer ≥ {minimum}: {value!r}"
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
    top = [
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
    if not _require(document, top, "$", errs):
        raise errs
    if document["format"] != FORMAT or document["version"] != VERSION:
        errs.add("$.format", f"se esperaba {FORMAT} v{VERSION} / expected {FORMAT} v{VERSION}")
        raise errs
    plan = _Plan(document, errs, recorded_by)
    plan.check()
    if errs.errors:
        raise errs
    with transaction.atomic():
        caja = plan.write()
        problems = verify_caja(caja)
        if problems:
            for p in problems:
                errs.add(f"$.journal[{(p.seq or 1) - 1}]", str(p))
            transaction.set_rollback(True)
            raise errs
    return caja


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

    # -- checks -------------------------------------------------------------------------
    def check(self) -> None:
        d, e = self.doc, self.errs
        _require(d["program"], ["code", "name"], "$.program", e)
        _require(d["partner"], ["code", "name"], "$.partner", e)
        if _require(d["caja"], ["code", "name", "founded_on"], "$.caja", e):
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
            self.doc.get("loans"), set(self.members), set(self.meetings), self.errs
        )
        self._check_loan_references()
        self.shareouts = shareouts_check(
            self.doc.get("shareouts"),
            set(self.members),
            set(self.meetings),
            set(self.cycles),
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
            if not _require(raw, ["version", "effective_from", "approved_on"], path, self.errs):
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

    def _consents(self, person: dict[str, Any], path: str) -> list[Consent]:
        """The person's consents (``consents``; a book written before consent records has
        ``sensitive_data_consent_on`` / ``credit_letter_consent_on`` dates instead). A migratory
        status without a sensitive-data consent in force is refused (CONS-003)."""
        raws = list(person.get("consents") or [])
        for purpose in (ConsentPurpose.SENSITIVE_DATA, ConsentPurpose.CREDIT_LETTER):
            day = person.get(f"{purpose}_consent_on")
            if day:
                raws.append(
                    {"purpose": purpose, "given_at": f"{day}T12:00:00+00:00", "how": "recorded"}
                )
        found = []
        for i, raw in enumerate(raws):
            where = f"{path}.consents[{i}]"
            if not isinstance(raw, dict) or raw.get("purpose") not in ConsentPurpose.values:
                self.errs.add(where, "consentimiento desconocido / unknown consent")
                continue
            how = raw.get("how") or ConsentHow.RECORDED
            if how not in ConsentHow.values:
                self.errs.add(f"{where}.how", f"forma desconocida / unknown how {how!r}")
                continue
            try:
                given = dt.datetime.fromisoformat(raw["given_at"])
                withdrawn = (
                    dt.datetime.fromisoformat(raw["withdrawn_at"])
                    if raw.get("withdrawn_at")
                    else None
                )
            except (KeyError, TypeError, ValueError):
                self.errs.add(f"{where}.given_at", "fecha inválida / invalid date-time")
                continue
            found.append(
                Consent(
                    purpose=raw["purpose"],
                    given_at=given,
                    how=how,
                    attestation=raw.get("attestation")
                    or ("—" if how == ConsentHow.ATTESTED else ""),
                    withdrawn_at=withdrawn,
                    withdrawn_how=raw.get("withdrawn_how") or "",
                )
            )
        if person.get("mobility_status") and not any(
            c.purpose == ConsentPurpose.SENSITIVE_DATA and c.withdrawn_at is None for c in found
        ):
            self.errs.add(
                f"{path}.mobility_status",
                "condición migratoria sin consentimiento vigente / migratory status without a "
                "consent in force (CONS-003)",
            )
        return found

    def _check_members(self) -> None:
        seen_codes: Counter[str] = Counter()
        min_age = self.bylaws[0].min_age_years if self.bylaws else 18
        for i, raw in enumerate(self.doc["members"]):
            path = f"$.members[{i}]"
            if not _require(raw, ["number", "role", "joined_on", "person"], path, self.errs):
                continue
            number = _int(raw["number"], f"{path}.number", self.errs, minimum=1)
            if number in self.members:
                self.errs.add(f"{path}.number", f"número repetido / duplicate number {number}")
            if raw["role"] not in Role.values:
                self.errs.add(f"{path}.role", f"rol desconocido / unknown role {raw['role']!r}")
            joined = _date(raw["joined_on"], f"{path}.joined_on", self.errs)
            left = _date(raw.get("left_on"), f"{path}.left_on", self.errs, optional=True)
            person = raw["person"]
            if not _require(
                person,
                ["code", "given_names", "family_names", "gender", "birth_date", "nationality"],
                f"{path}.person",
                self.errs,
            ):
                continue
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
            consents = self._consents(person, f"{path}.person")
            self.members[number] = {
                "raw": raw,
                "joined": joined,
                "left": left,
                "person": candidate,
                "consents": consents,
            }
        active = sum(1 for m in self.members.values() if m["left"] is None)
        if self.bylaws and active > self.bylaws[-1].max_members:
            self.errs.add(
                "$.members",
                f"{active} socios activos, el máximo es {self.bylaws[-1].max_members} "
                f"/ {active} active members, the maximum is {self.bylaws[-1].max_members} (CAJA-001)",
            )

    def _check_cycles(self) -> None:
        open_count = 0
        for i, raw in enumerate(self.doc["cycles"]):
            path = f"$.cycles[{i}]"
            if not _require(raw, ["number", "started_on", "status"], path, self.errs):
                continue
            number = _int(raw["number"], f"{path}.number", self.errs, minimum=1)
            if raw["status"] not in CycleStatus.values:
                self.errs.add(
                    f"{path}.status", f"estado desconocido / unknown status {raw['status']!r}"
                )
            open_count += raw["status"] == CycleStatus.OPEN
            self.cycles[number] = {
                "started": _date(raw["started_on"], f"{path}.started_on", self.errs),
                "ended": _date(raw.get("ended_on"), f"{path}.ended_on", self.errs, optional=True),
                "status": raw["status"],
            }
        if open_count > 1:
            self.errs.add("$.cycles", "más de un ciclo abierto / more than one open cycle")

    def _check_meetings(self) -> None:
        for i, raw in enumerate(self.doc["meetings"]):
            path = f"$.meetings[{i}]"
            if not _require(raw, ["number", "cycle", "date", "status"], path, self.errs):
                continue
            number = _int(raw["number"], f"{path}.number", self.errs, minimum=1)
            if number in self.meetings:
                self.errs.add(f"{path}.number", f"número repetido / duplicate number {number}")
            if raw["cycle"] not in self.cycles:
                self.errs.add(
                    f"{path}.cycle", f"ciclo inexistente / unknown cycle {raw['cycle']!r}"
                )
            if raw["status"] not in MeetingStatus.values:
                self.errs.add(
                    f"{path}.status", f"estado desconocido / unknown status {raw['status']!r}"
                )
            for j, row in enumerate(raw.get("attendance", [])):
                if (
                    not isinstance(row, list)
                    or len(row) != 3
                    or row[0] not in self.members
                    or row[1] not in AttendanceStatus.values
                ):
                    self.errs.add(
                        f"{path}.attendance[{j}]",
                        f"asistencia inválida / invalid attendance {row!r}",
                    )
            for j, item in enumerate(raw.get("items", [])):
                ipath = f"{path}.items[{j}]"
                if not _require(item, ["kind", "amount_cents"], ipath, self.errs):
                    continue
                if item["kind"] not in ItemKind.values:
                    self.errs.add(
                        f"{ipath}.kind", f"tipo desconocido / unknown kind {item['kind']!r}"
                    )
                _int(item["amount_cents"], f"{ipath}.amount_cents", self.errs, minimum=1)
                if item.get("member") is not None and item["member"] not in self.members:
                    self.errs.add(
                        f"{ipath}.member", f"socio inexistente / unknown member {item['member']!r}"
                    )
            self.meetings[number] = {
                "raw": raw,
                "date": _date(raw["date"], f"{path}.date", self.errs),
                "closed_at": _datetime(raw.get("closed_at"), f"{path}.closed_at", self.errs),
            }

    def _check_loan_references(self) -> None:
        for i, raw in enumerate(self.doc["meetings"]):
            for j, item in enumerate(raw.get("items", []) if isinstance(raw, dict) else []):
                loan = item.get("loan") if isinstance(item, dict) else None
                kind = item.get("kind") if isinstance(item, dict) else None
                if kind in LOAN_ITEM_KINDS and loan not in self.loans:
                    self.errs.add(
                        f"$.meetings[{i}].items[{j}].loan",
                        f"préstamo inexistente / unknown loan {loan!r}",
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
            if not _require(raw, ["code", "kind"], path, self.errs):
                continue
            if raw["code"] in self.accounts:
                self.errs.add(f"{path}.code", f"cuenta repetida / duplicate account {raw['code']}")
            if raw["kind"] not in AccountKind.values:
                self.errs.add(f"{path}.kind", f"tipo desconocido / unknown kind {raw['kind']!r}")
            if raw.get("member") is not None and raw["member"] not in self.members:
                self.errs.add(
                    f"{path}.member", f"socio inexistente / unknown member {raw['member']!r}"
                )
            if raw.get("loan") is not None and raw["loan"] not in self.loans:
                self.errs.add(
                    f"{path}.loan", f"préstamo inexistente / unknown loan {raw['loan']!r}"
                )
            self.accounts[raw["code"]] = raw

    def _check_journal(self) -> None:
        prev = GENESIS_HASH
        running: dict[str, int] = {}
        caja_code = self.doc["caja"].get("code", "") if isinstance(self.doc["caja"], dict) else ""
        for i, raw in enumerate(self.doc["journal"]):
            path = f"$.journal[{i}]"
            if not _require(raw, ["seq", "date", "kind", "key", "lines"], path, self.errs):
                return
            if raw["seq"] != i + 1:
                self.errs.add(f"{path}.seq", f"se esperaba {i + 1} / expected {i + 1}")
            if raw["kind"] not in EntryKind.values:
                self.errs.add(f"{path}.kind", f"tipo desconocido / unknown kind {raw['kind']!r}")
            day = _date(raw["date"], f"{path}.date", self.errs)
            when = _datetime(raw.get("recorded_at"), f"{path}.recorded_at", self.errs)
            lines = []
            for j, line in enumerate(raw["lines"]):
                if not isinstance(line, list) or len(line) != 3 or line[0] not in self.accounts:
                    self.errs.add(
                        f"{path}.lines[{j}]",
                        f"línea inválida o cuenta inexistente / invalid line or unknown account: {line!r}",
                    )
                    continue
                lines.append(Line(line[0], line[1], line[2]))
            try:
                check_lines(lines)
            except RuleViolation as exc:
                self.errs.add(f"{path}.lines", f"{exc.es} / {exc.en}")
            for ref, table in (("member", self.members), ("meeting", self.meetings)):
                if raw.get(ref) is not None and raw[ref] not in table:
                    self.errs.add(
                        f"{path}.{ref}", f"referencia inexistente / unknown {ref} {raw[ref]!r}"
                    )
            if raw.get("reverses") is not None and not (
                type(raw["reverses"]) is int and 1 <= raw["reverses"] < raw["seq"]
            ):
                self.errs.add(
                    f"{path}.reverses",
                    "debe apuntar a un asiento anterior / must point to an earlier entry",
                )
            content = content_of(
                key=raw["key"],
                kind=raw["kind"],
                date=raw["date"],
                memo=raw.get("memo", ""),
                member=raw.get("member"),
                meeting=raw.get("meeting"),
                reverses=raw.get("reverses"),
                reason=raw.get("reason", ""),
                lines=lines,
            )
            digest = content_digest(content)
            if raw.get("digest") not in (None, digest):
                self.errs.add(
                    f"{path}.digest",
                    "el contenido no coincide con su resumen / content does not match its digest",
                )
            recorded_by = raw.get("recorded_by") or self.recorded_by
            when = when or dt.datetime.now(dt.UTC)
            stamp = when.astimezone(dt.UTC).isoformat(timespec="microseconds")
            if raw.get("prev_hash") not in (None, prev):
                self.errs.add(
                    f"{path}.prev_hash", "la cadena de hashes está rota / hash chain broken"
                )
            digest_hash = chain_hash(
                prev_hash=prev,
                caja=caja_code,
                seq=raw["seq"],
                digest=digest,
                recorded_by=recorded_by,
                recorded_at=stamp,
            )
            if raw.get("hash") not in (None, digest_hash):
                self.errs.add(
                    f"{path}.hash",
                    "el hash no coincide con el contenido / hash does not match the content",
                )
            for line in lines:
                kind = self.accounts[line.account]["kind"]
                delta = (
                    line.debit - line.credit
                    if kind in ("asset", "expense")
                    else line.credit - line.debit
                )
                running[line.account] = running.get(line.account, 0) + delta
                if chart.must_stay_non_negative(line.account) and running[line.account] < 0:
                    self.errs.add(
                        f"{path}.lines",
                        f"el saldo de {line.account} queda negativo / balance of {line.account} goes negative",
                    )
            self.entries.append(
                {
                    "raw": raw,
                    "date": day,
                    "when": when,
                    "digest": digest,
                    "prev": prev,
                    "hash": digest_hash,
                    "lines": lines,
                    "recorded_by": recorded_by,
                }
            )
            prev = digest_hash
        head = self.doc.get("chain_head")
        if head is not None and (head.get("seq") != len(self.entries) or head.get("hash") != prev):
            self.errs.add(
                "$.chain_head", "no coincide con el último asiento / does not match the last entry"
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
            for consent in m["consents"]:
                consent.person = person
                consent.save()
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
