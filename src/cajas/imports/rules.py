"""What a member file may be and hold, as refusals with Spanish and English messages.

A refusal of the whole file (too big, unreadable, a required column missing) is raised; a
refusal of one cell becomes a row error (``imports.check.RowError``) naming the row as the
spreadsheet shows it (the header is row 1) and the column as the file spells it.
"""

from __future__ import annotations

from cajas.core.errors import RuleViolation

MAX_BYTES = 5 * 1024 * 1024
"""The largest file accepted (5 MB: a Kobo export of a whole program is well under it)."""

MAX_ROWS = 5000
"""The most data rows a file may have (the header not counted)."""

MAX_COLUMNS = 200
"""The most columns read from the header (a Kobo export has one per question and metadata)."""

MAX_UNZIPPED = 60 * 1024 * 1024
"""An XLSX is a zip: the most its parts may hold once unpacked (a zip bomb is refused)."""

MAX_CELL = 1000
"""The longest cell read in any column, read or not (an over-long cell is not kept)."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (as ``exports.tables.FORMULA_PREFIXES``)."""


class ImportFileTooLarge(RuleViolation):
    code = "import.file_too_large"
    message_es = (
        "El archivo pesa {size_mb} MB; se aceptan hasta {limit_mb} MB. Divídalo por caja o "
        "quite columnas que no se importan."
    )
    message_en = (
        "The file is {size_mb} MB; at most {limit_mb} MB is accepted. Split it by caja or "
        "remove columns that are not imported."
    )
    default_field = "file"


class ImportTooManyRows(RuleViolation):
    code = "import.too_many_rows"
    message_es = "El archivo tiene más de {limit} filas de datos; se aceptan hasta {limit}."
    message_en = "The file has more than {limit} data rows; at most {limit} are accepted."
    default_field = "file"


class ImportFileUnreadable(RuleViolation):
    code = "import.unreadable"
    message_es = (
        "No se pudo leer el archivo como {kind}. Guárdelo como Excel (.xlsx) o CSV en UTF-8 "
        "y vuelva a subirlo."
    )
    message_en = (
        "The file could not be read as {kind}. Save it as Excel (.xlsx) or CSV in UTF-8 and "
        "upload it again."
    )
    default_field = "file"


class ImportFileKind(RuleViolation):
    code = "import.file_kind"
    message_es = "Suba un archivo Excel (.xlsx) o CSV (.csv); «{name}» no es ninguno de los dos."
    message_en = "Upload an Excel (.xlsx) or CSV (.csv) file; “{name}” is neither."
    default_field = "file"


class ImportFileMissing(RuleViolation):
    code = "import.file_missing"
    message_es = "Elija el archivo con las socias para subirlo."
    message_en = "Choose the file with the members to upload."
    default_field = "file"


class ImportNoHeader(RuleViolation):
    code = "import.no_header"
    message_es = (
        "La primera fila debe tener los nombres de las columnas (p. ej. nombres, apellidos, "
        "genero); no se encontró ninguna conocida. Use la plantilla."
    )
    message_en = (
        "The first row must hold the column names (e.g. given_names, family_names, gender); "
        "none was recognised. Use the template."
    )
    default_field = "file"


class ImportColumnMissing(RuleViolation):
    code = "import.column_missing"
    message_es = "Falta la columna «{column}» (obligatoria)."
    message_en = "The column “{column_en}” (required) is missing."
    default_field = "file"


class ImportColumnTwice(RuleViolation):
    code = "import.column_twice"
    message_es = "Las columnas «{first}» y «{second}» son el mismo dato; deje solo una."
    message_en = "The columns “{first}” and “{second}” are the same field; keep only one."
    default_field = "file"


class ImportNoRows(RuleViolation):
    code = "import.no_rows"
    message_es = "El archivo no tiene ninguna fila con socias de la caja «{caja}»."
    message_en = "The file has no row with members of the caja “{caja}”."
    default_field = "file"


class ImportDone(RuleViolation):
    code = "import.done"
    message_es = "Este archivo ya se importó; no se repitió."
    message_en = "This file was already imported; it was not repeated."


class ImportNotReady(RuleViolation):
    code = "import.not_ready"
    message_es = "El archivo todavía tiene errores o no terminó de revisarse; no se importó nada."
    message_en = "The file still has errors or was not fully checked; nothing was imported."


# One cell ------------------------------------------------------------------------------------


class CellFormula(RuleViolation):
    code = "import.formula"
    message_es = (
        "La celda empieza con «{start}», como una fórmula; escriba el dato sin «=», «+», «-» "
        "ni «@» al inicio."
    )
    message_en = (
        "The cell starts with “{start}”, like a formula; write the value without “=”, “+”, "
        "“-” or “@” at the start."
    )


class CellWrongType(RuleViolation):
    code = "import.wrong_type"
    message_es = "Se esperaba {expected_es}; la celda tiene {got_es}."
    message_en = "Expected {expected_en}; the cell holds {got_en}."


class CellTooLong(RuleViolation):
    code = "import.too_long"
    message_es = "La celda tiene {length} caracteres; se aceptan hasta {maximum}."
    message_en = "The cell has {length} characters; at most {maximum} are accepted."


class CellControl(RuleViolation):
    code = "import.control_characters"
    message_es = "La celda lleva caracteres de control (p. ej. un byte nulo); escríbala de nuevo."
    message_en = "The cell contains control characters (e.g. a NUL byte); type it again."


class CellChoice(RuleViolation):
    code = "import.choice"
    message_es = "«{value}» no es un código aceptado; use uno de: {codes}."
    message_en = "“{value}” is not an accepted code; use one of: {codes}."


class CellNationality(RuleViolation):
    code = "import.nationality"
    message_es = "«{value}» no es un país: escriba el código de dos letras (VE, EC, CO…)."
    message_en = "“{value}” is not a country: write its two-letter code (VE, EC, CO…)."


class CellPhone(RuleViolation):
    code = "import.phone"
    message_es = "El teléfono lleva solo cifras, espacios y un «+» inicial (p. ej. 0991234567)."
    message_en = "A phone number has only digits, spaces and a leading “+” (e.g. 0991234567)."


class CellDocumentNumber(RuleViolation):
    code = "import.document_number"
    message_es = "El número de documento lleva solo letras y cifras (sin espacios ni signos)."
    message_en = "A document number has only letters and digits (no spaces or signs)."


class CellDocumentWithoutType(RuleViolation):
    code = "import.document_without_type"
    message_es = "Hay número de documento pero el tipo es «ninguno»; escriba el tipo."
    message_en = "There is a document number but the type is “none”; write the type."


class CellDate(RuleViolation):
    code = "import.date"
    message_es = "«{value}» no es una fecha; escríbala AAAA-MM-DD (2025-03-17) o DD/MM/AAAA."
    message_en = "“{value}” is not a date; write it YYYY-MM-DD (2025-03-17) or DD/MM/YYYY."


class CellDateRange(RuleViolation):
    code = "import.date_range"
    message_es = "La fecha {value} está fuera de lo admitido (de {earliest} a {latest})."
    message_en = "The date {value} is out of range ({earliest} to {latest})."


class CellRequired(RuleViolation):
    code = "import.required"
    message_es = "Esta columna es obligatoria y la celda está vacía."
    message_en = "This column is required and the cell is empty."


class CellCajaMissing(RuleViolation):
    code = "import.caja_missing"
    message_es = "Falta el código de la caja: sin él no se sabe a qué caja va la fila."
    message_en = "The caja's code is missing: without it the row's caja is not known."


class DocumentTwiceInFile(RuleViolation):
    code = "import.document_twice"
    message_es = "El mismo documento está también en la fila {other}; cada persona va una vez."
    message_en = "The same document is also on row {other}; each person goes in once."


class DocumentExists(RuleViolation):
    code = "import.document_exists"
    message_es = "Ya hay una persona con ese documento en el programa ({code}, caja «{caja}»)."
    message_en = "A person with that document is already in the program ({code}, caja “{caja}”)."


def check_size(*, size: int) -> None:
    if size > MAX_BYTES:
        raise ImportFileTooLarge(
            size_mb=f"{size / 1024 / 1024:.1f}", limit_mb=f"{MAX_BYTES // 1024 // 1024}"
        )


def check_rows(*, rows: int) -> None:
    if rows > MAX_ROWS:
        raise ImportTooManyRows(limit=MAX_ROWS)


def check_formula(text: str) -> None:
    """Formula injection: a text cell that a spreadsheet would run."""
    if text.startswith(FORMULA_START):
        raise CellFormula(start=text[0] if text[0].isprintable() else "⎵")


def check_document_unique(
    *, key: str, row: int, seen: dict[str, int], existing: dict[str, tuple[str, str]]
) -> None:
    """One person per document: not twice in the file, not already in the program. ``seen``
    maps a document (type and number) to the row that had it first; ``existing`` to the code
    and caja of the person who holds it."""
    if key in existing:
        code, caja = existing[key]
        raise DocumentExists(code=code, caja=caja)
    if key in seen:
        raise DocumentTwiceInFile(other=seen[key])
    seen[key] = row


def document_key(document_type: str, number: str) -> str:
    """A document as it is compared: type and number without spaces, dots or hyphens, upper
    case (``pasaporte 12.345-A`` and ``passport 12345a`` are the same); "" without a number."""
    bare = number.upper().replace(" ", "").replace("-", "").replace(".", "")
    return f"{document_type}:{bare}" if bare else ""
