"""Structural checks of a book: the type, length, characters and range of every value.

A spec says what one value must be; ``columns.column()`` derives it from the model field the
value is stored in (``max_length``, ``choices``, ``null``, integer width), so the book obeys the same
limits as the database. Semantic rules (a member is an adult, an entry balances) come after,
in the importer, over values already known to have the right shape. Here the base and the
specs of lists and objects; ``scalars.py`` those of texts, numbers, dates and flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cajas.books.format import ImportErrors
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
