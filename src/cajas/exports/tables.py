"""Tables for spreadsheets: XLSX with real numbers, dates and number formats (one sheet per
table), and CSV. Money columns hold Decimal units (12.50), never text.

Every text cell goes through ``cell_safe``: a text a spreadsheet would read as a formula (a
member named ``=HYPERLINK(…)``, an item described ``+1``) is written with a leading ``'`` so
it stays text (formula injection). Numbers, dates and empty cells are left as they are: a
negative amount is a number cell."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from cajas.core.money import to_decimal

MONEY = "money"
DATE = "date"
INT = "int"
TEXT = "text"
PERCENT = "percent"

_FORMATS = {MONEY: "#,##0.00", DATE: "yyyy-mm-dd", INT: "0", PERCENT: "0.00"}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""What makes Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP)."""


def cell_safe(value: Any) -> Any:
    """A cell as it is written to XLSX or CSV: text that starts like a formula gets a leading
    ``'``; anything else (numbers, dates, None, other text) is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass
class Table:
    name: str  # the sheet name (≤ 31 characters)
    columns: Sequence[tuple[str, str]]  # (header, kind)
    rows: list[Sequence[Any]] = field(default_factory=list)


def money(cents: int) -> Decimal:
    return to_decimal(cents)


Sheet = tuple[str, Sequence[tuple[str, str]], Iterable[Sequence[Any]]]  # name, columns, rows


def to_xlsx(tables: Sequence[Table]) -> bytes:
    out = io.BytesIO()
    xlsx_write(out, [(t.name, t.columns, t.rows) for t in tables])
    return out.getvalue()


def xlsx_write(out: IO[bytes], sheets: Iterable[Sheet]) -> None:
    """Write the sheets to ``out`` in openpyxl's write-only mode: each row goes to disk as it
    comes (rows may be a generator), so memory stays flat however long the sheet. Bold
    headers, the number format of each column's kind, widths from the headers, the first row
    frozen."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, columns, rows in sheets:
        sheet = book.create_sheet(name[:31])
        for index, (header, _kind) in enumerate(columns, start=1):
            width = max(10, min(40, len(header) + 4))
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        headers = []
        for header, _kind in columns:
            cell = WriteOnlyCell(sheet, value=cell_safe(header))
            cell.font = bold
            headers.append(cell)
        sheet.append(headers)
        formats = [_FORMATS.get(kind) for _header, kind in columns]
        for row in rows:
            cells = []
            for value, number_format in zip(row, formats, strict=False):
                cell = WriteOnlyCell(sheet, value=cell_safe(value))
                if number_format:
                    cell.number_format = number_format
                cells.append(cell)
            sheet.append(cells)
    book.save(out)


class _Line:
    """A file that hands back what the CSV writer wrote into it."""

    def write(self, text: str) -> str:
        return text


def csv_lines(columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text line by line: the header at once, then each row as it comes."""
    writer = csv.writer(_Line())
    yield writer.writerow([cell_safe(header) for header, _kind in columns])
    for row in rows:
        yield writer.writerow(
            [value.isoformat() if isinstance(value, dt.date) else cell_safe(value) for value in row]
        )


def to_csv(table: Table) -> str:
    return "".join(csv_lines(table.columns, table.rows))
