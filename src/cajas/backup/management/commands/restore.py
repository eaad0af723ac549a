"""``cajas restore --from DIR [--force]``: check the backup's manifest, load it, say whether
the configured key opens the data, and verify every caja."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cajas.backup import rules
from cajas.backup.services import restore_run
from cajas.core.cli_support import rule_errors_as_command_errors


class Command(BaseCommand):
    help = (
        "Restore a backup made by `cajas backup` (stop the application first). Refuses a "
        "tampered dump, a dump newer than the code and a database that holds data (--force)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", required=True, help="the backup's folder")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds data"
        )

    @rule_errors_as_command_errors
    def handle(self, *args: Any, **options: Any) -> None:
        result = restore_run(source=Path(options["source"]), force=options["force"])
        manifest = result.manifest
        self.stdout.write(
            f"OK: restored {manifest['engine']} backup of {manifest['created_at']} "
            f"(app {manifest.get('app_version', '?')}, "
            f"{sum(manifest['row_counts'].values())} rows, as the manifest lists)"
        )
        if result.replaced:
            self.stdout.write(f"(--force) replaced: {', '.join(result.replaced)}")
        if result.migrated:
            self.stdout.write(f"migrated to this code: {', '.join(result.migrated)}")
        expected = manifest.get("field_key", {}).get("fingerprint", "?")
        if result.key_opens:
            self.stdout.write(
                f"Clave: la clave configurada (huella {result.key_fingerprint}) abre los datos "
                f"cifrados restaurados ({result.key_checked}). / Key: the configured key "
                f"(fingerprint {result.key_fingerprint}) opens the restored encrypted data."
            )
        elif result.key_opens is None:
            self.stdout.write(
                "Clave: no hay datos cifrados que probar. / Key: no encrypted data to check."
            )
        for code, entries, problems in result.verified:
            if problems:
                for problem in problems:
                    self.stderr.write(f"FAIL {problem}")
            else:
                self.stdout.write(f"verify OK: caja {code}, {entries} entries")
        if result.key_opens is False:
            raise rules.KeyDoesNotOpen(configured=result.key_fingerprint, expected=expected)
        if result.problems:
            raise rules.VerifyFailed(count=len(result.problems), first=str(result.problems[0]))
        self.stdout.write(f"verify: {len(result.verified)} caja(s), every invariant holds")
