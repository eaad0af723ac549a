from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cajas.ledger.verify import verify, verify_caja
from cajas.org.cli_support import caja_from_arg


class Command(BaseCommand):
    help = "Re-check every ledger invariant and the hash chain; exit 1 naming the first bad entry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--caja", help="caja id (from `cajas caja list`) or code")

    def handle(self, *args: Any, **options: Any) -> None:
        caja = caja_from_arg(options["caja"]) if options["caja"] else None
        problems = verify_caja(caja) if caja is not None else verify()
        if problems:
            for problem in problems:
                self.stderr.write(f"FAIL {problem}")
            self.stderr.write(f"verify: {len(problems)} problem(s); first: {problems[0]}")
            raise SystemExit(1)
        from cajas.ledger.models import JournalEntry
        from cajas.org.models import Caja

        cajas = 1 if caja else Caja.objects.count()
        entries = (
            JournalEntry.objects.filter(caja=caja).count() if caja else JournalEntry.objects.count()
        )
        self.stdout.write(f"OK: {cajas} caja(s), {entries} journal entries, every invariant holds")
