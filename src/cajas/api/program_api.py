"""The program's figures for its staff: the dashboard's indicators (``monitoring.indicators``)
over the cajas the user may see, with the dashboard's filters (``monitoring.filters``). No
person appears here: only counts, sums and percentages."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language
from ninja import Field, Query, Router, Schema

from cajas.access.selectors import caja_list_for_user, user_is_staff
from cajas.api.errors import errors, forbidden
from cajas.monitoring.filters import indicator_query
from cajas.monitoring.indicators import DEFINITIONS, indicators

router = Router(tags=["program"])

Figure = int | Decimal


class IndicatorFilters(Schema):
    program: str | None = Field(default=None, max_length=19, description="Program id")
    partner: str | None = Field(default=None, max_length=19, description="Partner id")
    territory: str | None = Field(default=None, max_length=100)
    group: str | None = Field(default=None, max_length=20, description="territory, partner, caja")
    date_from: str | None = Field(
        default=None, alias="from", max_length=10, description="YYYY-MM-DD"
    )
    date_to: str | None = Field(default=None, alias="to", max_length=10, description="YYYY-MM-DD")
    gender: str | None = Field(default=None, max_length=12)
    nationality: str | None = Field(default=None, max_length=2, description="ISO 3166 code")
    age: str | None = Field(default=None, max_length=10, description="An age band, e.g. 26-35")


class IndicatorsOut(Schema):
    group: str
    overall: dict[str, Figure]
    groups: dict[str, dict[str, Figure]]
    definitions: dict[str, str]
    warning: str | None


@router.get(
    "/indicators",
    response={200: IndicatorsOut, **errors(400, 403, 422)},
    operation_id="indicators",
)
def indicators_view(request: HttpRequest, filters: Query[IndicatorFilters]) -> IndicatorsOut:
    """The dashboard's figures, overall and by territory, partner or caja. Money in USD
    (decimal strings), percentages with two decimals. A period longer than the longest is cut
    to it, and ``warning`` says so."""
    if not user_is_staff(user=request.user):
        raise forbidden()
    params = {k: v for k, v in filters.model_dump(by_alias=True).items() if v is not None}
    query = indicator_query(scoped=caja_list_for_user(user=request.user), params=params)
    figures = indicators(query.cajas, query.filters, timezone.localdate(), group=query.group)
    groups = figures.pop(f"by_{query.group}")
    return IndicatorsOut(
        group=query.group,
        overall=figures,
        groups=groups,
        definitions={k: str(v) for k, v in DEFINITIONS.items()},
        warning=query.capped.message(get_language()) if query.capped else None,
    )
