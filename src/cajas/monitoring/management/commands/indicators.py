"""``cajas indicators [--program ID] [--territory NAME] [--from DATE --to DATE]
[--gender G] [--nationality XX] [--age-band 26-35] --json``."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cajas.core.cli_support import date_arg, rule_errors_as_command_errors
from cajas.core.parsing import parse_id, parse_text, period_check
from cajas.monitoring.ages import AGE_BANDS, band_from_label, band_label
from cajas.monitoring.indicators import Filters, indicators
from cajas.org.models import Caja, Program


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Command(BaseCommand):
    help = "The program's indicators, overall and by territory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", help="program id or code (default: all)")
        parser.add_argument("--territory", help="territory name, e.g. Quito")
        parser.add_argument("--from", dest="date_from")
        parser.add_argument("--to", dest="date_to")
        parser.add_argument("--gender", choices=["female", "male", "other"])
        parser.add_argument("--nationality", help="ISO code, e.g. VE")
        parser.add_argument(
            "--age-band", choices=[band_label(band) for band in AGE_BANDS], help="age on --to"
        )
        parser.add_argument("--json", action="store_true")

    @rule_errors_as_command_errors
    def handle(self, *args: Any, **options: Any) -> None:
        cajas = Caja.objects.all()
        if options["program"]:
            ref = options["program"]
            program = (
                Program.objects.filter(pk=parse_id(ref, field="program")).first()
                if ref.strip().isdigit()
                else Program.objects.filter(code=ref).first()
            )
            if program is None:
                raise CommandError(f"No existe el programa «{ref}» / no program “{ref}”")
            cajas = cajas.filter(program=program)
        if options["territory"]:
            territory = parse_text(options["territory"], field="territory", max_length=100)
            cajas = cajas.filter(territory__name__iexact=territory)
            if not cajas.exists():
                raise CommandError(
                    f"No hay cajas en «{options['territory']}» / no cajas in that territory"
                )
        date_from, date_to = period_check(
            date_arg(options["date_from"], "from"), date_arg(options["date_to"], "to")
        )
        nationality = parse_text(options["nationality"], field="nationality", max_length=2)
        filters = Filters(
            date_from=date_from,
            date_to=date_to,
            gender=options["gender"],
            nationality=nationality.upper() or None,
            age_band=band_from_label(options["age_band"] or ""),
        )
        figures = _plain(indicators(cajas, filters, timezone.localdate()))
        if options["json"]:
            self.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2))
            return
        for key, value in figures.items():
            if key != "by_territory":
                self.stdout.write(f"{key:<30} {value}")
