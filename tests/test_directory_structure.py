"""``docs/directory-structure.md`` keeps in step with the tree: every package of ``src/cajas``
(and every top-level folder) has its line, and every path it lists exists. Lines with
``<app>`` describe what each app may hold and are checked against the apps that hold it."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "directory-structure.md"
# Folders described once for every app by a ``<app>/…`` line.
PER_APP = {"migrations", "management", "commands", "templatetags", "templates", "static"}


def _listed() -> list[str]:
    paths = re.findall(r"^- `([^`]+)`", DOC.read_text(), flags=re.M)
    assert paths, "no `- `path`` lines in docs/directory-structure.md"
    return paths


def _packages() -> set[str]:
    found = set()
    for init in (ROOT / "src" / "cajas").rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT).as_posix() + "/"
        if not PER_APP & set(init.parent.relative_to(ROOT / "src" / "cajas").parts):
            found.add(rel)
    return found


def test_every_package_and_top_level_folder_has_a_line() -> None:
    listed = set(_listed())
    tops = {
        p.name + "/"
        for p in ROOT.iterdir()
        if p.is_dir()
        and not p.name.startswith(".")
        and p.name not in {"node_modules", "var"}
        and not p.name.endswith(".egg-info")
    }
    missing = sorted((_packages() | tops) - listed)
    assert missing == [], f"add a line for each to {DOC.name}"


def test_every_listed_path_exists() -> None:
    gone = []
    for path in _listed():
        if "<app>" in path:
            pattern = path.replace("<app>", "*").rstrip("/")
            if not list(ROOT.glob(pattern)):
                gone.append(path)
        elif not (ROOT / path).exists():
            gone.append(path)
    assert gone == [], f"remove or fix these lines of {DOC.name}"


def test_the_docs_cite_only_files_inside_the_repository() -> None:
    """Every `docs/…`, `src/…`, `tests/…` or `scripts/…` path the README and the docs name is
    in the tree, and none points outside it (the design notes live in docs/domain.md)."""
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    missing, outside = [], []
    for doc in texts:
        text = doc.read_text()
        outside += [
            f"{doc.name}: {m}" for m in re.findall(r"\.\./shared|DESIGN\.md|STYLE\.md", text)
        ]
        for path in re.findall(r"`((?:docs|src|tests|scripts)/[\w./-]+)`", text):
            candidates = [ROOT / path, ROOT / "src" / "cajas" / path]
            if not any(c.exists() for c in candidates):
                missing.append(f"{doc.relative_to(ROOT)}: {path}")
    assert outside == []
    assert missing == []
