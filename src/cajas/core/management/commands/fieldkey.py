"""``cajas fieldkey reencrypt --old-key OLD``: re-encrypt every encrypted field with the current
``CAJAS_FIELD_KEY`` (after a breach, or on a schedule). Start the program with the NEW key in
``CAJAS_FIELD_KEY`` and pass the old one here; all rows change in one transaction, so a failure
leaves everything as it was. ``--check`` only counts what would change."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from cajas.core.fields import EncryptedTextField, encrypt_text


class Command(BaseCommand):
    help = "Re-encrypt the encrypted personal-data fields: `fieldkey reencrypt --old-key OLD`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        re = sub.add_parser("reencrypt", help="decrypt with the old key, encrypt with the new")
        re.add_argument("--old-key", required=True, help="the key the data is encrypted with now")
        re.add_argument("--check", action="store_true", help="count only, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            old = Fernet(options["old_key"].encode())
        except ValueError as exc:
            raise CommandError("La clave antigua no es válida / The old key is not valid") from exc
        changed = 0
        with transaction.atomic(), connection.cursor() as cursor:
            for model in apps.get_models():
                columns = [
                    str(f.column)
                    for f in model._meta.concrete_fields
                    if isinstance(f, EncryptedTextField)
                ]
                if not columns:
                    continue
                table = connection.ops.quote_name(model._meta.db_table)
                pk = connection.ops.quote_name(str(model._meta.pk.column))
                for column in columns:
                    col = connection.ops.quote_name(column)
                    # Names from the models, quoted: no input reaches the SQL.
                    cursor.execute(f"SELECT {pk}, {col} FROM {table} WHERE {col} <> ''")  # noqa: S608
                    for row_id, token in cursor.fetchall():
                        try:
                            plain = old.decrypt(token.encode()).decode()
                        except InvalidToken as exc:
                            raise CommandError(
                                f"{model._meta.label}.{column} #{row_id}: no se descifra con la "
                                f"clave antigua / does not decrypt with the old key"
                            ) from exc
                        changed += 1
                        if not options["check"]:
                            cursor.execute(
                                f"UPDATE {table} SET {col} = %s WHERE {pk} = %s",  # noqa: S608
                                [encrypt_text(plain), row_id],
                            )
        verb = (
            "se cifrarían / would be re-encrypted"
            if options["check"]
            else "recifrados / re-encrypted"
        )
        self.stdout.write(f"{changed} valores {verb}")
