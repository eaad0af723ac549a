from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from cajas.core.cli_support import count_arg
from cajas.demo.build import demo_build, demo_exists
from cajas.demo.logins import PASSWORD
from cajas.ledger.verify import verify


class Command(BaseCommand):
    help = "Build the demo program (once) and serve it on http://127.0.0.1:8000."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="build, print logins, exit")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=count_arg(65535, "port"), default=8000)
        parser.add_argument(
            "--cajas",
            type=count_arg(10_000, "cajas"),
            default=None,
            help="build fewer cajas (quick try)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        # Hashed static names, so pages load the stylesheet once per release (web/storage.py).
        call_command("collectstatic", interactive=False, verbosity=0)
        if demo_exists():
            self.stdout.write("Demo program already built; reusing it (delete ./var to rebuild).")
        else:
            self.stdout.write("Building the demo program (40 cajas, ~1,500 members, 12 meetings)…")
            started = time.monotonic()
            # The logins need two cajas (another caja's treasurer).
            demo_build(cajas=None if options["cajas"] is None else max(2, options["cajas"]))
            self.stdout.write(f"Built in {time.monotonic() - started:.0f} s.")
            problems = verify()
            if problems:
                self.stderr.write(f"verify found problems: {problems[0]}")
                raise SystemExit(1)
        self._print_logins(options)
        from django.conf import settings

        self.stdout.write(f"Field-encryption key: {settings.FIELD_KEY_SOURCE}.")
        if options["no_serve"]:
            return
        from waitress import serve

        from cajas.wsgi import application

        self.stdout.write(f"Serving on http://{options['host']}:{options['port']}/ (Ctrl+C stops)")
        serve(application, host=options["host"], port=options["port"], threads=4)

    def _print_logins(self, options: dict[str, Any]) -> None:
        from django.contrib.auth.models import User

        rows = [
            ("admin", "administración del programa / program admin"),
            ("auditora", "auditoría, solo lectura / auditor, read-only"),
            ("supervisora", "supervisión del socio implementador / partner supervisor"),
            ("facilitador", "facilitador de 5 cajas / facilitator of 5 cajas"),
            ("tesorera", "tesorera de una caja / a caja's treasurer"),
            ("presidente", "presidente de esa caja / that caja's president"),
            ("socia", "socia de esa caja / a member of that caja"),
            ("tesorero2", "tesorero de otra caja / another caja's treasurer"),
        ]
        self.stdout.write(f"\nDemo logins (password for all: {PASSWORD}):")
        for username, label in rows:
            if User.objects.filter(username=username).exists():
                self.stdout.write(f"  {username:<12} {label}")
        self.stdout.write(f"\nOpen http://{options['host']}:{options['port']}/\n")
