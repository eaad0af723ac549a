"""A generated book of any size (format ``cajas-book`` v1) for benchmarks and tests.

``sample_book_write(out, meetings=1000)`` writes, section by section and without building the
document in memory, a caja of ``members`` members meeting weekly: at every meeting each member
buys one share and pays the social fund, and every fifth member pays a fine for lateness. That is
``2 × members + members // 5`` entries of two lines each per meeting (110 entries, 220 lines for
50 members, about the standard meeting of ``docs/domain.md`` §11), with its attendance and
items. Like a book typed in from paper it carries no hashes: import computes the chain (and an
export of the imported caja is then a book with every hash).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import IO, Any

from cajas.books.format import BYLAWS_FIELDS, FORMAT, VERSION, plain
from cajas.ledger import chart
from cajas.org.models import Bylaws

FOUNDED = dt.date(2020, 1, 6)
SHARE_CENTS = 500
SOCIAL_CENTS = 100
FINE_CENTS = 50


def _person(n: int, code: str) -> dict[str, Any]:
    return {
        "code": f"{code[:3].upper()}{n:05d}"[:12],
        "given_names": f"Socia {n}",
        "family_names": "Muestra",
        "gender": "female",
        "birth_date": "1990-01-01",
        "nationality": "VE",
        "phone": "",
        "document_type": "none",
        "document_number": "",
        "mobility_status": "",
        "consents": [],
    }


def _head(code: str, members: int) -> dict[str, Any]:
    bylaws = {name: plain(getattr(Bylaws(), name)) for name in BYLAWS_FIELDS}
    bylaws.update(max_members=max(members, 1), max_capital_cents=10**9, share_value_cents=500)
    roles = ["president", "treasurer", "secretary"]
    return {
        "format": FORMAT,
        "version": VERSION,
        "program": {"code": f"{code}-programa", "name": "Programa", "currency": "USD"},
        "partner": {"code": f"{code}-socio", "name": "Socio"},
        "territory": "Quito",
        "caja": {"code": code, "name": "Caja de muestra", "founded_on": plain(FOUNDED)},
        "bylaws": [
            {"version": 1, "effective_from": plain(FOUNDED), "approved_on": plain(FOUNDED)} | bylaws
        ],
        "members": [
            {
                "number": n,
                "role": roles[n - 1] if n <= len(roles) else "member",
                "joined_on": plain(FOUNDED),
                "left_on": None,
                "left_reason": "",
                "person": _person(n, code),
            }
            for n in range(1, members + 1)
        ],
        "cycles": [{"number": 1, "started_on": plain(FOUNDED), "ended_on": None, "status": "open"}],
    }


def _item(member: int | None, kind: str, amount: int, **extra: Any) -> dict[str, Any]:
    return {
        "member": member,
        "kind": kind,
        "shares": extra.get("shares", 0),
        "amount_cents": amount,
        "description": "",
        "fine_reason": extra.get("fine_reason", ""),
        "proposed": False,
        "waived": False,
        "loan": None,
        "prepay": False,
    }


def _fined(members: int) -> range:
    return range(5, members + 1, 5)


def _meeting(number: int, members: int, cash_before: int) -> dict[str, Any]:
    day = FOUNDED + dt.timedelta(days=7 * number)
    items = [_item(n, "shares", SHARE_CENTS, shares=1) for n in range(1, members + 1)]
    items += [_item(n, "social_fund", SOCIAL_CENTS) for n in range(1, members + 1)]
    items += [_item(n, "fine", FINE_CENTS, fine_reason="lateness") for n in _fined(members)]
    cash = cash_before + sum(i["amount_cents"] for i in items)
    return {
        "number": number,
        "cycle": 1,
        "date": plain(day),
        "kind": "ordinary",
        "status": "closed",
        "opened_by": "muestra",
        "closed_by": "muestra",
        "closed_at": f"{plain(day)}T20:00:00.000000+00:00",
        "expected_cash_cents": cash,
        "counted_cash_cents": cash,
        "cash_difference_cents": 0,
        "notes": "",
        "attendance": [[n, "present", n in _fined(members)] for n in range(1, members + 1)],
        "items": items,
    }


def _entries(number: int, members: int, first_seq: int) -> Iterator[dict[str, Any]]:
    day = plain(FOUNDED + dt.timedelta(days=7 * number))
    postings = [
        ("share_purchase", n, chart.savings_account_code(n), SHARE_CENTS)
        for n in range(1, members + 1)
    ]
    postings += [("social_fund", n, chart.SOCIAL_FUND, SOCIAL_CENTS) for n in range(1, members + 1)]
    postings += [("fine", n, chart.FINE_INCOME, FINE_CENTS) for n in _fined(members)]
    for k, (kind, member, account, amount) in enumerate(postings):
        yield {
            "seq": first_seq + k,
            "date": day,
            "kind": kind,
            "memo": "",
            "key": f"meeting:{number}:item:{k + 1}",
            "member": member,
            "meeting": number,
            "reverses": None,
            "reason": "",
            "lines": [[chart.CASH, amount, 0], [account, 0, amount]],
        }


def _write_list(out: IO[str], key: str, elements: Iterator[Any], last: bool = False) -> None:
    out.write(f'"{key}":[')
    for i, element in enumerate(elements):
        out.write(("," if i else "") + json.dumps(element, ensure_ascii=False))
    out.write("]" if last else "],\n")


def sample_book_write(
    out: IO[str], *, meetings: int = 1000, members: int = 50, code: str = "muestra"
) -> int:
    """Write the book to ``out``; returns its number of journal entries."""
    head = _head(code, members)
    out.write(json.dumps(head, ensure_ascii=False)[:-1] + ",\n")
    per_meeting = 2 * members + len(_fined(members))
    per_cash = members * (SHARE_CENTS + SOCIAL_CENTS) + len(_fined(members)) * FINE_CENTS
    _write_list(
        out,
        "meetings",
        (_meeting(n, members, (n - 1) * per_cash) for n in range(1, meetings + 1)),
    )
    accounts: list[dict[str, Any]] = [
        {"code": c, "kind": k, "member": None, "loan": None} for c, k in chart.CAJA_ACCOUNTS.items()
    ]
    accounts += [
        {"code": chart.savings_account_code(n), "kind": "liability", "member": n, "loan": None}
        for n in range(1, members + 1)
    ]
    _write_list(out, "accounts", iter(sorted(accounts, key=lambda a: a["code"])))
    _write_list(
        out,
        "journal",
        (
            entry
            for n in range(1, meetings + 1)
            for entry in _entries(n, members, (n - 1) * per_meeting + 1)
        ),
        last=True,
    )
    out.write("}\n")
    return meetings * per_meeting
