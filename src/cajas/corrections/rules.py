"""Correction rules: who may propose and decide, what may be corrected, and in which order the
reversal and the replacement reach the journal. Pure Python, no Django imports.

COR-001 (maker-checker): the officer who proposes a correction never approves it; a different
officer of the caja, or its facilitator, decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cajas.core.errors import RuleViolation
from cajas.core.money import format_amount
from cajas.ledger.rules import Line, ReasonRequired

REASON_MAX = 160  # the replacement's memo, "Corrección de la reunión n.º N: " + reason, ≤ 200


class ProposerNotOfficer(RuleViolation):
    code = "correction.proposer_not_officer"
    message_es = (
        "Solo un directivo de la caja (presidente, tesorero o secretario) puede proponer "
        "una corrección."
    )
    message_en = (
        "Only an officer of the caja (president, treasurer or secretary) may propose a correction."
    )


class DeciderNotAllowed(RuleViolation):
    code = "correction.decider_not_allowed"
    message_es = (
        "Solo un directivo de la caja o su facilitador puede aprobar o rechazar una corrección."
    )
    message_en = (
        "Only an officer of the caja or its facilitator may approve or reject a correction."
    )


class AdminOnly(RuleViolation):
    code = "correction.admin_only"
    message_es = (
        "«{username}» no es administrador del programa de esta caja; solo un administrador "
        "corrige asientos desde la consola."
    )
    message_en = (
        "“{username}” is not a program admin of this caja's program; only a program admin "
        "corrects entries from the command line."
    )
    default_field = "by"


class SelfApproval(RuleViolation):
    """COR-001: the proposer never approves her own correction."""

    code = "correction.self_approval"
    rule_id = "COR-001"
    message_es = (
        "La corrección n.º {number} la propuso {username}; debe aprobarla otro directivo o el "
        "facilitador de la caja."
    )
    message_en = (
        "Correction #{number} was proposed by {username}; another officer or the caja's "
        "facilitator must approve it."
    )


class MeetingStillOpen(RuleViolation):
    code = "correction.meeting_open"
    message_es = (
        "La reunión n.º {number} sigue abierta: cambie el movimiento en la reunión antes de "
        "cerrarla."
    )
    message_en = (
        "Meeting #{number} is still open: change the item in the meeting before closing it."
    )


class EntryNotFromMeeting(RuleViolation):
    code = "correction.not_a_meeting_entry"
    message_es = "El asiento n.º {seq} no se registró en una reunión; no se corrige aquí."
    message_en = "Entry #{seq} was not posted at a meeting; it is not corrected here."


class EntryNotCorrectable(RuleViolation):
    code = "correction.kind"
    message_es = (
        "El asiento n.º {seq} ({kind_es}) no se corrige aquí: solo aportes, fondo social, multas, "
        "cuotas de ingreso, otros ingresos y gastos. Los préstamos se corrigen en su página."
    )
    message_en = (
        "Entry #{seq} ({kind_en}) is not corrected here: only share purchases, social fund, "
        "fines, entry fees, other income and expenses. Loans are corrected on their own page."
    )


class CorrectionPending(RuleViolation):
    code = "correction.pending"
    message_es = (
        "El asiento n.º {seq} ya tiene una corrección pendiente (n.º {number}); apruébela o "
        "recházela primero."
    )
    message_en = (
        "Entry #{seq} already has a pending correction (#{number}); approve or reject it first."
    )


class NothingToCorrect(RuleViolation):
    code = "correction.no_change"
    message_es = "El asiento ya dice {amount} USD; no hay nada que corregir."
    message_en = "The entry already says {amount} USD; there is nothing to correct."
    default_field = "amount"


class SharesNotWhole(RuleViolation):
    """SAV-001: shares are bought whole, at the bylaws' share value."""

    code = "correction.shares_whole"
    rule_id = "SAV-001"
    message_es = "Un aporte es un número entero de acciones de {value} USD; {amount} USD no lo es."
    message_en = "A share purchase is a whole number of {value} USD shares; {amount} USD is not."
    default_field = "amount"


class ReasonTooLong(RuleViolation):
    code = "correction.reason_too_long"
    message_es = "El motivo tiene {length} caracteres; el máximo es {max}."
    message_en = "The reason has {length} characters; the maximum is {max}."
    default_field = "reason"


DECIDED = {"approved": ("aprobada", "approved"), "rejected": ("rechazada", "rejected")}


class AlreadyDecided(RuleViolation):
    code = "correction.already_decided"
    message_es = "La corrección n.º {number} ya fue {status_es}; no se puede cambiar."
    message_en = "Correction #{number} has already been {status_en}; it cannot be changed."


class CorrectionBalanceNegative(RuleViolation):
    """docs/domain.md §5: the cash box and member savings never go below zero."""

    code = "correction.negative_balance"
    message_es = (
        "Con esta corrección el saldo de {account_es} quedaría en {balance} USD, y no puede ser "
        "negativo; no se registró nada."
    )
    message_en = (
        "With this correction the balance of {account_en} would be {balance} USD, and it cannot "
        "be negative; nothing was posted."
    )
    default_field = "amount"


def check_undecided(*, number: int, status: str) -> None:
    """A decision is final: an approved correction is in the books, a rejected one never is."""
    if status in DECIDED:
        status_es, status_en = DECIDED[status]
        raise AlreadyDecided(number=number, status_es=status_es, status_en=status_en)


def check_reason(reason: str) -> str:
    """A correction always says why (the reason goes into the journal and the minutes)."""
    text = " ".join(reason.split())
    if not text:
        raise ReasonRequired()
    if len(text) > REASON_MAX:
        raise ReasonTooLong(length=len(text), max=REASON_MAX)
    return text


def check_not_own(*, number: int, proposer: str, decider: str) -> None:
    """COR-001."""
    if proposer == decider:
        raise SelfApproval(number=number, username=proposer)


def entry_amount(lines: Sequence[Line]) -> int:
    """What a posted entry moved: the sum of its debits (= its credits)."""
    return sum(line.debit for line in lines)


def replacement_lines(lines: Sequence[Line], amount: int) -> list[Line]:
    """The same accounts on the same sides, for the right amount (two-line entries only)."""
    if len(lines) != 2 or amount <= 0:
        raise ValueError("a replacement copies a two-line entry with a positive amount")
    return [Line(x.account, amount if x.debit else 0, amount if x.credit else 0) for x in lines]


def posting_order(
    *,
    balances: Mapping[str, int],
    reversal: Mapping[str, int],
    replacement: Mapping[str, int],
    names: Mapping[str, tuple[str, str]],
) -> bool:
    """Whether the reversal goes before the replacement (True) or after it (False).

    ``balances`` are the guarded accounts' balances now (cash box, member savings: never below
    zero), the other two their changes. Each entry is checked on its own in the chain (``cajas
    verify`` replays it), so the one that raises a guarded balance goes first: correcting a
    15.00 purchase to 10.00 in a box holding 12.00 posts the 10.00 before taking the 15.00
    out. Raises ``CorrectionBalanceNegative`` when neither order stays at or above zero.
    """
    worst: tuple[int, str] | None = None
    for steps in ((reversal, replacement), (replacement, reversal)):
        running = dict(balances)
        low: tuple[int, str] | None = None
        for deltas in steps:
            for code, delta in deltas.items():
                if code in running:
                    running[code] += delta
                    if running[code] < 0 and (low is None or running[code] < low[0]):
                        low = (running[code], code)
        if low is None:
            return steps[0] is reversal
        worst = worst or low
    assert worst is not None
    balance, code = worst
    es, en = names.get(code, (code, code))
    raise CorrectionBalanceNegative(account_es=es, account_en=en, balance=format_amount(balance))
