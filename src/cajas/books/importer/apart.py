"""The journal checked in a second process while this one writes.

Checking a big journal (each entry's shape, lines, digest, hash chain and running balances)
costs about as much as writing it, and the sqlite3 module holds the GIL between rows, so a
thread does not help. ``journal_checked`` forks: the child runs ``journal.journal_batches``
(the very check of the inline path, with the same messages) and writes each batch of rows to
a temporary file, telling the parent where on a pipe; the parent, meanwhile, writes the
meetings, then the batches as they come. The child's errors and ``journal.RESULTS`` come back
at the end into the parent's plan, so what follows (the comparisons of ``written``) does not
know which path ran.

The child touches no database connection, writes nothing but its file and pipe, and ends by
``os._exit`` (no cleanup of the parent's state). The book is imported by the command line, one
thread; where other threads run (a test server), or for a journal too short to gain, the check
runs inline.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
import tempfile
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from cajas.books.importer import journal
from cajas.books.importer.state import Plan
from cajas.books.reader import Deferred, ReadAgain, Spool

MIN_ENTRIES = 1_000
MIN_BYTES = 256 * 1024
"""A shorter journal (in entries, or in bytes of a file) is checked inline: a fork costs
more than it saves."""
_RECORD = struct.Struct("<cQQ")
"""On the pipe: a batch (``B``), the end (``E``) or a failure (``X``); where its bytes lie in
the file, and how many."""


def apart_possible(plan: Plan) -> bool:
    section = plan.doc["journal"]
    big = (
        section.size >= MIN_BYTES
        if isinstance(section, Spool | Deferred)
        else len(section) >= MIN_ENTRIES
    )
    return big and hasattr(os, "fork") and one_thread()


def one_thread() -> bool:
    """Whether this process runs one thread: a fork copies only the calling thread, so a lock
    another thread holds would stay held in the child for ever."""
    return threading.active_count() == 1


@contextmanager
def journal_checked(plan: Plan, rows: journal.JournalRows) -> Iterator[Iterator[journal.Batch]]:
    """The journal's batches of rows (``journal.journal_batches``), checked in a second
    process when ``apart_possible``; when the iteration ends the plan holds the check's errors
    and results, as inline."""
    if not apart_possible(plan):
        yield journal.journal_batches(plan, rows)
        return
    for value in plan.doc.values():  # nothing buffered is written twice (child and parent)
        if isinstance(value, Spool):
            value.flush()
    with tempfile.TemporaryFile() as out:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _child(plan, rows, out, write_end)
        os.close(write_end)
        received = _Received(plan, out, read_end)
        try:
            yield iter(received)
        finally:
            os.close(read_end)
            if not received.ended:  # the parent stopped first (an error while writing)
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _child(plan: Plan, rows: journal.JournalRows, out: IO[bytes], pipe: int) -> None:
    code = 0
    gc.freeze()  # what the parent built stays: collections look only at the child's own objects
    try:
        offset = 0
        for batch in journal.journal_batches(plan, rows):
            offset = _send(out, pipe, b"B", pickle.dumps(batch, pickle.HIGHEST_PROTOCOL), offset)
        results = {name: getattr(plan, name) for name in journal.RESULTS}
        _send(out, pipe, b"E", pickle.dumps((plan.errs.errors, results)), offset)
    except ReadAgain:
        _send(out, pipe, b"R", b"", offset)
    except BaseException:
        code = 1
        _send(out, pipe, b"X", traceback.format_exc().encode(), offset)
    finally:
        os._exit(code)


def _send(out: IO[bytes], pipe: int, kind: bytes, data: bytes, offset: int) -> int:
    view = memoryview(data)
    while view:
        view = view[os.pwrite(out.fileno(), view, offset + len(data) - len(view)) :]
    _write_all(pipe, _RECORD.pack(kind, offset, len(data)))
    return offset + len(data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return data
        data += chunk
    return data


class _Received:
    """The child's batches, read where the pipe says; then its errors and results."""

    def __init__(self, plan: Plan, out: IO[bytes], pipe: int) -> None:
        self.plan, self.out, self.pipe, self.ended = plan, out, pipe, False

    def __iter__(self) -> Iterator[journal.Batch]:
        while True:
            kind, data = self._next()
            if kind in (b"X", b"R"):
                self.ended = True
                if kind == b"R":
                    raise ReadAgain
                raise RuntimeError(f"the journal's checking process failed:\n{data.decode()}")
            value = pickle.loads(data)  # noqa: S301 - written by this process's own child
            if kind == b"B":
                yield value
                continue
            self.ended = True
            if isinstance(self.plan.doc["journal"], Deferred):
                self.plan.doc["journal"].complete = True  # read to its end, by the child
            errors, results = value
            self.plan.errs.errors.extend(errors)
            for name, result in results.items():
                setattr(self.plan, name, result)
            return

    def _next(self) -> tuple[bytes, bytes]:
        record = _read_exactly(self.pipe, _RECORD.size)
        if len(record) < _RECORD.size:
            self.ended = True  # the child is gone
            raise RuntimeError("the journal's checking process ended without its result")
        kind, offset, length = _RECORD.unpack(record)
        data = b""
        while len(data) < length:
            data += os.pread(self.out.fileno(), length - len(data), offset + len(data))
        return kind, data
