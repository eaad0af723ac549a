from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from cajas.monitoring.figures import figures_refresh_stale, group_sums_refresh
from cajas.org.models import Caja


class Command(BaseCommand):
    help = (
        "Refresh the figures the program dashboard keeps per caja. The dashboard refreshes stale "
        "cajas itself before reading; run this from a timer (e.g. every 5 minutes) so a view "
        "after a busy hour of meetings does not wait for them, or with --all after a bulk load."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh"])
        parser.add_argument("--all", action="store_true", help="recompute every caja, stale or not")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["all"]:
            Caja.objects.update(figures_stale=True)
        count = figures_refresh_stale()
        if options["all"]:  # every group again, those left with no caja included
            with transaction.atomic():
                group_sums_refresh()
        self.stdout.write(
            f"OK: figures of {count} caja(s) refreshed in {time.perf_counter() - started:.1f} s"
        )
