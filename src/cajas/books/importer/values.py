"""Small readers shared by the sections: values already shaped by ``shape.py``, parsed."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from cajas.books.format import ImportErrors, show


def date_value(
    value: Any, path: str, errs: ImportErrors, *, optional: bool = False
) -> dt.date | None:
    if value is None and optional:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        errs.add(path, f"fecha inválida / invalid date: {show(value)}")
        return None


def stamp_value(value: Any, path: str, errs: ImportErrors) -> dt.datetime | None:
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


def int_value(value: Any, path: str, errs: ImportErrors, *, minimum: int = 0) -> int:
    if type(value) is not int or value < minimum:
        errs.add(
            path,
            f"se esperaba un entero ≥ {minimum} / expected an integer ≥ {minimum}: {show(value)}",
        )
        return minimum
    return value


def require(doc: dict[str, Any], keys: list[str], path: str, errs: ImportErrors) -> bool:
    if not isinstance(doc, dict):
        errs.add(path, "se esperaba un objeto / expected an object")
        return False
    missing = [k for k in keys if k not in doc]
    for k in missing:
        errs.add(f"{path}.{k}", "falta este campo / missing field")
    return not missing


_UTC_TEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00")


def utc_text(raw: Any, when: dt.datetime) -> str:
    """``when`` in UTC as the hash chain writes it (``isoformat``, microseconds); ``raw``, the
    text ``when`` was read from, itself when it is written so already, as a book's export writes
    it: a quarter of the time, 110,000 times in a big book."""
    if type(raw) is str and _UTC_TEXT.fullmatch(raw):
        return raw
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")


def sqlite_text(utc: str) -> str:
    """A ``utc_text`` as Django writes a time to SQLite (``str`` of the naive UTC time: a space
    for the ``T``, the microseconds only when there are some)."""
    return utc[:10] + " " + (utc[11:19] if utc[20:26] == "000000" else utc[11:26])
