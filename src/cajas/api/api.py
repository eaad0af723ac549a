"""The API, version 1: one ``NinjaAPI`` at ``/api/v1/`` with one router per area.

Each area's module holds its router; adding an area is one line in ``ROUTERS``.
"""

from __future__ import annotations

from ninja import NinjaAPI, Router

from cajas.api import (
    book_api,
    cajas_api,
    errors,
    loans_api,
    meeting_sync,
    meetings_api,
    members_api,
    program_api,
)
from cajas.api.auth import AUTH

VERSION = "1"

api = NinjaAPI(
    title="Cajas API",
    version=VERSION,
    description=(
        "Cajas de ahorro: cajas, members, meetings, loans, balances, indicators and the book. "
        "Authenticate with `Authorization: Bearer <token>` (made on the account page) or the "
        "browser's session. Errors are {code, message, field}; every write takes an "
        "Idempotency-Key. See docs/api.md."
    ),
    urls_namespace="api-v1",
    auth=AUTH,
    openapi_url="/openapi.json",
    docs_url="/docs",
)
errors.install(api)

# (prefix, router): one line per area.
ROUTERS: list[tuple[str, Router]] = [
    ("/cajas", cajas_api.router),
    ("/cajas", members_api.router),
    ("/cajas", meetings_api.router),
    ("/cajas", meeting_sync.router),
    ("/cajas", loans_api.router),
    ("/cajas", book_api.router),
    ("/program", program_api.router),
]

for prefix, router in ROUTERS:
    api.add_router(prefix, router)
