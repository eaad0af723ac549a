"""Pure ledger rules: balance, hashing, canonical form. No Django imports."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from json import encoder as json_encoder
from typing import Any, NamedTuple

from cajas.core.errors import RuleViolation

GENESIS_HASH = "0" * 64


class EntryUnbalanced(RuleViolation):
    code = "ledger.unbalanced"
    message_es = "El asiento no cuadra: débitos {debits} ≠ créditos {credits} (centavos)."
    message_en = "The entry does not balance: debits {debits} ≠ credits {credits} (cents)."


class EntryLineInvalid(RuleViolation):
    code = "ledger.line_invalid"
    message_es = (
        "Cada línea del asiento debe tener un solo lado positivo en centavos enteros "
        "(cuenta {account})."
    )
    message_en = (
        "Each line of an entry must have exactly one positive side in whole cents "
        "(account {account})."
    )


class EntryTooShort(RuleViolation):
    code = "ledger.too_few_lines"
    message_es = "Un asiento necesita al menos dos líneas."
    message_en = "An entry needs at least two lines."


class IdempotencyConflict(RuleViolation):
    code = "ledger.idempotency_conflict"
    message_es = (
        "La clave de idempotencia «{key}» ya se usó para un asiento con otro contenido; "
        "no se registró nada."
    )
    message_en = (
        "The idempotency key “{key}” was already used for an entry with different content; "
        "nothing was posted."
    )


class BalanceWouldBeNegative(RuleViolation):
    code = "ledger.negative_balance"
    message_es = "El saldo de {account_es} quedaría negativo ({balance} centavos)."
    message_en = "The balance of {account_en} would become negative ({balance} cents)."


class AlreadyReversed(RuleViolation):
    code = "ledger.already_reversed"
    message_es = "El asiento n.º {seq} ya fue revertido."
    message_en = "Entry #{seq} has already been reversed."


class ReversalOfReversal(RuleViolation):
    code = "ledger.reverse_reversal"
    message_es = "El asiento n.º {seq} es una reversión; registre un asiento nuevo en su lugar."
    message_en = "Entry #{seq} is itself a reversal; post a new entry instead."


class ReasonRequired(RuleViolation):
    code = "ledger.reason_required"
    message_es = "Indique el motivo de la corrección."
    message_en = "Give the reason for the correction."
    default_field = "reason"


class UnknownAccount(RuleViolation):
    code = "ledger.unknown_account"
    message_es = "La cuenta {account} no existe en esta caja."
    message_en = "Account {account} does not exist in this caja."


class Line(NamedTuple):
    """One side of an entry. A NamedTuple rather than a frozen dataclass: a meeting close
    builds 240 of them, and a frozen dataclass costs three times as much to build."""

    account: str
    debit: int = 0
    credit: int = 0


def check_lines(lines: Sequence[Line]) -> None:
    """Every line one positive side in integer cents; at least two lines; debits = credits."""
    if len(lines) < 2:
        raise EntryTooShort()
    debits = credits = 0
    for line in lines:  # one loop: a book import checks 110,000 entries, the close 110
        debit, credit = line.debit, line.credit
        if (
            type(debit) is not int
            or type(credit) is not int
            or not ((debit > 0 and credit == 0) or (debit == 0 and credit > 0))
        ):
            raise EntryLineInvalid(account=line.account)
        debits += debit
        credits += credit
    if debits != credits:
        raise EntryUnbalanced(debits=debits, credits=credits)


def reversed_lines(lines: Iterable[Line]) -> list[Line]:
    return [Line(account=x.account, debit=x.credit, credit=x.debit) for x in lines]


# Built once: json.dumps() with options builds a new encoder per call (the close hashes 110
# entries, a book import 110,000). The output is exactly json.dumps()'s with the same options.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_PLACE = json.JSONEncoder(ensure_ascii=False)
_text = json_encoder.encode_basestring
"""A JSON string as ``ensure_ascii=False`` writes it (the C function where there is one)."""
_C_MAKE_ENCODER = getattr(json_encoder, "c_make_encoder", None)  # None without the C accelerator
_C_CANONICAL = (
    None
    if _C_MAKE_ENCODER is None
    else _C_MAKE_ENCODER(
        None,  # no check for circular references: the content is built by ``content_of``
        _CANONICAL.default,
        json_encoder.encode_basestring,  # ensure_ascii=False
        None,  # no indent
        ":",
        ",",
        True,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan, json.dumps()'s default (entries hold no floats)
    )
)


def canonical_json(value: Any) -> str:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` for the
    lists and dicts of ``content_of``, by one C encoder made once (``JSONEncoder.encode`` makes
    one per call)."""
    if _C_CANONICAL is None or isinstance(value, str):
        return _CANONICAL.encode(value)
    return "".join(_C_CANONICAL(value, 0))


def content_of(
    *,
    key: str,
    kind: str,
    date: str,
    memo: str,
    member: int | None,
    meeting: int | None,
    reverses: int | None,
    reason: str,
    lines: Sequence[Line],
) -> dict[str, Any]:
    """What an entry says, without where it sits in the chain: the idempotency digest's input."""
    return {
        "key": key,
        "kind": kind,
        "date": date,
        "memo": memo,
        "member": member,
        "meeting": meeting,
        "reverses": reverses,
        "reason": reason,
        "lines": [[x.account, x.debit, x.credit] for x in lines],
    }


def content_digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def entry_digest(
    *,
    key: str,
    kind: str,
    date: str,
    memo: str,
    member: int | None,
    meeting: int | None,
    reverses: int | None,
    reason: str,
    lines: Sequence[Line],
) -> str:
    """``content_digest(content_of(...))``, the canonical JSON written directly where every
    value has its exact type (texts ``str``, numbers ``int`` or ``None``): the keys in sorted
    order, texts by the encoder's own escaping, numbers as ``int`` prints them. Byte for byte
    ``canonical_json``'s (``tests/test_ledger_rules.py`` compares them); half its time, which
    counts where entries come by the thousand (a book import checks 110,000)."""
    text = None
    if (
        type(key) is str
        and type(kind) is str
        and type(date) is str
        and type(memo) is str
        and type(reason) is str
        and (member is None or type(member) is int)
        and (meeting is None or type(meeting) is int)
        and (reverses is None or type(reverses) is int)
    ):
        text = _content_text(key, kind, date, memo, member, meeting, reverses, reason, lines)
    if text is None:
        text = canonical_json(
            content_of(
                key=key,
                kind=kind,
                date=date,
                memo=memo,
                member=member,
                meeting=meeting,
                reverses=reverses,
                reason=reason,
                lines=lines,
            )
        )
    return hashlib.sha256(text.encode()).hexdigest()


def _number(value: int | None) -> str:
    return "null" if value is None else str(value)


def _content_text(
    key: str,
    kind: str,
    date: str,
    memo: str,
    member: int | None,
    meeting: int | None,
    reverses: int | None,
    reason: str,
    lines: Sequence[Line],
) -> str | None:
    """The canonical JSON of ``content_of``'s dict, or ``None`` if a line is not exactly
    ``(str, int, int)``."""
    out = []
    for account, debit, credit in lines:
        if type(account) is not str or type(debit) is not int or type(credit) is not int:
            return None
        out.append(f"[{_text(account)},{debit},{credit}]")
    return (
        f'{{"date":{_text(date)},"key":{_text(key)},"kind":{_text(kind)},'
        f'"lines":[{",".join(out)}],"meeting":{_number(meeting)},"member":{_number(member)},'
        f'"memo":{_text(memo)},"reason":{_text(reason)},"reverses":{_number(reverses)}}}'
    )


def chain_hash(
    *,
    prev_hash: str,
    caja: str,
    seq: int,
    digest: str,
    recorded_by: str,
    recorded_at: str,
) -> str:
    """``sha256(prev_hash + digest + canonical_json([caja, seq, recorded_by, recorded_at]))``.

    ``digest`` is the entry's ``content_digest`` (the SHA-256 of its canonical content), so the
    link commits to the content and to the entry's place in the chain without serialising the
    content twice.
    """
    if type(caja) is str and type(seq) is int and type(recorded_by) is type(recorded_at) is str:
        # _PLACE's text (items joined by ", "), without its layers: a third of the time
        place = f"[{_text(caja)}, {seq}, {_text(recorded_by)}, {_text(recorded_at)}]"
    else:
        place = _PLACE.encode([caja, seq, recorded_by, recorded_at])
    return hashlib.sha256((prev_hash + digest + place).encode()).hexdigest()


class ChainLinker:
    """``chain_hash`` for a run of entries posted together (same caja, recorder and time):
    the JSON around ``seq`` is encoded once. A JSON list is ``[`` + items joined by ``, `` +
    ``]``, so the result is byte for byte ``chain_hash``'s (``verify`` recomputes with it)."""

    def __init__(self, *, caja: str, recorded_by: str, recorded_at: str) -> None:
        self.head = _PLACE.encode([caja])[:-1] + ", "
        self.tail = ", " + _PLACE.encode([recorded_by, recorded_at])[1:]

    def link(self, *, prev_hash: str, seq: int, digest: str) -> str:
        place = f"{self.head}{int(seq)}{self.tail}"
        return hashlib.sha256((prev_hash + digest + place).encode()).hexdigest()
