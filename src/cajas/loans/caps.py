"""Ecuador's legal maximum effective annual rates (TEA) per credit segment (docs/domain.md §7).

These are the seed values: the database keeps them as ``RateCap`` rows with effective dates,
which the program admin edits when the Junta de Política y Regulación Financiera publishes new
ones. The CLI simulator, which needs no database, uses these.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple


class SeedCap(NamedTuple):
    segment: str
    name_es: str
    name_en: str
    tea_percent: Decimal
    effective_from: dt.date
    source: str


JPRF_2022_031 = "JPRF-F-2022-031"
DEFAULT_SEGMENT = "microcredito_minorista"

SEED_CAPS = (
    SeedCap(
        "microcredito_minorista",
        "Microcrédito minorista",
        "Retail microcredit",
        Decimal("28.23"),
        dt.date(2022, 7, 1),
        JPRF_2022_031,
    ),
    SeedCap(
        "microcredito_acumulacion_simple",
        "Microcrédito de acumulación simple",
        "Simple-accumulation microcredit",
        Decimal("24.89"),
        dt.date(2022, 7, 1),
        JPRF_2022_031,
    ),
    SeedCap(
        "microcredito_acumulacion_ampliada",
        "Microcrédito de acumulación ampliada",
        "Extended-accumulation microcredit",
        Decimal("22.05"),
        dt.date(2022, 7, 1),
        JPRF_2022_031,
    ),
    SeedCap(
        "consumo",
        "Consumo",
        "Consumer credit",
        Decimal("16.77"),
        dt.date(2022, 7, 1),
        JPRF_2022_031,
    ),
)


def seed_cap(segment: str = DEFAULT_SEGMENT) -> SeedCap:
    for cap in SEED_CAPS:
        if cap.segment == segment:
            return cap
    raise KeyError(segment)
