"""Writes kobo_socias.xlsx from kobo_socias.csv: the same KoboToolbox export ("XML values and
headers", group names kept) as Kobo's XLSX download, one sheet named after the form.

Run from the repository: .venv/bin/python tests/data/make_kobo_xlsx.py
"""

import csv
import datetime as dt
import pathlib

from openpyxl import Workbook

HERE = pathlib.Path(__file__).parent

with (HERE / "kobo_socias.csv").open(encoding="utf-8") as f:
    rows = list(csv.reader(f, delimiter=";"))
book = Workbook()
sheet = book.active
sheet.title = "Registro de socias"
sheet.append(rows[0])
for row in rows[1:]:
    cells: list[object] = []
    for header, value in zip(rows[0], row, strict=True):
        if header.endswith(("_id", "_index")) and value.isdigit():
            cells.append(int(value))  # Kobo writes these as numbers
        elif header == "datos_personales/fecha_nacimiento" and "-" in value:
            cells.append(dt.date.fromisoformat(value))  # a date question: a date cell
        else:
            cells.append(value or None)
    sheet.append(cells)
book.properties.creator = "KoboToolbox"
book.properties.created = dt.datetime(2025, 3, 10, 15, 0)
book.properties.modified = dt.datetime(2025, 3, 10, 15, 0)
book.save(HERE / "kobo_socias.xlsx")
