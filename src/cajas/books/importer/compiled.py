"""The fast path of a spec, compiled: one function of plain tests for a whole object.

Each spec's ``emit`` (``spec.py``) adds to a ``Code`` the statements that ``return False``
where its ``ok`` would be false; ``compile_ok`` turns them into one function. It answers as the
interpreted ``ok`` for every value (``tests/test_book_spec_fast.py``), without a call per value.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, Protocol

ABSENT = object()
"""A key missing from an object, as the compiled statements see it."""


class Code:
    """The source of one compiled ``ok``; the objects its statements use (patterns, choices,
    specs without a compiled form) are named in ``names``."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {"_ABSENT": ABSENT}
        self.depth, self.count = 1, 0

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    @contextlib.contextmanager
    def block(self) -> Iterator[None]:
        self.depth += 1
        before = len(self.lines)
        try:
            yield
        finally:
            if len(self.lines) == before:
                self.line("pass")
            self.depth -= 1

    def var(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def name(self, value: Any) -> str:
        key = f"_k{len(self.names)}"
        self.names[key] = value
        return key


class Emitter(Protocol):
    @property
    def nullable(self) -> bool: ...

    def emit(self, var: str, code: Code) -> None: ...


def compile_ok(spec: Emitter) -> Callable[[Any], bool]:
    """``spec.ok`` as one function of the statements ``spec.emit`` adds."""
    code = Code()
    if spec.nullable:
        code.line("if v0 is None: return True")
    spec.emit("v0", code)
    code.line("return True")
    source = "def ok(v0):\n" + "\n".join(code.lines) + "\n"
    namespace = dict(code.names)
    exec(compile(source, f"<spec {type(spec).__name__}>", "exec"), namespace)  # noqa: S102 - our own specs
    ok: Callable[[Any], bool] = namespace["ok"]
    ok.__doc__ = source
    return ok
