"""Keys and data at rest: outside the demo the app needs keys kept away from its data; the keys
rotate with old data still readable; and the database, read raw, gives away none of the
sensitive personal data of the demo's people."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from cajas.core.fields import is_newest
from cajas.core.secrets import field_key_new, keys_load
from cajas.members.models import DocumentType, MobilityStatus, Person

KEY_A = field_key_new()
KEY_B = field_key_new()


def _private_file(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_outside_the_demo_nothing_starts_without_keys(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        keys_load(env={}, data_dir=tmp_path / "var")
    assert "will not start without SECRET_KEY and CAJAS_FIELD_KEY" in str(refused.value)
    assert not (tmp_path / "var" / "secrets.json").exists()  # nothing generated beside the data


def test_the_app_itself_refuses_to_start_without_keys(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"CAJAS_DEMO", "SECRET_KEY", "CAJAS_FIELD_KEY", "CAJAS_FIELD_KEY_FILE"}
    }
    env.update({"CAJAS_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "cajas.settings"})
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0
    assert "Cajas will not start without SECRET_KEY and CAJAS_FIELD_KEY" in run.stderr
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env={**env, "SECRET_KEY": "s" * 50, "CAJAS_FIELD_KEY": KEY_A},
        capture_output=True,
        text=True,
        check=False,
    )
    assert started.stdout.strip() == "started", started.stderr


def test_a_key_file_must_be_outside_the_data_and_private(tmp_path: Path) -> None:
    data = tmp_path / "var"
    data.mkdir()
    inside = _private_file(data / "field.key", KEY_A)
    with pytest.raises(ImproperlyConfigured, match="inside the data directory"):
        keys_load(env={"SECRET_KEY": "s", "CAJAS_FIELD_KEY_FILE": str(inside)}, data_dir=data)
    shared = tmp_path / "shared.key"
    shared.write_text(KEY_A)
    shared.chmod(0o644)
    with pytest.raises(ImproperlyConfigured, match="can be read by others"):
        keys_load(env={"SECRET_KEY": "s", "CAJAS_FIELD_KEY_FILE": str(shared)}, data_dir=data)
    good = _private_file(tmp_path / "etc-field.key", f"# newest first\n{KEY_B}\n{KEY_A}\n")
    keys = keys_load(env={"SECRET_KEY": "s", "CAJAS_FIELD_KEY_FILE": str(good)}, data_dir=data)
    assert keys.field_keys == (KEY_B, KEY_A)
    assert "etc-field.key" in keys.source
    with pytest.raises(ImproperlyConfigured, match="not a Fernet key"):
        keys_load(env={"SECRET_KEY": "s", "CAJAS_FIELD_KEY": "12345678"}, data_dir=data)


def test_the_demo_generates_its_keys_beside_its_data_and_says_so(tmp_path: Path) -> None:
    keys = keys_load(env={"CAJAS_DEMO": "1"}, data_dir=tmp_path)
    assert (tmp_path / "secrets.json").stat().st_mode & 0o077 == 0
    assert "demo keys" in keys.source and "never for real people's data" in keys.source
    again = keys_load(env={"CAJAS_DEMO": "1"}, data_dir=tmp_path)
    assert again.field_keys == keys.field_keys  # generated once


def _raw(person: Person, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {Person._meta.db_table} WHERE id = %s",
            [person.pk],
        )
        value: str = cursor.fetchone()[0]
    return value


@pytest.mark.django_db
def test_keys_rotate_and_old_data_stays_readable(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.factories import enrol, make_caja

    with override_settings(FIELD_ENCRYPTION_KEYS=(KEY_A,)):
        caja = make_caja()
        person = enrol(caja, document_number="V-20.123.456", mobility_status="refugee").person
        stored = _raw(person, "document_number")
        assert "20.123" not in stored
        assert Fernet(KEY_A.encode()).decrypt(stored.encode()) == b"V-20.123.456"
    # A new key comes first; the old one stays for reading.
    with override_settings(FIELD_ENCRYPTION_KEYS=(KEY_B, KEY_A)):
        assert Person.objects.get(pk=person.pk).document_number == "V-20.123.456"
        assert not is_newest(_raw(person, "document_number"))
        call_command("keys", "status")
        assert (
            "members.Person.document_number: 1 values, 1 on an older key" in capsys.readouterr().out
        )
        call_command("keys", "rotate", "--batch", "1")
        out = capsys.readouterr().out
        assert "members.Person.document_number: 1 read, 1 re-encrypted" in out
        assert is_newest(_raw(person, "document_number"))
    # Once rotated, the old key can go.
    with override_settings(FIELD_ENCRYPTION_KEYS=(KEY_B,)):
        again = Person.objects.get(pk=person.pk)
        assert (again.document_number, again.mobility_status) == ("V-20.123.456", "refugee")


def _raw_database_bytes(tmp_path: Path) -> bytes:
    """The whole database as its files or its dump hold it."""
    if connection.vendor == "sqlite":
        copy = tmp_path / "copy.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(copy)])
        return copy.read_bytes()
    settings = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": settings["PASSWORD"] or os.environ.get("PGPASSWORD", "")}
    dump = subprocess.run(
        [
            shutil.which("pg_dump") or "pg_dump",
            "--host",
            settings["HOST"] or "localhost",
            "--port",
            str(settings["PORT"] or 5432),
            "--username",
            settings["USER"],
            "--dbname",
            settings["NAME"],
        ],
        env=env,
        capture_output=True,
        check=True,
    )
    return dump.stdout


@pytest.mark.django_db(transaction=True)
def test_the_raw_database_holds_no_document_numbers_statuses_or_document_types(
    tmp_path: Path,
) -> None:
    from cajas.demo.build import demo_build

    demo_build(cajas=2, meetings=2)
    people = list(Person.objects.all())
    numbers = {p.document_number for p in people if p.document_number}
    assert len(numbers) > 20
    statuses = {p.mobility_status for p in people if p.mobility_status}
    types = {p.document_type for p in people} - {DocumentType.NONE, DocumentType.OTHER}
    assert {MobilityStatus.REFUGEE, MobilityStatus.IRREGULAR} <= statuses
    assert DocumentType.REFUGEE_ID in types
    raw = _raw_database_bytes(tmp_path)
    assert b"members_person" in raw  # it is the database we think it is
    found = sorted(value for value in numbers | statuses | types if value.encode() in raw)
    assert found == []
