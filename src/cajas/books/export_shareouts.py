"""The ``shareouts`` section of the export: each executed share-out's figures and payouts."""

from __future__ import annotations

from typing import Any

from cajas.books.format import PAYOUT_COLUMNS, SHAREOUT_FIGURES, plain
from cajas.org.models import Caja
from cajas.shareouts.models import ShareOut


def shareouts_export(
    caja: Caja, number_of: dict[int, int], meeting_number: dict[int, int]
) -> list[dict[str, Any]]:
    result = []
    for s in ShareOut.objects.filter(caja=caja).select_related("cycle").order_by("date", "id"):
        result.append(
            {
                "cycle": s.cycle.number,
                "meeting": meeting_number[s.meeting_id],
                "date": plain(s.date),
                **{name: getattr(s, name) for name in SHAREOUT_FIGURES},
                "value_per_share": plain(s.value_per_share),
                "executed_at": plain(s.executed_at),
                "payouts": [
                    [number_of[p.membership_id]] + [plain(getattr(p, c)) for c in PAYOUT_COLUMNS]
                    for p in s.payouts.order_by("membership__number")
                ],
            }
        )
    return result
