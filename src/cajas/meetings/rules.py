"""Meeting rules (docs/domain.md §6), pure functions over plain values."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from cajas.core.errors import RuleViolation
from cajas.core.money import format_amount


class MeetingClosed(RuleViolation):
    code = "meeting.closed"
    message_es = "La reunión n.º {number} ya está cerrada; no se puede modificar."
    message_en = "Meeting #{number} is already closed; it cannot be changed."


class ChangeNotPossible(RuleViolation):
    """A change sent from a phone that the meeting cannot take as it stands (an item that is
    gone or of a kind that is recorded again instead, a loan not in this caja)."""

    code = "change.not_possible"
    message_es = "Este cambio ya no se puede hacer en la reunión n.º {number}: revise la partida."
    message_en = "This change can no longer be made at meeting #{number}: check the item."


class MeetingAlreadyOpen(RuleViolation):
    code = "meeting.already_open"
    message_es = "La reunión n.º {number} sigue abierta; ciérrela antes de abrir otra."
    message_en = "Meeting #{number} is still open; close it before opening another."


class MeetingDateInvalid(RuleViolation):
    code = "meeting.date"
    message_es = "La fecha {date} es anterior a la última reunión ({last})."
    message_en = "The date {date} is before the last meeting ({last})."
    default_field = "date"


class MeetingDateInFuture(RuleViolation):
    code = "meeting.date_future"
    message_es = "La fecha {date} es futura; una reunión se registra el día en que se hace."
    message_en = "The date {date} is in the future; a meeting is recorded on the day it is held."
    default_field = "date"


class MeetingDateTaken(RuleViolation):
    code = "meeting.date_taken"
    message_es = (
        "Ya hay una reunión ordinaria el {date} (n.º {number}); para otra ese día elija "
        "«extraordinaria» o «asamblea general»."
    )
    message_en = (
        "There is already an ordinary meeting on {date} (#{number}); for another that day "
        "choose «extraordinary» or «general assembly»."
    )
    default_field = "date"


class SheetNotConfirmed(RuleViolation):
    code = "meeting.sheet_unconfirmed"
    message_es = (
        "Revise la hoja de asistencia y ahorro y confírmela («Todo como de costumbre» o "
        "«Guardar») antes de cerrar."
    )
    message_en = (
        "Check the attendance and savings sheet and confirm it («All as usual» or «Save») "
        "before closing."
    )
    default_field = "counted_cash"


class SheetZeroShares(RuleViolation):
    """Asked before an ordinary meeting's sheet saves no savings for members who are there."""

    code = "meeting.zero_shares"
    message_es = (
        "Los socios n.º {members} están presentes y no compran ninguna acción. "
        "¿Guardar así? Confirme o corrija esas líneas."
    )
    message_en = (
        "Members #{members} are present and buy no shares. Save it like that? Confirm or "
        "correct those lines."
    )
    default_field = "shares"


class FineOwedExceeded(RuleViolation):
    """A member pays or is forgiven at most the fines she owes from earlier meetings."""

    code = "fine.owed_exceeded"
    rule_id = "FINE-001"
    message_es = (
        "El socio n.º {member} debe {owed} USD de multas; no se pueden cobrar ni condonar "
        "{amount} USD."
    )
    message_en = "Member #{member} owes {owed} USD in fines; {amount} USD cannot be settled."
    default_field = "amount"


def check_fine_owed(*, member: int, owed: int, amount: int) -> None:
    """FINE-001: settling a fine owed never exceeds what is owed."""
    if amount > owed:
        raise FineOwedExceeded(
            member=member, owed=format_amount(owed), amount=format_amount(amount)
        )


def fine_is_owed(*, kind: str, fine_reason: str) -> bool:
    """A fine for an absence is owed by the member (a receivable), not cash at the meeting she
    missed; she pays it at a later meeting, or it is waived."""
    return kind == "fine" and fine_reason == "absence"


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
    """The box cannot pay out more than it holds (docs/domain.md §5: cash never below zero)."""

    code = "meeting.cash_negative"
    message_es = (
        "Los pagos de esta reunión superan el efectivo disponible: faltan {short} USD "
        "al pagar {item_es}. Revise los gastos y las entregas de préstamos."
    )
    message_en = (
        "This meeting pays out more cash than the box holds: {short} USD short when paying "
        "{item_en}. Check the expenses and loan hand-overs."
    )
    default_field = "amount"


def check_expected_cash(expected: int, *, item_es: str, item_en: str) -> None:
    """The box after a payout (``item_es``/``item_en`` name it) is never below zero."""
    if expected < 0:
        raise ExpensesExceedCash(short=format_amount(-expected), item_es=item_es, item_en=item_en)


def cash_order(cash_effects: Sequence[int]) -> list[int]:
    """The order in which a close posts its entries so that the cash box never goes below zero
    on the way (docs/domain.md §5): every entry that brings cash in (or leaves it untouched) first,
    in the order recorded, then every entry that pays cash out. Returns the indexes."""
    ins = [i for i, effect in enumerate(cash_effects) if effect >= 0]
    outs = [i for i, effect in enumerate(cash_effects) if effect < 0]
    return ins + outs


def first_overdraft(opening: int, cash_effects: Sequence[int]) -> int | None:
    """The index of the first entry (in posting order) that takes the box below zero."""
    running = opening
    for i, effect in enumerate(cash_effects):
        running += effect
        if running < 0:
            return i
    return None
