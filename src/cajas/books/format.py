"""The book format (``cajas-book`` v1, ``docs/book-format.md``): its constants, the one converter
from model values to JSON values, the import errors, and reading a file's bytes into a document.

Reading refuses what JSON allows but a book never holds: other encodings than UTF-8 (a BOM,
UTF-16), duplicated keys, ``NaN``/``Infinity``, numbers of thousands of digits, deep nesting.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cajas.members.models import PERSON_DATA_FIELDS
from cajas.org.models import Bylaws

FORMAT = "cajas-book"
VERSION = 1

BYLAWS_FIELDS = [
    f.name
    for f in Bylaws._meta.concrete_fields
    if f.name not in {"id", "caja", "version", "effective_from", "approved_on"}
]
PERSON_FIELDS = PERSON_DATA_FIELDS
# A book written before consents were records carries these dates on the person instead of a
# ``consents`` list; the importer reads them as consents "recorded" that day.
LEGACY_CONSENT_DATES = ("sensitive_data_consent_on", "credit_letter_consent_on")
INSTALLMENT_COLUMNS = [
    "version",
    "number",
    "due_date",
    "principal_cents",
    "interest_cents",
    "paid_principal_cents",
    "paid_interest_cents",
    "late_fee_cents",
    "paid_late_fee_cents",
]
LOAN_FIELDS = [
    "purpose",
    "principal_cents",
    "term",
    "frequency",
    "method",
    "monthly_rate_percent",
    "applied_on",
    "status",
    "tea_percent",
    "cap_percent",
    "cap_segment",
    "informal_cost_cents",
    "decided_on",
    "disbursed_on",
    "schedule_version",
    "repaid_on",
    "write_off_reason",
    "written_off_on",
    "written_off_cents",
    "recovered_cents",
]
LOAN_REQUIRED = ["number", "member", *LOAN_FIELDS[:12]]
SHAREOUT_FIGURES = [
    "method",
    "netting",
    "cash_cents",
    "bank_cents",
    "loans_outstanding_cents",
    "social_fund_cents",
    "reserve_kept_cents",
    "profit_cents",
    "reserve_cents",
    "distributable_cents",
    "executed_by",
]
PAYOUT_COLUMNS = [
    "shares",
    "savings_cents",
    "profit_cents",
    "deductions_cents",
    "reinvested_cents",
    "amount_cents",
]

MAX_BYTES = 64 * 1024 * 1024
"""A book of thousands of meetings is a few megabytes; anything far larger is not a book."""
MAX_DEPTH = 12
"""The deepest place in a book is ``$.loans[0].installments[0][0]`` (four levels)."""


@dataclass
class ImportErrors(Exception):
    """Every problem found in a book, each as ``(path in the document, bilingual message)``."""

    errors: list[tuple[str, str]] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.errors.append((path, message))

    def __str__(self) -> str:
        return "\n".join(f"{p}: {m}" for p, m in self.errors)


def repeated(values: list[Any], path: str, errs: ImportErrors) -> bool:
    """Report the first value listed twice (``path[index]``); true if there was one."""
    seen: set[Any] = set()
    for i, value in enumerate(values):
        if value in seen:
            errs.add(f"{path}[{i}]", f"repetido / listed twice: {show(value)}")
            return True
        seen.add(value)
    return False


def plain(value: Any) -> Any:
    """A model value as the book writes it: dates ISO, timestamps ISO in UTC with
    microseconds, decimals as strings; everything else as it is."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def show(value: Any) -> str:
    """A short, safe rendering of any value for an error message: never the whole of a long
    text or a nested structure (whose ``repr`` could itself fail or fill the screen)."""
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:40] + "…"
        return repr(text)
    if value is None or isinstance(value, bool | float):
        return repr(value)
    if isinstance(value, int):
        text = str(value) if value.bit_length() < 128 else "…"
        return text if len(text) <= 40 else text[:40] + "…"
    if isinstance(value, list):
        return f"[…] ({len(value)})"
    if isinstance(value, dict):
        return "{…}"
    return type(value).__name__


def json_no_constant(name: str) -> Any:
    raise ValueError(f"{name} no es un número JSON / {name} is not a JSON number")


def json_float(text: str) -> float:
    if len(text) > 40:
        raise ValueError("número demasiado largo / number too long")
    return float(text)


def json_int(text: str) -> int:
    if len(text) > 40:
        raise ValueError("número demasiado largo / number too long")
    return int(text)


def _depth_ok(document: Any) -> bool:
    stack = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return True


def book_parse(data: bytes) -> Any:
    """The document in ``data`` (UTF-8 JSON), or ``ImportErrors`` saying why it is not one."""
    errs = ImportErrors()
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                duplicates.append(key)
            result[key] = value
        return result

    if len(data) > MAX_BYTES:
        errs.add("$", f"archivo de más de {MAX_BYTES} bytes / file larger than {MAX_BYTES} bytes")
        raise errs
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        errs.add(
            "$",
            "el archivo empieza con un BOM: guárdelo como UTF-8 sin BOM / "
            "the file starts with a byte order mark: save it as UTF-8 without BOM",
        )
        raise errs
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        errs.add(
            "$",
            f"el archivo no es UTF-8 (byte {exc.start}) / the file is not UTF-8 (byte {exc.start})",
        )
        raise errs from None
    try:
        document = json.loads(
            text,
            object_pairs_hook=pairs,
            parse_constant=json_no_constant,
            parse_float=json_float,
            parse_int=json_int,
        )
    except RecursionError:
        document, nested = None, True
    except ValueError as exc:  # JSONDecodeError and the number hooks
        errs.add("$", f"JSON inválido / invalid JSON: {str(exc)[:200]}")
        raise errs from None
    else:
        nested = not _depth_ok(document)
    if nested:
        errs.add(
            "$",
            f"anidamiento de más de {MAX_DEPTH} niveles / nested deeper than {MAX_DEPTH} levels",
        )
        raise errs
    for key in dict.fromkeys(duplicates):
        errs.add("$", f"clave repetida {show(key)} / duplicated key {show(key)}")
    if errs.errors:
        raise errs
    return document
