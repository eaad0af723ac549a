"""More of the program's picture (docs/domain.md §9): who the members are (age bands, nationality),
attendance, dropouts and retention, crédito digno, and how many cajas survive. SQL aggregates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from cajas.core.money import percent_of, round_half_up, to_decimal
from cajas.loans.models import Installment, Loan
from cajas.meetings.models import ATTENDING, Attendance, Meeting, MeetingStatus
from cajas.members.models import Membership
from cajas.monitoring.ages import AGE_BANDS, band_label, birth_dates
from cajas.monitoring.figures import figures_refresh_stale, kept_sums
from cajas.monitoring.kept_health import BAND_FIELDS
from cajas.monitoring.models import FigureFlow, FigureHealth
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
    """The program's picture on ``on``: for today, summed from what each caja keeps
    (``FigureFlow``, ``FigureHealth``); for any other day, from the records."""
    if on == timezone.localdate():
        return _profile_kept(cajas, on)
    return profile_from_records(cajas, on)


def profile_from_records(cajas: QuerySet[Caja], on: dt.date) -> dict[str, Any]:
    """``profile`` on any day, aggregated from the memberships, meetings and loans."""
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
    return _picture(
        bands=bands,
        nationality=nationality,
        attendance=(att["present"], att["listed"]),
        members=n,
        dropouts=dropouts,
        at_start=at_start,
        loans=(loans["n"], loans["tea"], loans["cap"], loans["informal"] or 0, interest),
        survival=survival,
    )


def _picture(
    *,
    bands: dict[str, int],
    nationality: dict[str, int],
    attendance: tuple[int, int],
    members: int,
    dropouts: int,
    at_start: int,
    loans: tuple[int, Any, Any, int, int],
    survival: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    n = members
    granted, tea, cap, informal, interest = loans
    return {
        "age_bands": bands,
        "nationality": nationality,
        "attendance_percent": percent_of(*attendance),
        "dropouts": dropouts,
        "dropout_percent": percent_of(dropouts, n),
        "dropout_percent_of_start": percent_of(dropouts, at_start),
        "retention_percent": percent_of(n - dropouts, n) if n else Decimal("0.00"),
        "loans_granted": granted,
        "average_tea_percent": round_half_up(Decimal(tea or 0), places=2),
        "average_cap_percent": round_half_up(Decimal(cap or 0), places=2),
        "saved_vs_informal": to_decimal(int(informal - interest)),
        "survival": survival,
    }


def _profile_kept(cajas: QuerySet[Caja], on: dt.date) -> dict[str, Any]:
    """``profile`` for today from the kept figures: three queries whatever the number of
    cajas (after refreshing the stale ones)."""
    ids = Caja.objects.filter(pk__in=cajas.values("pk")).values("pk")
    figures_refresh_stale(Caja.objects.filter(pk__in=ids))
    kept = FigureHealth.objects.filter(caja__in=ids).aggregate(
        **{field: Sum(field) for field in BAND_FIELDS},
        present=Sum("recent_present"),
        listed=Sum("recent_listed"),
        dropouts=Sum("dropouts"),
        at_start=Sum("at_cycle_start"),
        granted=Sum("loans_granted"),
        tea=Sum("tea_sum"),
        cap=Sum("cap_sum"),
        informal=Sum("informal_cost_cents"),
        interest=Sum("interest_cents"),
    )
    k = {key: value or 0 for key, value in kept.items()}
    nationality = {
        code: count
        for code, count in kept_sums(FigureFlow, Caja.objects.filter(pk__in=ids))[0]
        .filter(on__lte=on)
        .values_list("nationality")
        .annotate(c=Sum("members"))
        .order_by("-c")
        if count
    }
    cutoffs = {m: on - dt.timedelta(days=round(m * 30.44)) for m in (6, 12, 24)}
    active = Q(kept_health__last_meeting_on__gt=on - dt.timedelta(days=60))
    alive = Caja.objects.filter(pk__in=ids).aggregate(
        **{f"old{m}": Count("pk", filter=Q(founded_on__lte=c)) for m, c in cutoffs.items()},
        **{
            f"act{m}": Count("pk", filter=Q(founded_on__lte=c) & active) for m, c in cutoffs.items()
        },
    )
    granted = k["granted"]
    return _picture(
        bands={band_label(b): k[f] for b, f in zip(AGE_BANDS, BAND_FIELDS, strict=True)},
        nationality=nationality,
        attendance=(k["present"], k["listed"]),
        members=sum(nationality.values()),
        dropouts=k["dropouts"],
        at_start=k["at_start"],
        loans=(
            granted,
            Decimal(str(k["tea"])) / granted if granted else 0,
            Decimal(str(k["cap"])) / granted if granted else 0,
            k["informal"],
            k["interest"],
        ),
        survival={
            f"{m}_months": {
                "cajas": alive[f"old{m}"],
                "still_active": alive[f"act{m}"],
                "percent": percent_of(alive[f"act{m}"], alive[f"old{m}"]),
            }
            for m in cutoffs
        },
    )


def monthly_series(
    cajas: QuerySet[Caja], date_from: dt.date, date_to: dt.date
) -> list[dict[str, Any]]:
    """Month by month: credits granted (count, value) and members at the end of the month,
    from the dated flows each caja keeps (``FigureFlow``): one query whatever the number of
    cajas and months."""
    ids = Caja.objects.filter(pk__in=cajas.values("pk")).values("pk")
    figures_refresh_stale(Caja.objects.filter(pk__in=ids))
    start = date_from.replace(day=1)
    # Members are counted at the end of each month, the last one's included.
    last_end = (date_to.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    in_period = Q(on__gte=date_from, on__lte=date_to)
    before, by_month = 0, dict[str, tuple[int, int, int]]()
    for day, members, n, v in (
        kept_sums(FigureFlow, Caja.objects.filter(pk__in=ids))[0]
        .filter(on__lt=last_end)
        .values_list("on")
        .annotate(
            m=Sum("members"),
            n=Sum("credits_count", filter=in_period),
            v=Sum("credits_cents", filter=in_period),
        )
        .order_by()
    ):  # one row per day with a change: the calendar, not the cajas
        if day < start:
            before += members or 0
            continue
        key = day.strftime("%Y-%m")
        joined, count, cents = by_month.get(key, (0, 0, 0))
        by_month[key] = (joined + (members or 0), count + (n or 0), cents + (v or 0))
    rows = []
    month, members_now = start, before
    while month <= date_to:
        key = month.strftime("%Y-%m")
        joined, n, v = by_month.get(key, (0, 0, 0))
        members_now += joined
        rows.append(
            {"month": key, "credits": n, "credits_value": to_decimal(v), "members": members_now}
        )
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return rows
