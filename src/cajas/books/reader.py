"""Reading a book file as a stream (``ijson``), in bounded memory, with ``book_parse``'s refusals.

``book_read(path)`` parses the file once, event by event: the small sections are built in
memory, and each element of the big ones (``SPOOLED``: meetings and the journal) is written,
as soon as it is complete, one JSON line each to a temporary file (a ``Spool``) that the
importer reads back element by element, as often as it needs. What the whole-document reader
refuses is refused here too, with the same messages: other encodings than UTF-8 (a BOM, UTF-16,
invalid bytes), duplicated keys, ``NaN``/``Infinity``, numbers of more than 40 characters,
nesting deeper than ``MAX_DEPTH``. A file larger than ``STREAM_MAX_BYTES`` is not a book.

Escaped lone surrogates (``"\\ud800"``) are the one thing the C parser does not refuse (it reads
them as ``?``): a file with any escaped surrogate is read whole by ``book_parse`` instead, which
refuses lone ones as before (real books never escape them: the export writes UTF-8).
"""

from __future__ import annotations

import codecs
import json
import re
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import ijson

from cajas.books.format import MAX_BYTES, MAX_DEPTH, ImportErrors, book_parse, show

SPOOLED = ("meetings", "journal")
STREAM_MAX_BYTES = 2 * 1024 * 1024 * 1024
"""Memory does not grow with the file; a 1,000-meeting book is about 100 MB."""
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_CHUNK = 256 * 1024


class Spool:
    """A section's elements kept on disk, one JSON line each; iterate it again at will (never
    twice at once)."""

    def __init__(self) -> None:
        self._file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self._count = 0
        self._reading = False

    def append(self, element: Any) -> None:
        self._file.write(json.dumps(element, separators=(",", ":")) + "\n")
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Any]:
        assert not self._reading, "a spool is read by one loop at a time"
        self._reading = True
        try:
            self._file.flush()
            self._file.seek(0)
            for line in self._file:
                yield json.loads(line)
        finally:
            self._file.seek(0, 2)
            self._reading = False

    def close(self) -> None:
        self._file.close()


class _Watched:
    """The file as ijson reads it, counting bytes and noticing escaped surrogates."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.size, self.tail, self.surrogate = raw, 0, b"", False

    def read(self, n: int = -1) -> bytes:
        chunk = self.raw.read(_CHUNK if n < 0 else n)
        self.size += len(chunk)
        if self.size > STREAM_MAX_BYTES:
            raise _TooLarge
        if not self.surrogate and b"\\" in self.tail + chunk:
            self.surrogate = _SURROGATE.search(self.tail + chunk) is not None
        self.tail = chunk[-6:]
        return chunk


class _TooLarge(Exception):
    pass


class _Builder:
    """Values from ``ijson.basic_parse`` events, refusing what a book never holds."""

    def __init__(self) -> None:
        self.stack: list[Any] = []  # open containers
        self.keys: list[str | None] = []  # for each open object, its pending key
        self.duplicates: list[str] = []
        self.top: Any = None
        self.spools: dict[str, Spool] = {}

    def value(self, value: Any) -> None:
        if len(self.stack) > MAX_DEPTH:
            raise _Nested
        if not self.stack:
            self.top = value
            return
        parent = self.stack[-1]
        if isinstance(parent, list):
            if len(self.stack) == 2 and self.keys[0] in self.spools:
                self.spools[self.keys[0]].append(value)  # type: ignore[index]
            else:
                parent.append(value)
            return
        key = self.keys[-1]
        assert key is not None
        if key in parent:
            self.duplicates.append(key)
        parent[key] = value

    def feed(self, event: str, value: Any) -> None:
        if event == "map_key":
            self.keys[-1] = value
        elif event == "start_map" or event == "start_array":
            if len(self.stack) > MAX_DEPTH:
                raise _Nested
            container: Any = {} if event == "start_map" else []
            if len(self.stack) == 1 and event == "start_array" and self.keys[0] in SPOOLED:
                self.spools[self.keys[0]] = Spool()  # type: ignore[index]
                container = self.spools[self.keys[0]]  # type: ignore[index]
                container = _SpoolFrame(container)
            self.stack.append(container)
            self.keys.append(None)
        elif event == "end_map" or event == "end_array":
            done = self.stack.pop()
            self.keys.pop()
            self.value(done.spool if isinstance(done, _SpoolFrame) else done)
        else:
            self.value(_number(value) if event == "number" else value)


class _SpoolFrame(list):  # type: ignore[type-arg]
    """Stands for a spooled section while it is open (its elements go to the spool)."""

    def __init__(self, spool: Spool) -> None:
        super().__init__()
        self.spool = spool


class _Nested(Exception):
    pass


def _number(value: int | Decimal) -> int | float:
    if isinstance(value, int):
        if value.bit_length() > 132:  # more than 40 digits
            raise ValueError("número demasiado largo / number too long")
        return value
    if len(str(value)) > 40:
        raise ValueError("número demasiado largo / number too long")
    return float(value)


def _not_utf8(path: Path) -> int | None:
    """The offset of the first byte that is not UTF-8, if any."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset + exc.start
            offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return offset + exc.start
    return None


def _refuse(message: str) -> ImportErrors:
    errs = ImportErrors()
    errs.add("$", message)
    return errs


def book_read(path: Path) -> Any:
    """The document in the file at ``path``, its big sections as ``Spool``s; or
    ``ImportErrors`` saying why it is not one (as ``book_parse`` would)."""
    with path.open("rb") as raw:
        if raw.read(3).startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
            return book_parse(b"\xef\xbb\xbf")  # raises, with book_parse's message
        raw.seek(0)
        watched, builder = _Watched(raw), _Builder()
        try:
            for event, value in ijson.basic_parse(watched, use_float=False):
                builder.feed(event, value)
        except _TooLarge:
            raise _refuse(
                f"archivo de más de {STREAM_MAX_BYTES} bytes / "
                f"file larger than {STREAM_MAX_BYTES} bytes"
            ) from None
        except _Nested:
            raise _refuse(
                f"anidamiento de más de {MAX_DEPTH} niveles / nested deeper than {MAX_DEPTH} levels"
            ) from None
        except (ijson.JSONError, ValueError) as exc:
            at = _not_utf8(path)
            if at is not None:
                raise _refuse(
                    f"el archivo no es UTF-8 (byte {at}) / the file is not UTF-8 (byte {at})"
                ) from None
            raise _refuse(f"JSON inválido / invalid JSON: {str(exc)[:200]}") from None
    if watched.surrogate:
        if watched.size > MAX_BYTES:
            raise _refuse(
                "un libro grande no puede llevar sustitutos escapados (\\ud800) / "
                "a large book cannot hold escaped surrogates (\\ud800)"
            )
        return book_parse(path.read_bytes())
    if builder.duplicates:
        errs = ImportErrors()
        for key in dict.fromkeys(builder.duplicates):
            errs.add("$", f"clave repetida {show(key)} / duplicated key {show(key)}")
        raise errs
    return builder.top
