"""One cell → one value, or a refusal. Text goes through ``core.parsing.parse_text`` (length,
control characters such as NUL), yes/no through ``parse_bool``, dates through ``parse_date``;
what a spreadsheet adds (number and date cells, formulas, codes) is read here."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

from cajas.core.parsing import InputInvalid, parse_bool, parse_date, parse_text
from cajas.imports.columns import BY_FIELD, CHOICES, COUNTRY_NAMES, code_lookup, plain
from cajas.imports.rules import (
    CellChoice,
    CellControl,
    CellDate,
    CellDocumentNumber,
    CellNationality,
    CellPhone,
    CellRequired,
    CellTooLong,
    CellWrongType,
    check_formula,
)

EARLIEST_BIRTH = dt.date(1900, 1, 1)
_DAY_MONTH_YEAR = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")
_ISO_WITH_TIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ][0-9:.+\-Z]*")
_PHONE = re.compile(r"\+?[0-9][0-9 ]{5,18}")
_DOCUMENT = re.compile(r"[A-Z0-9]{1,30}")
_ALPHA2 = re.compile(r"[A-Z]{2}")

_TYPES = {
    "text": ("un texto", "text"),
    "number": ("un número", "a number"),
    "date": ("una fecha", "a date"),
    "yes/no": ("sí o no", "yes or no"),
}


def _wrong(expected: str, got: str) -> CellWrongType:
    es, en = _TYPES[expected]
    got_es, got_en = _TYPES[got]
    return CellWrongType(expected_es=es, expected_en=en, got_es=got_es, got_en=got_en)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return "date"
    if isinstance(value, (int, float)):
        return "number"
    return "text"


def text(value: Any, field: str, *, digits_ok: bool = False) -> str:
    """A text cell (empty is ""). A whole number is accepted as its digits when ``digits_ok``
    (a phone or document number Excel stored as a number); anything else must be text."""
    if value is None:
        return ""
    if digits_ok and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if digits_ok and isinstance(value, float) and value.is_integer() and value >= 0:
        return str(int(value))
    if not isinstance(value, str):
        raise _wrong("text", _kind(value))
    return _clean(value, field)


def _clean(value: str, field: str) -> str:
    """``parse_text``'s checks (length, control characters), said as the import says them."""
    stripped = value.strip()
    maximum = BY_FIELD[field].max_length
    if len(stripped) > maximum:
        raise CellTooLong(length=len(stripped), maximum=maximum)
    try:
        cleaned = parse_text(stripped, field=field, max_length=maximum)
    except InputInvalid:
        raise CellControl() from None
    if cleaned:
        check_formula(cleaned)
    return cleaned


def required_text(value: Any, field: str) -> str:
    found = text(value, field)
    if not found:
        raise CellRequired()
    return found


def choice(value: Any, field: str, *, default: str | None = None) -> str:
    """A code of ``field``'s choices (Kobo select_one values, the template's Spanish codes or
    the stored English values), case and accents ignored."""
    found = text(value, field)
    if not found:
        if default is None:
            raise CellRequired()
        return default
    value_of = code_lookup(field).get(plain(found))
    if value_of is None:
        codes = ", ".join(codes[0] for codes in CHOICES[field].values())
        raise CellChoice(value=found[:24], codes=codes)
    return value_of


def nationality(value: Any) -> str:
    found = text(value, "nationality")
    if not found:
        raise CellRequired()
    named = COUNTRY_NAMES.get(plain(found))
    if named:
        return named
    code = found.upper()
    if not _ALPHA2.fullmatch(code):
        raise CellNationality(value=found[:24])
    return code


def phone(value: Any) -> str:
    """Digits and spaces, a leading ``+`` allowed (the one cell where ``+`` is not a formula)."""
    if isinstance(value, str) and _PHONE.fullmatch(value.strip()):
        return value.strip()  # digits, spaces and the «+» only, at most 19 characters
    found = text(value, "phone", digits_ok=True)
    if found and not _PHONE.fullmatch(found):
        raise CellPhone()
    return found


def document_number(value: Any) -> str:
    found = text(value, "document_number", digits_ok=True).upper().replace(" ", "")
    found = found.replace("-", "").replace(".", "")
    if found and not _DOCUMENT.fullmatch(found):
        raise CellDocumentNumber()
    return found


def date(value: Any, field: str, *, earliest: dt.date, required: bool) -> dt.date | None:
    """A date cell, or text as ``YYYY-MM-DD``, ``DD/MM/YYYY`` (also with ``-`` or ``.``) or
    Kobo's ``YYYY-MM-DDThh:mm:ss…``; never after today."""
    today = timezone.localdate()
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day: str | dt.date = value
    elif value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CellRequired()
        return None
    elif isinstance(value, str):
        raw = value.strip()
        check_formula(raw)
        dmy = _DAY_MONTH_YEAR.fullmatch(raw)
        iso = _ISO_WITH_TIME.fullmatch(raw)
        if dmy:
            d, m, y = (int(g) for g in dmy.groups())
            try:
                day = dt.date(y, m, d)
            except ValueError:
                raise CellDate(value=raw[:24]) from None
        elif iso:
            day = iso.group(1)
        else:
            day = raw
    else:
        raise _wrong("date", _kind(value))
    try:
        return parse_date(day, field=field, earliest=earliest, latest=today)
    except Exception as exc:  # an input.date_* refusal: say it the import's way
        code = getattr(exc, "code", "")
        if code == "input.date_invalid":
            raise CellDate(value=str(day)[:24]) from None
        raise


def yes_no(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    found = text(value, field)
    return parse_bool(plain(found).replace("_", " "), field=field)
