"""Reading a book file as a stream, in bounded memory, with ``book_parse``'s refusals.

``book_read(path)`` reads the file a chunk at a time: the small sections are decoded whole, and
each element of the big ones (``SPOOLED``: meetings and the journal) is decoded on its own and
written at once, one JSON line each, to a temporary file (a ``Spool``) that the importer reads
back element by element, as often as it needs. Each value is decoded by the standard library's
C decoder with the very hooks of ``book_parse``, so what the whole-document reader refuses is
refused here too, with its messages: other encodings than UTF-8 (a BOM, UTF-16, invalid bytes),
duplicated keys, ``NaN``/``Infinity``, numbers of more than 40 characters, nesting deeper than
``MAX_DEPTH``, lone surrogates (refused by the texts' checks). A file larger than
``STREAM_MAX_BYTES`` is not a book.

Why not ``ijson``: its C backend reads an escaped lone surrogate as ``?`` (accepting what
``book_parse`` refuses), and its event-by-event Python building is about ten times slower than
decoding each element in C.
"""

from __future__ import annotations

import codecs
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from cajas.books.format import (
    MAX_BYTES,
    MAX_DEPTH,
    ImportErrors,
    book_parse,
    json_float,
    json_int,
    json_no_constant,
    show,
)

SPOOLED = ("meetings", "journal")
_SPACE = re.compile(r"[ \t\n\r]*")
_SEPARATOR = re.compile(r"[ \t\n\r]*([,\]])")
STREAM_MAX_BYTES = 2 * 1024 * 1024 * 1024
"""Memory does not grow with the file; a 1,000-meeting book is about 100 MB."""
_CHUNK = 256 * 1024


class Spool:
    """A section's elements kept on disk, one JSON line each; iterate it again at will (never
    twice at once)."""

    def __init__(self) -> None:
        self._file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self._count = 0
        self._reading = False
        self.size = 0
        """Characters written: about the section's size in the file."""

    def append(self, element: Any) -> None:
        line = json.dumps(element, separators=(",", ":")) + "\n"
        self._file.write(line)
        self._count += 1
        self.size += len(line)

    def append_text(self, text: str) -> None:
        """An element as the file wrote it, already decoded once (so known to be valid): a
        newline in JSON text is white space, never inside a string."""
        self._file.write(text.replace("\n", " ").replace("\r", " ") + "\n")
        self._count += 1
        self.size += len(text) + 1

    def __len__(self) -> int:
        return self._count

    def flush(self) -> None:
        self._file.flush()

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


class ReadAgain(Exception):
    """A deferred section met what only reading the whole file reports as ``book_read`` does
    (invalid JSON, a repeated key, a key after it other than ``chain_head``, too many
    elements): read the book again without deferring, and let that reading say why."""


class Deferred:
    """The journal when it is the file's last big section, as exported: not read by
    ``book_read``, but element by element when iterated (once), from where the reading
    stopped, so that the process that checks it reads it (``importer/apart.py``) and it is
    never spooled. What follows it in the file is read at the end into the document; only
    ``chain_head`` may follow, anything else means ``ReadAgain``."""

    loose = True
    """Its integers are decoded without ``book_parse``'s bound on their length (``json_int``, a
    call per number: a fifth of the decoding), so its reader takes an element as read only where
    a spec bounds every number in it (the journal's ``ENTRY``, and no key it does not know), and
    otherwise raises ``ReadAgain``: the whole reading then refuses what it refuses."""

    def __init__(self, reader: _Reader, raw: IO[bytes], document: dict[str, Any], limit: int):
        self.reader, self.raw, self.document, self.limit = reader, raw, document, limit
        text = reader.text
        self.size = raw.seek(0, 2) - text.size + len(text.buf) - text.pos
        """The file from here on (characters decoded ahead counted as bytes): about the
        section's size."""
        raw.seek(text.size)
        self.count, self._read, self.complete = 0, False, False
        """``complete``: read to the end of the file, and nothing there means ``ReadAgain``."""

    def __len__(self) -> int:
        return 0  # not known before it is read: ``limit`` bounds it then

    def __iter__(self) -> Iterator[Any]:
        assert not self._read, "a deferred section is read once"
        self._read = True
        reader, before = self.reader, len(self.reader.duplicates)
        try:
            for value in reader.loose_elements():
                self.count += 1
                if self.count > self.limit:
                    raise ReadAgain
                yield value
            rest = reader.rest()
        except (_Invalid, _Nested, _TooLarge, UnicodeDecodeError, ValueError):
            raise ReadAgain from None
        if len(reader.duplicates) > before or set(rest) - {"chain_head"}:
            raise ReadAgain
        self.document.update(rest)
        self.complete = True

    def close(self) -> None:
        self.raw.close()


class _Text:
    """The file's text, read and decoded (strict UTF-8) a chunk at a time; what is behind
    ``pos`` is dropped as the reading moves on."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.size, self.eof = raw, 0, False
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf, self.pos, self.base, self.start = "", 0, 0, 0

    def more(self) -> bool:
        if self.eof:
            return False
        chunk = self.raw.read(_CHUNK)
        self.size += len(chunk)
        if self.size > STREAM_MAX_BYTES:
            raise _TooLarge
        self.eof = not chunk
        if self.pos > _CHUNK:
            self.base += self.pos
            self.buf, self.pos = self.buf[self.pos :], 0
        self.buf += self.decoder.decode(chunk, final=self.eof)
        return True

    def _grow(self) -> bool:
        """Read until the text ahead has doubled (a value larger than a chunk is decoded a
        few times, not once per chunk); false at the end of the file."""
        ahead = 2 * (len(self.buf) - self.pos) + 1
        grew = False
        while len(self.buf) - self.pos < ahead and self.more():
            grew = True
        return grew

    def peek(self) -> str:
        """The next character that is not white space ("" at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\n\r":
                self.pos += 1
            if self.pos < len(self.buf) or not self.more():
                return self.buf[self.pos : self.pos + 1]

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise _Invalid(
                f"se esperaba «{char}» / expected '{char}' (char {self.base + self.pos})"
            )
        self.pos += 1

    def value(self, decoder: json.JSONDecoder) -> Any:
        """The next JSON value, decoded by the standard library's C decoder (its text is
        ``buf[start:pos]`` afterwards)."""
        self.peek()
        while True:
            try:
                value, end = decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                truncated = exc.pos >= len(self.buf) - 16 or exc.msg.startswith("Unterminated")
                if truncated and self._grow():
                    continue
                raise _Invalid(f"{exc.msg}: char {self.base + exc.pos}") from None
            if end == len(self.buf) and self._grow():
                continue  # a number may go on in the next chunk
            self.start, self.pos = self.pos, end
            return value


class _TooLarge(Exception):
    pass


class _Invalid(Exception):
    pass


class _Nested(Exception):
    pass


def _depth_ok(value: Any, depth: int) -> bool:
    """Nothing deeper than ``MAX_DEPTH`` (as ``book_parse`` counts: the document is level 0).
    Level by level, only the containers kept (the decoder makes plain dicts and lists): a
    meeting of 110 items is a thousand values but 160 containers."""
    if depth > MAX_DEPTH:
        return False
    level = [value] if type(value) is dict or type(value) is list else []
    while level:
        below: list[Any] = []
        for container in level:
            children = container.values() if type(container) is dict else container
            if children:
                if depth >= MAX_DEPTH:
                    return False
                below += [c for c in children if type(c) is dict or type(c) is list]
        level, depth = below, depth + 1
    return True


class _Reader:
    """The top-level object, key by key; a spooled section element by element."""

    def __init__(self, text: _Text) -> None:
        self.text = text
        self.duplicates: list[str] = []
        self.decoder = json.JSONDecoder(
            object_pairs_hook=self._pairs,
            parse_constant=json_no_constant,
            parse_float=json_float,
            parse_int=json_int,
        )
        self.loose = json.JSONDecoder(  # integers by ``int`` itself: ``Deferred.loose``
            object_pairs_hook=self._pairs, parse_constant=json_no_constant, parse_float=json_float
        )

    def _pairs(self, items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)  # in C; a key given twice keeps its last value, as below
        if len(result) == len(items):
            return result
        seen: set[str] = set()
        for key, _value in items:
            if key in seen:
                self.duplicates.append(key)
            seen.add(key)
        return result

    def _value(self, depth: int) -> Any:
        text = self.text
        try:
            value = text.value(self.decoder)
        except RecursionError:
            raise _Nested from None
        brackets = text.buf.count("[", text.start, text.pos) + text.buf.count(
            "{", text.start, text.pos
        )
        if depth + brackets <= MAX_DEPTH:
            return value  # nested at most as deep as it has brackets: no need to look
        if not _depth_ok(value, depth):
            raise _Nested
        return value

    def elements(self) -> Iterator[Any]:
        """The elements of the array that starts here, each decoded."""
        text = self.text
        text.expect("[")
        if text.peek() == "]":
            text.pos += 1
            return
        while True:
            yield self._value(2)
            if text.peek() == "]":
                text.pos += 1
                return
            text.expect(",")

    def loose_elements(self) -> Iterator[Any]:
        """``elements``, each decoded by the ``loose`` decoder where it lies whole in the text
        read so far (most of them: a chunk holds hundreds), in as few steps as can be; any other
        (cut by the chunk's end, or refused) the way ``elements`` decodes it."""
        text = self.text
        scan = self.loose.scan_once  # type: ignore[attr-defined] # the C scanner raw_decode calls
        text.expect("[")
        if text.peek() == "]":
            text.pos += 1
            return
        while True:
            yield self._loose_value(scan)
            separator = _SEPARATOR.match(text.buf, text.pos)
            if separator is not None:  # found before the end of what is read
                text.pos = separator.end()
                if separator.group(1) == "]":
                    return
                continue
            if text.peek() == "]":
                text.pos += 1
                return
            text.expect(",")

    def _loose_value(self, scan: Any) -> Any:
        text = self.text
        buf = text.buf
        pos = _SPACE.match(buf, text.pos).end()  # type: ignore[union-attr] # matches always
        try:
            value, end = scan(buf, pos)
        except (StopIteration, ValueError, RecursionError):
            end = len(buf)  # cut short, or refused: the exact way says which
        if end < len(buf) and (
            2 + buf.count("[", pos, end) + buf.count("{", pos, end) <= MAX_DEPTH
            or _depth_ok(value, 2)
        ):
            text.start, text.pos = pos, end
            return value
        text.pos = pos
        return self._value(2)

    def _spool(self) -> Spool:
        spool = Spool()
        text = self.text
        for _value in self.elements():
            spool.append_text(text.buf[text.start : text.pos])
        return spool

    def document(self, defer: str | None = None) -> tuple[dict[str, Any], bool]:
        """The document, and whether it stopped at ``defer`` (then ``rest`` reads on after
        that section)."""
        text, document = self.text, dict[str, Any]()
        text.expect("{")
        if text.peek() == "}":
            text.pos += 1
        else:
            while True:
                key = self._key(document)
                if key == defer and text.peek() == "[":
                    return document, True
                spooled = key in SPOOLED and text.peek() == "["
                document[key] = self._spool() if spooled else self._value(1)
                if not self._next_key():
                    break
        self._end()
        return document, False

    def rest(self) -> dict[str, Any]:
        """The keys after a deferred section, to the end of the file."""
        rest = dict[str, Any]()
        while self._next_key():
            key = self._key(rest)
            rest[key] = self._value(1)
        self._end()
        return rest

    def _key(self, document: dict[str, Any]) -> str:
        text = self.text
        if text.peek() != '"':
            text.expect('"')
        key: str = text.value(self.decoder)
        text.expect(":")
        if key in document:
            self.duplicates.append(key)
            if isinstance(document[key], Spool):
                document[key].close()
        return key

    def _next_key(self) -> bool:
        """Past the comma before the next key: false at the object's end."""
        if self.text.peek() == "}":
            self.text.pos += 1
            return False
        self.text.expect(",")
        return True

    def _end(self) -> None:
        if self.text.peek() != "":
            raise _Invalid(f"Extra data: char {self.text.base + self.text.pos}")


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


def _close(document: dict[str, Any]) -> None:
    for value in document.values():
        if isinstance(value, Spool | Deferred):
            value.close()


def book_read(path: Path, *, defer: str | None = None, limit: int = 0) -> Any:
    """The document in the file at ``path``, its big sections as ``Spool``s; or
    ``ImportErrors`` saying why it is not one, as ``book_parse`` would. With ``defer`` (say
    ``"journal"``), a section of that name found after every other big one is left unread, a
    ``Deferred`` of at most ``limit`` elements that reads it when iterated."""
    raw = path.open("rb")
    deferred = False
    try:
        start = raw.read(3)
        if start.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
            return book_parse(b"\xef\xbb\xbf")  # raises, with book_parse's message
        raw.seek(0)
        text = _Text(raw)
        reader = _Reader(text)
        try:
            if text.peek() != "{" and path.stat().st_size <= MAX_BYTES:
                return book_parse(path.read_bytes())  # not a book: book_parse says why
            document, deferred = reader.document(defer)
        except _TooLarge:
            raise _refuse(
                f"archivo de más de {STREAM_MAX_BYTES} bytes / "
                f"file larger than {STREAM_MAX_BYTES} bytes"
            ) from None
        except _Nested:
            raise _refuse(
                f"anidamiento de más de {MAX_DEPTH} niveles / nested deeper than {MAX_DEPTH} levels"
            ) from None
        except UnicodeDecodeError:
            at = _not_utf8(path)
            raise _refuse(
                f"el archivo no es UTF-8 (byte {at}) / the file is not UTF-8 (byte {at})"
            ) from None
        except (_Invalid, ValueError) as exc:
            raise _refuse(f"JSON inválido / invalid JSON: {str(exc)[:200]}") from None
        if reader.duplicates:
            _close(document)
            errs = ImportErrors()
            for key in dict.fromkeys(reader.duplicates):
                errs.add("$", f"clave repetida {show(key)} / duplicated key {show(key)}")
            raise errs
        if deferred and any(
            key in SPOOLED and key not in document for key in SPOOLED if key != defer
        ):
            deferred = False  # another big section may follow: read it all
            _close(document)
            raw.close()
            return book_read(path)
        if deferred:
            assert defer is not None
            document[defer] = Deferred(reader, raw, document, limit)
        return document
    finally:
        if not deferred:
            raw.close()
