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
* ``whole`` (counts of distinct people: reach, users) - never added up: a group's value
  is that of its one row that reports the measure for the whole period (from the period's
  first day to the last day its source has data for in the period) and is not split
  finer than the group (its dimensions outside ``by`` are empty). Daily rows, rows per
  campaign under a channel group, or several sources in one group leave it NaN;
  :func:`whole_gaps` says why.

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
from kpi_xl.periods import (
    base_grain,
    calendar_of,
    check_grain,
    days_in,
    key_of,
    period_bounds,
    period_key,
)
from kpi_xl.vocabulary import nearest

PERIOD_COLUMNS = ("period", "period_start", "period_end")
GRAIN_WORDS = {"month": "month", "week": "week", "quarter": "quarter"}
#: What rows may be grouped by besides the period.
GROUPS = (*DIMENSIONS, "currency")
#: Measures added up together (pandas copies the values of all of them at once).
_SUM_COLUMNS = 8


def _check_columns(df: pd.DataFrame, by: tuple[str, ...]) -> list[str]:
    """The measure columns of ``df`` in catalog order; KpiXlError for anything unknown."""
    for required in ("date_from", "date_to"):
        if required not in df.columns:
            raise KpiXlError(
                f"the data has no {required!r} column (load it with load_channel_data)",
                column=required,
            )
    for col in by:
        if col not in GROUPS:
            raise KpiXlError(
                f"cannot group by {col!r}: expected some of {', '.join(GROUPS)}", column=col
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
                f"{', '.join(COLUMNS)}){nearest(str(col), [*COLUMNS, *catalog])}",
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
    word = GRAIN_WORDS[base_grain(grain)]
    if calendar_of(grain) == "solar_hijri":  # a Gregorian month's total across two
        return (
            f"{what} covers {first:%Y-%m-%d}..{last:%Y-%m-%d}, {periods} Solar Hijri {word}s "
            f"of the plan, in one row: export it by day, or build the plan with "
            f"--calendar gregorian"
        )
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
    results: dict[str, np.ndarray] = {}
    for chunk in range(0, len(flows), _SUM_COLUMNS):  # a few columns at a time: memory
        names = flows[chunk : chunk + _SUM_COLUMNS]
        values = pd.DataFrame({m: _values(df, m) for m in names})
        sums = values.groupby(gid, sort=True)[names].sum(min_count=1)
        results.update({m: sums[m].to_numpy() for m in names})
    day = end.to_numpy().astype(np.int64)
    wholes = [m for m in measure_cols if rule[m] == "whole"]
    if wholes:
        in_range, split, rid = _whole_ranges(df, keys["period"], start, end, by, g)
        sources = _sources(df)
    for m in measure_cols:
        if rule[m] == "last":
            results[m] = _last(_values(df, m), day, gid, n)
        elif rule[m] == "whole":
            reported = _values(df, m)
            fits = _whole_fits(reported, in_range, split, rid)
            results[m] = _whole(reported, fits, gid, sources, n)

    codes, periods = pd.factorize(out["period"].to_numpy())
    stamp = np.dtype(f"datetime64[{unit}]")
    firsts, lasts = zip(*(period_bounds(k, g) for k in periods), strict=True)
    table: dict[str, object] = {"period": out["period"]}
    table["period_start"] = np.array(firsts, dtype=stamp)[codes]
    table["period_end"] = np.array(lasts, dtype=stamp)[codes]
    table.update({col: out[col] for col in by})
    table.update((m, results.pop(m)) for m in measure_cols)  # each array once: no copies
    return pd.DataFrame(table, copy=False)[columns]


def _sources(df: pd.DataFrame) -> np.ndarray:
    if "source" in df.columns:
        return df["source"].fillna("").astype(str).to_numpy()
    return np.full(len(df), "", dtype=object)


def _whole_ranges(
    df: pd.DataFrame,
    period: pd.Series,
    start: pd.Series,
    end: pd.Series,
    by: tuple[str, ...],
    grain: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: does it cover its period (from the period's first day to the last day its
    source has data for in it), is it split finer than ``by`` (a campaign or segment
    outside ``by``), and the id of its (period, ``by``, source) group."""
    split = np.zeros(len(df), dtype=bool)
    for col in ("campaign", "segment"):
        if col not in by and col in df.columns:
            split |= (df[col].fillna("") != "").to_numpy()
    codes, keys = pd.factorize(period.astype(str).to_numpy())
    firsts = np.array(
        [np.datetime64(period_bounds(k, grain)[0], "ns") for k in keys], dtype="datetime64[ns]"
    )
    in_range = start.to_numpy(dtype="datetime64[ns]") == firsts[codes]
    source_codes, names = pd.factorize(_sources(df))
    pair = codes.astype(np.int64) * max(len(names), 1) + source_codes
    ends = end.to_numpy(dtype="datetime64[ns]").view(np.int64)
    last = np.full(int(pair.max()) + 1 if len(pair) else 0, np.iinfo(np.int64).min)
    np.maximum.at(last, pair, ends)  # the last day of each period and source
    in_range &= ends == last[pair]
    parts = [codes, *(pd.factorize(df[c].fillna("").to_numpy())[0] for c in by if c != "source")]
    group = pd.DataFrame(dict(enumerate([*parts, source_codes])))
    rid = group.groupby(list(group.columns), sort=False).ngroup().to_numpy()
    return in_range, split, rid


def _whole_fits(
    values: np.ndarray, in_range: np.ndarray, split: np.ndarray, rid: np.ndarray
) -> np.ndarray:
    """The rows that give a ``whole`` measure for their source and group: its rows for the
    whole period not split finer than the group (a total row), or, when it has none, its
    only whole-period row there (a single campaign is the whole)."""
    candidate = ~np.isnan(values) & in_range
    unsplit = candidate & ~split
    n = int(rid.max()) + 1 if len(rid) else 0
    has_unsplit = np.bincount(rid[unsplit], minlength=n) > 0
    single = np.bincount(rid[candidate], minlength=n) == 1
    fits: np.ndarray = np.where(has_unsplit[rid], unsplit, candidate & single[rid])
    return fits


def _whole(
    values: np.ndarray, fits: np.ndarray, gid: np.ndarray, source: np.ndarray, n: int
) -> np.ndarray:
    """Per group: the value of the one fitting row, when a single source reports the
    measure there (its rows split finer are then ignored); else NaN."""
    out = np.full(n, np.nan)
    reported = ~np.isnan(values)
    if not reported.any():
        return out
    table = pd.DataFrame({"gid": gid[reported], "source": source[reported], "fits": fits[reported]})
    sources = table.groupby("gid")["source"].nunique()
    fitting = table.groupby("gid")["fits"].sum()
    ok = (sources == 1) & (fitting == 1)
    good = reported & fits
    chosen = np.isin(gid, ok[ok].index.to_numpy()) & good
    out[gid[chosen]] = values[chosen]
    return out


#: Why a ``whole`` measure is blank (:func:`whole_gap`).
WHOLE_GAPS = ("partial", "split", "several", "channels")


def whole_rows(
    df: pd.DataFrame, grain: str = "month", by: Iterable[str] = ("channel", "source")
) -> pd.DataFrame:
    """The rows reporting a ``whole`` measure (reach, users), one per row and measure:
    ``period, *by, source, measure``, ``in_range`` (covers the whole period), ``split``
    (split finer than ``by``: per campaign or segment) and ``fits`` (gives the measure for
    its source and group, see :func:`aggregate`)."""
    g = check_grain(grain)
    by = tuple(dict.fromkeys((*by, "source")))
    df = with_ranges(df)
    columns = ["period", *by, "measure", "in_range", "split", "fits"]
    catalog = measures()
    wholes = [m for m in _check_columns(df, by) if catalog[m].aggregation == "whole"]
    if df.empty or not wholes:
        return pd.DataFrame(columns=columns)
    start, end = _dates(df, "date_from"), _dates(df, "date_to")
    period = period_key(start, g)
    in_range, split, rid = _whole_ranges(df, period, start, end, by, g)
    parts = []
    for m in wholes:
        values = _values(df, m)
        fits = _whole_fits(values, in_range, split, rid)
        reported = ~np.isnan(values)
        part = {"period": period.to_numpy()[reported]}
        for col in by:
            part[col] = (_sources(df) if col == "source" else df[col].fillna("").to_numpy())[
                reported
            ]
        part.update(
            measure=m, in_range=in_range[reported], split=split[reported], fits=fits[reported]
        )
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True).reindex(columns=columns)


def whole_gap(rows: pd.DataFrame) -> str | None:
    """Why a ``whole`` measure is blank for a group, from the group's rows of
    :func:`whole_rows`: ``partial`` (its rows cover less than the period: daily or weekly
    rows), ``split`` (its rows are per campaign or segment, with no total row),
    ``several`` (several sources, e.g. two platforms, or several whole-period rows report
    it); None when it is not blank (one source, one whole-period row) or has no rows."""
    if rows.empty:
        return None
    fitting = int(rows["fits"].sum())
    if rows["source"].nunique() > 1 or fitting > 1:
        return "several"
    if fitting == 1:
        return None
    return "split" if bool(rows["in_range"].any()) else "partial"


def whole_gaps(
    df: pd.DataFrame, grain: str = "month", by: Iterable[str] = ("channel",)
) -> pd.DataFrame:
    """Why each ``whole`` measure (reach, users) is blank in a period and group although
    rows report it (see :func:`whole_gap`). ``by``: channel and/or source. Returns
    ``period, *by, measure, gap``."""
    by = tuple(by)
    _check_columns(with_ranges(df), by)
    rows = whole_rows(df, grain, by)
    keys = ["period", *by, "measure"]
    out = []
    for key, group in rows.groupby(keys, sort=True, dropna=False):
        gap = whole_gap(group)
        if gap is not None:
            out.append((*key, gap))
    return pd.DataFrame(out, columns=[*keys, "gap"])


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
