"""Excel formulas of the plan, built from the catalog's expressions over ``ChannelData``.

Every KPI cell is the catalog expression with each base measure replaced by a SUMIFS over
the ``ChannelData`` table, guarded so that a measure with no value in the scope and period
shows as blank ("no data") instead of 0 or an error. Criteria are only period keys and
channel ids (our own vocabulary), never text that came from the data. Targets are looked
up on the Targets sheet by their row key and period header, never by address.
"""

from __future__ import annotations

from kpi_xl.catalog import helpers
from kpi_xl.catalog.records import KPI
from kpi_xl.plan.layout import OVERVIEW_NAMES, SETTINGS, TABLE, TargetsLayout, target_key
from kpi_xl.plan.model import ALL

# Defined names that formulas read (declared with the layout)
ON_TRACK = SETTINGS["on_track"]
AT_RISK = SETTINGS["at_risk"]
CURRENT_PERIOD = OVERVIEW_NAMES["current_period"]
PREVIOUS_PERIOD = OVERVIEW_NAMES["previous_period"]
PRIOR_PERIOD = OVERVIEW_NAMES["prior_period"]
PACE_FACTOR = OVERVIEW_NAMES["pace_factor"]


def column(name: str) -> str:
    return f"{TABLE}[{name}]"


def _criteria(scope: str, period_ref: str) -> str:
    text = f"{column('period')},{period_ref}"
    if scope != ALL:
        text += f',{column("channel")},"{scope}"'
    return text


def sumifs(measure: str, scope: str, period_ref: str) -> str:
    return f"SUMIFS({column(measure)},{_criteria(scope, period_ref)})"


def nonblank(measure: str, scope: str, period_ref: str) -> str:
    return f'COUNTIFS({column(measure)},"<>",{_criteria(scope, period_ref)})'


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
    refs = {m: sumifs(m, scope, period_ref) for m in kpi.expression.measures}
    prev_refs = {m: sumifs(m, scope, prev_ref) for m in kpi.expression.previous}
    if factor_ref is None:
        body = kpi.expression.to_excel(refs, prev_refs)
    else:
        body = helpers.pace_formula(kpi, refs, factor_ref, prev_refs)
        if not body.startswith("IFERROR("):
            body = f'IFERROR({body},"")'
    guards = [f"{nonblank(m, scope, period_ref)}=0" for m in kpi.expression.measures]
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
