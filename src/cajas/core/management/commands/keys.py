"""``cajas keys new | status | rotate``: the field-encryption keys.

Rotating a key: put a new key first in ``CAJAS_FIELD_KEY`` (or the key file), keeping the old
ones after it; restart; ``cajas keys rotate`` re-encrypts every encrypted value with the new key
in batches, printing progress; ``cajas keys status`` then shows nothing left on the old keys, and
they can be removed. The app reads with any listed key meanwhile, so nothing stops.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, models, transaction

from cajas.core.fields import EncryptedTextField, is_newest, reencrypt_text
from cajas.core.secrets import field_key_new


def encrypted_columns() -> Iterator[tuple[type[models.Model], models.Field[Any, Any]]]:
    """Every encrypted column of every installed model."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def _batches(
    model: type[models.Model], field: models.Field[Any, Any], size: int
) -> Iterator[list[tuple[Any, str]]]:
    """(pk, stored ciphertext) of the non-empty values, in primary-key order, ``size`` at a
    time. Read as stored: no decryption on the way."""
    table, column, pk = model._meta.db_table, field.column, model._meta.pk.column
    last: Any = None
    while True:
        after = "" if last is None else f"AND {pk} > %s "
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {pk}, {column} FROM {table} "  # noqa: S608
                f"WHERE {column} IS NOT NULL AND {column} <> '' {after}ORDER BY {pk} LIMIT %s",
                [*([] if last is None else [last]), size],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


class Command(BaseCommand):
    help = "Field-encryption keys: print a new one, show which values use which, re-encrypt."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("new", help="print a new Fernet key (put it first in CAJAS_FIELD_KEY)")
        sub.add_parser("status", help="where the keys come from; values on older keys")
        rotate = sub.add_parser("rotate", help="re-encrypt every value with the newest key")
        rotate.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "new":
            self.stdout.write(field_key_new())
        elif action == "status":
            self._status()
        else:
            self._rotate(max(1, min(options["batch"], 10_000)))

    def _status(self) -> None:
        self.stdout.write(
            f"keys: {len(settings.FIELD_ENCRYPTION_KEYS)}, from {settings.FIELD_KEY_SOURCE}"
        )
        for model, field in encrypted_columns():
            total = old = 0
            for rows in _batches(model, field, 1000):
                total += len(rows)
                old += sum(1 for _pk, token in rows if not is_newest(token))
            label = f"{model._meta.label}.{field.name}"
            self.stdout.write(f"{label}: {total} values, {old} on an older key")

    def _rotate(self, size: int) -> None:
        for model, field in encrypted_columns():
            label = f"{model._meta.label}.{field.name}"
            table, column, pk = model._meta.db_table, field.column, model._meta.pk.column
            done = changed = 0
            for rows in _batches(model, field, size):
                fresh = [
                    (reencrypt_text(token), key) for key, token in rows if not is_newest(token)
                ]
                if fresh:
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.executemany(
                            f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                            fresh,
                        )
                done += len(rows)
                changed += len(fresh)
                self.stdout.write(f"{label}: {done} read, {changed} re-encrypted")
            if not done:
                self.stdout.write(f"{label}: nothing to re-encrypt")
        self.stdout.write("done: every value is encrypted with the newest key")
