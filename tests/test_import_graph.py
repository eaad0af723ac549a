"""The import graph of ``src/cajas``: apps in layers, lower layers never importing higher ones,
and no module importing itself round a circle.

The layers are written down once, here and in docs/architecture.md. ``KNOWN_UPWARD`` and
``KNOWN_CYCLES`` would list what is still wrong (both are empty since issue 13); the test fails
on anything new.
"""

from __future__ import annotations

import ast
import pathlib
from collections import defaultdict

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"

# Bottom to top: an app may import only apps listed before it.
LAYERS = [
    "core",
    "org",
    "ledger",
    "members",
    "access",
    "loans",
    "meetings",
    "shareouts",
    "corrections",
    "documents",
    "privacy",
    "exports",
    "imports",
    "monitoring",
    "books",
    "backup",
    "demo",
    "api",
    "web",
    "cli",
]

# Upward imports still left (none: issue 13 moved the CLI commands into their apps, and the
# caja's founding with its chart of accounts into the ledger).
KNOWN_UPWARD: set[tuple[str, str]] = set()


def _modules() -> dict[str, pathlib.Path]:
    found = {}
    for path in (SRC / "cajas").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(modules: dict[str, pathlib.Path]) -> dict[str, set[str]]:
    """Module → the project modules it imports (``from a.b import c`` counts ``a.b.c`` when that
    is a module, else ``a.b``), wherever the import statement sits."""
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
                    break
    return graph


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _upward(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    rank = {app: i for i, app in enumerate(LAYERS)}
    found = set()
    for source, targets in graph.items():
        for target in targets:
            a, b = _app(source), _app(target)
            if a in rank and b in rank and rank[b] > rank[a]:
                found.add((a, b))
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return result


def test_every_app_has_a_layer():
    apps = {_app(m) for m in _modules() if m.count(".") >= 1}
    apps -= {"settings", "urls", "wsgi", "asgi", "manage", "locale"}
    assert sorted(apps - set(LAYERS)) == []


def test_no_app_imports_a_higher_layer_except_those_still_listed():
    upward = _upward(_imports(_modules()))
    assert sorted(upward - KNOWN_UPWARD) == [], "new upward imports"
    assert sorted(KNOWN_UPWARD - upward) == [], "fixed: remove them from KNOWN_UPWARD"


def test_meetings_and_loans_do_not_import_each_other_both_ways():
    """Meetings sit above loans: a meeting records and posts loan items; loans never read
    meetings (the cash they are checked against is passed in)."""
    graph = _imports(_modules())
    loans_to_meetings = sorted(
        (s, t)
        for s, ts in graph.items()
        for t in ts
        if _app(s) == "loans" and _app(t) == "meetings"
    )
    assert loans_to_meetings == []
    assert any(_app(s) == "meetings" and _app(t) == "loans" for s, ts in graph.items() for t in ts)


def test_no_module_imports_itself_round_a_circle():
    cycles = _cycles(_imports(_modules()))
    assert cycles == KNOWN_CYCLES


# Modules that still import each other round a circle (none: issue 13 broke the last one, in
# books, by moving the format and the import errors to books/format.py).
KNOWN_CYCLES: list[list[str]] = []


def test_no_test_module_imports_another() -> None:
    """Shared builders live in tests/factories.py (and tests/helpers.py for the browser); a
    test module never borrows from another one, nor imports ``tests.conftest`` as a module
    (its fixtures reach the tests by name)."""
    borrowed = []
    for path in sorted((SRC.parent / "tests").glob("*.py")):
        if path.name == "conftest.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            borrowed += [
                f"{path.name}: {name}"
                for name in names
                if name.startswith("tests.test_") or name == "tests.conftest"
            ]
    assert borrowed == []
