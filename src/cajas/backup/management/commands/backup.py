"""``cajas backup --to DIR [--with-key-to FILE]``: the whole database, consistent while the
app runs, with its manifest; the field key only where asked, never beside the data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cajas.backup.services import backup_create
from cajas.core.cli_support import rule_errors_as_command_errors


class Command(BaseCommand):
    help = (
        "Back the database up into a new folder DIR (dump + manifest.json). The field key "
        "(CAJAS_FIELD_KEY) is not put in DIR; --with-key-to FILE writes it apart (0600)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", required=True, help="new (or empty) folder for this backup")
        parser.add_argument(
            "--with-key-to",
            metavar="FILE",
            help="also write the field key to FILE (0600), outside DIR; keep it apart from DIR",
        )

    @rule_errors_as_command_errors
    def handle(self, *args: Any, **options: Any) -> None:
        key_to = Path(options["with_key_to"]) if options["with_key_to"] else None
        result = backup_create(to=Path(options["to"]), key_to=key_to)
        manifest = result.manifest
        rows = sum(manifest["row_counts"].values())
        self.stdout.write(
            f"OK: {result.path} ({manifest['engine']}, {len(manifest['row_counts'])} tables, "
            f"{rows} rows, {manifest['dump']['file']} sha256 {manifest['dump']['sha256'][:16]}…)"
        )
        fingerprint = manifest["field_key"]["fingerprint"]
        source = result.key_source
        self.stdout.write(
            f"Clave: la clave de cifrado (CAJAS_FIELD_KEY, huella {fingerprint}) NO está en "
            f"esta copia; está en {source.es}. Sin ella, los datos personales cifrados de la "
            "copia (documentos, situación migratoria) no se pueden leer: guárdela aparte."
        )
        self.stdout.write(
            f"Key: the encryption key (CAJAS_FIELD_KEY, fingerprint {fingerprint}) is NOT in "
            f"this backup; it is in {source.en}. Without it the backup's encrypted personal "
            "data (documents, migratory status) cannot be read: keep it apart."
        )
        if result.key_file is not None:
            if result.key_file_existed:
                self.stdout.write(
                    f"Clave: {result.key_file} ya guardaba esta clave / Key: {result.key_file} "
                    "already held this key."
                )
            else:
                self.stdout.write(
                    f"Clave: escrita en {result.key_file} (0600); guárdela lejos de la copia. / "
                    f"Key: written to {result.key_file} (0600); keep it away from the backup."
                )
