"""Reading a member file's cells: XLSX (openpyxl in read-only streaming mode, the first sheet,
formulas kept as their text so they are refused, not run) or CSV (UTF-8, with or without BOM,
else Windows-1252 as Excel saves it; comma, semicolon or tab).

Bounded: the bytes are checked before anything is opened, an XLSX's unpacked size before
openpyxl reads it (a zip bomb), and rows are counted as they are read (``rules.MAX_ROWS``).
Cells over ``rules.MAX_CELL`` characters are cut to that length plus one, so the check reports
them too long without holding a megabyte of text.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

from cajas.imports.rules import (
    MAX_CELL,
    MAX_COLUMNS,
    MAX_UNZIPPED,
    ImportFileKind,
    ImportFileUnreadable,
    check_rows,
    check_size,
)

XLSX = "xlsx"
CSV = "csv"

Row = tuple[int, list[Any]]  # (row number as the spreadsheet shows it, cells)


def file_kind(name: str) -> str:
    """``xlsx`` or ``csv`` from the file's name; anything else is refused."""
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        return XLSX
    if lowered.endswith(".csv"):
        return CSV
    raise ImportFileKind(name=name[-60:])


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_CELL:
        return value[: MAX_CELL + 1]
    return value


def _xlsx_rows(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise ImportFileUnreadable(kind="Excel (.xlsx)") from None
    if unpacked > MAX_UNZIPPED:
        raise ImportFileUnreadable(kind="Excel (.xlsx)")
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            yield [_cut(v) for v in values]
        book.close()
    except ImportFileUnreadable:
        raise
    except Exception:
        raise ImportFileUnreadable(kind="Excel (.xlsx)") from None


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileUnreadable(kind="CSV") from None


def _csv_rows(content: bytes) -> Iterator[list[Any]]:
    text = _decode(content)
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            yield [_cut(c) for c in cells[:MAX_COLUMNS]]
    except csv.Error:
        raise ImportFileUnreadable(kind="CSV") from None


def _raw_rows(content: bytes, kind: str) -> Iterator[list[Any]]:
    return _xlsx_rows(content) if kind == XLSX else _csv_rows(content)


def _blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def read(
    content: bytes, kind: str, *, start: int = 0, stop: int | None = None
) -> tuple[list[str], Iterator[Row]]:
    """The header (row 1, as text) and the data rows from the ``start``-th to before the
    ``stop``-th (0 is row 2); blank rows are skipped (their numbers still count)."""
    check_size(size=len(content))
    raw = _raw_rows(content, kind)
    header_cells = next(raw, None)
    if header_cells is None:
        return [], iter(())
    header = ["" if c is None else str(c).strip()[:MAX_CELL] for c in header_cells]

    def rows() -> Iterator[Row]:
        filled = 0
        for index, cells in enumerate(raw):
            if stop is not None and index >= stop:
                return
            if _blank(cells):
                continue
            filled += 1
            check_rows(rows=filled)
            if index >= start:
                yield index + 2, cells

    return header, rows()


def count_rows(content: bytes, kind: str) -> int:
    """How many data rows the file has (refused past ``MAX_ROWS``)."""
    _header, rows = read(content, kind)
    last = 1
    for number, _cells in rows:
        last = number
    return last - 1
