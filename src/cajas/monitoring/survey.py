"""Informal-credit use at joining and now (the latest answer of each member)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from cajas.core.money import round_half_up
from cajas.members.models import Membership
from cajas.monitoring.figures import figures_refresh_stale
from cajas.monitoring.models import FigureHealth, InformalCreditAnswer, SurveyMoment
from cajas.org.models import Caja


@transaction.atomic
def informal_credit_record(
    *, membership: Membership, used: bool, on: dt.date, moment: str | None = None
) -> InformalCreditAnswer:
    """Record one answer; the first answer of a member is the one on joining."""
    if moment is None:
        first = not InformalCreditAnswer.objects.filter(membership=membership).exists()
        moment = SurveyMoment.JOINING if first else SurveyMoment.CYCLE_END
    # The caja's kept figures count the answers (decision 0008).
    Caja.objects.filter(pk=membership.caja_id).update(figures_stale=True)
    return InformalCreditAnswer.objects.create(
        caja_id=membership.caja_id,
        membership=membership,
        moment=SurveyMoment(moment),
        asked_on=on,
        used_informal_credit=used,
    )


def informal_credit_use(cajas: QuerySet[Caja], on: dt.date) -> dict[str, Decimal | int]:
    """Share of members (active on ``on``) who used informal credit when they joined, and in
    their latest answer. For today, summed from what each caja keeps (``FigureHealth``)."""
    if on == timezone.localdate():
        ids = Caja.objects.filter(pk__in=cajas.values("pk")).values("pk")
        figures_refresh_stale(Caja.objects.filter(pk__in=ids))
        kept = FigureHealth.objects.filter(caja__in=ids).aggregate(
            joining=Sum("answered_joining"),
            joining_yes=Sum("informal_at_joining"),
            now=Sum("answered_now"),
            now_yes=Sum("informal_now"),
        )
        k = {key: value or 0 for key, value in kept.items()}
        return {
            "answered_joining": k["joining"],
            "informal_at_joining_percent": _share(k["joining_yes"], k["joining"]),
            "answered_now": k["now"],
            "informal_now_percent": _share(k["now_yes"], k["now"]),
        }
    return informal_credit_use_from_records(cajas, on)


def informal_credit_use_from_records(
    cajas: QuerySet[Caja], on: dt.date
) -> dict[str, Decimal | int]:
    """``informal_credit_use`` on any day, from the answers."""
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
        return _share(sum(values.values()), len(values))

    return {
        "answered_joining": len(joining),
        "informal_at_joining_percent": share(joining),
        "answered_now": len(latest),
        "informal_now_percent": share(latest),
    }


def _share(yes: int, answered: int) -> Decimal:
    if not answered:
        return Decimal("0.00")
    return round_half_up(Decimal(yes) * 100 / answered, places=2)
