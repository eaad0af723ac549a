"""The specs of single values (``spec.py``): texts, integers, flags, dates, times, decimals."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from cajas.books.format import ImportErrors, show
from cajas.books.importer.compiled import Code
from cajas.books.importer.spec import INT32, Spec

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEARS = range(1900, 2201)


@dataclass(frozen=True)
class Text(Spec):
    max_len: int
    choices: tuple[str, ...] | None = None
    blank: bool = True
    nullable: bool = False
    multiline: bool = False
    pattern: str | None = None

    def ok(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        if not isinstance(value, str) or len(value) > self.max_len:
            return False
        if self.pattern is not None and _compiled(self.pattern).fullmatch(value) is None:
            return False  # first: it refuses most bad values, and is what a hash is checked by
        if (_CONTROL_MULTILINE if self.multiline else _CONTROL).search(value):
            return False
        if not value.strip():
            return self.blank
        return self.choices is None or value in self.choices

    def emit(self, var: str, code: Code) -> None:
        self._emit_nullable(var, code)

    def _emit_checks(self, var: str, code: Code) -> None:
        if self.choices is not None:  # one of them (most values): nothing else to test
            good = frozenset(c for c in self.choices if self.ok(c))
            code.line(f"if type({var}) is not str or {var} not in {code.name(good)}:")
            with code.block():
                self._emit_tests(var, code)
            return
        self._emit_tests(var, code)

    def _emit_tests(self, var: str, code: Code) -> None:
        code.line(f"if not isinstance({var}, str) or len({var}) > {self.max_len}: return False")
        if self.pattern is not None:
            code.line(
                f"if {code.name(_compiled(self.pattern))}.fullmatch({var}) is None: return False"
            )
        # a printable text has no control character (each one is not printable): one C call
        # instead of a search, for the texts that are
        control = code.name(_CONTROL_MULTILINE if self.multiline else _CONTROL)
        code.line(f"if not {var}.isprintable() and {control}.search({var}): return False")
        if self.choices is not None:
            code.line(
                f"if {var}.strip() and {var} not in {code.name(frozenset(self.choices))}: return False"
            )
        if not self.blank:
            code.line(f"if not {var}.strip(): return False")

    def _check(self, value: Any, path: str, errs: ImportErrors) -> bool:
        if not isinstance(value, str):
            return self._wrong(value, path, errs, "un texto", "a string")
        if len(value) > self.max_len:
            errs.add(
                path,
                f"texto de {len(value)} caracteres, el máximo es {self.max_len} / "
                f"text of {len(value)} characters, the maximum is {self.max_len}",
            )
            return False
        bad = (_CONTROL_MULTILINE if self.multiline else _CONTROL).search(value)
        if bad:
            code = f"U+{ord(bad.group()):04X}"
            errs.add(
                path,
                f"carácter de control {code} no permitido / control character {code} not allowed",
            )
            return False
        if not value.strip():
            if self.blank:
                return True
            errs.add(path, "no puede estar vacío / must not be empty")
            return False
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(self.choices)
            errs.add(
                path,
                f"valor desconocido {show(value)} (uno de: {allowed}) / "
                f"unknown value {show(value)} (one of: {allowed})",
            )
            return False
        if self.pattern is not None and not _compiled(self.pattern).fullmatch(value):
            errs.add(path, f"formato inválido {show(value)} / invalid format {show(value)}")
            return False
        return True


@dataclass(frozen=True)
class Int(Spec):
    lo: int = 0
    hi: int = INT32
    nullable: bool = False

    def ok(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        return type(value) is int and self.lo <= value <= self.hi

    def emit(self, var: str, code: Code) -> None:
        self._emit_nullable(var, code)

    def _emit_checks(self, var: str, code: Code) -> None:
        code.line(f"if type({var}) is not int or not {self.lo} <= {var} <= {self.hi}: return False")

    def _check(self, value: Any, path: str, errs: ImportErrors) -> bool:
        if type(value) is not int:
            return self._wrong(value, path, errs, "un entero", "an integer")
        if not self.lo <= value <= self.hi:
            errs.add(
                path,
                f"{show(value)} fuera de rango [{self.lo}, {self.hi}] / "
                f"{show(value)} out of range [{self.lo}, {self.hi}]",
            )
            return False
        return True


@dataclass(frozen=True)
class Flag(Spec):
    nullable: bool = False

    def ok(self, value: Any) -> bool:
        return self.nullable if value is None else type(value) is bool

    def emit(self, var: str, code: Code) -> None:
        self._emit_nullable(var, code)

    def _emit_checks(self, var: str, code: Code) -> None:
        code.line(f"if type({var}) is not bool: return False")

    def _check(self, value: Any, path: str, errs: ImportErrors) -> bool:
        if type(value) is not bool:
            return self._wrong(value, path, errs, "true o false", "true or false")
        return True


@dataclass(frozen=True)
class Day(Spec):
    nullable: bool = False

    def ok(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        return type(value) is str and len(value) == 10 and _day_ok(value)

    def emit(self, var: str, code: Code) -> None:
        self._emit_nullable(var, code)

    def _emit_checks(self, var: str, code: Code) -> None:
        code.line(
            f"if type({var}) is not str or len({var}) != 10 or not {code.name(_day_ok)}({var}):"
            " return False"
        )

    def _check(self, value: Any, path: str, errs: ImportErrors) -> bool:
        try:
            assert isinstance(value, str) and _DATE.fullmatch(value)
            assert dt.date.fromisoformat(value).year in _YEARS
        except (AssertionError, ValueError):
            errs.add(path, f"fecha inválida {show(value)} (AAAA-MM-DD) / invalid date (YYYY-MM-DD)")
            return False
        return True


@dataclass(frozen=True)
class Stamp(Spec):
    nullable: bool = False

    def ok(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        try:
            if not isinstance(value, str) or len(value) > 40:
                return False
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return False
        return parsed.year in _YEARS and parsed.tzinfo is not None

    def _check(self, value: Any, path: str, errs: ImportErrors) -> bool:
        try:
            assert isinstance(value, str) and len(value) <= 40
            parsed = dt.datetime.fromisoformat(value)
            assert parsed.year in _YEARS
        except (AssertionError, ValueError):
            errs.add(path, f"fecha y hora inválida {show(value)} / invalid timestamp")
            return False
        if parsed.tzinfo is None:
            errs.add(path, "falta la zona horaria / timestamp needs a time zone")
            return False
        return True


@dataclass(frozen=True)
class Dec(Spec):
    max_digits: int
    places: int
    lo: Decimal | None = Decimal(0)
    nullable: bool = False

    def _check(self, value: Any, path: str, errs: ImportErrors) -> bool:
        if type(value) is not str and type(value) is not int:
            return self._wrong(
                value, path, errs, 'un número en texto ("1.50")', 'a number as text ("1.50")'
            )
        try:
            short = (isinstance(value, str) and len(value) <= 40) or (
                isinstance(value, int) and value.bit_length() <= 128
            )
            number = Decimal(str(value)) if short else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            errs.add(path, f"número inválido {show(value)} / invalid number")
            return False
        exponent = int(number.as_tuple().exponent)
        whole = len(number.as_tuple().digits) + exponent
        if -exponent > self.places or whole > self.max_digits - self.places:
            errs.add(
                path,
                f"{show(value)}: como máximo {self.max_digits - self.places} cifras enteras y "
                f"{self.places} decimales / at most {self.max_digits - self.places} integer "
                f"digits and {self.places} decimals",
            )
            return False
        if self.lo is not None and number < self.lo:
            errs.add(path, f"debe ser ≥ {self.lo} / must be ≥ {self.lo}")
            return False
        return True


@functools.lru_cache(maxsize=4096)
def _day_ok(value: str) -> bool:
    """A date (``YYYY-MM-DD``: ten characters, so what is kept is small) in a book's years:
    asked once per meeting, not per entry, whose entries share it."""
    try:
        return _DATE.fullmatch(value) is not None and dt.date.fromisoformat(value).year in _YEARS
    except ValueError:
        return False


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
