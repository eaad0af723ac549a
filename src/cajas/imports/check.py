"""The header and each row of a member file, read into ``Candidate`` values or row errors.
Nothing here touches the database: the rules that need it (capacity, age, one membership per
program, officer roles, consents) run in ``imports.services`` through the members services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils import translation

from cajas.core.errors import RuleViolation
from cajas.imports import cells
from cajas.imports.columns import (
    BY_FIELD,
    COLUMNS,
    CONSENT_COLUMNS,
    column_for,
    is_metadata,
    plain,
)
from cajas.imports.rules import (
    CellCajaMissing,
    CellDocumentWithoutType,
    ImportColumnMissing,
    ImportColumnTwice,
    ImportNoHeader,
    document_key,
)
from cajas.members.models import DocumentType, Role


@dataclass(frozen=True)
class RowError:
    """One refusal: the row as the spreadsheet numbers it (header = 1), the column as the file
    spells it ("" for the whole row), the code and both messages."""

    row: int
    column: str
    code: str
    es: str
    en: str

    def message(self, language: str | None) -> str:
        return self.en if (language or "es").startswith("en") else self.es

    @classmethod
    def of(cls, row: int, column: str, exc: RuleViolation) -> RowError:
        return cls(row=row, column=column, code=exc.code, es=exc.es, en=exc.en)


@dataclass
class Candidate:
    """A row that reads well: what ``members.services`` gets for one new member."""

    row: int
    given_names: str
    family_names: str
    gender: str
    birth_date: dt.date
    nationality: str
    phone: str = ""
    document_type: str = DocumentType.NONE
    document_number: str = ""
    mobility_status: str = ""
    role: str = Role.MEMBER
    joined_on: dt.date | None = None
    consents: list[str] = field(default_factory=list)
    caja_blank: bool = False  # the file has a caja column and this row's cell is empty

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["birth_date"] = self.birth_date.isoformat()
        data["joined_on"] = self.joined_on.isoformat() if self.joined_on else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Candidate:
        data = dict(data)
        data["birth_date"] = dt.date.fromisoformat(data["birth_date"])
        joined = data.get("joined_on")
        data["joined_on"] = dt.date.fromisoformat(joined) if joined else None
        return cls(**data)

    @property
    def document_key(self) -> str:
        """Type and number, for finding the same person twice; "" without a document."""
        return document_key(self.document_type, self.document_number)


@dataclass(frozen=True)
class Layout:
    """Which column of the file holds which field (its index and the header as written)."""

    columns: dict[str, tuple[int, str]]
    ignored: list[str]

    def header(self, name: str) -> str:
        return self.columns[name][1] if name in self.columns else BY_FIELD[name].es


def layout_of(header: list[str]) -> Layout:
    """Map the header; refused without a known column, with a required one missing, or with
    two columns for the same field."""
    columns: dict[str, tuple[int, str]] = {}
    ignored = []
    for index, title in enumerate(header):
        name = column_for(title) if title else None
        if name is None:
            if title and not is_metadata(title):
                ignored.append(title)
            continue
        if name in columns:
            raise ImportColumnTwice(first=columns[name][1][:40], second=title[:40])
        columns[name] = (index, title)
    if not columns:
        raise ImportNoHeader()
    for column in COLUMNS:
        if column.required and column.field not in columns:
            raise ImportColumnMissing(column=column.es, column_en=column.en)
    return Layout(columns=columns, ignored=ignored)


def row_caja(layout: Layout, number: int, values: list[Any]) -> str | RowError | None:
    """The caja code the row names (plain; "" when the cell is empty), None without a caja
    column, or the error."""
    if "caja" not in layout.columns:
        return None
    index, title = layout.columns["caja"]
    raw = values[index] if index < len(values) else None
    try:
        code = cells.text(raw, "caja", digits_ok=True)
    except RuleViolation as exc:
        return RowError.of(number, title, exc)
    return plain(code)


def _read(name: str, raw: Any, today: dt.date) -> Any:
    if name in ("given_names", "family_names"):
        return cells.required_text(raw, name)
    if name == "gender":
        return cells.choice(raw, "gender")
    if name == "document_type":
        return cells.choice(raw, "document_type", default=DocumentType.NONE)
    if name == "mobility_status":
        return cells.choice(raw, "mobility_status", default="")
    if name == "role":
        return cells.choice(raw, "role", default=Role.MEMBER)
    if name == "birth_date":
        return cells.date(raw, name, earliest=cells.EARLIEST_BIRTH, required=True)
    if name == "joined_on":
        return cells.date(raw, name, earliest=dt.date(2000, 1, 1), required=False)
    if name == "nationality":
        return cells.nationality(raw)
    if name == "phone":
        return cells.phone(raw)
    if name == "document_number":
        return cells.document_number(raw)
    if name in CONSENT_COLUMNS:
        return cells.yes_no(raw, name)
    raise KeyError(name)


def row_read(
    layout: Layout, number: int, values: list[Any], *, today: dt.date
) -> Candidate | list[RowError]:
    """One data row: a ``Candidate``, or every error it has (one per column)."""
    found: dict[str, Any] = {}
    errors: list[RowError] = []
    for name, (index, title) in layout.columns.items():
        if name == "caja":
            continue
        raw = values[index] if index < len(values) else None
        try:
            found[name] = _read(name, raw, today)
        except RuleViolation as exc:
            errors.append(RowError.of(number, title, exc))
    if found.get("document_number") and found.get("document_type", "none") == DocumentType.NONE:
        errors.append(
            RowError.of(number, layout.header("document_type"), CellDocumentWithoutType())
        )
    if errors:
        return errors
    consents = [purpose for name, purpose in CONSENT_COLUMNS.items() if found.pop(name, False)]
    return Candidate(row=number, consents=consents, **found)


def caja_blank_errors(candidates: list[Candidate], layout_caja: str) -> list[RowError]:
    """A row without a caja belongs to this caja only when no row names another one."""
    return [RowError.of(c.row, layout_caja, CellCajaMissing()) for c in candidates if c.caja_blank]


def messages_both(exc: Exception) -> tuple[str, str]:
    """A Django ``ValidationError``'s messages in Spanish and English (a safety net: the cells
    are read before the model validates them)."""
    with translation.override("es"):
        es = "; ".join(str(m) for m in getattr(exc, "messages", [str(exc)]))
    with translation.override("en"):
        en = "; ".join(str(m) for m in getattr(exc, "messages", [str(exc)]))
    return es, en
