"""Annual targets: one figure per KPI and scope for the year, spread over its periods.

A user may type an annual target instead of twelve monthly ones. Its periods' targets
follow from it (the Targets sheet's cells are formulas of the annual cell, so editing the
annual figure re-spreads it; a period's own typed target still wins):

* flows and budgets: what is left of the annual target after the closed periods' targets
  and the open periods' typed ones, shared over the other open periods by last year's
  seasonal profile (each period's share of the KPI over last year's same periods, when
  they are all complete and positive; else equally), so that the year adds up to the
  annual target;
* stocks: a straight line from the last closed period's target (else its close, else the
  close before the year) to the annual target at the year's end;
* ratios and changes: the annual target in every open period.

Closed periods (before the data's latest period) keep their targets: an annual figure
typed in the autumn cannot rewrite January's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kpi_xl import periods as cal
from kpi_xl.catalog.records import get

if TYPE_CHECKING:  # typing only: the model applies annual targets through this module
    from kpi_xl.plan.model import PlanModel


@dataclass(frozen=True)
class Spread:
    """How an annual target is spread over a row's periods."""

    closed: int  # the number of closed periods (before the data's latest period)
    typed: tuple[int, ...]  # open periods (plan indexes) whose own target was typed
    weights: tuple[float, ...]  # per open period: its part of what is left (flows; 0: typed)
    start: float  # a stock's level before the open periods when no closed target gives it
    seasonal: bool = False  # flows: shared by last year's profile (else equally)


def closed_count(model: PlanModel) -> int:
    """How many of the plan's periods are closed: before the data's latest period."""
    if model.current not in model.periods:
        return 0
    return model.periods.index(model.current)


def spread_of(model: PlanModel, kpi_id: str, scope: str) -> Spread:
    """The row's closed periods, its typed open periods, the weights of the others and a
    stock's starting level."""
    kpi = get(kpi_id)
    closed = closed_count(model)
    open_periods = model.periods[closed:]
    typed = tuple(
        closed + k for k, p in enumerate(open_periods) if (kpi_id, scope, p) in model.typed
    )
    shares = [1.0] * len(open_periods)
    usable = False
    if kpi.kind in ("flow", "budget"):
        grain = model.spec.grain
        last_year = [cal.same_period_last_year(p, grain) for p in open_periods]
        values = [model.value(kpi, scope, p) for p in last_year]
        usable = all(model.complete(p) for p in last_year) and all(
            not math.isnan(v) and v > 0 for v in values
        )
        if usable:
            shares = values
    shares = [0.0 if closed + k in typed else v for k, v in enumerate(shares)]
    total = sum(shares)
    weights = tuple(v / total for v in shares) if total > 0 else (0.0,) * len(shares)
    start = math.nan
    if kpi.kind == "stock":  # the last closed period's close, else the close before the year
        before = model.periods[closed - 1] if closed else None
        if before is not None:
            start = model.value(kpi, scope, before)
        if math.isnan(start):
            start = model.value(kpi, scope, cal.previous(model.periods[0], model.spec.grain))
    return Spread(closed, typed, weights, start, usable)


def spread_values(model: PlanModel, kpi_id: str, scope: str, annual: float) -> list[float]:
    """The open periods' targets that follow from ``annual`` (see the module docstring);
    a typed open period keeps its own (its value here is what it holds)."""
    kpi = get(kpi_id)
    spread = spread_of(model, kpi_id, scope)
    closed = model.periods[: spread.closed]
    open_periods = model.periods[spread.closed :]
    n_open = len(open_periods)
    if kpi.kind in ("flow", "budget"):
        fixed = [model.target(kpi_id, scope, p) for p in closed]
        fixed += [model.target(kpi_id, scope, model.periods[i]) for i in spread.typed]
        left = annual - sum(t for t in fixed if not math.isnan(t))
        return [left * w for w in spread.weights]
    if kpi.kind == "stock":
        base = model.target(kpi_id, scope, closed[-1]) if closed else math.nan
        if math.isnan(base):
            base = spread.start
        if math.isnan(base):
            return [annual] * n_open
        return [base + (annual - base) * (k + 1) / n_open for k in range(n_open)]
    return [annual] * n_open


def apply_annual(
    model: PlanModel, annual: dict[tuple[str, str], float]
) -> set[tuple[str, str, str]]:
    """The open periods' targets of every row with an annual target, unless a period's own
    target was typed; returns the keys set."""
    closed = closed_count(model)
    spread: set[tuple[str, str, str]] = set()
    for (kpi_id, scope), value in annual.items():
        if math.isnan(value):
            continue
        for period, target in zip(
            model.periods[closed:], spread_values(model, kpi_id, scope, value), strict=True
        ):
            if (kpi_id, scope, period) not in model.typed:
                model.targets[(kpi_id, scope, period)] = target
                spread.add((kpi_id, scope, period))
    return spread
