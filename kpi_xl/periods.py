"""The plan calendar: period keys, their bounds and neighbours, computed once per key.

Period keys are strings that sort chronologically within a grain: ``"2026-03"`` (month),
``"2026-W05"`` (ISO week of the ISO week-year), ``"2026-Q1"`` (quarter). They are the
``period`` column of the plan's ``ChannelData`` table and its SUMIFS criteria.

Every scalar function is cached (a plan asks for the same few dozen keys thousands of
times); :func:`period_key` maps a whole column of dates by computing each distinct day's
key once. No pandas object is built per call.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Literal

import numpy as np
import pandas as pd

from kpi_xl.errors import KpiXlError
from kpi_xl.frames import TEXT
from kpi_xl.vocabulary import GRAINS

Grain = Literal["month", "week", "quarter"]

_KEY_PATTERNS: dict[str, re.Pattern[str]] = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "week": re.compile(r"^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
}
_KEY_EXAMPLES = {"month": "2026-03", "week": "2026-W05", "quarter": "2026-Q1"}
_EPOCH = dt.date(1970, 1, 1)


def check_grain(grain: str) -> Grain:
    """``grain`` when it is one of :data:`~kpi_xl.vocabulary.GRAINS`; else a one-line error."""
    if grain not in GRAINS:
        raise KpiXlError(f"unknown grain {grain!r}: expected one of {', '.join(GRAINS)}")
    return grain  # type: ignore[return-value]


def iso_weeks(year: int) -> int:
    """Number of ISO weeks of ``year`` (52 or 53): 28 December is in the last one."""
    return dt.date(year, 12, 28).isocalendar().week


@cache
def key_of(day: dt.date, grain: str) -> str:
    """The period key of one calendar day."""
    g = check_grain(grain)
    if g == "week":
        iso = day.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if g == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}-{day.month:02d}"


def period_key(dates: pd.Series | pd.DatetimeIndex, grain: str) -> pd.Series:
    """The period key of each date (a missing date gives a missing key).

    >>> period_key(pd.Series(pd.to_datetime(["2027-01-01"])), "week").tolist()
    ['2026-W53']
    """
    g = check_grain(grain)
    series = dates if isinstance(dates, pd.Series) else pd.Series(dates)
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = pd.Series(pd.to_datetime(series), index=series.index)
    days = series.to_numpy(dtype="datetime64[D]")
    codes, uniques = pd.factorize(days, use_na_sentinel=True)
    keys = [key_of(_EPOCH + dt.timedelta(days=int(d)), g) for d in uniques.astype(np.int64)]
    table = np.array([*keys, None], dtype=object)
    return pd.Series(table[codes], index=series.index, dtype=TEXT, name="period")


@cache
def bounds(key: str, grain: str) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of the period ``key``."""
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
        if part > iso_weeks(year):
            raise KpiXlError(f"period {key!r}: ISO year {year} has only {iso_weeks(year)} weeks")
        start = dt.date.fromisocalendar(year, part, 1)
        end = start + dt.timedelta(days=6)
    return start, end


def period_bounds(key: str, grain: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """:func:`bounds` as pandas timestamps (for date columns)."""
    start, end = bounds(key, grain)
    return pd.Timestamp(start), pd.Timestamp(end)


def days_in(key: str, grain: str) -> int:
    """How many days the period ``key`` has."""
    start, end = bounds(key, grain)
    return (end - start).days + 1


@cache
def previous(key: str, grain: str) -> str:
    """The period just before ``key``."""
    start, _ = bounds(key, grain)
    return key_of(start - dt.timedelta(days=1), grain)


@cache
def same_period_last_year(key: str, grain: str) -> str:
    """The same period one year earlier (week 53 of a year whose previous year has 52
    weeks maps to week 52)."""
    g = check_grain(grain)
    year = int(str(key)[:4]) - 1
    rest = str(key)[4:]
    if g == "week":
        week = min(int(rest[2:]), iso_weeks(year))
        return f"{year:04d}-W{week:02d}"
    return f"{year:04d}{rest}"


@cache
def _year_periods(year: int, grain: str) -> tuple[str, ...]:
    g = check_grain(grain)
    if g == "month":
        return tuple(f"{year:04d}-{m:02d}" for m in range(1, 13))
    if g == "quarter":
        return tuple(f"{year:04d}-Q{q}" for q in range(1, 5))
    return tuple(f"{year:04d}-W{w:02d}" for w in range(1, iso_weeks(year) + 1))


def periods_of_year(year: int, grain: str) -> list[str]:
    """All period keys of a plan year: 12 months, 4 quarters, or its 52/53 ISO weeks
    (the weeks whose Thursday falls in ``year``)."""
    return list(_year_periods(year, grain))


def as_date(value: dt.date | pd.Timestamp) -> dt.date:
    """A day as ``datetime.date`` (a timestamp's time of day dropped)."""
    if isinstance(value, pd.Timestamp | dt.datetime):
        return dt.date(value.year, value.month, value.day)
    return value


def number(key: str) -> int:
    """A period key as a number that sorts as the periods do (formulas compare these):
    ``2026-03`` -> 202603, ``2026-W05`` -> 202605, ``2026-Q1`` -> 20261."""
    return int(key.replace("-W", "").replace("-Q", "").replace("-", ""))


def day_of(day: dt.date, key: str, grain: str) -> int:
    """The day's position in its period, from 1 (the period's first day)."""
    return (day - bounds(key, grain)[0]).days + 1
