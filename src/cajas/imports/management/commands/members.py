"""``cajas members import CAJA FILE --user USERNAME [--attested] [--check]``.

The same import as the caja's «Importar socias» page (``imports.services``): every row checked
with the members services, all or nothing. ``--user`` names who imports (her consents rules
apply: an officer of the caja, with ``--attested``, records the consents the file marks);
``--check`` only lists what would happen. Errors are printed one a line, in Spanish and English,
with the row as the spreadsheet numbers it and the column; the exit code is 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cajas.core.cli_support import rule_errors_as_command_errors
from cajas.core.parsing import parse_text
from cajas.imports.models import MemberImport
from cajas.imports.rules import MAX_BYTES, check_size
from cajas.imports.selectors import preview_rows
from cajas.imports.services import import_check_all, import_confirm, import_start
from cajas.org.cli_support import caja_from_arg


def _report(job: MemberImport) -> str:
    lines = [
        f"fila {e['row']}, columna «{e['column']}»: [{e['code']}] {e['es']} / {e['en']}"
        if e["row"]
        else f"[{e['code']}] {e['es']} / {e['en']}"
        for e in job.errors
    ]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Members from a file: `members import CAJA FILE --user USERNAME [--attested] [--check]`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import", help="add a caja's members from XLSX/CSV/Kobo, all or nothing"
        )
        imp.add_argument("caja", help="the caja's code or id (`cajas caja list`)")
        imp.add_argument("file", help="an .xlsx or .csv file (a Kobo/ODK export or the template)")
        imp.add_argument("--user", required=True, help="who imports (her username)")
        imp.add_argument(
            "--attested",
            action="store_true",
            help="the consents the file marks were given in person, with the user present",
        )
        imp.add_argument("--check", action="store_true", help="check only; write nothing")

    @rule_errors_as_command_errors
    def handle(self, *args: Any, **options: Any) -> None:
        caja = caja_from_arg(options["caja"])
        username = parse_text(options["user"], field="username", max_length=150, required=True)
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No existe el usuario «{username}» / There is no user “{username}”")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No existe el archivo «{path}» / There is no file “{path}”")
        check_size(size=path.stat().st_size)
        with path.open("rb") as f:
            content = f.read(MAX_BYTES + 1)
        job = import_start(
            caja_id=caja.pk,
            by=user,
            filename=path.name,
            content=content,
            attested=options["attested"],
        )
        job = import_check_all(import_id=job.pk)
        if job.errors:
            raise CommandError(_report(job))
        if options["check"]:
            count = len(preview_rows(job))
            self.stdout.write(f"{count} socias se agregarían / {count} members would be added")
            return
        try:
            job = import_confirm(import_id=job.pk)
        except Exception:
            job.refresh_from_db()
            if job.errors:
                raise CommandError(_report(job)) from None
            raise
        self.stdout.write(
            f"{job.added} socias agregadas a «{caja.name}» / {job.added} members added to “{caja.name}”"
        )
        if job.rows_other:
            self.stdout.write(
                f"{job.rows_other} filas de otras cajas / rows of other cajas left out"
            )
