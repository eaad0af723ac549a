"""Compile the Spanish translations (.po → .mo) without GNU gettext, using polib.

``--check`` fails when a committed .mo is missing or older than its .po content (make check).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent / "src" / "cajas" / "locale"


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for po_path in sorted(ROOT.glob("*/LC_MESSAGES/django.po")):
        mo_path = po_path.with_suffix(".mo")
        po = polib.pofile(str(po_path))
        with tempfile.NamedTemporaryFile(suffix=".mo") as tmp:
            po.save_as_mofile(tmp.name)
            fresh = Path(tmp.name).read_bytes()
        if check:
            if not mo_path.exists() or mo_path.read_bytes() != fresh:
                stale.append(str(mo_path))
        else:
            mo_path.write_bytes(fresh)
            print(f"compiled {mo_path} ({len(po.translated_entries())} messages)")
    if stale:
        print("stale translations, run `make messages`:", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
