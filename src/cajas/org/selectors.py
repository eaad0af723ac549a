"""Reading a caja's bylaws."""

from __future__ import annotations

import datetime as dt

from cajas.org.models import Bylaws, Caja


def bylaws_in_force(caja: Caja, on: dt.date) -> Bylaws:
    """The newest bylaws version effective on ``on``; on a day before any version takes effect,
    the newest version (said here, not hidden: a book may date a meeting before its bylaws).
    One plain query: every meeting close reads the bylaws, and compiling the ORM query
    cost three times running it."""
    return _bylaws_first(
        caja,
        "ORDER BY CASE WHEN effective_from <= %s THEN 0 ELSE 1 END, version DESC LIMIT 1",
        [on],
    )


def bylaws_newest(caja: Caja) -> Bylaws:
    """The newest bylaws version, whether or not it is in force yet (the page that shows and
    amends the bylaws, the demo's set-up)."""
    return _bylaws_first(caja, "ORDER BY version DESC LIMIT 1", [])


def _bylaws_first(caja: Caja, order: str, params: list[object]) -> Bylaws:
    rows = list(
        Bylaws.objects.raw(
            f"SELECT * FROM {Bylaws._meta.db_table} WHERE caja_id = %s {order}",  # noqa: S608
            [caja.pk, *params],
        )
    )
    if not rows:
        raise Bylaws.DoesNotExist(f"caja {caja.code} has no bylaws")
    rows[0].caja = caja
    return rows[0]
