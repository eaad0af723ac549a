"""Where the installation's keys come from: the Django secret key and the field-encryption keys.

A real installation keeps its keys out of the data directory, so that a copied data folder or
a stolen disk does not carry the key that opens it: ``SECRET_KEY`` and ``CAJAS_FIELD_KEY`` come
from the environment, or from files named by ``CAJAS_SECRET_KEY_FILE`` and
``CAJAS_FIELD_KEY_FILE`` that lie outside ``CAJAS_DATA_DIR`` and only their owner can read.
Without them the app refuses to start.

Only a throwaway installation — the demo and the tests, ``CAJAS_DEMO=1`` (``cajas demo`` sets
it) — generates its keys into ``CAJAS_DATA_DIR/secrets.json``, and says so.

``CAJAS_FIELD_KEY`` (or the key file, one key a line) may hold several Fernet keys, newest
first: data is written with the first and read with any (``cajas keys rotate`` re-encrypts
everything with the first, after which the older ones can go).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Keys:
    secret_key: str
    field_keys: tuple[str, ...]  # newest first
    source: str  # where they came from, said to the person who runs the app
    source_es: str  # the same, in Spanish


def field_key_new() -> str:
    """A fresh Fernet key (32 random bytes, URL-safe base64)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _demo_secrets(data_dir: Path) -> dict[str, str]:
    path = data_dir / "secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    values = {"SECRET_KEY": secrets.token_urlsafe(50), "CAJAS_FIELD_KEY": field_key_new()}
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(values, handle)
    except FileExistsError:
        # Another process created it first: use theirs so both agree on the key.
        return json.loads(path.read_text())
    except OSError:
        # A read-only location (e.g. a packaged install): keys live only in memory.
        pass
    return values


def _key_file(name: str, raw: str, data_dir: Path) -> list[str]:
    path = Path(raw).expanduser().resolve()
    if path == data_dir or data_dir in path.parents:
        raise ImproperlyConfigured(
            f"{name}={path} is inside the data directory {data_dir}: a copy of the data would "
            "carry its key. Keep the key file elsewhere (e.g. /etc/cajas/)."
        )
    try:
        mode = path.stat().st_mode
        text = path.read_text()
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}={path} cannot be read: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ImproperlyConfigured(
            f"{name}={path} can be read by others (mode {stat.filemode(mode)}); "
            f"make it private: chmod 600 {path}"
        )
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _check_field_keys(keys: list[str], where: str) -> tuple[str, ...]:
    if not keys:
        raise ImproperlyConfigured(f"no field-encryption key in {where}")
    for key in keys:
        try:
            if len(base64.urlsafe_b64decode(key.encode())) != 32:
                raise ValueError
        except ValueError:
            raise ImproperlyConfigured(
                f"a field-encryption key in {where} is not a Fernet key (32 bytes, URL-safe "
                "base64); `cajas keys new` prints one"
            ) from None
    return tuple(keys)


def keys_load(*, env: Mapping[str, str], data_dir: Path) -> Keys:
    """The keys this installation runs with, or ``ImproperlyConfigured`` saying what is
    missing. ``env`` is the process environment."""
    demo = env.get("CAJAS_DEMO", "").strip().lower() in {"1", "true", "yes", "on"}
    data_dir = data_dir.resolve()
    secret = env.get("SECRET_KEY", "")
    if not secret and env.get("CAJAS_SECRET_KEY_FILE"):
        lines = _key_file("CAJAS_SECRET_KEY_FILE", env["CAJAS_SECRET_KEY_FILE"], data_dir)
        secret = lines[0] if lines else ""
    fields: list[str] = []
    where = where_es = ""
    if env.get("CAJAS_FIELD_KEY"):
        fields = [k.strip() for k in env["CAJAS_FIELD_KEY"].split(",") if k.strip()]
        where = "the environment (CAJAS_FIELD_KEY)"
        where_es = "la variable de entorno CAJAS_FIELD_KEY"
    elif env.get("CAJAS_FIELD_KEY_FILE"):
        fields = _key_file("CAJAS_FIELD_KEY_FILE", env["CAJAS_FIELD_KEY_FILE"], data_dir)
        where = f"the key file {env['CAJAS_FIELD_KEY_FILE']} (CAJAS_FIELD_KEY_FILE)"
        where_es = f"el archivo de claves {env['CAJAS_FIELD_KEY_FILE']} (CAJAS_FIELD_KEY_FILE)"
    if demo and (not secret or not fields):
        stored = _demo_secrets(data_dir)
        secret = secret or stored["SECRET_KEY"]
        if not fields:
            fields = [stored["CAJAS_FIELD_KEY"]]
            where = (
                f"{data_dir / 'secrets.json'} — demo keys, generated beside the data: "
                "fine for trying Cajas, never for real people's data"
            )
            where_es = (
                f"{data_dir / 'secrets.json'}: claves de demostración, generadas junto a los "
                "datos; sirven para probar Cajas, nunca para datos de personas reales"
            )
    missing = [
        name for name, value in (("SECRET_KEY", secret), ("CAJAS_FIELD_KEY", fields)) if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            f"Cajas will not start without {' and '.join(missing)}. Set them in the environment "
            "or point CAJAS_SECRET_KEY_FILE / CAJAS_FIELD_KEY_FILE at files outside the data "
            "directory, readable only by the app (`cajas keys new` prints a field key). The demo "
            "and the tests set CAJAS_DEMO=1 and keep throwaway keys in the data directory."
        )
    return Keys(
        secret_key=secret,
        field_keys=_check_field_keys(fields, where),
        source=where,
        source_es=where_es,
    )
