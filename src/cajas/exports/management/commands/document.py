"""``cajas document KIND --caja ID [--member CODE] [--meeting N] [--loan N] --output FILE.pdf``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cajas.core.cli_support import date_arg, id_arg, rule_errors_as_command_errors
from cajas.documents.render import KINDS
from cajas.documents.services import document_render, document_sections, member_from_ref
from cajas.exports.book_tables import statements_tables
from cajas.exports.tables import to_csv, to_xlsx
from cajas.loans.models import Loan
from cajas.meetings.models import Meeting
from cajas.org.cli_support import caja_from_arg


class Command(BaseCommand):
    help = "Documents as PDF or printable HTML: " + ", ".join(KINDS) + "."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("--caja", required=True)
        parser.add_argument("--member", help="member number or code (default: every member)")
        parser.add_argument(
            "--meeting", type=id_arg("meeting"), help="meeting number (default: the latest)"
        )
        parser.add_argument("--loan", type=id_arg("loan"), help="loan number (default: the latest)")
        parser.add_argument("--from", dest="date_from", help="statements: first day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="date_to", help="statements: last day (YYYY-MM-DD)")
        parser.add_argument("--lang", choices=["es", "en"], default="es")
        parser.add_argument(
            "--output",
            required=True,
            help="FILE.pdf, FILE.html to print; statements also FILE.xlsx or FILE.csv",
        )

    @rule_errors_as_command_errors
    def handle(self, *args: Any, **options: Any) -> None:
        caja = caja_from_arg(options["caja"])
        member = member_from_ref(caja, options["member"]) if options["member"] else None
        meeting = None
        if options["meeting"]:
            meeting = Meeting.objects.filter(caja=caja, number=options["meeting"]).first()
            if meeting is None:
                raise CommandError(f"No existe la reunión n.º {options['meeting']} / no meeting")
        loan = None
        if options["loan"]:
            loan = Loan.objects.filter(caja=caja, number=options["loan"]).first()
            if loan is None:
                raise CommandError(f"No existe el préstamo n.º {options['loan']} / no loan")
        sections = document_sections(
            options["kind"],
            caja=caja,
            member=member,
            meeting=meeting,
            loan=loan,
            date_from=date_arg(options["date_from"], "from"),
            date_to=date_arg(options["date_to"], "to"),
            on=timezone.localdate(),
            lang=options["lang"],
        )
        output = Path(options["output"])
        if options["kind"] == "statements" and output.suffix.lower() in (".xlsx", ".csv"):
            d = sections[0]
            tables = statements_tables(caja, d["date_from"], d["date_to"], options["lang"])
            if output.suffix.lower() == ".xlsx":
                output.write_bytes(to_xlsx(tables))
            else:  # the cash book; the XLSX has every statement
                output.write_text(to_csv(tables[-1]), encoding="utf-8")
            self.stdout.write(f"{output}")
            return
        fmt = "html" if output.suffix.lower() in (".html", ".htm") else "pdf"
        output.write_bytes(
            document_render(options["kind"], sections, lang=options["lang"], fmt=fmt)
        )
        self.stdout.write(f"{output} ({len(sections)})")
