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
    execute_from_command_line(["cajas", *args])


if __name__ == "__main__":
    main()
