"""Period aggregation of the canonical long table, following each base measure's rule.

Each base measure declares its aggregation in the catalog (``measures.yaml``):

* ``sum`` (flows) - the sum of the reported values; a group with no reported value stays
  NaN ("not reported"), never 0;
* ``last`` (stocks such as followers or list size) - the value at the latest date of the
  group and period that has a reported value; when several rows collapse into the group
  at that date (campaigns of a channel), their values are summed;
* ``max`` (non-additive counts such as reach) - the largest reported value, a lower
  bound of the true period value.

Period keys and bounds come from :mod:`kpi_xl.periods`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from kpi_xl.catalog.records import measures
from kpi_xl.errors import KpiXlError
from kpi_xl.periods import check_grain, period_bounds, period_key

DIMENSIONS = ("channel", "source", "campaign", "segment")
PERIOD_COLUMNS = ("period", "period_start", "period_end")


def _check_columns(df: pd.DataFrame, by: tuple[str, ...]) -> list[str]:
    """The measure columns of ``df`` in catalog order; KpiXlError for anything unknown."""
    if "date" not in df.columns:
        raise KpiXlError("the data has no 'date' column", column="date")
    for col in by:
        if col not in DIMENSIONS:
            raise KpiXlError(
                f"cannot group by {col!r}: expected some of {', '.join(DIMENSIONS)}", column=col
            )
        if col not in df.columns:
            raise KpiXlError(f"cannot group by {col!r}: the data has no such column", column=col)
    if len(set(by)) != len(by):
        raise KpiXlError(f"group-by columns repeat: {', '.join(by)}")
    catalog = measures()
    for col in df.columns:
        if col != "date" and col not in DIMENSIONS and col not in catalog:
            raise KpiXlError(
                f"column {col!r} is not a base measure of the catalog (nor date, "
                f"{', '.join(DIMENSIONS)})",
                column=str(col),
            )
    return [m for m in catalog if m in df.columns]


def _dates(df: pd.DataFrame) -> pd.Series:
    dates = df["date"]
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        try:
            dates = pd.Series(pd.to_datetime(dates, format="ISO8601"), index=df.index)
        except (ValueError, TypeError) as exc:
            raise KpiXlError(
                "dates must be calendar dates such as 2026-03-31", column="date"
            ) from exc
    missing = int(dates.isna().sum())
    if missing:
        raise KpiXlError(f"{missing} rows have no date", column="date")
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    return dates


def _values(df: pd.DataFrame, col: str) -> np.ndarray:
    try:
        return df[col].to_numpy(dtype="float64", na_value=np.nan)
    except (ValueError, TypeError) as exc:
        raise KpiXlError(f"measure {col!r} must be numbers", column=col) from exc


def _last(values: np.ndarray, day: np.ndarray, gid: np.ndarray, n: int) -> np.ndarray:
    """Per group: the sum of the values at the group's latest date with a value."""
    out = np.full(n, np.nan)
    mask = ~np.isnan(values)
    if not mask.any():
        return out
    g, d, v = gid[mask], day[mask], values[mask]
    latest = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(latest, g, d)
    at_latest = d == latest[g]
    sums = pd.Series(v[at_latest]).groupby(g[at_latest]).sum()
    out[sums.index.to_numpy()] = sums.to_numpy()
    return out


def aggregate(
    df: pd.DataFrame,
    grain: str = "month",
    by: Iterable[str] = ("channel", "campaign"),
) -> pd.DataFrame:
    """Aggregate the canonical long table to periods, each measure by its catalog rule.

    Returns ``period, period_start, period_end, *by, *measures`` (measures present in
    ``df``, in catalog order), one row per period and ``by`` group, sorted by period then
    by the ``by`` columns. Dimension columns not in ``by`` are collapsed.
    """
    g = check_grain(grain)
    by = tuple(by)
    measure_cols = _check_columns(df, by)
    dates = _dates(df)
    unit = dates.dt.unit
    columns = [*PERIOD_COLUMNS, *by, *measure_cols]

    keys = pd.DataFrame({"period": period_key(dates, g)}, index=df.index)
    for col in by:
        keys[col] = df[col]
    if df.empty:
        empty = keys.reindex(columns=columns)
        empty["period_start"] = empty["period_end"] = pd.Series(dtype=np.dtype(f"M8[{unit}]"))
        return empty.astype(dict.fromkeys(measure_cols, "float64")).reset_index(drop=True)

    gid = keys.groupby(list(keys.columns), sort=True, dropna=False).ngroup().to_numpy()
    n = int(gid.max()) + 1
    _, first = np.unique(gid, return_index=True)
    out = keys.iloc[first].reset_index(drop=True)

    catalog = measures()
    rule = {m: catalog[m].aggregation for m in measure_cols}
    flows = [m for m in measure_cols if rule[m] == "sum"]
    peaks = [m for m in measure_cols if rule[m] == "max"]
    results: dict[str, np.ndarray] = {}
    if flows or peaks:
        values = pd.DataFrame({m: _values(df, m) for m in flows + peaks})
        grouped = values.groupby(gid, sort=True)
        if flows:
            sums = grouped[flows].sum(min_count=1)
            results.update({m: sums[m].to_numpy() for m in flows})
        if peaks:
            maxes = grouped[peaks].max()
            results.update({m: maxes[m].to_numpy() for m in peaks})
    day = dates.to_numpy().astype(np.int64)
    for m in measure_cols:
        if rule[m] == "last":
            results[m] = _last(_values(df, m), day, gid, n)

    bounds = {k: period_bounds(k, g) for k in out["period"].unique()}
    stamp = np.dtype(f"datetime64[{unit}]")
    out["period_start"] = out["period"].map(lambda k: bounds[k][0]).astype(stamp)
    out["period_end"] = out["period"].map(lambda k: bounds[k][1]).astype(stamp)
    for m in measure_cols:
        out[m] = results[m]
    return out[columns]
