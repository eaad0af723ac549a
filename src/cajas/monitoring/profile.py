"""More of the program's picture (docs/domain.md §9): who the members are (age bands, nationality),
attendance, dropouts and retention, crédito digno, and how many cajas survive. SQL aggregates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

from cajas.core.money import round_half_up, to_decimal
from cajas.loans.models import Installment, Loan
from cajas.meetings.models import ATTENDING, Attendance, Meeting, MeetingStatus
from cajas.members.models import Membership
from cajas.monitoring.ages import AGE_BANDS, band_label, birth_dates
from cajas.monitoring.indicators import percent_of
from cajas.org.models import Caja, CycleStatus


def last_meetings(caja_ids: Any, on: dt.date, count: int = 4) -> Any:
    """The ids of each caja's last ``count`` closed meetings, as a subquery."""
    ranked = (
        Meeting.objects.filter(caja__in=caja_ids, status=MeetingStatus.CLOSED, date__lte=on)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("caja_id")],
                order_by=[F("date").desc(), F("number").desc()],
            )
        )
        .filter(rank__lte=count)
    )
    return list(ranked.values_list("pk", flat=True))


def profile(cajas: QuerySet[Caja], on: dt.date) -> dict[str, Any]:
    cajas = Caja.objects.filter(pk__in=cajas.values("pk"))
    ids = cajas.values("pk")
    members = Membership.objects.filter(caja__in=ids, joined_on__lte=on).filter(
        Q(left_on__isnull=True) | Q(left_on__gt=on)
    )
    n = members.count()
    bands = {}
    for band in AGE_BANDS:
        after, up_to = birth_dates(band, on)
        count = members.filter(person__birth_date__gt=after, person__birth_date__lte=up_to).count()
        bands[band_label(band)] = count
    nationality = dict(
        members.values_list("person__nationality").annotate(c=Count("pk")).order_by("-c")
    )
    # Attendance: members present or represented ÷ members listed, over each caja's last
    # four closed meetings.
    recent = last_meetings(ids, on)
    att = Attendance.objects.filter(meeting_id__in=recent).aggregate(
        present=Count("pk", filter=Q(status__in=ATTENDING)), listed=Count("pk")
    )
    # Dropouts in the current cycles: members who left since their caja's cycle began.
    # One join on the open cycle (a caja has one), not a subquery per member.
    start = F("caja__cycles__started_on")
    counts = Membership.objects.filter(
        caja__in=ids, caja__cycles__status=CycleStatus.OPEN
    ).aggregate(
        dropouts=Count("pk", filter=Q(left_on__gt=start, left_on__lte=on)),
        at_start=Count(
            "pk",
            filter=Q(joined_on__lte=start) & (Q(left_on__isnull=True) | Q(left_on__gt=start)),
        ),
    )
    dropouts, at_start = counts["dropouts"], counts["at_start"]
    # Crédito digno over the loans granted.
    granted = Loan.objects.filter(caja__in=ids, disbursed_on__isnull=False, disbursed_on__lte=on)
    loans = granted.aggregate(
        tea=Avg("tea_percent"),
        cap=Avg("cap_percent"),
        informal=Sum("informal_cost_cents"),
        n=Count("pk"),
    )
    interest = (
        Installment.objects.filter(loan__in=granted, version=1).aggregate(s=Sum("interest_cents"))[
            "s"
        ]
        or 0
    )
    # Survival: cajas founded at least N months ago that still met in the last 60 days.
    active_recently = set(
        Meeting.objects.filter(
            caja__in=ids,
            status=MeetingStatus.CLOSED,
            date__gt=on - dt.timedelta(days=60),
            date__lte=on,
        ).values_list("caja_id", flat=True)
    )
    survival = {}
    for months in (6, 12, 24):
        cutoff = on - dt.timedelta(days=round(months * 30.44))
        old = list(cajas.filter(founded_on__lte=cutoff).values_list("pk", flat=True))
        survival[f"{months}_months"] = {
            "cajas": len(old),
            "still_active": sum(1 for c in old if c in active_recently),
            "percent": percent_of(sum(1 for c in old if c in active_recently), len(old)),
        }
    return {
        "age_bands": bands,
        "nationality": nationality,
        "attendance_percent": percent_of(att["present"], att["listed"]),
        "dropouts": dropouts,
        "dropout_percent": percent_of(dropouts, n),
        "dropout_percent_of_start": percent_of(dropouts, at_start),
        "retention_percent": percent_of(n - dropouts, n) if n else Decimal("0.00"),
        "loans_granted": loans["n"],
        "average_tea_percent": round_half_up(Decimal(loans["tea"] or 0), places=2),
        "average_cap_percent": round_half_up(Decimal(loans["cap"] or 0), places=2),
        "saved_vs_informal": to_decimal(int((loans["informal"] or 0) - interest)),
        "survival": survival,
    }


def monthly_series(
    cajas: QuerySet[Caja], date_from: dt.date, date_to: dt.date
) -> list[dict[str, Any]]:
    """Month by month: credits granted (count, value) and members at the end of the month."""
    from django.db.models.functions import TruncMonth

    ids = Caja.objects.filter(pk__in=cajas.values("pk")).values("pk")
    credits = {
        row["month"].strftime("%Y-%m")
        if hasattr(row["month"], "strftime")
        else str(row["month"])[:7]: (row["n"], row["v"] or 0)
        for row in Loan.objects.filter(
            caja__in=ids, disbursed_on__gte=date_from, disbursed_on__lte=date_to
        )
        .annotate(month=TruncMonth("disbursed_on"))
        .values("month")
        .annotate(n=Count("pk"), v=Sum("principal_cents"))
    }
    rows = []
    month = date_from.replace(day=1)
    while month <= date_to:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        end = following - dt.timedelta(days=1)
        key = month.strftime("%Y-%m")
        n, v = credits.get(key, (0, 0))
        members = (
            Membership.objects.filter(caja__in=ids, joined_on__lte=end)
            .filter(Q(left_on__isnull=True) | Q(left_on__gt=end))
            .count()
        )
        rows.append(
            {
                "month": key,
                "credits": n,
                "credits_value": to_decimal(v),
                "members": members,
            }
        )
        month = following
    return rows
