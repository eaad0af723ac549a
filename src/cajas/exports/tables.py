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
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

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


def to_xlsx(tables: Sequence[Table]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    first = True
    for table in tables:
        sheet = book.active if first else book.create_sheet()
        first = False
        sheet.title = table.name[:31]
        sheet.append([cell_safe(header) for header, _kind in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([cell_safe(value) for value in row])
        for index, (header, kind) in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            if kind in _FORMATS:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = _FORMATS[kind]
            sheet.column_dimensions[letter].width = max(10, min(40, len(header) + 4))
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell_safe(header) for header, _kind in table.columns])
    for row in table.rows:
        writer.writerow(
            [value.isoformat() if isinstance(value, dt.date) else cell_safe(value) for value in row]
        )
    return out.getvalue()
