"""What the importer learns of a book as it checks it, section by section, then writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cajas.books.format import ImportErrors
from cajas.org.models import Bylaws

KNOWN_BY = (
    ("members", "number"),
    ("meetings", "number"),
    ("cycles", "number"),
    ("loans", "number"),
    ("accounts", "code"),
)


@dataclass
class Plan:
    """Checked, parsed contents of a book document, ready to write."""

    doc: dict[str, Any]
    errs: ImportErrors
    recorded_by: str
    founded_on: dt.date | None = None
    members: dict[int, dict[str, Any]] = field(default_factory=dict)
    meetings: dict[int, dict[str, Any]] = field(default_factory=dict)
    cycles: dict[int, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    entry_count: int = 0
    line_count: int = 0
    last_hash: str = ""
    bylaws: list[Bylaws] = field(default_factory=list)
    loans: dict[int, dict[str, Any]] = field(default_factory=dict)
    shareouts: list[dict[str, Any]] = field(default_factory=list)
    running: dict[str, int] = field(default_factory=dict)
    negative: set[str] = field(default_factory=set)
    known: dict[str, set[Any]] = field(default_factory=dict)
    written: dict[str, Any] = field(default_factory=dict)
    meeting_numbers: list[int] = field(default_factory=list)
    """The meetings' numbers in the book's order, each once."""

    def __post_init__(self) -> None:
        # Numbers of every element, well-formed or not: a reference to a malformed member is
        # not also reported as a reference to an unknown one.
        found: dict[str, dict[Any, None]] = {
            section: dict.fromkeys(
                e.get(key)
                for e in self.doc.get(section) or []
                if isinstance(e, dict) and type(e.get(key)) is (str if key == "code" else int)
            )
            for section, key in KNOWN_BY
        }
        self.known = {section: set(numbers) for section, numbers in found.items()}
        self.meeting_numbers = list(found["meetings"])
