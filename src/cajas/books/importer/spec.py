"""Structural checks of a book: the type, length, characters and range of every value.

A spec says what one value must be; ``columns.column()`` derives it from the model field the
value is stored in (``max_length``, ``choices``, ``null``, integer width), so the book obeys the same
limits as the database. Semantic rules (a member is an adult, an entry balances) come after,
in the importer, over values already known to have the right shape.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from cajas.books.format import ImportErrors, show
from cajas.books.importer.compiled import Code, compile_ok
from cajas.books.reader import Deferred, Spool

INT32 = 2**31 - 1
INT64 = 2**63 - 1
TEXT_MAX = 10_000
"""Bound for free text (``TextField``: meeting notes)."""
SECRET_MAX = 100
"""Bound for encrypted text (document numbers, mobility status): longer is never a document."""
LIST_MAX = 200_000
SIGNED_CENTS = {"cash_difference_cents", "profit_cents"}
"""The only amounts that may be negative: a cash shortfall, a cycle's loss."""

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEARS = range(1900, 2201)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {
        str: "texto / a string",
        int: "entero / an integer",
        float: "decimal / a float",
        list: "lista / a list",
        dict: "objeto / an object",
    }.get(type(value), type(value).__name__)


class Spec:
    """``check`` reports every problem of a value at its path. ``ok`` is its fast path, with no
    paths or messages: true only when ``check`` would report nothing (it may say false for a
    good value, then ``check`` decides), so a good book costs one quick pass."""

    nullable: bool = False

    def ok(self, value: Any) -> bool:
        return False

    def check(self, value: Any, path: str, errs: ImportErrors) -> bool:
        if self.ok(value):
            return True
        if value is None:
            if self.nullable:
                return True
            errs.add(path, "no puede ser null / must not be null")
            return False
        return self._check(value, path, errs)

    def _check(self, value: Any, path: str, errs: ImportErrors) -> bool:
        raise NotImplementedError

    def _wrong(self, value: Any, path: str, errs: ImportErrors, es: str, en: str) -> bool:
        errs.add(path, f"se esperaba {es}, no {_kind(value)} / expected {en}")
        return False

    def emit(self, var: str, code: Code) -> None:
        """Statements that ``return False`` where ``ok(var)`` is false (see ``Code``); by
        default a call of ``ok``."""
        code.line(f"if not {code.name(self)}.ok({var}): return False")

    def _emit_checks(self, var: str, code: Code) -> None:
        raise NotImplementedError

    def _emit_nullable(self, var: str, code: Code) -> None:
        """``None`` passes if nullable and fails otherwise (every type test below refuses it)."""
        if not self.nullable:
            self._emit_checks(var, code)
            return
        code.line(f"if {var} is not None:")
        with code.block():
            self._emit_checks(var, code)


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
        code.line(f"if not isinstance({var}, str) or len({var}) > {self.max_len}: return False")
        if self.pattern is not None:
            code.line(
                f"if {code.name(_compiled(self.pattern))}.fullmatch({var}) is None: return False"
            )
        control = code.name(_CONTROL_MULTILINE if self.multiline else _CONTROL)
        code.line(f"if {control}.search({var}): return False")
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
        try:
            return (
                isinstance(value, str)
                and _DATE.fullmatch(value) is not None
                and dt.date.fromisoformat(value).year in _YEARS
            )
        except ValueError:
            return False

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


@dataclass(frozen=True)
class Seq(Spec):
    item: Spec
    max_items: int = LIST_MAX
    nullable: bool = False

    def ok(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        if type(value) is not list or len(value) > self.max_items:
            return False  # a spooled section is read once, by ``check``
        item = self.item
        if isinstance(item, Anything):
            return True
        for v in value:  # noqa: SIM110 (a loop: no generator per value, the fast path's point)
            if not item.ok(v):
                return False
        return True

    def emit(self, var: str, code: Code) -> None:
        self._emit_nullable(var, code)

    def _emit_checks(self, var: str, code: Code) -> None:
        code.line(f"if type({var}) is not list or len({var}) > {self.max_items}: return False")
        if isinstance(self.item, Anything):
            return
        item = code.var()
        code.line(f"for {item} in {var}:")
        with code.block():
            self.item.emit(item, code)

    def _check(self, value: Any, path: str, errs: ImportErrors) -> bool:
        if not isinstance(value, list | Spool | Deferred):
            return self._wrong(value, path, errs, "una lista", "a list")
        if len(value) > self.max_items:
            errs.add(path, f"más de {self.max_items} elementos / more than {self.max_items} items")
            return False
        if isinstance(self.item, Anything):
            return True  # each element is checked on its own (a spooled one stays on disk)
        ok = True
        for i, item in enumerate(value):
            ok = self.item.check(item, f"{path}[{i}]", errs) and ok
        return ok


@dataclass(frozen=True)
class Row(Spec):
    """A fixed-length list such as a journal line ``[account, debit, credit]``."""

    items: tuple[Spec, ...]
    nullable: bool = False

    def ok(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        if not isinstance(value, list) or len(value) != len(self.items):
            return False
        for spec, v in zip(self.items, value):  # noqa: B905, SIM110 (equal lengths; a loop, as above)
            if not spec.ok(v):
                return False
        return True

    def emit(self, var: str, code: Code) -> None:
        self._emit_nullable(var, code)

    def _emit_checks(self, var: str, code: Code) -> None:
        code.line(
            f"if not isinstance({var}, list) or len({var}) != {len(self.items)}: return False"
        )
        for i, spec in enumerate(self.items):
            item = code.var()
            code.line(f"{item} = {var}[{i}]")
            spec.emit(item, code)

    def _check(self, value: Any, path: str, errs: ImportErrors) -> bool:
        if not isinstance(value, list):
            return self._wrong(value, path, errs, "una lista", "a list")
        if len(value) != len(self.items):
            errs.add(
                path,
                f"se esperaban {len(self.items)} valores, hay {len(value)} / "
                f"expected {len(self.items)} values, found {len(value)}",
            )
            return False
        ok = True
        for i, (spec, item) in enumerate(zip(self.items, value, strict=True)):
            ok = spec.check(item, f"{path}[{i}]", errs) and ok
        return ok


@dataclass(frozen=True)
class Obj(Spec):
    """An object; keys not listed are ignored (a newer writer may add some)."""

    fields: dict[str, Spec]
    required: tuple[str, ...] = ()
    nullable: bool = False

    def __post_init__(self) -> None:
        # The fast path compiled into one function of plain tests (``Code``): an entry of a
        # journal has 16 values, and a call of each one's ``ok`` cost more than its test.
        object.__setattr__(self, "ok", compile_ok(self))

    def emit(self, var: str, code: Code) -> None:
        self._emit_nullable(var, code)

    def _emit_checks(self, var: str, code: Code) -> None:
        code.line(f"if not isinstance({var}, dict): return False")
        for key in self.required:
            code.line(f"if {key!r} not in {var}: return False")
        for key, spec in self.fields.items():
            if isinstance(spec, Anything):
                continue
            value = code.var()
            code.line(f"{value} = {var}.get({key!r}, _ABSENT)")
            code.line(f"if {value} is not _ABSENT:")
            with code.block():
                spec.emit(value, code)

    def ok(self, value: Any) -> bool:  # replaced by the compiled one (``__post_init__``)
        if value is None:
            return self.nullable
        if not isinstance(value, dict):
            return False
        for key in self.required:
            if key not in value:
                return False
        for key, spec in self.fields.items():
            if key in value and not spec.ok(value[key]):
                return False
        return True

    def _check(self, value: Any, path: str, errs: ImportErrors) -> bool:
        if not isinstance(value, dict):
            return self._wrong(value, path, errs, "un objeto", "an object")
        missing = [key for key in self.required if key not in value]
        if missing:
            names = ", ".join(missing)
            errs.add(path, f"faltan campos / missing fields: {names}")
        ok = not missing
        for key, spec in self.fields.items():
            if key in value:
                ok = spec.check(value[key], f"{path}.{key}", errs) and ok
        return ok


@dataclass(frozen=True)
class Anything(Spec):
    """Checked elsewhere (an element of a section, checked on its own)."""

    nullable: bool = True

    def ok(self, value: Any) -> bool:
        return True

    def emit(self, var: str, code: Code) -> None:
        return

    def _check(self, value: Any, path: str, errs: ImportErrors) -> bool:
        return True


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
