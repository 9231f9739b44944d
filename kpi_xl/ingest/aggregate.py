"""Period aggregation of the canonical long table, following each base measure's rule.

Each base measure declares its aggregation in the catalog (``measures.yaml``):

* ``sum`` (flows) - the sum of the reported values; a group with no reported value stays
  NaN ("not reported"), never 0;
* ``last`` (stocks such as followers or list size) - the value at the latest date of the
  group and period that has a reported value; when several rows collapse into the group
  at that date (campaigns of a channel), their values are summed;
* ``max`` (non-additive counts such as reach) - the largest reported value, a lower
  bound of the true period value.

Period keys are strings that sort chronologically within a grain: ``"2026-03"``
(month), ``"2026-W05"`` (ISO week, ISO week-year), ``"2026-Q1"`` (quarter).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from kpi_xl.catalog.records import measures
from kpi_xl.errors import KpiXlError

Grain = Literal["month", "week", "quarter"]
GRAINS: tuple[Grain, ...] = ("month", "week", "quarter")
DIMENSIONS = ("channel", "source", "campaign", "segment")
PERIOD_COLUMNS = ("period", "period_start", "period_end")

_KEY_PATTERNS: dict[Grain, re.Pattern[str]] = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "week": re.compile(r"^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
}
_KEY_EXAMPLES: dict[Grain, str] = {"month": "2026-03", "week": "2026-W05", "quarter": "2026-Q1"}


def check_grain(grain: str) -> Grain:
    """``grain`` when it is one of :data:`GRAINS`; :class:`KpiXlError` otherwise."""
    if grain not in GRAINS:
        raise KpiXlError(f"unknown grain {grain!r}: expected one of {', '.join(GRAINS)}")
    return grain


def _keys_of(days: pd.DatetimeIndex, grain: Grain) -> list[str]:
    """Period keys of distinct, non-missing timestamps (few: one per day of data)."""
    if grain == "week":
        iso = days.isocalendar()
        return [f"{y:04d}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)]
    years = days.year.tolist()
    if grain == "quarter":
        return [f"{y:04d}-Q{q}" for y, q in zip(years, days.quarter.tolist(), strict=True)]
    return [f"{y:04d}-{m:02d}" for y, m in zip(years, days.month.tolist(), strict=True)]


def period_key(dates: pd.Series | pd.DatetimeIndex, grain: str) -> pd.Series:
    """The period key of each date (missing dates give a missing key).

    >>> period_key(pd.Series(pd.to_datetime(["2027-01-01"])), "week").tolist()
    ['2026-W53']
    """
    g = check_grain(grain)
    series = dates if isinstance(dates, pd.Series) else pd.Series(dates)
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = pd.Series(pd.to_datetime(series), index=series.index)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    keys = np.array([*_keys_of(pd.DatetimeIndex(uniques), g), None], dtype=object)
    return pd.Series(keys[codes], index=series.index, dtype="str", name="period")


def period_bounds(key: str, grain: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day (inclusive) of the period ``key``, e.g. ``"2026-W05"``."""
    g = check_grain(grain)
    match = _KEY_PATTERNS[g].match(str(key))
    if match is None:
        raise KpiXlError(
            f"period {key!r} is not a {g} key: expected a key such as {_KEY_EXAMPLES[g]!r}"
        )
    year, part = int(match.group(1)), int(match.group(2))
    if g == "month":
        start = dt.date(year, part, 1)
        end = dt.date(year + part // 12, part % 12 + 1, 1) - dt.timedelta(days=1)
    elif g == "quarter":
        start = dt.date(year, 3 * part - 2, 1)
        end = dt.date(year + part // 4, (3 * part) % 12 + 1, 1) - dt.timedelta(days=1)
    else:
        if part > _iso_weeks(year):
            raise KpiXlError(f"period {key!r}: ISO year {year} has only {_iso_weeks(year)} weeks")
        start = dt.date.fromisocalendar(year, part, 1)
        end = start + dt.timedelta(days=6)
    return pd.Timestamp(start), pd.Timestamp(end)


def _iso_weeks(year: int) -> int:
    # 28 December is always in the last ISO week of its year.
    return dt.date(year, 12, 28).isocalendar().week


def periods_of_year(year: int, grain: str) -> list[str]:
    """All period keys of a plan year: 12 months, 4 quarters, or its 52/53 ISO weeks
    (the weeks whose Thursday falls in ``year``)."""
    g = check_grain(grain)
    if g == "month":
        return [f"{year:04d}-{m:02d}" for m in range(1, 13)]
    if g == "quarter":
        return [f"{year:04d}-Q{q}" for q in range(1, 5)]
    return [f"{year:04d}-W{w:02d}" for w in range(1, _iso_weeks(year) + 1)]


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
