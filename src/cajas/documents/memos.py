"""Journal memos as a member reads them, in the document's (or page's) language.

A memo is hashed into the caja's ledger chain, so it is stored exactly as the service wrote it
("3 × 500", "cycle 1", "Reversal of #12", "#4") and never rewritten: this module turns it into
words at read time. Memos a person typed (an expense, a fine's description, a correction's
replacement entry, "Corrección …") are shown as written.
"""

from __future__ import annotations

import re

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cajas.core.money import format_amount
from cajas.ledger.models import EntryKind, JournalEntry
from cajas.meetings.models import FineReason
from cajas.members.models import LeaveReason

_SHARES = re.compile(r"(\d+) × (\d+)")
_CYCLE = re.compile(r"^cycle (\d+)$")
_LOAN = re.compile(r"^#(\d+)$")
_REVERSAL = re.compile(r"^Reversal of #(\d+)$")
_LOAN_KINDS = (
    EntryKind.LOAN_DISBURSEMENT,
    EntryKind.LOAN_REPAYMENT,
    EntryKind.LOAN_WRITE_OFF,
    EntryKind.LOAN_RECOVERY,
)
CORRECTION_PREFIX = "Corrección"


def shares_in(memo: str) -> int | None:
    """The number of shares a share-purchase memo ("3 × 500") records, or None."""
    found = _SHARES.search(memo)
    return int(found.group(1)) if found else None


def loan_number_in(kind: str, memo: str) -> int | None:
    """The loan a loan entry's memo ("#4") names, or None."""
    found = _LOAN.match(memo) if kind in _LOAN_KINDS else None
    return int(found.group(1)) if found else None


def is_replacement(memo: str) -> bool:
    """A correction's replacement entry: its memo starts "Corrección" (the corrections app)."""
    return memo.startswith(CORRECTION_PREFIX)


def shares_text(shares: int, amount_cents: int) -> str:
    """``3 acciones × 5.00 USD = 15.00 USD``: the share value from the entry's own amount."""
    value = amount_cents // shares if shares else amount_cents
    return ngettext(
        "%(n)s share × %(v)s USD = %(t)s USD",
        "%(n)s shares × %(v)s USD = %(t)s USD",
        shares,
    ) % {"n": shares, "v": format_amount(value), "t": format_amount(amount_cents)}


def memo_text(
    *, kind: str, memo: str, amount_cents: int = 0, reverses_seq: int | None = None
) -> str:
    """The memo in words. ``amount_cents`` is the entry's amount (its debits)."""
    if not memo:
        return memo
    if is_replacement(memo):  # typed by whoever corrected: only a "3 × 500" in it is put in words
        found = _SHARES.search(memo) if kind == EntryKind.SHARE_PURCHASE else None
        if found is None:
            return memo
        return (
            memo[: found.start()]
            + shares_text(int(found.group(1)), amount_cents)
            + memo[found.end() :]
        )
    if kind == EntryKind.SHARE_PURCHASE and (shares := shares_in(memo)) is not None:
        return shares_text(shares, amount_cents)
    if (cycle := _CYCLE.match(memo)) is not None:
        return _("cycle %(n)s") % {"n": cycle.group(1)}
    if (loan := loan_number_in(kind, memo)) is not None:
        return _("loan #%(n)s") % {"n": loan}
    if kind == EntryKind.REVERSAL and (found := _REVERSAL.match(memo)) is not None:
        return _("cancels entry #%(n)s") % {"n": reverses_seq or found.group(1)}
    if kind == EntryKind.CASH_DIFFERENCE and memo == "cash count":
        return _("Cash count")
    if kind == EntryKind.FINE and memo in FineReason.values:
        return str(FineReason(memo).label)
    if kind == EntryKind.MEMBER_EXIT and memo in LeaveReason.values:
        return str(LeaveReason(memo).label)
    return memo


def kind_text(kind: str) -> str:
    """The entry kind's label; a reversal reads as a correction to the member."""
    if kind == EntryKind.REVERSAL:
        return _("Correction")
    return str(EntryKind(kind).label)


def cancels_text(original: JournalEntry, amount_cents: int) -> str:
    """What a reversal cancels: ``anula el n.º 12 del 10/02/2025: Compra de acciones …``."""
    words = memo_text(kind=original.kind, memo=original.memo, amount_cents=amount_cents)
    return _("cancels #%(seq)s of %(date)s: %(what)s") % {
        "seq": original.seq,
        "date": date_format(original.date, "SHORT_DATE_FORMAT"),
        "what": f"{kind_text(original.kind)} {words}".strip(),
    }
