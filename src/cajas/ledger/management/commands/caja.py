from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count, Q

from cajas.core.money import decimal_string
from cajas.ledger.selectors import caja_summary
from cajas.org.models import Caja


class Command(BaseCommand):
    help = "Cajas: `caja list [--json]`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="every caja with its id")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        cajas = (
            Caja.objects.select_related("partner", "territory", "program")
            .annotate(members=Count("memberships", filter=Q(memberships__left_on__isnull=True)))
            .order_by("pk")
        )
        rows = []
        for caja in cajas:
            summary = caja_summary(caja=caja)
            rows.append(
                {
                    "id": caja.pk,
                    "code": caja.code,
                    "name": caja.name,
                    "program": caja.program.code,
                    "partner": caja.partner.code,
                    "territory": caja.territory.name,
                    "status": caja.status,
                    "members": caja.members,
                    "savings": decimal_string(summary["savings"]),
                    "cash": decimal_string(summary["cash"]),
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            self.stdout.write(
                f"{r['id']:>5}  {r['code']:<28} {r['territory']:<10} {r['members']:>3} socios  "
                f"ahorro {r['savings']:>9}  {r['name']}"
            )
