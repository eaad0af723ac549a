"""The indicators' filters as people send them (the dashboard's query string, the API's query
parameters): which of the user's cajas, which period, which people, grouped how. Read once
here so that the dashboard and the API always count the same cajas and the same people."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from cajas.core.parsing import (
    InputPeriodTooLong,
    earliest_start,
    parse_optional_date,
    parse_optional_id,
    parse_text,
    period_check,
)
from cajas.monitoring.ages import band_from_label
from cajas.monitoring.indicators import GROUPS, Filters
from cajas.org.models import Caja


@dataclass
class IndicatorQuery:
    cajas: QuerySet[Caja]
    filters: Filters
    group: str
    capped: InputPeriodTooLong | None  # a period too long, cut to the longest (and said so)


def indicator_query(*, scoped: QuerySet[Caja], params: Mapping[str, str]) -> IndicatorQuery:
    """``scoped`` is ``caja_list_for_user``; ``params`` the filters: ``program``, ``partner``
    (ids), ``territory`` (name), ``group`` (territory, partner, caja), ``from``, ``to``,
    ``gender``, ``nationality``, ``age`` (an age band's label)."""
    cajas = scoped
    program_id = parse_optional_id(params.get("program"), field="program")
    partner_id = parse_optional_id(params.get("partner"), field="partner")
    territory = parse_text(params.get("territory"), field="territory", max_length=100)
    if program_id is not None:
        cajas = cajas.filter(program_id=program_id)
    if partner_id is not None:
        cajas = cajas.filter(partner_id=partner_id)
    if territory:
        cajas = cajas.filter(territory__name=territory)
    group = params.get("group", "territory")
    if group not in GROUPS:
        group = "territory"
    date_from = parse_optional_date(params.get("from"), field="from")
    date_to = parse_optional_date(params.get("to"), field="to")
    capped = None
    try:
        period_check(date_from, date_to)
    except InputPeriodTooLong as exc:
        assert date_from is not None
        date_from, capped = earliest_start(date_to or timezone.localdate()), exc
    filters = Filters(
        date_from=date_from,
        date_to=date_to,
        gender=parse_text(params.get("gender"), field="gender", max_length=12) or None,
        nationality=parse_text(params.get("nationality"), field="nationality", max_length=2).upper()
        or None,
        age_band=band_from_label(params.get("age", "")),
    )
    return IndicatorQuery(cajas=cajas, filters=filters, group=group, capped=capped)
