"""The canonical long table: ``date, channel, source, campaign, segment, <measures...>``.

Every adapter's output, and every DataFrame a user passes, goes through :func:`validate`,
which checks and normalizes it:

* ``date`` - calendar days (``datetime64[ns]``, time of day dropped);
* ``channel`` - one of :data:`kpi_xl.catalog.CHANNELS`;
* ``source``, ``campaign``, ``segment`` - plain strings exactly as given (``""`` when
  absent), never parsed, never turned into formulas;
* measures - named as in the catalog, ``float64``; NaN means "not reported". Costs,
  impressions and every other base measure must not be negative.

Unknown columns are an error (a typo in a measure name must not vanish silently).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpi_xl.catalog.records import CHANNELS, measures
from kpi_xl.errors import KpiXlError

DIMENSIONS = ("channel", "source", "campaign", "segment")
TEXT_COLUMNS = ("source", "campaign", "segment")
# The first data row of a file with a header line is line 2.
HEADER_LINES = 1


def measure_columns(frame: pd.DataFrame) -> list[str]:
    """The base-measure columns of ``frame``, in catalog order."""
    return [m for m in measures() if m in frame.columns]


def _line(position: int, line_of: pd.Series | None) -> int:
    if line_of is not None:
        return int(line_of.iloc[position])
    return position + HEADER_LINES + 1


def validate(
    frame: pd.DataFrame,
    file: str,
    *,
    source: str | None = None,
    line_of: pd.Series | None = None,
) -> pd.DataFrame:
    """``frame`` as a checked canonical table, or :class:`KpiXlError` naming the problem.

    ``line_of`` gives each row's line number in the original file (for messages);
    without it rows are numbered as in a CSV with one header line. ``source`` fills the
    ``source`` column when the frame has none.
    """
    frame = frame.reset_index(drop=True)
    if line_of is not None:
        line_of = line_of.reset_index(drop=True)
    catalog = measures()
    unknown = [c for c in frame.columns if c != "date" and c not in DIMENSIONS and c not in catalog]
    if unknown:
        raise KpiXlError(
            f"unknown column {unknown[0]!r}: expected date, {', '.join(DIMENSIONS)} or a base "
            "measure of the catalog (see `kpi-xl kpis` and docs/ingest.md)",
            file=file,
            column=str(unknown[0]),
        )
    for required in ("date", "channel"):
        if required not in frame.columns:
            raise KpiXlError(f"missing required column {required!r}", file=file, column=required)
    out = pd.DataFrame(index=frame.index)
    out["date"] = _dates(frame["date"], file, line_of)
    out["channel"] = _channels(frame["channel"], file, line_of)
    for col in TEXT_COLUMNS:
        if col in frame.columns:
            values = frame[col]
            text = values.astype("str").where(values.notna(), "")
            out[col] = text.astype(object)
        else:
            out[col] = source if col == "source" and source else ""
    for m in measure_columns(frame):
        out[m] = _numbers(frame[m], m, file, line_of)
    return out


def _dates(values: pd.Series, file: str, line_of: pd.Series | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = values
        if parsed.dt.tz is not None:
            parsed = parsed.dt.tz_localize(None)
    else:
        parsed = pd.to_datetime(values, errors="coerce", format="ISO8601")
    bad = parsed.isna() | (parsed.dt.year < 1900) | (parsed.dt.year > 2200)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise KpiXlError(
            f"{values.iloc[pos]!r} is not a date: expected a calendar date such as 2026-03-31",
            file=file,
            line=_line(pos, line_of),
            column="date",
        )
    return parsed.dt.normalize().astype("datetime64[ns]")


def _channels(values: pd.Series, file: str, line_of: pd.Series | None) -> pd.Series:
    text = values.astype("str").str.strip().str.lower().where(values.notna(), "")
    bad = ~text.isin(CHANNELS)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise KpiXlError(
            f"unknown channel {values.iloc[pos]!r}: expected one of {', '.join(CHANNELS)}",
            file=file,
            line=_line(pos, line_of),
            column="channel",
        )
    return text.astype(object)


def _numbers(values: pd.Series, name: str, file: str, line_of: pd.Series | None) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = (numbers.isna() & values.notna() & (values.astype("str").str.strip() != "")) | np.isinf(
        numbers
    )
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise KpiXlError(
            f"{values.iloc[pos]!r} is not a number: expected a number such as 1234.5",
            file=file,
            line=_line(pos, line_of),
            column=name,
        )
    negative = numbers < 0
    if negative.any():
        pos = int(np.flatnonzero(negative.to_numpy())[0])
        raise KpiXlError(
            f"{values.iloc[pos]!r} is negative: expected {name} of 0 or more",
            file=file,
            line=_line(pos, line_of),
            column=name,
        )
    return numbers


def check_conflicts(frame: pd.DataFrame, file: str, line_of: pd.Series | None = None) -> None:
    """Duplicate rows for one key (date, channel, source, campaign, segment) must agree.

    Exact duplicates are harmless repeats and are dropped by :func:`drop_repeats`; rows of
    the same key with different measure values are a conflict: which one is right?
    """
    keys = ["date", *DIMENSIONS]
    dup = frame.duplicated(keys, keep=False)
    if not dup.any():
        return
    subset = frame[dup]
    differing = subset.groupby(keys, sort=False, dropna=False).nunique(dropna=False)
    conflict = differing[(differing > 1).any(axis=1)]
    if conflict.empty:
        return
    key = conflict.index[0]
    column = str(conflict.columns[(conflict.iloc[0] > 1).to_numpy()][0])
    match = (subset[keys] == pd.Series(key, index=keys)).all(axis=1)
    positions = np.flatnonzero(dup.to_numpy())[match.to_numpy()]
    lines = [_line(int(p), line_of) for p in positions[:2]]
    raise KpiXlError(
        f"rows at lines {lines[0]} and {lines[1]} have the same date, channel, source, campaign "
        f"and segment but different {column} values: expected one row per key",
        file=file,
        line=lines[1],
        column=column,
    )


def drop_repeats(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop exact repeats of a row (same key and same values), keeping the first."""
    return frame.drop_duplicates(keep="first").reset_index(drop=True)


def empty() -> pd.DataFrame:
    """A canonical table with no rows and no measures."""
    frame = pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]")})
    for col in DIMENSIONS:
        frame[col] = pd.Series(dtype=object)
    return frame
