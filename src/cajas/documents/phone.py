"""Receipts by phone: a short text per member after a meeting and a WhatsApp link with it
prefilled (``https://wa.me/<number>?text=…``: the member's own phone opens it; no service
of ours is involved)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from django.utils import translation
from django.utils.translation import gettext as _

from cajas.core.money import format_amount

ECUADOR = "593"


def whatsapp_number(phone: str) -> str | None:
    """International digits for wa.me: ``+58 412…`` stays; a local Ecuadorian ``09…`` becomes
    ``5939…``. None when there is no usable number."""
    digits = re.sub(r"\D", "", phone or "")
    if not digits:
        return None
    if phone.strip().startswith("+") or digits.startswith("00"):
        return digits.lstrip("0") or None
    if digits.startswith("0") and len(digits) == 10:
        return ECUADOR + digits[1:]
    return digits if len(digits) >= 11 else None


def receipt_text(d: dict[str, Any], lang: str = "es") -> str:
    """``d`` is ``documents.builders.receipt(...)``."""
    with translation.override(lang):
        lines = [
            _("%(caja)s · meeting #%(n)s, %(date)s")
            % {
                "caja": d["caja"].name,
                "n": d["meeting"].number,
                "date": d["meeting"].date.strftime("%d/%m/%Y"),
            },
            f"{d['member'].number}. {d['member'].person.full_name}",
        ]
        for item in d["items"]:
            label = str(item.get_kind_display())
            if item.loan_id:
                label += f" #{item.loan.number}"
            lines.append(f"- {label}: {format_amount(item.amount_cents)}")
        lines.append(
            _("Savings after this meeting: %(s)s USD") % {"s": format_amount(d["savings"])}
        )
        for x in d["loans"]:
            text = _("Loan #%(n)s still owed: %(o)s USD") % {
                "n": x["loan"].number,
                "o": format_amount(x["outstanding"]),
            }
            if x["next"] is not None:
                text += " · " + _("next installment %(a)s on %(d)s") % {
                    "a": format_amount(x["next"].unpaid_cents),
                    "d": x["next"].due_date.strftime("%d/%m/%Y"),
                }
            lines.append(text)
        return "\n".join(lines)


def whatsapp_link(phone: str, text: str) -> str | None:
    number = whatsapp_number(phone)
    if number is None:
        return None
    return f"https://wa.me/{number}?text={quote(text)}"
