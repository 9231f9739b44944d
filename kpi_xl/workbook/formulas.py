"""Excel formulas of the plan, built from the catalog's expressions over ``PlanData``.

Every KPI cell is the catalog expression with each base measure replaced by a SUMIFS over
the ``PlanData`` table under its leaf's criteria (:mod:`kpi_xl.plan.scopes`: the period,
the scope, the system of record of a site measure, the other measures a same-platform KPI
needs on the row), guarded so that a measure with no value there shows as blank ("no
data") instead of 0 or an error, as does a whole-period measure (reach, users) found on
more than one row. Criteria are only period keys, scope ids, ``"<>"`` and defined names
(our own vocabulary), never text that came from the data. Targets are looked up on the
Targets sheet by their row key and period header, never by address.
"""

from __future__ import annotations

from kpi_xl.catalog import helpers
from kpi_xl.catalog.records import KPI
from kpi_xl.plan.layout import (
    OVERVIEW_NAMES,
    PLAN_TABLE,
    SETTINGS,
    TargetsLayout,
    record_name,
    target_key,
)
from kpi_xl.plan.scopes import Leaf, leaves

# Defined names that formulas read (declared with the layout)
ON_TRACK = SETTINGS["on_track"]
AT_RISK = SETTINGS["at_risk"]
CURRENT_PERIOD = OVERVIEW_NAMES["current_period"]
PREVIOUS_PERIOD = OVERVIEW_NAMES["previous_period"]
PRIOR_PERIOD = OVERVIEW_NAMES["prior_period"]
PACE_FACTOR = OVERVIEW_NAMES["pace_factor"]
NEAR = (SETTINGS["near_on_track"], SETTINGS["near_at_risk"])
PARAMETERS = {"gross_margin": SETTINGS["gross_margin"]}


def column(name: str) -> str:
    return f"{PLAN_TABLE}[{name}]"


def _criteria(leaf: Leaf, scope: str, period_ref: str) -> str:
    parts = [column("period"), period_ref, column("scope"), f'"{scope}"']
    if leaf.record:
        parts += [column("source"), record_name(leaf.measure, scope)]
    for other in leaf.matched:
        parts += [column(other), '"<>"']
    return ",".join(parts)


def sumifs(leaf: Leaf, scope: str, period_ref: str) -> str:
    return f"SUMIFS({column(leaf.measure)},{_criteria(leaf, scope, period_ref)})"


def nonblank(leaf: Leaf, scope: str, period_ref: str) -> str:
    return f'COUNTIFS({column(leaf.measure)},"<>",{_criteria(leaf, scope, period_ref)})'


def near(kpi: KPI) -> tuple[str, str] | None:
    """The two-sided status bands of a near-target KPI (defined names), else None."""
    return NEAR if kpi.near_target else None


def kpi_formula(
    kpi: KPI,
    scope: str,
    period_ref: str,
    prev_ref: str,
    *,
    factor_ref: str | None = None,
) -> str:
    """The KPI in ``scope`` for the period in ``period_ref``; paced with ``factor_ref``."""
    scope = kpi.channel_filter or scope
    leaf = leaves(kpi)
    refs = {m: sumifs(leaf[m], scope, period_ref) for m in kpi.measures}
    prev_refs = {m: sumifs(leaf[m], scope, prev_ref) for m in kpi.expression.previous}
    params = {p: PARAMETERS[p] for p in kpi.parameters}
    if factor_ref is None:
        body = kpi.expression.to_excel({**refs, **params}, prev_refs)
    else:
        body = helpers.pace_formula(kpi, refs, factor_ref, prev_refs, params)
        if not body.startswith("IFERROR("):
            body = f'IFERROR({body},"")'
    guards = [
        f"{nonblank(leaf[m], scope, period_ref)}{'<>1' if leaf[m].whole else '=0'}"
        for m in kpi.measures
    ]
    guards += [f'{name}=""' for name in params.values()]
    guard = guards[0] if len(guards) == 1 else f"OR({','.join(guards)})"
    return f'IF({guard},"",{body})'


def target_lookup(targets: TargetsLayout, kpi_id: str, scope: str, period_ref: str) -> str:
    """The target of (``kpi_id``, ``scope``) for the period in ``period_ref``, found by the
    Targets sheet's row key and period header (blank if none)."""
    key = target_key(kpi_id, scope)
    found = (
        f'INDEX({targets.block.ref},MATCH("{key}",{targets.key_area.ref},0),'
        f"MATCH({period_ref},{targets.period_header.ref},0))"
    )
    return f'IFERROR(IF({found}="","",{found}),"")'
