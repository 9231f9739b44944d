"""How a Targets row's suggestions were made, in a line the reader can check.

The line describes the suggestion of the row's first open period (the data's latest
period, or the plan's first when the data ends before it): last year's figure, the trend,
the growth applied (:mod:`kpi_xl.plan.suggest`). A row whose targets were typed says so.
"""

from __future__ import annotations

import math

from kpi_xl.catalog.records import KPI
from kpi_xl.catalog.units import format_value
from kpi_xl.plan.annual import closed_count, spread_of
from kpi_xl.plan.model import PlanModel
from kpi_xl.workbook.context import Context


def annual_way(model: PlanModel, kpi: KPI, scope: str) -> str:
    """How the row's annual target is spread: by season, equally, on a line, or the same."""
    if kpi.kind in ("flow", "budget"):
        return "season" if spread_of(model, kpi.id, scope).seasonal else "even"
    return "line" if kpi.kind == "stock" else "same"


def basis(ctx: Context, kpi: KPI, scope: str) -> str:
    """The row's basis line, in the plan's language."""
    model = ctx.model
    period = model.periods[min(closed_count(model), len(model.periods) - 1)]
    key = (kpi.id, scope, period)
    if key in model.typed:
        return ctx.t("basis_typed")
    if (kpi.id, scope) in model.annual:
        return ctx.t(f"basis_annual_{annual_way(model, kpi, scope)}")
    suggestion = model.suggestions.get(key)
    if suggestion is None or suggestion.method == "none":
        return ctx.t("basis_none")

    def figure(value: float) -> str:
        return format_value(value, kpi.unit, model.spec.currency, ratio=kpi.is_ratio, lang=ctx.lang)

    growth = suggestion.growth
    sign = f"{'+' if growth >= 0 else '−'} {abs(growth):.0%}"
    values = {
        "baseline": figure(suggestion.baseline) if not math.isnan(suggestion.baseline) else "–",
        "trend": f"{suggestion.trend:.2f}",
        "growth": sign,
    }
    if suggestion.method == "derived":
        from kpi_xl.catalog.records import measures

        parts = ", ".join(measures()[m].name(ctx.lang) for m in kpi.measures)
        return ctx.t("basis_derived", parts=parts)
    if suggestion.method == "stock":
        return ctx.t("basis_stock", baseline=values["baseline"], growth=f"{abs(growth):.0%}")
    return ctx.t(f"basis_{suggestion.method}", **values)
