"""Backup and restore of the whole database (``cajas backup --to DIR``, ``cajas restore
--from DIR``).

A backup is a folder holding the dump and ``manifest.json`` beside it:

- SQLite: a consistent online copy made with SQLite's backup API from a connection of its own
  (one step, so one read snapshot: in WAL mode the app keeps writing meanwhile and the copy
  holds exactly what was committed when it started), checked with ``PRAGMA integrity_check``.
- PostgreSQL: ``pg_dump --format=custom`` inside an exported REPEATABLE READ snapshot, so the
  row counts of the manifest describe the dump exactly; connection settings from
  ``DATABASES['default']`` go to pg_dump/pg_restore as ``PG*`` environment variables, the
  password never on the command line.

The manifest records when, which engine, the migrations applied, the rows of every table, the
dump's sha256, the app version and the field key's fingerprint — never the key. The key is
written (0600) only where ``--with-key-to`` says, and never inside the backup folder.

A restore checks the manifest (format, hash, engine, migrations not newer than the code),
refuses a target that holds data unless forced, loads the dump, compares the row counts,
migrates when the dump is older than the code, decrypts one encrypted value with the
configured key and runs the ledger's ``verify`` on every caja.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

import cajas
from cajas.backup import rules
from cajas.backup.engines import (
    database_errors,
    engine_of,
    known_migrations,
    pg_dump,
    pg_restore,
    pg_row_counts,
    quote_name,
    sha256_of,
    sqlite_copy,
    sqlite_restore,
)
from cajas.core.fields import EncryptedTextField, decrypt_text
from cajas.ledger.verify import Problem, verify_caja
from cajas.org.models import Caja

# Tables a freshly migrated database already fills (Django's bookkeeping, the seeded legal
# rate caps): rows there do not make a database "hold data".
SEEDED_TABLES = frozenset(
    {
        "django_migrations",
        "django_content_type",
        "auth_permission",
        "django_session",
        "sqlite_sequence",
        "loans_ratecap",
    }
)


@dataclass(frozen=True)
class KeySource:
    """Where the configured field key comes from, in both languages, for the messages."""

    es: str
    en: str


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    key_source: KeySource
    key_file: Path | None = None
    key_file_existed: bool = False


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    replaced: list[str] = field(default_factory=list)
    migrated: list[str] = field(default_factory=list)
    key_opens: bool | None = None
    key_checked: str = ""
    key_fingerprint: str = ""
    verified: list[tuple[str, int, list[Problem]]] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return [p for _code, _entries, found in self.verified for p in found]


# --- the field key ---------------------------------------------------------------------------


def field_key_fingerprint(key: str) -> str:
    """A short, one-way name for a Fernet key (sha256 of it): tells two keys apart in a
    manifest or a message without writing the key down."""
    return hashlib.sha256(f"cajas-field-key:{key}".encode()).hexdigest()[:16]


def newest_key_fingerprint() -> str:
    """The fingerprint of the key new values are written with."""
    return field_key_fingerprint(settings.FIELD_ENCRYPTION_KEYS[0])


def field_key_source() -> KeySource:
    """Where the configured keys come from (``core/secrets.py``)."""
    return KeySource(settings.FIELD_KEY_SOURCE_ES, settings.FIELD_KEY_SOURCE)


def _key_write(path: Path, folder: Path) -> bool:
    """Write ``CAJAS_FIELD_KEY=…`` to ``path`` (0600), outside ``folder``. True when the file
    was already there with this same key (a daily backup writes it once)."""
    path = path.expanduser().resolve()
    if path.is_relative_to(folder):
        raise rules.KeyBesideData(path=str(path), folder=str(folder))
    content = f"CAJAS_FIELD_KEY={','.join(settings.FIELD_ENCRYPTION_KEYS)}\n"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        try:
            same = path.read_text() == content
        except OSError:
            same = False
        if not same:
            raise rules.KeyFileExists(path=str(path)) from None
        return True
    except OSError as exc:
        raise rules.KeyWriteFailed(path=str(path), detail=exc.strerror or str(exc)) from exc
    with os.fdopen(descriptor, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    return False


# --- shared helpers --------------------------------------------------------------------------


@contextmanager
def _folder_being_written(target: Path) -> Iterator[Path]:
    """A private (0700) folder beside ``target``, renamed to it when everything in it is
    written; removed if anything fails, so a half-written backup never looks like one."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise rules.BackupTargetExists(path=str(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    except OSError as exc:
        raise rules.BackupFailed(detail=f"{target}: {exc.strerror or exc}") from exc
    os.chmod(partial, 0o700)
    try:
        yield partial
        if target.exists():
            target.rmdir()
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def backup_create(
    *, to: Path | str, key_to: Path | str | None = None, using: str = DEFAULT_DB_ALIAS
) -> BackupResult:
    """Back the whole database up into the new folder ``to`` (dump + manifest.json); the field
    key goes only to ``key_to`` when given, never into ``to``."""
    connection = connections[using]
    target = Path(to).expanduser().resolve()
    if key_to is not None and Path(key_to).expanduser().resolve().is_relative_to(target):
        raise rules.KeyBesideData(path=str(Path(key_to).expanduser().resolve()), folder=str(target))
    engine = engine_of(connection)
    created_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    key_file = Path(key_to).expanduser().resolve() if key_to is not None else None
    with _folder_being_written(target) as folder:
        existed = _key_write(key_file, target) if key_file is not None else False
        dump = folder / rules.DUMP_FILE[engine]
        try:
            if engine == "sqlite":
                described = sqlite_copy(str(connection.settings_dict["NAME"]), dump)
            else:
                described = pg_dump(connection.settings_dict, dump)
        except database_errors() as exc:
            raise rules.BackupFailed(detail=f"{exc.__class__.__name__}: {exc}") from exc
        os.chmod(dump, 0o600)
        manifest = {
            "format": rules.FORMAT,
            "format_version": rules.FORMAT_VERSION,
            "created_at": created_at.isoformat().replace("+00:00", "Z"),
            "app_version": cajas.__version__,
            "engine": engine,
            "dump": {"file": dump.name, "sha256": sha256_of(dump), "bytes": dump.stat().st_size},
            "migrations": described["migrations"],
            "row_counts": described["row_counts"],
            "field_key": {
                "included": False,
                "fingerprint": newest_key_fingerprint(),
                "note": "The field key (CAJAS_FIELD_KEY) is not in this folder; without it the "
                "encrypted personal data cannot be read.",
            },
        }
        path = folder / rules.MANIFEST
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(manifest, handle, indent=1, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
    return BackupResult(target, manifest, field_key_source(), key_file, existed)


# --- restore ---------------------------------------------------------------------------------


def manifest_read(folder: Path | str) -> dict[str, Any]:
    folder = Path(folder).expanduser()
    path = folder / rules.MANIFEST
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise rules.ManifestMissing(
            path=str(folder), name=rules.MANIFEST, detail=exc.__class__.__name__
        ) from exc
    return rules.check_manifest(document)


def tables_with_data(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The tables of the database that hold rows a fresh ``migrate`` does not put there."""
    connection = connections[using]
    found = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table in SEEDED_TABLES:
                continue
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                found.append(table)
    return found


def row_counts(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return pg_row_counts(cursor)
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        counts = {}
        for (table,) in cursor.fetchall():
            cursor.execute(f"SELECT count(*) FROM {quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
        return counts


def field_key_check(using: str = DEFAULT_DB_ALIAS) -> tuple[bool | None, str]:
    """Decrypt one stored encrypted value with the configured key: ``(True, "table.column")``
    when it opens, ``False`` when it does not, ``None`` when nothing encrypted is stored."""
    connection = connections[using]
    quote_name = connection.ops.quote_name
    for model in apps.get_models():
        table = model._meta.db_table
        for model_field in model._meta.concrete_fields:
            if not isinstance(model_field, EncryptedTextField):
                continue
            column = quote_name(str(model_field.column))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {column} FROM {quote_name(table)} "  # noqa: S608
                    f"WHERE {column} IS NOT NULL AND {column} <> '' LIMIT 1"
                )
                row = cursor.fetchone()
            if row is None:
                continue
            try:
                decrypt_text(row[0])
            except ValueError:
                return False, f"{table}.{model_field.column}"
            return True, f"{table}.{model_field.column}"
    return None, ""


def _pending_migrations(using: str) -> list[str]:
    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, _backwards in plan]


def restore_run(
    *, source: Path | str, force: bool = False, using: str = DEFAULT_DB_ALIAS
) -> RestoreResult:
    """Restore the backup in folder ``source`` over the database ``using``; refusals raise a
    ``RuleViolation`` before anything is written. Stop the application first."""
    connection = connections[using]
    folder = Path(source).expanduser()
    manifest = manifest_read(folder)
    engine = manifest["engine"]
    dump = folder / manifest["dump"]["file"]
    if not dump.is_file():
        raise rules.DumpMissing(path=str(dump))
    rules.check_dump_hash(
        name=dump.name, expected=manifest["dump"]["sha256"], actual=sha256_of(dump)
    )
    rules.check_engine(dump=engine, here=engine_of(connection))
    rules.check_migrations(
        manifest["migrations"], known_migrations(), str(manifest.get("app_version", "?"))
    )
    if connection.in_atomic_block:
        raise rules.RestoreFailed(
            detail="dentro de una transacción abierta / inside an open transaction"
        )
    replaced = tables_with_data(using)
    if replaced and not force:
        shown = ", ".join(replaced[:4]) + (f" (+{len(replaced) - 4})" if len(replaced) > 4 else "")
        raise rules.TargetNotEmpty(tables=shown)
    try:
        if engine == "sqlite":
            sqlite_restore(connection, dump)
        else:
            pg_restore(connection, dump)
    except database_errors() as exc:
        raise rules.RestoreFailed(detail=f"{exc.__class__.__name__}: {exc}") from exc
    result = RestoreResult(manifest=manifest, replaced=replaced)
    rules.check_row_counts(manifest["row_counts"], row_counts(using))
    result.migrated = _pending_migrations(using)
    if result.migrated:
        call_command("migrate", database=using, interactive=False, verbosity=0)
    result.key_fingerprint = newest_key_fingerprint()
    result.key_opens, result.key_checked = field_key_check(using)
    for caja in Caja.objects.using(using).order_by("code"):
        result.verified.append((caja.code, caja.last_seq, verify_caja(caja)))
    return result
