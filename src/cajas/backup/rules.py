"""What a backup's manifest must say before a restore may go ahead: pure checks over plain
values (the manifest as read, the dump's hash as computed, the migrations this code knows).

Each refusal is a ``RuleViolation`` with a stable code and its message in both languages; the
``backup`` and ``restore`` commands print it as ``[code] message`` and exit 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cajas.core.errors import RuleViolation

FORMAT = "cajas-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ENGINES = ("sqlite", "postgresql")
DUMP_FILE = {"sqlite": "cajas.sqlite3", "postgresql": "cajas.pgdump"}


class BackupTargetExists(RuleViolation):
    code = "backup.target_exists"
    message_es = (
        "La carpeta {path} ya existe y no está vacía; elija una carpeta nueva para la copia."
    )
    message_en = (
        "The folder {path} already exists and is not empty; choose a new folder for the backup."
    )


class KeyBesideData(RuleViolation):
    code = "backup.key_beside_data"
    message_es = (
        "La clave no se guarda junto a la copia ({path} está dentro de {folder}): quien tenga "
        "las dos lee los datos personales. Indique un archivo fuera de la carpeta de la copia."
    )
    message_en = (
        "The key is not kept beside the backup ({path} is inside {folder}): whoever has both "
        "reads the personal data. Give a file outside the backup folder."
    )


class KeyFileExists(RuleViolation):
    code = "backup.key_file_exists"
    message_es = "El archivo {path} ya existe y guarda otra clave; no se sobrescribe."
    message_en = "The file {path} already exists and holds another key; it is not overwritten."


class KeyWriteFailed(RuleViolation):
    code = "backup.key_write_failed"
    message_es = "No se pudo escribir la clave en {path}: {detail}. No se hizo la copia."
    message_en = "The key could not be written to {path}: {detail}. No backup was made."


class CopyDamaged(RuleViolation):
    code = "backup.integrity"
    message_es = "La copia de la base de datos no pasó la revisión de integridad: {detail}"
    message_en = "The database copy failed its integrity check: {detail}"


class BackupFailed(RuleViolation):
    code = "backup.failed"
    message_es = "No se pudo hacer la copia: {detail}. No quedó ninguna copia a medias."
    message_en = "The backup could not be made: {detail}. No half-written backup was left."


class ToolFailed(RuleViolation):
    code = "backup.tool_failed"
    message_es = "{tool} falló (código {status}): {detail}"
    message_en = "{tool} failed (status {status}): {detail}"


class ToolMissing(RuleViolation):
    code = "backup.tool_missing"
    message_es = (
        "No se encontró {tool}; instale el cliente de PostgreSQL de la versión del servidor."
    )
    message_en = "{tool} was not found; install the PostgreSQL client of the server's version."


class ManifestMissing(RuleViolation):
    code = "restore.manifest_missing"
    message_es = "No hay una copia legible en {path}: falta o está dañado {name} ({detail})."
    message_en = "There is no readable backup in {path}: {name} is missing or damaged ({detail})."


class ManifestInvalid(RuleViolation):
    code = "restore.manifest_invalid"
    message_es = "El manifiesto de la copia no es válido: {detail}."
    message_en = "The backup's manifest is not valid: {detail}."


class DumpMissing(RuleViolation):
    code = "restore.dump_missing"
    message_es = "Falta el archivo de la copia {path}."
    message_en = "The backup file {path} is missing."


class DumpTampered(RuleViolation):
    code = "restore.hash_mismatch"
    message_es = (
        "El archivo {name} no es el que se copió: su sha256 es {actual}, el manifiesto dice "
        "{expected}. No se restauró nada."
    )
    message_en = (
        "The file {name} is not the one that was backed up: its sha256 is {actual}, the "
        "manifest says {expected}. Nothing was restored."
    )


class EngineMismatch(RuleViolation):
    code = "restore.engine_mismatch"
    message_es = (
        "La copia es de {dump} y esta instalación usa {here}; restáurela en una base {dump} "
        "(o pase los datos con `cajas book export` / `book import`)."
    )
    message_en = (
        "The backup is of {dump} and this installation uses {here}; restore it into a {dump} "
        "database (or move the data with `cajas book export` / `book import`)."
    )


class MigrationsNewer(RuleViolation):
    code = "restore.migrations_newer"
    message_es = (
        "La copia viene de una versión más nueva del programa (migraciones que este código no "
        "conoce: {names}). Actualice Cajas a la versión {version} o posterior y restaure de nuevo."
    )
    message_en = (
        "The backup comes from a newer version of the software (migrations this code does not "
        "know: {names}). Upgrade Cajas to version {version} or later and restore again."
    )


class TargetNotEmpty(RuleViolation):
    code = "restore.target_not_empty"
    message_es = (
        "La base de datos de destino ya tiene datos ({tables}); restaurar los reemplazaría. "
        "Haga antes una copia de ella y use --force si de verdad quiere reemplazarla."
    )
    message_en = (
        "The target database already holds data ({tables}); restoring would replace it. "
        "Back it up first and use --force if you really mean to replace it."
    )


class RestoreFailed(RuleViolation):
    code = "restore.failed"
    message_es = "La restauración falló: {detail}"
    message_en = "The restore failed: {detail}"


class RowCountsDiffer(RuleViolation):
    code = "restore.row_counts"
    message_es = "Los datos restaurados no tienen las filas que dice el manifiesto: {detail}."
    message_en = "The restored data does not have the rows the manifest lists: {detail}."


class KeyDoesNotOpen(RuleViolation):
    code = "restore.key_mismatch"
    message_es = (
        "Los datos se restauraron, pero la clave configurada (CAJAS_FIELD_KEY, huella "
        "{configured}) NO abre los datos personales cifrados (la copia se hizo con la huella "
        "{expected}). Configure la clave con la que se hizo la copia antes de abrir la aplicación."
    )
    message_en = (
        "The data was restored, but the configured key (CAJAS_FIELD_KEY, fingerprint "
        "{configured}) does NOT open the encrypted personal data (the backup was made with "
        "fingerprint {expected}). Configure the key the backup was made with before starting "
        "the application."
    )


class VerifyFailed(RuleViolation):
    code = "restore.verify_failed"
    message_es = (
        "La restauración terminó, pero `verify` encontró {count} problema(s); el primero: {first}"
    )
    message_en = "The restore finished, but `verify` found {count} problem(s); the first: {first}"


def check_manifest(manifest: Any) -> dict[str, Any]:
    """The manifest's shape: a mapping of the backup format naming a known engine, its dump
    file and hash, the migrations applied and the row counts."""
    if not isinstance(manifest, Mapping):
        raise ManifestInvalid(detail="not a JSON object / no es un objeto JSON")
    if manifest.get("format") != FORMAT:
        raise ManifestInvalid(detail=f"format {manifest.get('format')!r} != {FORMAT!r}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ManifestInvalid(detail=f"format_version {manifest.get('format_version')!r}")
    engine = manifest.get("engine")
    if engine not in ENGINES:
        raise ManifestInvalid(detail=f"engine {engine!r}")
    dump = manifest.get("dump")
    if (
        not isinstance(dump, Mapping)
        or dump.get("file") != DUMP_FILE[engine]
        or not isinstance(dump.get("sha256"), str)
    ):
        raise ManifestInvalid(detail="dump {file, sha256}")
    migrations = manifest.get("migrations")
    if not isinstance(migrations, Mapping) or not all(
        isinstance(v, list) and all(isinstance(n, str) for n in v) for v in migrations.values()
    ):
        raise ManifestInvalid(detail="migrations {app: [name, …]}")
    counts = manifest.get("row_counts")
    if not isinstance(counts, Mapping) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in counts.values()
    ):
        raise ManifestInvalid(detail="row_counts {table: n}")
    return dict(manifest)


def check_dump_hash(*, name: str, expected: str, actual: str) -> None:
    if expected.lower() != actual.lower():
        raise DumpTampered(name=name, expected=expected, actual=actual)


def check_engine(*, dump: str, here: str) -> None:
    if dump != here:
        raise EngineMismatch(dump=dump, here=here)


def unknown_migrations(applied: Mapping[str, list[str]], known: set[tuple[str, str]]) -> list[str]:
    """Migrations applied in the dump that this code does not have: the dump is newer."""
    return sorted(
        f"{app}.{name}"
        for app, names in applied.items()
        for name in names
        if (app, name) not in known
    )


def check_migrations(
    applied: Mapping[str, list[str]], known: set[tuple[str, str]], version: str
) -> None:
    newer = unknown_migrations(applied, known)
    if newer:
        shown = ", ".join(newer[:5]) + (f" (+{len(newer) - 5})" if len(newer) > 5 else "")
        raise MigrationsNewer(names=shown, version=version)


def row_count_differences(expected: Mapping[str, int], actual: Mapping[str, int]) -> list[str]:
    return [
        f"{table}: {expected.get(table, 0)} → {actual.get(table, 0)}"
        for table in sorted(expected.keys() | actual.keys())
        if expected.get(table, 0) != actual.get(table, 0)
    ]


def check_row_counts(expected: Mapping[str, int], actual: Mapping[str, int]) -> None:
    differences = row_count_differences(expected, actual)
    if differences:
        raise RowCountsDiffer(detail="; ".join(differences[:5]))
