"""Backup and restore: a caja with meetings and a loan goes through `cajas backup`, a wiped
database and `cajas restore`, and comes back verified with the same book export; a tampered
dump, a dump newer than the code and a restore over data are refused, writing nothing; the key
is kept apart; a backup taken while another connection writes is a consistent copy.

Runs on SQLite (the test database in memory; the WAL copy on a file of its own) and on
PostgreSQL (`bash scripts/with-postgres.sh .venv/bin/pytest -q tests/test_backup.py`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from cajas.backup.services import backup_create, sqlite_copy
from cajas.books.export import book_export
from cajas.meetings.items import disbursement_record, repayment_record
from cajas.org.models import Caja
from tests.factories import APPLY, caja_with_savings, db_snapshot, run, voted_loan

pytestmark = pytest.mark.django_db(transaction=True)

DUMP = "cajas.pgdump" if connection.vendor == "postgresql" else "cajas.sqlite3"


@pytest.fixture
def caja() -> Caja:
    """Six members, two meetings of savings, a loan handed over and one repayment of it."""
    caja = caja_with_savings()
    loan = voted_loan(caja)
    run(caja, APPLY, during=[lambda m: disbursement_record(meeting_id=m.pk, loan_id=loan.pk)])
    run(
        caja,
        APPLY + dt.timedelta(days=31),
        during=[lambda m: repayment_record(meeting_id=m.pk, loan_id=loan.pk, amount="10")],
    )
    return caja


def _backup(folder: Path, *extra: str) -> str:
    out = io.StringIO()
    call_command("backup", "--to", str(folder), *extra, stdout=out)
    return out.getvalue()


def _restore(folder: Path, *extra: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("restore", "--from", str(folder), *extra, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_backup_wipe_restore_gives_the_same_verified_book(caja: Caja, tmp_path: Path) -> None:
    before = book_export(caja=caja)
    assert before["loans"] and len(before["meetings"]) == 4
    said = _backup(tmp_path / "b")
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted([DUMP, "manifest.json"])
    assert manifest["engine"] == ("postgresql" if connection.vendor == "postgresql" else "sqlite")
    assert manifest["row_counts"]["org_caja"] == 1
    assert manifest["row_counts"]["loans_loan"] == 1
    assert "0001_initial" in manifest["migrations"]["ledger"]
    assert len(manifest["dump"]["sha256"]) == 64
    assert "NO está en esta copia" in said and "is NOT in this backup" in said

    call_command("flush", interactive=False)
    assert not Caja.objects.exists()
    said = _restore(tmp_path / "b")

    assert f"verify OK: caja {before['caja']['code']}" in said
    assert "abre los datos cifrados restaurados" in said and "opens the restored" in said
    restored = Caja.objects.get(code=before["caja"]["code"])
    assert book_export(caja=restored) == before
    call_command("verify", caja=restored.code)


def test_a_tampered_dump_is_refused_and_nothing_is_written(caja: Caja, tmp_path: Path) -> None:
    backup_create(to=tmp_path / "b")
    dump = tmp_path / "b" / DUMP
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    call_command("flush", interactive=False)
    before = db_snapshot()
    with pytest.raises(CommandError) as refused:
        _restore(tmp_path / "b")
    message = str(refused.value)
    assert "[restore.hash_mismatch] El archivo" in message
    assert "no es el que se copió" in message and "is not the one that was backed up" in message
    assert db_snapshot() == before


def test_restore_over_data_is_refused_without_force(caja: Caja, tmp_path: Path) -> None:
    backup_create(to=tmp_path / "b")
    before = db_snapshot()
    book = book_export(caja=caja)
    with pytest.raises(CommandError) as refused:
        _restore(tmp_path / "b")
    message = str(refused.value)
    assert "[restore.target_not_empty] La base de datos de destino ya tiene datos" in message
    assert "use --force if you really mean to replace it" in message
    assert db_snapshot() == before and book_export(caja=caja) == book
    said = _restore(tmp_path / "b", "--force")
    assert "(--force) replaced:" in said and f"verify OK: caja {caja.code}" in said
    assert book_export(caja=Caja.objects.get(code=caja.code)) == book


def test_a_dump_newer_than_the_code_is_refused(caja: Caja, tmp_path: Path) -> None:
    backup_create(to=tmp_path / "b")
    path = tmp_path / "b" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["migrations"]["ledger"].append("9999_from_the_future")
    manifest["app_version"] = "9.0.0"
    path.write_text(json.dumps(manifest))
    call_command("flush", interactive=False)
    before = db_snapshot()
    with pytest.raises(CommandError) as refused:
        _restore(tmp_path / "b")
    message = str(refused.value)
    assert "[restore.migrations_newer] La copia viene de una versión más nueva" in message
    assert "ledger.9999_from_the_future" in message and "Upgrade Cajas to version 9.0.0" in message
    assert db_snapshot() == before


def test_a_folder_without_a_manifest_is_refused(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as refused:
        _restore(tmp_path)
    assert "[restore.manifest_missing] No hay una copia legible" in str(refused.value)


def test_the_key_is_never_beside_the_data_and_goes_apart_only_when_asked(
    caja: Caja, tmp_path: Path
) -> None:
    key = ",".join(settings.FIELD_ENCRYPTION_KEYS)
    said = _backup(tmp_path / "b")
    for path in (tmp_path / "b").iterdir():
        assert key.encode() not in path.read_bytes()
    assert "Sin ella, los datos personales cifrados" in said and "cannot be read" in said

    with pytest.raises(CommandError) as refused:
        _backup(tmp_path / "c", "--with-key-to", str(tmp_path / "c" / "key.env"))
    assert "[backup.key_beside_data]" in str(refused.value)
    assert not (tmp_path / "c").exists()

    said = _backup(tmp_path / "d", "--with-key-to", str(tmp_path / "keys" / "key.env"))
    key_file = tmp_path / "keys" / "key.env"
    assert key_file.read_text() == f"CAJAS_FIELD_KEY={key}\n"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert f"escrita en {key_file} (0600)" in said
    assert "ya guardaba esta clave" in _backup(tmp_path / "e", "--with-key-to", str(key_file))

    with pytest.raises(CommandError) as refused:
        _backup(tmp_path / "f")
        _backup(tmp_path / "f")
    assert "[backup.target_exists]" in str(refused.value)


def test_a_backup_that_cannot_be_written_is_refused_without_a_traceback(
    db: None, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(CommandError) as refused:
        _backup(tmp_path / "a-file" / "b")
    message = str(refused.value)
    assert "[backup.failed] No se pudo hacer la copia" in message
    assert "No half-written backup was left" in message


def test_restore_says_when_the_configured_key_does_not_open_the_data(
    caja: Caja, tmp_path: Path
) -> None:
    backup_create(to=tmp_path / "b")
    call_command("flush", interactive=False)
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=(Fernet.generate_key().decode(),)),
        pytest.raises(CommandError) as refused,
    ):
        _restore(tmp_path / "b")
    message = str(refused.value)
    assert "[restore.key_mismatch] Los datos se restauraron, pero la clave configurada" in message
    assert "does NOT open the encrypted personal data" in message


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's WAL copy")
def test_a_sqlite_copy_taken_while_another_connection_writes_is_consistent(
    tmp_path: Path,
) -> None:
    """A writer adds one row to each of two tables per transaction while the copy runs: the
    copy holds whole transactions only (as many rows in one table as in the other)."""
    source = tmp_path / "live.sqlite3"
    with sqlite3.connect(source) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, pad TEXT)")
        db.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, pad TEXT)")
        db.executemany("INSERT INTO a (pad) VALUES (?)", [("x" * 500,) for _ in range(20000)])
        db.executemany("INSERT INTO b (pad) VALUES (?)", [("x" * 500,) for _ in range(20000)])
    stop = threading.Event()
    written = threading.Event()

    def writer() -> None:
        db = sqlite3.connect(source, timeout=20, isolation_level=None)
        while not stop.is_set():
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO a (pad) VALUES ('y')")
            db.execute("INSERT INTO b (pad) VALUES ('y')")
            db.execute("COMMIT")
            written.set()
        db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert written.wait(timeout=30)
        copies = [sqlite_copy(str(source), tmp_path / f"copy{i}.sqlite3") for i in range(3)]
    finally:
        stop.set()
        thread.join(timeout=30)
    for described in copies:
        counts = described["row_counts"]
        assert counts["a"] == counts["b"] >= 20001
    with sqlite3.connect(tmp_path / "copy2.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert copy.execute("SELECT count(*) FROM a").fetchone()[0] == copies[2]["row_counts"]["a"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump's snapshot")
def test_a_pg_dump_taken_while_another_connection_writes_is_consistent(
    caja: Caja, tmp_path: Path
) -> None:
    """Same on PostgreSQL: pg_dump runs inside the snapshot the manifest's counts were read in,
    and the restored tables hold whole transactions only."""
    import psycopg

    from cajas.backup.engines import pg_params

    params = pg_params(connection.settings_dict)
    with psycopg.connect(**params, autocommit=True) as db:  # type: ignore[arg-type]
        db.execute("CREATE TABLE pair_a (id serial PRIMARY KEY)")
        db.execute("CREATE TABLE pair_b (id serial PRIMARY KEY)")
    stop = threading.Event()
    written = threading.Event()

    def writer() -> None:
        with psycopg.connect(**params) as db:  # type: ignore[arg-type]
            while not stop.is_set():
                with db.transaction():
                    db.execute("INSERT INTO pair_a DEFAULT VALUES")
                    db.execute("INSERT INTO pair_b DEFAULT VALUES")
                written.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert written.wait(timeout=30)
        result = backup_create(to=tmp_path / "b")
    finally:
        stop.set()
        thread.join(timeout=30)
    counts = result.manifest["row_counts"]
    assert counts["pair_a"] == counts["pair_b"] >= 1
    said = _restore(tmp_path / "b", "--force")
    assert f"verify OK: caja {caja.code}" in said
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM pair_a), (SELECT count(*) FROM pair_b)")
        assert cursor.fetchone() == (counts["pair_a"], counts["pair_b"])
        cursor.execute("DROP TABLE pair_a, pair_b")
