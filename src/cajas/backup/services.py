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
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

import cajas
from cajas.backup import rules
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

# libpq connection keywords → the environment variables pg_dump and pg_restore read.
PG_ENV = {
    "dbname": "PGDATABASE",
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


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


def _engine(connection: Any) -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _migrations_from_rows(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for app, name in sorted(rows):
        grouped.setdefault(app, []).append(name)
    return grouped


def known_migrations() -> set[tuple[str, str]]:
    """Every migration this code has on disk (and the ones squashed migrations replace)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update((app, name) for app, name in migration.replaces)
    return known


def _database_errors() -> tuple[type[Exception], ...]:
    """What a copy or a load can fail with short of a bug: told as a refusal, not a traceback."""
    errors: tuple[type[Exception], ...] = (sqlite3.Error, OSError, DatabaseError)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return errors
    return (*errors, psycopg.Error)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise rules.ToolMissing(tool=name)
    return found


def _run(command: list[str], env: Mapping[str, str]) -> None:
    try:
        done = subprocess.run(  # noqa: S603 - fixed tool, arguments built here
            command, env=dict(env), capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise rules.ToolFailed(tool=Path(command[0]).name, status="-", detail=str(exc)) from exc
    if done.returncode != 0:
        detail = " ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise rules.ToolFailed(tool=Path(command[0]).name, status=done.returncode, detail=detail)


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_connect(name: str, *, read_only: bool = False) -> sqlite3.Connection:
    if name.startswith("file:"):
        return sqlite3.connect(name, uri=True, timeout=20)
    if read_only:
        return sqlite3.connect(f"file:{quote(str(Path(name).resolve()))}?mode=ro", uri=True)
    return sqlite3.connect(name, timeout=20)


def sqlite_tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).fetchall()
    return [name for (name,) in rows]


def sqlite_row_counts(db: sqlite3.Connection) -> dict[str, int]:
    return {
        t: db.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0]  # noqa: S608
        for t in sqlite_tables(db)
    }


def sqlite_integrity(db: sqlite3.Connection) -> None:
    result = [row[0] for row in db.execute("PRAGMA integrity_check").fetchall()]
    if result != ["ok"]:
        raise rules.CopyDamaged(detail="; ".join(map(str, result[:3])))


def _sqlite_migrations(db: sqlite3.Connection) -> dict[str, list[str]]:
    if "django_migrations" not in sqlite_tables(db):
        return {}
    return _migrations_from_rows(db.execute("SELECT app, name FROM django_migrations").fetchall())


def sqlite_copy(source: str, dest: Path) -> dict[str, Any]:
    """A consistent copy of the SQLite database ``source`` (a path or a ``file:`` URI) into the
    new file ``dest``, read from a connection of its own in a single backup step (one read
    snapshot; WAL writers go on meanwhile). Checked, in rollback-journal mode so the finished
    file never changes when opened, and described: ``{"row_counts", "migrations"}``."""
    with closing(_sqlite_connect(source)) as src, closing(sqlite3.connect(dest)) as copy:
        src.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")
        sqlite_integrity(copy)
        described = {"row_counts": sqlite_row_counts(copy), "migrations": _sqlite_migrations(copy)}
    with dest.open("rb") as handle:
        os.fsync(handle.fileno())
    return described


def _sqlite_restore(connection: Any, dump: Path) -> None:
    with closing(_sqlite_connect(str(dump), read_only=True)) as src:
        sqlite_integrity(src)
        connection.ensure_connection()
        try:
            src.backup(connection.connection, pages=-1)
        except sqlite3.Error as exc:
            raise rules.RestoreFailed(detail=str(exc)) from exc
    connection.close()  # the next connection runs init_command again (WAL, synchronous)


# --- PostgreSQL ------------------------------------------------------------------------------


def pg_params(settings_dict: Mapping[str, Any]) -> dict[str, str]:
    """libpq keywords from a Django PostgreSQL database setting."""
    params = {
        "dbname": settings_dict.get("NAME") or "",
        "host": settings_dict.get("HOST") or "",
        "port": str(settings_dict.get("PORT") or ""),
        "user": settings_dict.get("USER") or "",
        "password": settings_dict.get("PASSWORD") or "",
    }
    for key, value in (settings_dict.get("OPTIONS") or {}).items():
        if key in PG_ENV and value not in (None, ""):
            params[key] = str(value)
    return {k: v for k, v in params.items() if v}


def pg_env(params: Mapping[str, str]) -> dict[str, str]:
    """The environment for pg_dump/pg_restore: the caller's, with the database's settings as
    ``PG*`` variables (so the password is never an argument anyone can read in ``ps``)."""
    env = dict(os.environ)
    env.update({PG_ENV[key]: value for key, value in params.items()})
    return env


def _pg_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT schemaname, tablename FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
        "AND schemaname NOT LIKE 'pg_%' ORDER BY schemaname, tablename"
    )
    return [t if s == "public" else f"{s}.{t}" for s, t in cursor.fetchall()]


def _pg_qualified(name: str) -> str:
    schema, _, table = name.rpartition(".")
    return f"{_quote(schema)}.{_quote(table)}" if schema else _quote(table)


def _pg_row_counts(cursor: Any) -> dict[str, int]:
    counts = {}
    for table in _pg_tables(cursor):
        cursor.execute(f"SELECT count(*) FROM {_pg_qualified(table)}")  # noqa: S608
        counts[table] = cursor.fetchone()[0]
    return counts


def _pg_dump(settings_dict: Mapping[str, Any], dest: Path) -> dict[str, Any]:
    import psycopg

    params = pg_params(settings_dict)
    env = pg_env(params)
    pg_dump = _tool("pg_dump")
    with psycopg.connect(**params, autocommit=False) as db, db.cursor() as cursor:  # type: ignore[arg-type]
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]  # type: ignore[index]
        counts = _pg_row_counts(cursor)
        migrations: dict[str, list[str]] = {}
        if "django_migrations" in counts:
            cursor.execute("SELECT app, name FROM django_migrations")
            migrations = _migrations_from_rows(cursor.fetchall())
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--file={dest}",
            ],
            env,
        )
        db.rollback()
    _run([_tool("pg_restore"), "--list", str(dest)], env)  # the archive reads back whole
    return {"row_counts": counts, "migrations": migrations}


def _pg_restore(connection: Any, dump: Path) -> None:
    params = pg_params(connection.settings_dict)
    env = pg_env(params)
    pg_restore = _tool("pg_restore")
    _run([pg_restore, "--list", str(dump)], env)
    connection.close()
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={params.get('dbname', '')}",
            str(dump),
        ],
        env,
    )


# --- backup ----------------------------------------------------------------------------------


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
    engine = _engine(connection)
    created_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    key_file = Path(key_to).expanduser().resolve() if key_to is not None else None
    with _folder_being_written(target) as folder:
        existed = _key_write(key_file, target) if key_file is not None else False
        dump = folder / rules.DUMP_FILE[engine]
        try:
            if engine == "sqlite":
                described = sqlite_copy(str(connection.settings_dict["NAME"]), dump)
            else:
                described = _pg_dump(connection.settings_dict, dump)
        except _database_errors() as exc:
            raise rules.BackupFailed(detail=f"{exc.__class__.__name__}: {exc}") from exc
        os.chmod(dump, 0o600)
        manifest = {
            "format": rules.FORMAT,
            "format_version": rules.FORMAT_VERSION,
            "created_at": created_at.isoformat().replace("+00:00", "Z"),
            "app_version": cajas.__version__,
            "engine": engine,
            "dump": {"file": dump.name, "sha256": _sha256(dump), "bytes": dump.stat().st_size},
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
            return _pg_row_counts(cursor)
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        counts = {}
        for (table,) in cursor.fetchall():
            cursor.execute(f"SELECT count(*) FROM {_quote(table)}")  # noqa: S608
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
    rules.check_dump_hash(name=dump.name, expected=manifest["dump"]["sha256"], actual=_sha256(dump))
    rules.check_engine(dump=engine, here=_engine(connection))
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
            _sqlite_restore(connection, dump)
        else:
            _pg_restore(connection, dump)
    except _database_errors() as exc:
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
