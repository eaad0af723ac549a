"""The ``shareouts`` section (optional): each executed share-out's figures and payouts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from cajas.books.format import SHAREOUT_FIGURES, ImportErrors, repeated, show
from cajas.books.importer.shape import SHAREOUT
from cajas.meetings.models import Meeting
from cajas.members.models import Membership
from cajas.org.models import Caja
from cajas.shareouts.models import ShareOut, ShareOutPayout


def shareouts_check(
    raw: Any, members: set[int], meetings: set[int], cycles: set[int], errs: ImportErrors
) -> list[dict[str, Any]]:
    checked: list[dict[str, Any]] = []
    if raw is None:
        return checked
    if not isinstance(raw, list):
        errs.add("$.shareouts", "debe ser una lista / must be a list")
        return checked
    for k, s in enumerate(raw):
        path = f"$.shareouts[{k}]"
        if not SHAREOUT.check(s, path, errs):
            continue
        if s["cycle"] not in cycles:
            errs.add(f"{path}.cycle", f"ciclo inexistente / unknown cycle {show(s['cycle'])}")
        if s["meeting"] not in meetings:
            errs.add(
                f"{path}.meeting", f"reunión inexistente / unknown meeting {show(s['meeting'])}"
            )
        repeated([row[0] for row in s["payouts"]], f"{path}.payouts", errs)
        for j, row in enumerate(s["payouts"]):
            if not isinstance(row, list) or len(row) != 7 or row[0] not in members:
                errs.add(f"{path}.payouts[{j}]", f"pago inválido / invalid payout {show(row)}")
        try:
            dt.date.fromisoformat(s["date"])
            dt.datetime.fromisoformat(s["executed_at"])
            Decimal(str(s["value_per_share"]))
        except (TypeError, ValueError, InvalidOperation):
            errs.add(path, "fecha o número inválido / invalid date or number")
        checked.append(s)
    repeated([s["cycle"] for s in checked], "$.shareouts", errs) or repeated(
        [s["meeting"] for s in checked], "$.shareouts", errs
    )
    return checked


def shareouts_write(
    caja: Caja,
    checked: list[dict[str, Any]],
    members: dict[int, Membership],
    meetings: dict[int, Meeting],
    cycles: dict[int, Any],
) -> None:
    for s in checked:
        shareout = ShareOut.objects.create(
            caja=caja,
            cycle=cycles[s["cycle"]],
            meeting=meetings[s["meeting"]],
            date=dt.date.fromisoformat(s["date"]),
            value_per_share=Decimal(str(s["value_per_share"])),
            executed_at=dt.datetime.fromisoformat(s["executed_at"]),
            **{name: s[name] for name in SHAREOUT_FIGURES},
        )
        ShareOutPayout.objects.bulk_create(
            [
                ShareOutPayout(
                    shareout=shareout,
                    caja=caja,
                    membership=members[row[0]],
                    shares=Decimal(str(row[1])),
                    savings_cents=row[2],
                    profit_cents=row[3],
                    deductions_cents=row[4],
                    reinvested_cents=row[5],
                    amount_cents=row[6],
                )
                for row in s["payouts"]
            ]
        )
