"""Informal-credit use at joining and now (the latest answer of each member)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet

from cajas.core.money import round_half_up
from cajas.members.models import Membership
from cajas.monitoring.models import InformalCreditAnswer, SurveyMoment
from cajas.org.models import Caja


@transaction.atomic
def informal_credit_record(
    *, membership: Membership, used: bool, on: dt.date, moment: str | None = None
) -> InformalCreditAnswer:
    """Record one answer; the first answer of a member is the one on joining."""
    if moment is None:
        first = not InformalCreditAnswer.objects.filter(membership=membership).exists()
        moment = SurveyMoment.JOINING if first else SurveyMoment.CYCLE_END
    return InformalCreditAnswer.objects.create(
        membership=membership,
        moment=SurveyMoment(moment),
        asked_on=on,
        used_informal_credit=used,
    )


def informal_credit_use(cajas: QuerySet[Caja], on: dt.date) -> dict[str, Decimal | int]:
    """Share of members (active on ``on``) who used informal credit when they joined, and in
    their latest answer."""
    answers = InformalCreditAnswer.objects.filter(
        membership__caja__in=cajas.values("pk"),
        asked_on__lte=on,
        membership__left_on__isnull=True,
    ).order_by("membership_id", "asked_on", "id")
    joining: dict[int, bool] = {}
    latest: dict[int, bool] = {}
    for member_id, moment, used in answers.values_list(
        "membership_id", "moment", "used_informal_credit"
    ):
        if moment == SurveyMoment.JOINING:
            joining.setdefault(member_id, used)
        latest[member_id] = used

    def share(values: dict[int, bool]) -> Decimal:
        if not values:
            return Decimal("0.00")
        return round_half_up(Decimal(sum(values.values())) * 100 / len(values), places=2)

    return {
        "answered_joining": len(joining),
        "informal_at_joining_percent": share(joining),
        "answered_now": len(latest),
        "informal_now_percent": share(latest),
    }
