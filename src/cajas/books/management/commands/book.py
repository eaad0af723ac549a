from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from cajas.books.export import book_write
from cajas.books.importer import ImportErrors, book_import_file
from cajas.exports.book_tables import book_tables, journal_table
from cajas.exports.tables import to_csv, to_xlsx
from cajas.org.cli_support import caja_from_arg
from cajas.org.models import Caja


class _Unended:
    """The command's standard output as a plain text stream (no line ending added)."""

    def __init__(self, command: BaseCommand) -> None:
        self.command = command

    def write(self, text: str) -> int:
        self.command.stdout.write(text, ending="")
        return len(text)


class Command(BaseCommand):
    help = "A caja's complete book as JSON: `book export --caja ID` and `book import FILE`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write a caja's book as JSON")
        export.add_argument("--caja", required=True, help="caja id or code")
        export.add_argument(
            "--format",
            default="json",
            choices=["json", "xlsx", "csv"],
            help="json: the whole book (re-importable); xlsx: one sheet per table; csv: journal",
        )
        export.add_argument("--output", "-o", help="file to write (default: standard output)")
        export.add_argument("--lang", choices=["es", "en"], default="es")
        imp = sub.add_parser("import", help="load a book into this database (all or nothing)")
        imp.add_argument("file", help="the JSON file, or - for standard input")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            caja = caja_from_arg(options["caja"])
            if options["format"] == "xlsx":
                if not options["output"]:
                    raise CommandError("--output FILE.xlsx")
                data = to_xlsx(book_tables(caja, options["lang"]))
                Path(options["output"]).write_bytes(data)
                return
            if options["format"] == "json":
                if options["output"]:
                    with Path(options["output"]).open("w", encoding="utf-8") as out:
                        book_write(caja, out)
                else:
                    book_write(caja, _Unended(self))
                return
            with translation.override(options["lang"]):
                text = to_csv(journal_table(caja))
            if options["output"]:
                Path(options["output"]).write_text(text, encoding="utf-8")
            else:
                self.stdout.write(text, ending="")
            return
        source = options["file"]
        try:
            if source == "-":  # spooled to disk: the reader streams from a file
                with tempfile.NamedTemporaryFile(suffix=".json") as spool:
                    shutil.copyfileobj(sys.stdin.buffer, spool)
                    spool.flush()
                    caja = self._import(Path(spool.name))
            else:
                caja = self._import(Path(source))
        except OSError as exc:
            raise CommandError(
                f"No se pudo leer {source} / Could not read {source}: {exc}"
            ) from exc
        self.stdout.write(
            f"OK: caja {caja.code} imported as id {caja.pk} ({caja.last_seq} entries)"
        )

    def _import(self, path: Path) -> Caja:
        try:
            return book_import_file(path)
        except ImportErrors as exc:
            for where, message in exc.errors:
                self.stderr.write(f"{where}: {message}")
            raise CommandError(
                f"{len(exc.errors)} error(es); no se importó nada / "
                f"{len(exc.errors)} error(s); nothing was imported"
            ) from exc
