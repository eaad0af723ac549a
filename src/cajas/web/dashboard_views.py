"""The program dashboard: indicators with their definitions, filters, charts drawn on the
server as SVG, a comparison table that drills down from territory or partner to the cajas, and
the same view as XLSX. Everything is scoped to the cajas the user may see."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from cajas.access.selectors import caja_list_for_user, user_is_staff
from cajas.exports.tables import (
    INT,
    MONEY,
    PERCENT,
    TEXT,
    Table,
    csv_lines,
    to_xlsx,
    xlsx_write,
)
from cajas.monitoring.ages import AGE_BANDS, band_label
from cajas.monitoring.figures import figures_current
from cajas.monitoring.filters import indicator_query
from cajas.monitoring.indicators import DEFINITIONS, Filters, indicators
from cajas.monitoring.models import Stage
from cajas.monitoring.profile import monthly_series, profile
from cajas.monitoring.program_exports import FILTERS as EXPORT_FILTERS
from cajas.monitoring.savix import COLUMNS as SAVIX_COLUMNS
from cajas.monitoring.savix import savix_rows
from cajas.monitoring.stages import stage_counts
from cajas.monitoring.survey import informal_credit_use
from cajas.org.models import Caja, Partner, Program, Territory

TILES = [
    "members",
    "migrant_members",
    "women_percent",
    "cajas_implemented",
    "cajas_active",
    "credits_granted_count",
    "credits_granted_value",
    "savings",
    "savings_per_member",
    "loans_outstanding_value",
    "members_with_loans_percent",
    "par30_percent",
]
FINANCE_TILES = [
    "average_loan",
    "membership_growth_percent",
    "loan_fund_utilisation_percent",
    "assets",
    "profit",
    "return_on_savings_percent",
    "roa_percent",
    "roa_annualised_percent",
    "write_offs_value",
    "write_offs_count",
    "write_offs_percent",
]
CHARTS = [("members", ""), ("credits_granted_value", "USD"), ("par30_percent", "%")]


def _labels() -> dict[str, str]:
    return {
        "members": _("Members"),
        "migrant_members": _("Migrants in cajas"),
        "women_percent": _("Women (%)"),
        "cajas_implemented": _("Cajas implemented"),
        "cajas_active": _("Cajas active"),
        "credits_granted_count": _("Credits granted"),
        "credits_granted_value": _("Credits granted (USD)"),
        "savings": _("Savings (USD)"),
        "savings_per_member": _("Savings per member (USD)"),
        "loans_outstanding_count": _("Loans outstanding"),
        "loans_outstanding_value": _("Loans outstanding (USD)"),
        "members_with_loans_percent": _("Members with a loan (%)"),
        "par30_percent": _("Portfolio at risk > 30 days (%)"),
        "average_loan": _("Average loan outstanding (USD)"),
        "membership_growth_percent": _("Membership growth (%)"),
        "loan_fund_utilisation_percent": _("Loan fund utilisation (%)"),
        "assets": _("Assets (USD)"),
        "profit": _("Profit of the cycle (USD)"),
        "return_on_savings_percent": _("Return on savings (%)"),
        "roa_percent": _("Return on assets (%)"),
        "roa_annualised_percent": _("Return on assets, annualised (%)"),
        "write_offs_value": _("Written off (USD)"),
        "write_offs_count": _("Number of loans written off"),
        "write_offs_percent": _("Loans written off (%)"),
    }


def _bars(rows: dict[str, dict[str, Any]], key: str) -> list[dict[str, Any]]:
    values = {name: Decimal(str(f[key])) for name, f in rows.items()}
    top = max(values.values(), default=Decimal(0)) or Decimal(1)
    return [
        {"name": name, "value": v, "width": f"{float(v / top * 150):.1f}", "y": 22 * i}
        for i, (name, v) in enumerate(values.items())
    ]


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponseBase:
    user = request.user
    if not user_is_staff(user=user):
        raise PermissionDenied
    scoped = caja_list_for_user(user=user)
    g = request.GET
    query = indicator_query(scoped=scoped, params=g)
    cajas, filters, group = query.cajas, query.filters, query.group
    # A period too long is cut to the longest, and said so (a download shows no message).
    if query.capped is not None and g.get("format") not in ("xlsx", "savix", "savix-xlsx"):
        messages.warning(request, query.capped.message(request.LANGUAGE_CODE))
    if g.get("format") in ("savix", "savix-xlsx"):
        return _savix(cajas, filters.date_to or timezone.localdate(), g["format"])
    with figures_current(scoped):  # refreshed once for every figure below
        figures = indicators(cajas, filters, timezone.localdate(), group=group)
        rows = figures[f"by_{group}"]
        labels = _labels()
        if g.get("format") == "xlsx":
            return _xlsx(figures, rows, group, labels)
        context = _context(g, scoped, cajas, filters, figures, group, labels)
    return render(request, "web/dashboard.html", context)


def _context(
    g: Any,
    scoped: Any,
    cajas: Any,
    filters: Filters,
    figures: dict[str, Any],
    group: str,
    labels: dict[str, Any],
) -> dict[str, Any]:
    rows = figures[f"by_{group}"]
    programs = Program.objects.filter(pk__in=scoped.values("program_id"))
    # The drill-down links of the rows shown (cajas only when grouped by caja).
    ids = (
        dict(Caja.objects.filter(pk__in=cajas.values("pk")).values_list("code", "pk"))
        if group == "caja"
        else {}
    )
    partner_list = list(Partner.objects.filter(pk__in=scoped.values("partner_id")).order_by("name"))
    partners = {p.name: p.pk for p in partner_list}
    base = {k: v for k, v in g.items() if k not in ("group", "territory", "partner", "format")}

    def drill(name: str) -> str:
        if group == "caja":
            return f"/cajas/{ids.get(name, '')}/"
        params = dict(base, group="caja")
        params["territory" if group == "territory" else "partner"] = (
            name if group == "territory" else str(partners.get(name, ""))
        )
        return "?" + urlencode(params)

    context = {
        "tiles": [(key, labels[key], figures[key], DEFINITIONS[key]) for key in TILES],
        "finance_tiles": [
            (key, labels[key], figures[key], DEFINITIONS[key]) for key in FINANCE_TILES
        ],
        "rows": [(name, drill(name), f) for name, f in rows.items()],
        "columns": [(key, labels[key]) for key in TILES + FINANCE_TILES],
        "charts": [
            (labels[key], unit, _bars(rows, key), 22 * len(rows) + 4) for key, unit in CHARTS
        ],
        "group": group,
        "filters": g,
        "territories": sorted(
            set(
                Territory.objects.filter(pk__in=scoped.values("territory_id")).values_list(
                    "name", flat=True
                )
            )
        ),
        "partners": partner_list,
        "programs": programs.order_by("name"),
        "age_bands": [band_label(band) for band in AGE_BANDS],
        # The targets are the whole program's: compared only with the unfiltered figures.
        "targets": [
            {
                "program": p,
                "members": figures["members"],
                "cajas": figures["cajas_implemented"],
                "territories": cajas.filter(program=p).values("territory").distinct().count(),
            }
            for p in programs
        ]
        if not any(g.get(k) for k in ("territory", "partner", "gender", "nationality", "age"))
        else [],
        "targets_hidden": [p for p in programs if p.target_members],
        "xlsx": "?" + urlencode(dict(g.items(), format="xlsx")),
        "savix": "?" + urlencode(dict(g.items(), format="savix")),
        "export_params": [(k, g[k]) for k in EXPORT_FILTERS if g.get(k)],
        "profile": profile(cajas, filters.date_to or timezone.localdate()),
        "series": (series := _series(cajas, filters)),
        "series_width": 20 + 24 * len(series),
        "informal": informal_credit_use(cajas, filters.date_to or timezone.localdate()),
        "stages": [
            (Stage(code).label, n)
            for code, n in stage_counts(cajas, filters.date_to or timezone.localdate()).items()
        ],
    }
    return context


def _series(cajas: Any, filters: Filters) -> list[dict[str, Any]]:
    end = filters.date_to or timezone.localdate()
    start = filters.date_from or (end - dt.timedelta(days=365)).replace(day=1)
    rows = monthly_series(cajas, start, end)
    top = max((r["credits"] for r in rows), default=0) or 1
    for i, r in enumerate(rows):
        r["x"] = 10 + i * 24
        r["h"] = round(r["credits"] / top * 80)
        r["y"] = 95 - r["h"]
        # The year under the first month and under each January: the axis reads without
        # tooltips, which a phone cannot open.
        r["year"] = r["month"][:4] if i == 0 or r["month"].endswith("-01") else ""
    return rows


def _savix(cajas: Any, on: dt.date, kind: str) -> StreamingHttpResponse | FileResponse:
    """The SAVIX record of every caja, streamed: the CSV's header goes out at once and each
    row as it is made; the XLSX is written row by row to a temporary file (openpyxl's
    write-only mode) and sent from it in chunks."""
    rows = savix_rows(cajas, on)
    if kind == "savix":
        response = StreamingHttpResponse(
            csv_lines(SAVIX_COLUMNS, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="savix-quarterly.csv"'
        return response
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it when sent)
    xlsx_write(out, [("SAVIX", SAVIX_COLUMNS, rows)])
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename="savix-quarterly.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _xlsx(
    figures: dict[str, Any], rows: dict[str, dict[str, Any]], group: str, labels: dict[str, str]
) -> HttpResponse:
    kinds = {
        "members": INT,
        "migrant_members": INT,
        "cajas_implemented": INT,
        "cajas_active": INT,
        "credits_granted_count": INT,
        "loans_outstanding_count": INT,
        "women_percent": PERCENT,
        "members_with_loans_percent": PERCENT,
        "par30_percent": PERCENT,
        "write_offs_count": INT,
    }
    keys = TILES + FINANCE_TILES
    columns = [(group, TEXT)] + [
        (labels[k], PERCENT if k.endswith("_percent") else kinds.get(k, MONEY)) for k in keys
    ]
    table = Table(_("Indicators"), columns)
    for name, f in rows.items():
        table.rows.append([name] + [f[k] for k in keys])
    table.rows.append([_("Total")] + [figures[k] for k in keys])
    response = HttpResponse(
        to_xlsx([table]),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="indicators.xlsx"'
    return response
