"""Per-installation secrets, generated once and kept in the data directory.

The demo and a fresh install need a Django secret key and a field-encryption key without
anyone typing one; production sets ``SECRET_KEY`` and ``CAJAS_FIELD_KEY`` in the environment.
Losing the field key makes encrypted personal data unreadable, so it is written once, never
rotated silently, and the file is readable only by its owner.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path


def ensure_local_secrets(data_dir: Path) -> dict[str, str]:
    path = data_dir / "secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "CAJAS_FIELD_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }
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
