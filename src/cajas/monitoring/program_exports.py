"""Program exports prepared in the background, with their progress and a download link.

The SAVIX record of every caja as XLSX takes seconds at thousands of cajas, and an XLSX cannot
be sent before it is whole (the CSV streams from its first byte instead). Asked for, it becomes
a ``ProgramExport`` row and is written by a thread of the web process, which counts the cajas
written so far into the row; the status page shows that count and, when the file is whole, a
link to it. The thread reads with the asking user's scope and filters (``caja_list_for_user``,
``indicator_query``), as the page would have.

A process that stops mid-way leaves a row that no longer moves: after ``STALE`` without
progress it is shown as interrupted, and can be asked for again. Files and rows are deleted
``KEPT`` after they were asked for (each new request deletes the old ones).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connections, transaction
from django.utils import timezone

from cajas.access.selectors import caja_list_for_user
from cajas.exports.tables import xlsx_write
from cajas.monitoring.filters import indicator_query
from cajas.monitoring.models import ExportStatus, ProgramExport
from cajas.monitoring.savix import COLUMNS, savix_rows

logger = logging.getLogger(__name__)

KEPT = dt.timedelta(days=1)
STALE = dt.timedelta(minutes=10)
PROGRESS_EVERY = 200
"""Cajas written between two progress updates (one UPDATE each)."""
FILTERS = ("program", "partner", "territory", "group", "from", "to", "gender", "nationality", "age")
KINDS = {"savix-xlsx": "savix-quarterly.xlsx"}
_threads: list[threading.Thread] = []


def export_dir() -> Path:
    return Path(settings.DATA_DIR) / "exports"


def export_path(export: ProgramExport) -> Path:
    return export_dir() / f"{export.pk}.xlsx"


def export_request(
    *, user: AbstractBaseUser | AnonymousUser, kind: str, params: Mapping[str, str]
) -> ProgramExport:
    """Ask for an export with the filters of ``params`` (those of the dashboard). Bad filters
    raise the dashboard's own ``RuleViolation`` and nothing is written. The export starts once
    this transaction commits (at once when ``CAJAS_EXPORTS_INLINE``: tests)."""
    assert kind in KINDS and user.pk is not None
    kept = {k: str(params[k]) for k in FILTERS if params.get(k)}
    query = indicator_query(scoped=caja_list_for_user(user=user), params=kept)  # raises
    now = timezone.now()
    exports_expire(now)
    export = ProgramExport.objects.create(
        id=uuid.uuid4(),
        requested_by_id=user.pk,
        kind=kind,
        params=kept,
        on=query.filters.date_to or timezone.localdate(),
        created_at=now,
        updated_at=now,
    )
    if getattr(settings, "CAJAS_EXPORTS_INLINE", False):
        export_run(export.pk)
        export.refresh_from_db()
    else:
        transaction.on_commit(lambda: _start(export.pk))
    return export


def export_for_user(
    *, user: AbstractBaseUser | AnonymousUser, export_id: uuid.UUID
) -> ProgramExport | None:
    """The export, if ``user`` asked for it."""
    return ProgramExport.objects.filter(pk=export_id, requested_by_id=user.pk).first()


def export_state(export: ProgramExport, now: dt.datetime) -> str:
    """The status to show: one still pending or running that has not moved for ``STALE`` was
    interrupted (the process stopped) and counts as failed."""
    moving = export.status in (ExportStatus.PENDING, ExportStatus.RUNNING)
    if moving and now - export.updated_at > STALE:
        return ExportStatus.FAILED
    return str(export.status)


def export_run(export_id: uuid.UUID) -> None:
    """Write the export's file, counting the cajas into its row as it goes. Runs once: the
    row is claimed from pending to running by one UPDATE."""
    now = timezone.now()
    claimed = ProgramExport.objects.filter(pk=export_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING, updated_at=now
    )
    if not claimed:
        return
    export = ProgramExport.objects.select_related("requested_by").get(pk=export_id)
    path = export_path(export)
    part = path.with_suffix(".part")
    try:
        query = indicator_query(
            scoped=caja_list_for_user(user=export.requested_by), params=export.params
        )
        total = query.cajas.count()
        ProgramExport.objects.filter(pk=export_id).update(total=total)
        path.parent.mkdir(parents=True, exist_ok=True)
        with part.open("wb") as out:
            rows = _counted(savix_rows(query.cajas, export.on), export_id)
            xlsx_write(out, [("SAVIX", COLUMNS, rows)])
        os.replace(part, path)
        ProgramExport.objects.filter(pk=export_id).update(
            status=ExportStatus.DONE,
            done=total,
            size=path.stat().st_size,
            updated_at=timezone.now(),
        )
    except Exception as exc:
        logger.exception("program export %s failed", export_id)
        part.unlink(missing_ok=True)
        ProgramExport.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED, error=type(exc).__name__[:200], updated_at=timezone.now()
        )


def _counted(rows: Iterable[list[Any]], export_id: uuid.UUID) -> Iterator[list[Any]]:
    for done, row in enumerate(rows, 1):
        yield row
        if done % PROGRESS_EVERY == 0:
            ProgramExport.objects.filter(pk=export_id).update(done=done, updated_at=timezone.now())


def exports_expire(now: dt.datetime) -> int:
    """Delete the exports asked for more than ``KEPT`` ago, and their files."""
    old = list(ProgramExport.objects.filter(created_at__lt=now - KEPT))
    for export in old:
        export_path(export).unlink(missing_ok=True)
        export_path(export).with_suffix(".part").unlink(missing_ok=True)
    ProgramExport.objects.filter(pk__in=[e.pk for e in old]).delete()
    return len(old)


def _start(export_id: uuid.UUID) -> None:
    thread = threading.Thread(
        target=_in_thread, args=(export_id,), name=f"export-{export_id}", daemon=True
    )
    _threads[:] = [t for t in _threads if t.is_alive()]
    _threads.append(thread)
    thread.start()


def _in_thread(export_id: uuid.UUID) -> None:
    try:
        export_run(export_id)
    finally:
        connections.close_all()  # this thread's own connections


def exports_wait(timeout: float = 60) -> None:
    """Wait for the exports running in this process (tests, and a server that stops)."""
    for thread in list(_threads):
        thread.join(timeout)
