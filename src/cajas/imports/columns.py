"""The columns a member file may carry, the names each is known by (the template's Spanish and
English headers, and the question names KoboToolbox/ODK forms commonly use), and the codes each
choice accepts. ``docs/imports.md`` is this module written out for people.

Headers are compared after ``header_key``: the group prefix Kobo and ODK put before a question
(``datos_personales/nombres``, ``datos_personales-nombres``) is dropped, case and accents are
ignored and spaces are underscores. Columns starting with ``_`` (``_uuid``, ``_index``,
``_submission_time``…) and the form's metadata (``start``, ``end``, ``deviceid``…) are not read.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from cajas.members.models import DocumentType, Gender, MobilityStatus, Role


@dataclass(frozen=True)
class Column:
    field: str  # the field it fills (the Person/Membership field, or a consent)
    es: str  # the template's header in Spanish
    en: str  # and in English
    aliases: tuple[str, ...] = ()
    required: bool = False
    max_length: int = 100


COLUMNS: tuple[Column, ...] = (
    Column(
        "caja", "caja", "caja", ("codigo_caja", "caja_codigo", "caja_code", "cod_caja"), False, 40
    ),
    Column("given_names", "nombres", "given_names", ("nombre", "first_name", "names"), True),
    Column("family_names", "apellidos", "family_names", ("apellido", "last_name", "surname"), True),
    Column("gender", "genero", "gender", ("sexo", "sex"), True, 40),
    Column(
        "birth_date",
        "fecha_nacimiento",
        "birth_date",
        ("fecha_de_nacimiento", "nacimiento", "date_of_birth", "dob"),
        True,
        40,
    ),
    Column("nationality", "nacionalidad", "nationality", ("pais", "country"), True, 40),
    Column(
        "phone", "telefono", "phone", ("celular", "movil", "whatsapp", "phone_number"), False, 20
    ),
    Column(
        "document_type",
        "tipo_documento",
        "document_type",
        ("tipo_de_documento", "doc_tipo"),
        False,
        40,
    ),
    Column(
        "document_number",
        "numero_documento",
        "document_number",
        ("documento", "num_documento", "numero_de_documento", "doc_numero", "id_number"),
        False,
        30,
    ),
    Column(
        "mobility_status",
        "condicion_migratoria",
        "mobility_status",
        ("situacion_migratoria", "estatus_migratorio", "migratory_status"),
        False,
        40,
    ),
    Column("role", "rol", "role", ("cargo",), False, 40),
    Column("joined_on", "fecha_ingreso", "joined_on", ("fecha_de_ingreso", "join_date"), False, 40),
    Column(
        "consent_sensitive_data",
        "consentimiento_datos_sensibles",
        "consent_sensitive_data",
        ("consentimiento_sensibles", "consentimiento_migratorio"),
        False,
        10,
    ),
    Column(
        "consent_credit_letter",
        "consentimiento_carta_credito",
        "consent_credit_letter",
        ("consentimiento_carta",),
        False,
        10,
    ),
    Column(
        "consent_whatsapp_receipts",
        "consentimiento_whatsapp",
        "consent_whatsapp_receipts",
        ("consentimiento_recibos_whatsapp",),
        False,
        10,
    ),
)

BY_FIELD = {c.field: c for c in COLUMNS}

# The consent columns and the purpose each records (members.ConsentPurpose).
CONSENT_COLUMNS = {
    "consent_sensitive_data": "sensitive_data",
    "consent_credit_letter": "credit_letter",
    "consent_whatsapp_receipts": "whatsapp_receipts",
}

# Metadata a Kobo/ODK export carries besides the answers (besides every ``_…`` column).
METADATA = {
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "audit",
    "instanceid",
    "instancename",
    "uuid",
    "key",
    "submissiondate",
    "submitterid",
    "submittername",
    "attachmentspresent",
    "attachmentsexpected",
    "status",
    "reviewstate",
    "deviceid_1",
    "edits",
    "formversion",
}


def plain(text: str) -> str:
    """Lower case, no accents, spaces and hyphens as underscores: ``Género`` → ``genero``."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "_".join(bare.replace("-", " ").split())


def header_key(header: str) -> str:
    """A header as it is compared: the last part after a group prefix, made ``plain``."""
    last = header.strip().rsplit("/", 1)[-1]
    if "-" in last and not last.startswith("_"):
        last = last.rsplit("-", 1)[-1]  # ODK Central: group-question
    return plain(last)


_NAMES: dict[str, str] = {}
for _c in COLUMNS:
    for _name in (_c.es, _c.en, _c.field, *_c.aliases):
        _NAMES[plain(_name)] = _c.field


def column_for(header: str) -> str | None:
    """The field a header fills; None for metadata or a column this import does not read."""
    key = header_key(header)
    if not key or key.startswith("_") or key in METADATA:
        return None
    return _NAMES.get(key)


def is_metadata(header: str) -> bool:
    key = header_key(header)
    return key.startswith("_") or key in METADATA or header.strip().startswith("_")


# Codes: what a cell may say for each choice (compared after ``plain``). The first code of
# each is the one the template and docs show in Spanish, the value itself the English one.
GENDER_CODES: dict[str, tuple[str, ...]] = {
    Gender.FEMALE: ("mujer", "f", "femenino", "femenina", "female", "woman"),
    Gender.MALE: ("hombre", "m", "masculino", "male", "man"),
    Gender.OTHER: ("otro", "otra", "other"),
    Gender.UNDISCLOSED: (
        "prefiere_no_decir",
        "no_responde",
        "no_dice",
        "undisclosed",
        "prefers_not_to_say",
    ),
}
DOCUMENT_CODES: dict[str, tuple[str, ...]] = {
    DocumentType.NONE: ("ninguno", "sin_documento", "no_tiene", "none"),
    DocumentType.CEDULA: ("cedula", "cedula_ecuatoriana", "ci"),
    DocumentType.FOREIGN_ID: ("cedula_extranjera", "documento_extranjero", "dni", "foreign_id"),
    DocumentType.PASSPORT: ("pasaporte", "passport"),
    DocumentType.REFUGEE_ID: ("carne_refugiado", "refugiado", "refugee_id"),
    DocumentType.VISA: ("visa",),
    DocumentType.OTHER: ("otro", "other"),
}
MOBILITY_CODES: dict[str, tuple[str, ...]] = {
    MobilityStatus.REGULAR: ("regular",),
    MobilityStatus.IN_PROCESS: ("en_proceso", "en_tramite", "in_process"),
    MobilityStatus.IRREGULAR: ("irregular",),
    MobilityStatus.REFUGEE: ("refugiada", "refugiado", "refugee"),
    MobilityStatus.ASYLUM_SEEKER: ("solicitante_asilo", "solicitante_de_asilo", "asylum_seeker"),
    MobilityStatus.HOST_COMMUNITY: ("comunidad_acogida", "comunidad_de_acogida", "host_community"),
}
ROLE_CODES: dict[str, tuple[str, ...]] = {
    Role.PRESIDENT: ("presidenta", "presidente", "president"),
    Role.TREASURER: ("tesorera", "tesorero", "treasurer"),
    Role.SECRETARY: ("secretaria", "secretario", "secretary"),
    Role.BOARD_MEMBER: ("vocal", "board_member"),
    Role.MEMBER: ("socia", "socio", "miembro", "member"),
}
# Nationality: an ISO 3166-1 alpha-2 code (VE, EC, CO…), or one of these country names.
COUNTRY_NAMES: dict[str, str] = {
    "ecuador": "EC",
    "ecuatoriana": "EC",
    "ecuatoriano": "EC",
    "venezuela": "VE",
    "venezolana": "VE",
    "venezolano": "VE",
    "colombia": "CO",
    "colombiana": "CO",
    "colombiano": "CO",
    "peru": "PE",
    "peruana": "PE",
    "peruano": "PE",
    "cuba": "CU",
    "cubana": "CU",
    "cubano": "CU",
    "haiti": "HT",
    "haitiana": "HT",
    "haitiano": "HT",
    "chile": "CL",
    "bolivia": "BO",
    "argentina": "AR",
}

CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "gender": GENDER_CODES,
    "document_type": DOCUMENT_CODES,
    "mobility_status": MOBILITY_CODES,
    "role": ROLE_CODES,
}


def code_lookup(field: str) -> dict[str, str]:
    """Every accepted spelling of ``field``'s choices → the stored value."""
    found: dict[str, str] = {}
    for value, codes in CHOICES[field].items():
        found[plain(value)] = value
        for code in codes:
            found[plain(code)] = value
    return found
