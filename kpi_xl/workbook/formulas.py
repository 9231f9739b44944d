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
from kpi_xl.catalog.units import number_format, points_format, signed_format
from kpi_xl.plan.layout import (
    OVERVIEW_NAMES,
    PERIODS_TABLE,
    PLAN_TABLE,
    SELECTION,
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
PACE_FACTOR = OVERVIEW_NAMES["pace_factor"]
DAYS_ELAPSED = OVERVIEW_NAMES["days_elapsed"]
DAYS_IN_PERIOD = OVERVIEW_NAMES["days_in_period"]
LAST_COMPLETE = SELECTION["last_complete"]
DATA_DAYS = SELECTION["data_days"]
DATA_DAYS_IN = SELECTION["data_days_in"]
LAST_YEAR_PRIOR = SELECTION["last_year_prior"]
PRIOR_PERIOD = SELECTION["prior_period"]
LAST_YEAR_PERIOD = SELECTION["last_year_period"]
SHARE = SELECTION["share"]
PARTIAL = SELECTION["partial"]
TOO_EARLY = SELECTION["too_early"]
CURRENT_NO = SELECTION["current_no"]
YEAR_FIRST_NO = SELECTION["year_first_no"]
DATA_PERIOD = SELECTION["data_period"]
DATA_NO = SELECTION["data_no"]
DATA_SHARE = SELECTION["data_share"]
DATA_FACTOR = SELECTION["data_factor"]
DATA_PARTIAL = SELECTION["data_partial"]
DATA_TOO_EARLY = SELECTION["data_too_early"]
NEAR = (SETTINGS["near_on_track"], SETTINGS["near_at_risk"])
PARAMETERS = {"gross_margin": SETTINGS["gross_margin"]}


def column(name: str, table: str = PLAN_TABLE) -> str:
    return f"{table}[{name}]"


PeriodRef = str | tuple[str, str]


def _criteria(leaf: Leaf, scope: str, period_ref: PeriodRef, table: str = PLAN_TABLE) -> str:
    """SUMIFS criteria of a leaf; ``period_ref`` is a period key, or ``(first, last)``
    period numbers for a range of periods (year to date)."""
    if isinstance(period_ref, tuple):
        first, last = period_ref
        parts = [column("period_no", table), f'">="&{first}', column("period_no", table),
                 f'"<="&{last}']  # fmt: skip
    else:
        parts = [column("period", table), period_ref]
    parts += [column("scope", table), f'"{scope}"']
    if leaf.record:
        parts += [column("source", table), record_name(leaf.measure, scope)]
    for other in leaf.matched:
        parts += [column(other, table), '"<>"']
    return ",".join(parts)


def sumifs(leaf: Leaf, scope: str, period_ref: PeriodRef, table: str = PLAN_TABLE) -> str:
    return f"SUMIFS({column(leaf.measure, table)},{_criteria(leaf, scope, period_ref, table)})"


def nonblank(leaf: Leaf, scope: str, period_ref: PeriodRef, table: str = PLAN_TABLE) -> str:
    criteria = _criteria(leaf, scope, period_ref, table)
    return f'COUNTIFS({column(leaf.measure, table)},"<>",{criteria})'


def near(kpi: KPI) -> tuple[str, str] | None:
    """The two-sided status bands of a near-target KPI (defined names), else None."""
    return NEAR if kpi.near_target else None


def kpi_formula(
    kpi: KPI,
    scope: str,
    period_ref: PeriodRef,
    prev_ref: str,
    *,
    factor_ref: str | None = None,
    table: str = PLAN_TABLE,
    prev_table: str = PLAN_TABLE,
) -> str:
    """The KPI in ``scope`` for the period in ``period_ref`` (a period key reference, or
    ``(first, last)`` period-number references for a range); paced with ``factor_ref``;
    ``table`` and ``prev_table`` are what the period and ``prev()`` read (PlanData, or
    PlanToDate for the same days as the latest period holds)."""
    scope = kpi.channel_filter or scope
    leaf = leaves(kpi)
    refs = {m: sumifs(leaf[m], scope, period_ref, table) for m in kpi.measures}
    prev_refs = {m: sumifs(leaf[m], scope, prev_ref, prev_table) for m in kpi.expression.previous}
    params = {p: PARAMETERS[p] for p in kpi.parameters}
    if factor_ref is None:
        body = kpi.expression.to_excel({**refs, **params}, prev_refs)
    else:
        body = helpers.pace_formula(kpi, refs, factor_ref, prev_refs, params)
        if not body.startswith("IFERROR("):
            body = f'IFERROR({body},"")'
    guards = [
        f"{nonblank(leaf[m], scope, period_ref, table)}{'<>1' if leaf[m].whole else '=0'}"
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


def too_early_formula(kpi: KPI, scope: str, period_ref: str, early: str, partial: str) -> str:
    """True in a part of a period too young to judge: ``early`` (the period's share under a
    tenth), or, while ``partial``, a denominator under its catalog minimum."""
    bases = kpi.min_bases
    if not bases:
        return early
    scope = kpi.channel_filter or scope
    leaf = leaves(kpi)
    small = [f"{sumifs(leaf[m], scope, period_ref)}<{minimum:g}" for m, minimum in bases.items()]
    thin = small[0] if len(small) == 1 else f"OR({','.join(small)})"
    return f"OR({early},AND({partial},{thin}))"


def change_formula(kpi: KPI, current: str, other: str) -> str:
    """The change from ``other`` to ``current``: relative for levels, a difference for
    shares and for KPIs that are themselves a change (in percentage points when they are
    percentages: see :func:`in_points`)."""
    if in_points(kpi):
        return f'IF(OR({current}="",{other}=""),"",({current}-{other})*100)'
    return helpers.change_formula(current, other, difference=helpers.change_is_difference(kpi))


def in_points(kpi: KPI) -> bool:
    """Whether the KPI's changes and gaps are shown in percentage points: a difference of
    two percentages (a rate, a growth), stored x 100 so that 0.8 reads "+0.8 pp"."""
    return kpi.unit == "percent" and helpers.change_is_difference(kpi)


def difference_number_format(kpi: KPI, currency: str, lang: str, *, relative: bool = True) -> str:
    """The number format of a change or a gap, signed: percentage points for a difference
    of percentages, a percentage for a relative change (``relative``), else the KPI's own
    unit (a gap of a level, a change of a KPI that is itself a difference)."""
    if in_points(kpi):
        return points_format(lang)
    if relative and not helpers.change_is_difference(kpi):
        return "+0.0%;-0.0%;0.0%"
    return signed_format(number_format(kpi.unit, currency, kpi.is_ratio, lang))


def shown_difference(kpi: KPI, value: float) -> float:
    """A change or a gap as its cell stores it (x 100 in percentage points)."""
    return value * 100 if in_points(kpi) else value


def pace_of(kpi: KPI, actual: str, factor: str, start: str, share: str, partial: str) -> str:
    """The KPI projected to the period's end: a flow at its rate so far (``actual x
    factor``), a stock along its line from the previous close ``start``, others as they
    are."""
    if kpi.pace_kind in ("flow", "budget"):
        return f'IF(OR({actual}="",{factor}=""),"",{actual}*{factor})'
    if kpi.pace_kind == "stock":
        return (
            f'IF({actual}="","",IF(AND({partial},{start}<>"",{share}>0),'
            f"{start}+({actual}-{start})/{share},{actual}))"
        )
    return f'IF({actual}="","",{actual})'


def period_lookup(column_name: str, period_ref: str) -> str:
    """A column of the periods table (previous, last_year, days...) for a period key."""
    return f"INDEX({PERIODS_TABLE}[{column_name}],MATCH({period_ref},{PERIODS_TABLE}[period],0))"


def target_row(targets: TargetsLayout, kpi_id: str, scope: str) -> str:
    """The Targets sheet's row of (``kpi_id``, ``scope``): its cell in every period, found by
    the row key."""
    key = target_key(kpi_id, scope)
    return f'INDEX({targets.block.ref},MATCH("{key}",{targets.key_area.ref},0),0)'


def text_template(text: str, values: dict[str, str]) -> str:
    """A localized text with ``{placeholders}`` filled by formulas (nested SUBSTITUTEs):
    ``text_template("{on} of {total}", {"on": "COUNTIF(...)", ...})``."""
    formula = '"' + text.replace('"', '""') + '"'
    for key, value in values.items():
        if "{" + key + "}" in text:
            formula = f'SUBSTITUTE({formula},"{{{key}}}",{value})'
    return formula


def digits_text(expr: str, digits: str) -> str:
    """A number written into a text by a formula (``COUNTIF(...)`` in a sentence), in the
    plan's digits: Persian digits by one SUBSTITUTE per digit."""
    if digits != "persian":
        return expr
    for latin, persian in zip("0123456789", "۰۱۲۳۴۵۶۷۸۹", strict=True):
        expr = f'SUBSTITUTE({expr},"{latin}","{persian}")'
    return expr
