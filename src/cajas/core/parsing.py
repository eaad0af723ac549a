"""Reading what people and programs send: ids, whole numbers, yes/no, choices, dates, report
periods and free text. Amounts are read by ``core/money.py``.

Every view and management command reads its input through these functions, so that crafted
input is refused with a message naming the field, in Spanish and English, and never reaches
``int()``, ``date.fromisoformat()`` or the database as something they cannot take:

- numbers are the ASCII digits 0-9 only (``²``, ``٣``, ``５`` are digits to ``str.isdigit()``
  but not to us), no sign unless the range allows negatives, at most 19 digits, and within
  bounds: an id is 1 … 2⁶³−1 (the 64-bit column), a count has its own maximum;
- dates are ``YYYY-MM-DD`` between ``EARLIEST`` and a year from today;
- a report period runs forwards and for at most ``MAX_PERIOD_YEARS`` years;
- text has a maximum length (the model column's) and no control characters (a NUL byte cannot
  be stored in PostgreSQL).

Each refusal is an ``InputInvalid`` (a ``RuleViolation``, codes ``input.*``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from cajas.core.errors import RuleViolation

MAX_ID = 2**63 - 1
"""The largest value of a 64-bit signed column: the largest id or number we look up."""

EARLIEST = dt.date(2000, 1, 1)
"""No caja kept books before 2000: an earlier date is a slip."""

LATEST_AHEAD = dt.timedelta(days=366)
"""A date may be up to a year ahead (a due date, a rate cap coming into force)."""

MAX_PERIOD_YEARS = 10
"""The longest report period (the dashboard, statements)."""

_DIGITS = re.compile(r"[0-9]{1,19}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")

LABELS: dict[str, tuple[str, str]] = {
    "member": ("número de socio", "member number"),
    "meeting": ("número de reunión", "meeting number"),
    "loan": ("número de préstamo", "loan number"),
    "cycle": ("ciclo", "cycle"),
    "item": ("partida", "item"),
    "caja": ("caja", "caja"),
    "program": ("programa", "program"),
    "partner": ("socio implementador", "partner"),
    "territory": ("territorio", "territory"),
    "nationality": ("nacionalidad", "nationality"),
    "gender": ("género", "gender"),
    "term": ("número de cuotas", "number of installments"),
    "shares": ("acciones", "shares"),
    "seq": ("número de asiento", "entry number"),
    "number": ("número", "number"),
    "port": ("puerto", "port"),
    "cajas": ("número de cajas", "number of cajas"),
    "guarantors": ("garantes", "guarantors"),
    "date": ("fecha", "date"),
    "from": ("desde", "from"),
    "to": ("hasta", "to"),
    "due": ("fecha límite", "due date"),
    "effective_from": ("vigente desde", "in force from"),
    "reason": ("motivo", "reason"),
    "note": ("nota", "note"),
    "findings": ("hallazgos", "findings"),
    "action": ("acción acordada", "agreed action"),
    "description": ("descripción", "description"),
    "source": ("resolución", "resolution"),
    "person": ("código de la persona", "person's code"),
    "user": ("usuario", "user"),
    "username": ("usuario", "username"),
    "name": ("nombre", "name"),
}


def _labels(field: str) -> dict[str, str]:
    es, en = LABELS.get(field, (field, field))
    return {"label_es": es, "label_en": en}


def shown(value: object) -> str:
    """The value as a message repeats it: short, control characters made visible."""
    text = "" if value is None else str(value)
    text = _CONTROL_ONE_LINE.sub("\N{REPLACEMENT CHARACTER}", text)
    return text if len(text) <= 24 else f"{text[:20]}…"


class InputInvalid(RuleViolation):
    """Input the app cannot read. Every ``input.*`` refusal is one of these."""

    code = "input.invalid"
    message_es = "No se pudo leer «{label_es}»: «{value}»."
    message_en = "Could not read “{label_en}”: “{value}”."

    def __init__(self, field: str | None = None, **params: Any) -> None:
        super().__init__(field, **{**_labels(field or ""), **params})


class InputRequired(InputInvalid):
    code = "input.required"
    message_es = "Falta «{label_es}»."
    message_en = "“{label_en}” is missing."


class InputNotNumber(InputInvalid):
    code = "input.not_number"
    message_es = "«{label_es}» debe ser un número entero escrito con cifras 0 a 9, no «{value}»."
    message_en = (
        "“{label_en}” must be a whole number written with the digits 0 to 9, not “{value}”."
    )


class InputDigits(InputInvalid):
    code = "input.digits"
    message_es = "«{label_es}»: «{value}» lleva cifras que no son 0-9; use las cifras 0 a 9."
    message_en = "“{label_en}”: “{value}” has digits other than 0-9; use the digits 0 to 9."


class InputOutOfRange(InputInvalid):
    code = "input.out_of_range"
    message_es = "«{label_es}» debe estar entre {minimum} y {maximum} (se recibió {value})."
    message_en = "“{label_en}” must be between {minimum} and {maximum} (got {value})."


class InputChoice(InputInvalid):
    code = "input.choice"
    message_es = "«{label_es}»: «{value}» no es una de las opciones."
    message_en = "“{label_en}”: “{value}” is not one of the choices."


class InputDateInvalid(InputInvalid):
    code = "input.date_invalid"
    message_es = "«{label_es}»: «{value}» no es una fecha; escríbala AAAA-MM-DD, p. ej. 2025-03-17."
    message_en = "“{label_en}”: “{value}” is not a date; write it YYYY-MM-DD, e.g. 2025-03-17."


class InputDateOutOfRange(InputInvalid):
    code = "input.date_out_of_range"
    message_es = (
        "«{label_es}»: la fecha {value} está fuera de lo admitido (de {earliest} a {latest})."
    )
    message_en = "“{label_en}”: the date {value} is out of range ({earliest} to {latest})."


class InputPeriodReversed(InputInvalid):
    code = "input.period_reversed"
    message_es = "El período termina ({end}) antes de empezar ({start}); revise «desde» y «hasta»."
    message_en = "The period ends ({end}) before it starts ({start}); check “from” and “to”."


class InputPeriodTooLong(InputInvalid):
    code = "input.period_too_long"
    message_es = "El período del {start} al {end} supera el máximo de {years} años."
    message_en = "The period from {start} to {end} is longer than the maximum of {years} years."


class InputTooLong(InputInvalid):
    code = "input.too_long"
    message_es = "«{label_es}» admite hasta {maximum} caracteres (se recibieron {length})."
    message_en = "“{label_en}” takes at most {maximum} characters (got {length})."


class InputControlCharacters(InputInvalid):
    code = "input.control_characters"
    message_es = (
        "«{label_es}» lleva caracteres de control (p. ej. un byte nulo); escríbalo de nuevo."
    )
    message_en = "“{label_en}” contains control characters (e.g. a NUL byte); type it again."


# --- numbers ---------------------------------------------------------------------------------


def parse_int(raw: str | int | None, *, field: str, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """A whole number written with the ASCII digits 0-9 (a leading ``-`` only when ``minimum``
    is negative), between ``minimum`` and ``maximum``. Surrounding spaces are ignored."""
    value = parse_optional_int(raw, field=field, minimum=minimum, maximum=maximum)
    if value is None:
        raise InputRequired(field=field)
    return value


def parse_optional_int(
    raw: str | int | None, *, field: str, minimum: int = 0, maximum: int = MAX_ID
) -> int | None:
    """As ``parse_int``; None when nothing was sent (absent or blank)."""
    if isinstance(raw, bool):
        raise InputNotNumber(field=field, value=shown(raw))
    if isinstance(raw, int):
        number = raw
    else:
        text = (raw or "").strip()
        if not text:
            return None
        negative = text.startswith("-") and minimum < 0
        body = text[1:] if negative else text
        if any(ch.isdigit() and ch not in "0123456789" for ch in body):
            raise InputDigits(field=field, value=shown(text))
        if not body.isascii() or not body.isdigit():
            raise InputNotNumber(field=field, value=shown(text))
        if not _DIGITS.fullmatch(body.lstrip("0") or "0"):
            raise InputOutOfRange(field=field, value=shown(text), minimum=minimum, maximum=maximum)
        digits = int(body.lstrip("0") or "0")
        number = -digits if negative else digits
    if not minimum <= number <= maximum:
        raise InputOutOfRange(field=field, value=shown(number), minimum=minimum, maximum=maximum)
    return number


def parse_id(raw: str | int | None, *, field: str) -> int:
    """A row's id or a number that names something (member n.º, meeting n.º): 1 … 2⁶³−1."""
    return parse_int(raw, field=field, minimum=1, maximum=MAX_ID)


def parse_optional_id(raw: str | int | None, *, field: str) -> int | None:
    return parse_optional_int(raw, field=field, minimum=1, maximum=MAX_ID)


def parse_int_list(
    raw: str | None, *, field: str, maximum: int = MAX_ID, most: int = 10
) -> list[int]:
    """Numbers separated by commas (``3, 12``), each 1 … ``maximum``, at most ``most`` of them;
    an empty text is the empty list."""
    parts = [p.strip() for p in (raw or "").split(",")]
    if parts == [""]:
        return []
    if len(parts) > most:
        raise InputOutOfRange(field=field, value=shown(raw), minimum=0, maximum=most)
    return [parse_int(p, field=field, minimum=1, maximum=maximum) for p in parts]


# --- yes/no and choices ----------------------------------------------------------------------

_TRUE = {"on", "1", "true", "yes", "sí", "si"}
_FALSE = {"", "0", "off", "false", "no"}


def parse_bool(raw: str | bool | None, *, field: str) -> bool:
    """A checkbox or a yes/no: ``on``/``1``/``true``/``yes``/``sí`` or ``0``/``off``/``false``/
    ``no``/nothing (case and spaces ignored)."""
    if isinstance(raw, bool):
        return raw
    text = (raw or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputChoice(field=field, value=shown(raw))


def parse_choice(
    raw: str | None, *, field: str, choices: Iterable[str], default: str | None = None
) -> str:
    """One of ``choices`` exactly; nothing sent gives ``default`` (refused when there is none)."""
    text = (raw or "").strip()
    if not text:
        if default is None:
            raise InputRequired(field=field)
        return default
    if text not in set(choices):
        raise InputChoice(field=field, value=shown(text))
    return text


# --- dates and periods -----------------------------------------------------------------------


def latest_date(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()) + LATEST_AHEAD


def parse_date(
    raw: str | dt.date | None,
    *,
    field: str,
    earliest: dt.date = EARLIEST,
    latest: dt.date | None = None,
    today: dt.date | None = None,
) -> dt.date:
    """A ``YYYY-MM-DD`` date between ``earliest`` (2000-01-01) and ``latest`` (a year from
    today unless given)."""
    value = parse_optional_date(raw, field=field, earliest=earliest, latest=latest, today=today)
    if value is None:
        raise InputRequired(field=field)
    return value


def parse_optional_date(
    raw: str | dt.date | None,
    *,
    field: str,
    earliest: dt.date = EARLIEST,
    latest: dt.date | None = None,
    today: dt.date | None = None,
) -> dt.date | None:
    """As ``parse_date``; None when nothing was sent."""
    if isinstance(raw, dt.date):
        day = raw
    else:
        text = (raw or "").strip()
        if not text:
            return None
        if not _DATE.fullmatch(text):
            raise InputDateInvalid(field=field, value=shown(text))
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise InputDateInvalid(field=field, value=shown(text)) from None
    last = latest or latest_date(today)
    if not earliest <= day <= last:
        raise InputDateOutOfRange(
            field=field,
            value=day.isoformat(),
            earliest=earliest.isoformat(),
            latest=last.isoformat(),
        )
    return day


def period_check(
    start: dt.date | None,
    end: dt.date | None,
    *,
    today: dt.date | None = None,
    max_years: int = MAX_PERIOD_YEARS,
) -> tuple[dt.date | None, dt.date | None]:
    """A report period ``start`` … ``end`` (either may be open: the end is then today) runs
    forwards and lasts at most ``max_years`` years. Returns it unchanged."""
    if start is None:
        return start, end
    last = end or today or timezone.localdate()
    if last < start:
        raise InputPeriodReversed(field="from", start=start.isoformat(), end=last.isoformat())
    if start < earliest_start(last, max_years):
        raise InputPeriodTooLong(
            field="from", start=start.isoformat(), end=last.isoformat(), years=max_years
        )
    return start, end


def earliest_start(end: dt.date, years: int = MAX_PERIOD_YEARS) -> dt.date:
    """The first day of the longest period that ends on ``end``."""
    try:
        return end.replace(year=end.year - years)
    except ValueError:  # 29 February
        return end.replace(year=end.year - years, day=28)


# --- text ------------------------------------------------------------------------------------


def parse_text(
    raw: str | None,
    *,
    field: str,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """Free text, spaces around it removed: at most ``max_length`` characters (the column's),
    no control characters (new lines and tabs only when ``multiline``)."""
    text = (raw or "").strip()
    if required and not text:
        raise InputRequired(field=field)
    if (_CONTROL if multiline else _CONTROL_ONE_LINE).search(text):
        raise InputControlCharacters(field=field)
    if len(text) > max_length:
        raise InputTooLong(field=field, maximum=max_length, length=len(text))
    return text
