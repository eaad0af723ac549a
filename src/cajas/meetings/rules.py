"""Meeting rules (DESIGN.md §6), pure functions over plain values."""

from __future__ import annotations

from decimal import Decimal

from cajas.core.errors import RuleViolation
from cajas.core.money import format_amount


class MeetingClosed(RuleViolation):
    code = "meeting.closed"
    message_es = "La reunión n.º {number} ya está cerrada; no se puede modificar."
    message_en = "Meeting #{number} is already closed; it cannot be changed."


class MeetingAlreadyOpen(RuleViolation):
    code = "meeting.already_open"
    message_es = "La reunión n.º {number} sigue abierta; ciérrela antes de abrir otra."
    message_en = "Meeting #{number} is still open; close it before opening another."


class MeetingDateInvalid(RuleViolation):
    code = "meeting.date"
    message_es = "La fecha {date} es anterior a la última reunión ({last})."
    message_en = "The date {date} is before the last meeting ({last})."
    default_field = "date"


class NoOpenCycle(RuleViolation):
    code = "cycle.none_open"
    message_es = "La caja no tiene un ciclo abierto."
    message_en = "The caja has no open cycle."


class SharesOutOfRange(RuleViolation):
    """SAV-001: shares bought per meeting within the bylaws' range."""

    code = "shares.out_of_range"
    rule_id = "SAV-001"
    message_es = (
        "Se pueden comprar entre {min} y {max} acciones por reunión (socio n.º {member}: {shares})."
    )
    message_en = (
        "Members may buy between {min} and {max} shares per meeting (member #{member}: {shares})."
    )
    default_field = "shares"


class CapitalCapExceeded(RuleViolation):
    """CAJA-002: total member savings never above the bylaws' capital cap."""

    code = "caja.capital_cap"
    rule_id = "CAJA-002"
    message_es = (
        "Con estos aportes el ahorro total sería {total} USD y supera el capital máximo de "
        "{cap} USD del reglamento (quedan {room} USD)."
    )
    message_en = (
        "With these purchases total savings would be {total} USD, above the bylaws' capital "
        "cap of {cap} USD ({room} USD left)."
    )
    default_field = "shares"


class MemberSavingsShareExceeded(RuleViolation):
    """SAV-002: one member's savings at most a share of the total (regulatory profile)."""

    code = "shares.member_share"
    rule_id = "SAV-002"
    message_es = (
        "El ahorro del socio n.º {member} sería el {percent} % del total; el máximo es {limit} %."
    )
    message_en = (
        "Member #{member}'s savings would be {percent} % of the total; the limit is {limit} %."
    )
    default_field = "shares"


class ItemNeedsMember(RuleViolation):
    code = "meeting.item_member"
    message_es = "Este movimiento debe ser de un socio."
    message_en = "This item must belong to a member."
    default_field = "member"


def check_shares(*, member: int, shares: int, min_shares: int, max_shares: int) -> None:
    """SAV-001."""
    if shares < min_shares or shares > max_shares:
        raise SharesOutOfRange(min=min_shares, max=max_shares, member=member, shares=shares)


def check_capital_cap(*, savings_before: int, purchases: int, cap: int) -> None:
    """CAJA-002."""
    total = savings_before + purchases
    if total > cap:
        raise CapitalCapExceeded(
            total=format_amount(total),
            cap=format_amount(cap),
            room=format_amount(max(cap - savings_before, 0)),
        )


def check_member_share_of_savings(
    *,
    member: int,
    member_after: int,
    total_after: int,
    limit_percent: Decimal | None,
    members: int,
) -> None:
    """SAV-002 (off when ``limit_percent`` is None). Checked only once the caja has enough
    members for the limit to be satisfiable at all."""
    if limit_percent is None or total_after <= 0 or members * limit_percent < 100:
        return
    percent = Decimal(member_after * 100) / Decimal(total_after)
    if percent > limit_percent:
        raise MemberSavingsShareExceeded(
            member=member, percent=f"{percent:.1f}", limit=f"{limit_percent:.0f}"
        )


def proposed_fines(
    *, status: str, late: bool, absence_fine: int, lateness_fine: int
) -> dict[str, int]:
    """FINE-001: absence fine for an absent member, lateness fine for a late one; excused and
    represented members pay neither."""
    fines: dict[str, int] = {}
    if status == "absent" and absence_fine > 0:
        fines["absence"] = absence_fine
    if status == "present" and late and lateness_fine > 0:
        fines["lateness"] = lateness_fine
    return fines


class ExpensesExceedCash(RuleViolation):
    """The box cannot pay out more than it holds (DESIGN.md §5: cash never below zero)."""

    code = "meeting.cash_negative"
    message_es = (
        "Los pagos de esta reunión superan el efectivo disponible: faltan {short} USD. "
        "Revise los gastos."
    )
    message_en = (
        "This meeting pays out more cash than the box holds: {short} USD short. Check the expenses."
    )
    default_field = "amount"


def check_expected_cash(expected: int) -> None:
    if expected < 0:
        raise ExpensesExceedCash(short=format_amount(-expected))
