"""Documents as printable HTML and as PDF (WeasyPrint), in Spanish or English.

A document is one or more sections of the same kind (``docs``): a passbook for one member or
for every member of the caja, ready to print one after another.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

KINDS = (
    "passbook",
    "receipt",
    "minutes",
    "loan-contract",
    "shareout",
    "statements",
    "credit-history",
    "exit-settlement",
)


def render_html(kind: str, docs: list[dict[str, Any]], lang: str = "es") -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    with translation.override(lang):
        return render_to_string(
            "documents/page.html",
            {
                "kind": kind,
                "body": f"documents/_{kind.replace('-', '_')}.html",
                "docs": docs,
                "lang": lang,
                "printed": timezone.localtime(),
            },
        )


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=".").write_pdf()
    return pdf
