"""The two databases a backup reads and writes, each its own way: SQLite through its backup
API (a consistent copy while the app runs), PostgreSQL through ``pg_dump`` and ``pg_restore``;
their tables, row counts and migrations read the same way. ``services.py`` holds the backup and
the restore that call these."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import DatabaseError
from django.db.migrations.loader import MigrationLoader

from cajas.backup import rules

# Tables a freshly migrated database already fills (Django's bookkeeping, the seeded legal
# rate caps): rows there do not make a database "hold data".

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


def engine_of(connection: Any) -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def quote_name(name: str) -> str:
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


def database_errors() -> tuple[type[Exception], ...]:
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
        t: db.execute(f"SELECT count(*) FROM {quote_name(t)}").fetchone()[0]  # noqa: S608
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


def sqlite_restore(connection: Any, dump: Path) -> None:
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
    return f"{quote_name(schema)}.{quote_name(table)}" if schema else quote_name(table)


def pg_row_counts(cursor: Any) -> dict[str, int]:
    counts = {}
    for table in _pg_tables(cursor):
        cursor.execute(f"SELECT count(*) FROM {_pg_qualified(table)}")  # noqa: S608
        counts[table] = cursor.fetchone()[0]
    return counts


def pg_dump(settings_dict: Mapping[str, Any], dest: Path) -> dict[str, Any]:
    import psycopg

    params = pg_params(settings_dict)
    env = pg_env(params)
    pg_dump = _tool("pg_dump")
    with psycopg.connect(**params, autocommit=False) as db, db.cursor() as cursor:  # type: ignore[arg-type]
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]  # type: ignore[index]
        counts = pg_row_counts(cursor)
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


def pg_restore(connection: Any, dump: Path) -> None:
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
