"""Period aggregation of the canonical long table, following each base measure's rule.

A row covers ``date_from``..``date_to``: a day, a week, a month or a report's whole range.
It counts in the plan period that holds its range; a row whose range spans several plan
periods cannot be split honestly (how much of a monthly total fell in each week?) and is
refused with what to export instead (:func:`check_spans`).

Each base measure declares its aggregation in the catalog (``measures.yaml``):

* ``sum`` (flows) - the sum of the reported values; a group with no reported value stays
  NaN ("not reported"), never 0;
* ``last`` (stocks such as followers or list size) - the value at the latest day of the
  group and period that has a reported value; when several rows end on that day
  (campaigns of a channel), their values are summed;
* ``max`` (non-additive counts such as reach) - the largest reported value, a lower
  bound of the true period value.

:func:`coverage` says which days of each period each source covered (partial periods are
judged on what the data covers).

Period keys and bounds come from :mod:`kpi_xl.periods`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from kpi_xl.catalog.records import measures
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.canonical import COLUMNS, DIMENSIONS, with_ranges
from kpi_xl.periods import check_grain, days_in, key_of, period_bounds, period_key

PERIOD_COLUMNS = ("period", "period_start", "period_end")
GRAIN_WORDS = {"month": "month", "week": "week", "quarter": "quarter"}


def _check_columns(df: pd.DataFrame, by: tuple[str, ...]) -> list[str]:
    """The measure columns of ``df`` in catalog order; KpiXlError for anything unknown."""
    for required in ("date_from", "date_to"):
        if required not in df.columns:
            raise KpiXlError(
                f"the data has no {required!r} column (load it with load_channel_data)",
                column=required,
            )
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
        if col not in COLUMNS and col not in catalog:
            raise KpiXlError(
                f"column {col!r} is not a base measure of the catalog (nor one of "
                f"{', '.join(COLUMNS)})",
                column=str(col),
            )
    return [m for m in catalog if m in df.columns]


def _dates(df: pd.DataFrame, column: str) -> pd.Series:
    dates = df[column]
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        try:
            dates = pd.Series(pd.to_datetime(dates, format="ISO8601"), index=df.index)
        except (ValueError, TypeError) as exc:
            raise KpiXlError(
                "dates must be calendar dates such as 2026-03-31", column=column
            ) from exc
    missing = int(dates.isna().sum())
    if missing:
        raise KpiXlError(f"{missing} rows have no {column}", column=column)
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


def _day(value: object) -> dt.date:
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return dt.date(stamp.year, stamp.month, stamp.day)


def span_message(start: object, end: object, grain: str, what: str = "this row") -> str:
    """What to say about a range that spans several plan periods."""
    first, last = _day(start), _day(end)
    periods = len({key_of(first + dt.timedelta(d), grain) for d in range((last - first).days + 1)})
    word = GRAIN_WORDS[grain]
    return (
        f"{what} covers {first:%Y-%m-%d}..{last:%Y-%m-%d}, {periods} {word}s of a {word}ly "
        f"plan, in one row: export it broken down by {word} or by day"
    )


def check_spans(df: pd.DataFrame, grain: str) -> np.ndarray:
    """Positions of rows whose range spans several periods of ``grain`` (empty when none)."""
    g = check_grain(grain)
    df = with_ranges(df)
    start, end = _dates(df, "date_from"), _dates(df, "date_to")
    multi = (start != end).to_numpy()
    if not multi.any():
        return np.zeros(0, dtype=np.int64)
    first = period_key(start[multi], g).to_numpy()
    last = period_key(end[multi], g).to_numpy()
    spanning: np.ndarray = np.flatnonzero(multi)[first != last]
    return spanning


def _refuse_spans(df: pd.DataFrame, grain: str) -> None:
    spanning = check_spans(df, grain)
    if len(spanning):
        row = df.iloc[int(spanning[0])]
        what = f"{len(spanning)} row(s) of {row['source'] or 'the data'}"
        if "campaign" in df.columns and row["campaign"]:
            what += f" (campaign {row['campaign']!r})"
        raise KpiXlError(span_message(row["date_from"], row["date_to"], grain, what))


def aggregate(
    df: pd.DataFrame,
    grain: str = "month",
    by: Iterable[str] = ("channel", "campaign"),
) -> pd.DataFrame:
    """Aggregate the canonical long table to periods, each measure by its catalog rule.

    Returns ``period, period_start, period_end, *by, *measures`` (measures present in
    ``df``, in catalog order), one row per period and ``by`` group, sorted by period then
    by the ``by`` columns. Dimension columns not in ``by`` are collapsed. A row whose
    range spans several periods is refused.
    """
    g = check_grain(grain)
    by = tuple(by)
    df = with_ranges(df)
    measure_cols = _check_columns(df, by)
    start = _dates(df, "date_from")
    end = _dates(df, "date_to")
    unit = start.dt.unit
    columns = [*PERIOD_COLUMNS, *by, *measure_cols]
    _refuse_spans(df, g)

    keys = pd.DataFrame({"period": period_key(start, g)}, index=df.index)
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
    day = end.to_numpy().astype(np.int64)
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


def coverage(df: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Which days of each period each source covered.

    Returns ``period, source, days, first_day, last_day, days_in_period``: the number of
    distinct days the source's rows cover in the period (the union of their ranges) and
    the first and last of them. Rows spanning several periods are refused as in
    :func:`aggregate`."""
    g = check_grain(grain)
    columns = ["period", "source", "days", "first_day", "last_day", "days_in_period"]
    df = with_ranges(df)
    if df.empty:
        return pd.DataFrame(columns=columns)
    _refuse_spans(df, g)
    spans = pd.DataFrame(
        {
            "source": df["source"] if "source" in df.columns else "",
            "start": _dates(df, "date_from").to_numpy(dtype="datetime64[D]"),
            "end": _dates(df, "date_to").to_numpy(dtype="datetime64[D]"),
        }
    ).drop_duplicates()
    days: dict[tuple[str, str], set[int]] = {}
    for source, start, end in spans.itertuples(index=False, name=None):
        first, last = int(start.astype(np.int64)), int(end.astype(np.int64))
        key = (key_of(_day(start), g), str(source))
        days.setdefault(key, set()).update(range(first, last + 1))
    rows = []
    for (period, source), covered in sorted(days.items()):
        first_day = np.datetime64(min(covered), "D").astype("datetime64[ns]")
        last_day = np.datetime64(max(covered), "D").astype("datetime64[ns]")
        rows.append((period, source, len(covered), first_day, last_day, days_in(period, g)))
    return pd.DataFrame(rows, columns=columns)
