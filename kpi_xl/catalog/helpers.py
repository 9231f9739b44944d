"""Plan helpers: attainment, status, change, pace and SMART targets.

Each rule is written here once, as a vectorized Python function and, right beside it,
the Excel formula that computes the same thing in the workbook. Both are checked
against an independent spreadsheet engine by the test suite.

Conventions (the workbook and the UDFs follow them too):

* **attainment** - how much of the target is achieved, direction-aware, so that 1.0 means
  "exactly on target" and more is always better. Higher-is-better: ``actual / target``.
  Lower-is-better: ``target / actual`` (a CPA of 8 against a target of 10 is 1.25); an
  actual of exactly 0 against a positive target counts as :data:`ATTAINMENT_CAP`.
  Missing actual or target, or a target <= 0, gives NaN (no status); so does a negative
  actual for a lower-is-better KPI.
* **status** - from attainment and two thresholds; see :mod:`kpi_xl.catalog.status_bands`.
* **change** - ``(current - previous) / |previous|``; NaN when either is missing or the
  previous value is 0. For KPIs that are themselves a change or a margin (sales growth,
  ROI, list growth: ``change: difference`` in the catalog) a relative change of a value
  that can be negative means nothing, so their change is the difference
  ``current - previous`` (percentage points for percent KPIs);
  :func:`change_is_difference` tells which.
* **pace** - the value projected to the period's end at the current run rate: flows (sum
  measures) are scaled by ``total_days / elapsed_days`` *before* the KPI's expression is
  applied, so a ratio is paced through its numerator and denominator (and so a ratio's
  pace equals its current value); stocks (last/max measures) are not scaled.
* **smart_target** - baseline = mean of the last ``window`` valid values of the history;
  higher-is-better: ``baseline + |baseline| * growth``; lower-is-better the mirror
  ``baseline - |baseline| * growth``. Growth is clipped to ``[0, max_growth]`` so the
  target stays achievable, and a percent KPI's target is kept within [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kpi_xl.catalog.records import KPI, measures
from kpi_xl.catalog.status_bands import (
    DEFAULT_AT_RISK,
    DEFAULT_ON_TRACK,
    STATUSES,
    Near,
    Status,
    status,
    status_formula,
    status_label,
)

ATTAINMENT_CAP = 10.0

__all__ = [
    "ATTAINMENT_CAP",
    "DEFAULT_AT_RISK",
    "DEFAULT_ON_TRACK",
    "STATUSES",
    "Near",
    "Status",
    "attainment",
    "attainment_formula",
    "change",
    "change_formula",
    "change_is_difference",
    "judged_attainment",
    "judged_attainment_formula",
    "judged_status",
    "judged_status_formula",
    "pace",
    "pace_factor",
    "pace_formula",
    "smart_target",
    "status",
    "status_formula",
    "status_label",
]


def _arr(value: Any) -> Any:
    if isinstance(value, pd.Series):
        return value.astype("float64")
    return np.asarray(value, dtype="float64")


def _out(result: Any, like: Any) -> Any:
    if isinstance(like, pd.Series):
        return pd.Series(np.asarray(result, dtype="float64"), index=like.index)
    arr = np.asarray(result, dtype="float64")
    return float(arr) if arr.ndim == 0 else arr


# -- attainment ------------------------------------------------------------------------------


def attainment(actual: Any, target: Any, higher_is_better: bool = True) -> Any:
    """Direction-aware attainment (1.0 = on target, more is better); NaN where undefined."""
    a, t = _arr(actual), _arr(target)
    a_np, t_np = np.asarray(a, dtype="float64"), np.asarray(t, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if higher_is_better:
            result = np.where(t_np > 0, a_np / t_np, np.nan)
        else:
            ratio = np.where(a_np == 0, ATTAINMENT_CAP, t_np / a_np)
            result = np.where((t_np > 0) & (a_np >= 0), ratio, np.nan)
    result = np.where(np.isnan(a_np) | np.isnan(t_np), np.nan, result)
    return _out(result, actual if isinstance(actual, pd.Series) else target)


def attainment_formula(actual: str, target: str, higher_is_better: bool = True) -> str:
    """Excel formula (no ``=``) for :func:`attainment`; blank cells give ``""``."""
    guard = f'OR({actual}="",{target}="",{target}<=0'
    if higher_is_better:
        return f'IF({guard}),"",{actual}/{target})'
    return f'IF({guard},{actual}<0),"",IF({actual}=0,{ATTAINMENT_CAP:g},{target}/{actual}))'


# -- attainment by kind ----------------------------------------------------------------------


def judged_attainment(
    kind: str,
    actual: float,
    target: float,
    higher_is_better: bool = True,
    *,
    pace: float = math.nan,
    start: float = math.nan,
    share: float = 1.0,
) -> float:
    """Attainment that means the same for every kind of KPI, in a part of a period too:

    * ``flow`` and ``budget`` - the pace (the actual projected to the period's end) against
      the target: the same as the actual against the target prorated to the days elapsed;
      a finished period's pace is its actual;
    * ``stock`` - the actual against the path from the previous close ``start`` to the
      target, ``start + (target - start) * share``;
    * ``ratio`` - actual against target (target against actual when lower is better);
    * ``change`` (a growth, an ROI) - ``(1 + actual) / (1 + target)``: a growth of 12 %
      against 10 % is 1.018, and -2 % against 1 % is 0.97, never a ratio of two small
      numbers with a sign; undefined when ``1 + target <= 0``.

    A target of 0 is judged by side: on it or on the good side is 1.0, the bad side 0.0.
    NaN when the actual, the target or the pace (flows) is missing."""
    if math.isnan(actual) or math.isnan(target):
        return math.nan
    basis = actual
    if kind in ("flow", "budget"):
        basis = pace
    elif kind == "stock" and not math.isnan(start):
        target = start + (target - start) * share
    elif kind == "change":
        return (1 + actual) / (1 + target) if 1 + target > 0 and 1 + actual >= 0 else math.nan
    if math.isnan(basis):
        return math.nan
    if target == 0:
        good = basis >= 0 if higher_is_better else basis <= 0
        return 1.0 if good else 0.0
    return float(attainment(basis, target, higher_is_better))


def judged_attainment_formula(
    kind: str,
    actual: str,
    target: str,
    higher_is_better: bool = True,
    *,
    pace: str | None = None,
    start: str | None = None,
    share: str = "1",
) -> str:
    """Excel formula for :func:`judged_attainment` (cell references or expressions)."""
    if kind == "change":
        return (
            f'IF(OR({actual}="",{target}=""),"",'
            f'IF(OR(1+{target}<=0,1+{actual}<0),"",(1+{actual})/(1+{target})))'
        )
    basis = pace if kind in ("flow", "budget") and pace is not None else actual
    goal = target
    if kind == "stock" and start is not None:
        goal = f'IF({start}="",{target},{start}+({target}-{start})*{share})'
    side = f"{basis}>=0" if higher_is_better else f"{basis}<=0"
    zero = f"IF({side},1,0)"
    body = attainment_formula(basis, goal, higher_is_better)
    blanks = ",".join(f'{ref}=""' for ref in dict.fromkeys((actual, basis, target)))
    return f'IF(OR({blanks}),"",IF({target}=0,{zero},{body}))'


def judged_status(
    actual: float,
    target: float,
    attainment_value: float,
    *,
    too_early: bool = False,
    on_track: float = DEFAULT_ON_TRACK,
    at_risk: float = DEFAULT_AT_RISK,
    near: Near | None = None,
) -> str:
    """The status code of a KPI in a period: no data, no target, too early, else the band
    of its attainment."""
    if math.isnan(actual):
        return "no_data"
    if math.isnan(target):
        return "no_target"
    if too_early:
        return "too_early"
    return str(status(attainment_value, on_track, at_risk, near))


def judged_status_formula(
    actual: str,
    target: str,
    attainment_ref: str,
    on_track: str,
    at_risk: str,
    lang: str = "en",
    *,
    too_early: str | None = None,
    near: tuple[str, str] | None = None,
) -> str:
    """Excel formula for :func:`judged_status`, giving the localized label."""

    def text(code: str) -> str:
        return '"' + status_label(code, lang).replace('"', '""') + '"'

    bands = status_formula(attainment_ref, on_track, at_risk, lang, near)
    if too_early is not None:
        bands = f"IF({too_early},{text('too_early')},{bands})"
    return f'IF({actual}="",{text("no_data")},IF({target}="",{text("no_target")},{bands}))'


# -- change ----------------------------------------------------------------------------------


def change_is_difference(kpi: KPI) -> bool:
    """True for KPIs whose change is reported as a difference: those that are themselves
    a change or a margin (``change: difference`` in the catalog), and shares, whose change
    is in percentage points (a key event rate from 3.0 % to 3.2 % is +0.2 points, not
    +6.7 %)."""
    return kpi.change == "difference" or kpi.is_bounded_rate


def change(current: Any, previous: Any, *, difference: bool = False) -> Any:
    """Relative change against the previous period (or the difference); NaN if undefined."""
    c, p = np.asarray(_arr(current)), np.asarray(_arr(previous))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if difference:
            result = c - p
        else:
            result = np.where(p != 0, (c - p) / np.abs(p), np.nan)
    result = np.where(np.isnan(c) | np.isnan(p), np.nan, result)
    return _out(result, current if isinstance(current, pd.Series) else previous)


def change_formula(current: str, previous: str, *, difference: bool = False) -> str:
    """Excel formula for :func:`change`."""
    if difference:
        return f'IF(OR({current}="",{previous}=""),"",{current}-{previous})'
    return (
        f'IF(OR({current}="",{previous}="",{previous}=0),"",({current}-{previous})/ABS({previous}))'
    )


# -- pace ------------------------------------------------------------------------------------


def pace_factor(elapsed_days: Any, total_days: Any) -> Any:
    """How much a flow grows by the period end at the current rate (NaN if nothing elapsed)."""
    e, t = np.asarray(_arr(elapsed_days)), np.asarray(_arr(total_days))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = np.where(e > 0, t / e, np.nan)
    return _out(result, elapsed_days if isinstance(elapsed_days, pd.Series) else total_days)


def pace(
    kpi: KPI,
    values: Mapping[str, Any],
    elapsed_days: Any,
    total_days: Any,
    previous: Mapping[str, Any] | None = None,
) -> Any:
    """The KPI projected to the period end: sum measures scaled, stocks kept."""
    factor = pace_factor(elapsed_days, total_days)
    catalog = measures()
    scaled = {
        mid: (_arr(v) * factor if mid in catalog and catalog[mid].aggregation == "sum" else v)
        for mid, v in values.items()
    }
    return kpi.evaluate(scaled, previous)


def pace_formula(
    kpi: KPI,
    refs: Mapping[str, str],
    factor_ref: str,
    previous_refs: Mapping[str, str] | None = None,
    parameters: Mapping[str, str] | None = None,
) -> str:
    """Excel formula for :func:`pace`, scaling each sum measure's reference by ``factor``
    (``parameters``: references of the plan settings the KPI reads, never scaled)."""
    catalog = measures()
    scaled = {
        mid: (
            f"{ref}*{factor_ref}" if mid in catalog and catalog[mid].aggregation == "sum" else ref
        )
        for mid, ref in refs.items()
    }
    # a multiplied reference must be bracketed where the expression divides by it
    scaled = {mid: f"({ref})" if "*" in ref else ref for mid, ref in scaled.items()}
    return kpi.expression.to_excel({**scaled, **(parameters or {})}, previous_refs)


# -- SMART targets ---------------------------------------------------------------------------


def smart_target(
    history: Sequence[float] | Any,
    higher_is_better: bool = True,
    growth: float = 0.1,
    *,
    window: int = 3,
    max_growth: float = 0.5,
    percent: bool = False,
) -> float:
    """A SMART target from a history series (oldest first; NaN values are skipped).

    Baseline is the mean of the last ``window`` valid values; the target improves on it by
    ``growth`` (clipped to ``[0, max_growth]``) in the KPI's direction. NaN when the
    history has no valid value.
    """
    values = np.asarray(_arr(history), dtype="float64").ravel()
    values = values[~np.isnan(values)]
    if values.size == 0 or window < 1:
        return float("nan")
    baseline = float(values[-window:].mean())
    g = min(max(float(growth), 0.0), max_growth)
    target = baseline + abs(baseline) * g if higher_is_better else baseline - abs(baseline) * g
    if percent:
        target = min(max(target, 0.0), 1.0)
    return target
