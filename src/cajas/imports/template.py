"""The template to fill: an XLSX with the headers and one example row on the first sheet and,
on the second, what each column takes. In Spanish, or English when the page is in English;
the importer reads both (``columns.COLUMNS``). Written by ``exports.tables.to_xlsx``."""

from __future__ import annotations

import datetime as dt

from cajas.exports.tables import DATE, TEXT, Table, to_xlsx
from cajas.imports.columns import CHOICES, COLUMNS
from cajas.imports.rules import MAX_BYTES, MAX_ROWS

# field → (what it is, es / en), the example (es / en)
_ABOUT: dict[str, tuple[str, str, object, object]] = {
    "caja": (
        "Código de la caja. Opcional si el archivo es de una sola caja; si trae varias, se "
        "importan solo las filas de esta caja.",
        "The caja's code. Optional when the file holds one caja; with several, only this "
        "caja's rows are imported.",
        None,
        None,
    ),
    "given_names": (
        "Nombres (hasta 100 caracteres).",
        "Given names (up to 100).",
        "María José",
        "María José",
    ),
    "family_names": (
        "Apellidos (hasta 100 caracteres).",
        "Family names (up to 100).",
        "Rivas Gómez",
        "Rivas Gómez",
    ),
    "gender": ("Género: uno de los códigos.", "Gender: one of the codes.", "mujer", "female"),
    "birth_date": (
        "Fecha de nacimiento: celda de fecha, AAAA-MM-DD o DD/MM/AAAA. Mayor de edad según el "
        "reglamento.",
        "Birth date: a date cell, YYYY-MM-DD or DD/MM/YYYY. An adult under the bylaws.",
        dt.date(1987, 4, 2),
        dt.date(1987, 4, 2),
    ),
    "nationality": (
        "Nacionalidad: código de dos letras (VE, EC, CO, PE…) o el nombre del país.",
        "Nationality: two-letter code (VE, EC, CO, PE…) or the country's name (Spanish).",
        "VE",
        "VE",
    ),
    "phone": (
        "Teléfono: cifras, espacios y un «+» inicial.",
        "Phone: digits, spaces and a leading “+”.",
        "0991234567",
        "0991234567",
    ),
    "document_type": (
        "Tipo de documento: uno de los códigos (vacío: ninguno).",
        "Document type: one of the codes (empty: none).",
        "pasaporte",
        "passport",
    ),
    "document_number": (
        "Número de documento: letras y cifras. Una persona una sola vez en el programa.",
        "Document number: letters and digits. Each person once in the program.",
        "135792468",
        "135792468",
    ),
    "mobility_status": (
        "Condición migratoria: uno de los códigos. Solo con el consentimiento de datos "
        "sensibles en «si».",
        "Migratory status: one of the codes. Only with the sensitive-data consent set to “yes”.",
        "en_proceso",
        "in_process",
    ),
    "role": (
        "Rol en la caja (vacío: socia). Una sola presidenta, tesorera y secretaria.",
        "Role in the caja (empty: member). One president, treasurer and secretary.",
        "socia",
        "member",
    ),
    "joined_on": ("Fecha de ingreso (vacío: hoy).", "Date joined (empty: today).", None, None),
    "consent_sensitive_data": (
        "si/no: ella misma consintió, con usted presente, que se registre su condición migratoria.",
        "yes/no: she herself consented, with you present, to her migratory status being recorded.",
        "si",
        "yes",
    ),
    "consent_credit_letter": (
        "si/no: consiente la carta de historial crediticio.",
        "yes/no: she consents to the credit-history letter.",
        "no",
        "no",
    ),
    "consent_whatsapp_receipts": (
        "si/no: consiente recibir sus recibos por WhatsApp.",
        "yes/no: she consents to WhatsApp receipts.",
        "si",
        "yes",
    ),
}


def _codes(field: str, english: bool) -> str:
    if field not in CHOICES:
        return ""
    return ", ".join(value if english else codes[0] for value, codes in CHOICES[field].items())


def template_xlsx(*, caja_code: str, language: str | None) -> bytes:
    english = (language or "es").startswith("en")
    headers = [
        (c.en if english else c.es, DATE if c.field in ("birth_date", "joined_on") else TEXT)
        for c in COLUMNS
    ]
    example = []
    for c in COLUMNS:
        about = _ABOUT[c.field]
        example.append(caja_code if c.field == "caja" else about[3 if english else 2])
    sheet = Table(name="Members" if english else "Socias", columns=headers, rows=[example])
    explain_headers = (
        [("Column", TEXT), ("Required", TEXT), ("What it takes", TEXT), ("Codes", TEXT)]
        if english
        else [("Columna", TEXT), ("Obligatoria", TEXT), ("Qué lleva", TEXT), ("Códigos", TEXT)]
    )
    yes, no = ("yes", "no") if english else ("sí", "no")
    explain = Table(
        name="Columns" if english else "Columnas",
        columns=explain_headers,
        rows=[
            [
                c.en if english else c.es,
                yes if c.required else no,
                _ABOUT[c.field][1 if english else 0],
                _codes(c.field, english),
            ]
            for c in COLUMNS
        ],
    )
    limits = (
        f"At most {MAX_ROWS} rows and {MAX_BYTES // 1024 // 1024} MB. Row 1 holds the column "
        "names; replace the example row with your members."
        if english
        else f"Hasta {MAX_ROWS} filas y {MAX_BYTES // 1024 // 1024} MB. La fila 1 lleva los "
        "nombres de las columnas; reemplace la fila de ejemplo por sus socias."
    )
    explain.rows.append(["", "", limits, ""])
    return to_xlsx([sheet, explain])
