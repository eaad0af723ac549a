"""The ``cajas`` console command: Django's management commands under a friendlier name.

``cajas demo``, ``cajas migrate``, ``cajas verify``, ``cajas caja list``, ``cajas book export``…
each is a management command in one of the project's apps.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cajas.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args[:2] == ["keys", "new"]:
        # Needs no installation (and runs before one has keys): print a fresh field key.
        from cajas.core.secrets import field_key_new

        print(field_key_new())
        return
    if args[:1] == ["demo"]:
        # The demo is a throwaway installation: its keys are generated into the data directory.
        os.environ.setdefault("CAJAS_DEMO", "1")
    execute_from_command_line(["cajas", *args])


if __name__ == "__main__":
    main()
