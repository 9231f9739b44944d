"""Bundled sample data: daily channel data of "Nordic Goods", a small online store.

:func:`load_sample` reads the bundled ``ecommerce.csv.gz``; :func:`generate` is the
seeded generator it was written by (``python -m kpi_xl.sample_data`` regenerates it).
See :mod:`kpi_xl.sample_data.store` for the store's channels, campaigns and which
measures each channel carries.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

from kpi_xl.periods import check_grain, period_bounds, period_key
from kpi_xl.sample_data.generate import generate, read_table

BUNDLED_FILE = "ecommerce.csv.gz"

__all__ = ["generate", "load_daily_sample", "load_sample", "whole_period_rows"]


#: The sample store's money is in euros.
CURRENCY = "EUR"


def canonical_columns(frame: pd.DataFrame, currency: str = CURRENCY) -> pd.DataFrame:
    """A generated table (one ``date`` per row) in the canonical columns: ``date_from`` and
    ``date_to`` the day, ``currency`` the store's."""
    days = frame["date"]
    rest = frame.drop(columns=["date"])
    dims = [c for c in ("channel", "source", "campaign", "segment") if c in rest.columns]
    return pd.concat(
        [
            pd.DataFrame({"date_from": days, "date_to": days}),
            rest[dims],
            pd.DataFrame({"currency": currency}, index=frame.index),
            rest.drop(columns=dims),
        ],
        axis=1,
    )


@cache
def _bundled() -> pd.DataFrame:
    with resources.as_file(resources.files(__name__).joinpath(BUNDLED_FILE)) as path:
        return canonical_columns(read_table(path))


#: People seen on several days of a period count once: a person reached (or visiting) on one
#: day of a period of n days is seen on ``1 + REPEAT * (n - 1)`` days of it on average.
REPEAT = 0.05
#: Share of a period's users who came through one channel only (the rest through several).
ONE_CHANNEL = 0.85


def whole_period_rows(frame: pd.DataFrame, grain: str) -> pd.DataFrame:
    """What a platform reports for a whole period, where the simulation has daily counts:
    distinct users (per channel, and for all channels) and reach (per channel), one row per
    period (from its first day to the last day of data in it), not split by campaign."""
    grain = check_grain(grain)
    period = period_key(frame["date_from"], grain)
    last = frame.groupby(period)["date_to"].max()
    rows = []
    for measure in ("users", "reach"):
        reported = frame[measure].notna()
        if not reported.any():
            continue
        part = frame[reported].assign(_period=period[reported])
        columns = [measure, "new_users"] if measure == "users" else [measure]
        sums = part.groupby(["_period", "channel"])[columns].sum()
        days = part.groupby(["_period", "channel"])["date_from"].nunique()
        repeat = 1 + REPEAT * (days - 1)
        if measure == "users":
            returning = (sums["users"] - sums["new_users"]).clip(lower=0)
            distinct: pd.Series = (sums["new_users"] + returning / repeat).round()
        else:
            distinct = (sums[measure] / repeat).round()
        for (key, channel), value in zip(distinct.index, distinct.to_numpy(), strict=True):
            rows.append((key, channel, measure, float(value)))
        if measure == "users":
            overall = (distinct.groupby(level=0).sum() * ONE_CHANNEL).round()
            rows.extend((key, "all", measure, float(v)) for key, v in overall.items())
    table = pd.DataFrame(rows, columns=["period", "channel", "measure", "value"])
    wide = table.pivot_table(
        index=["period", "channel"], columns="measure", values="value", aggfunc="first"
    ).reset_index()
    starts = wide["period"].map(lambda k: pd.Timestamp(period_bounds(k, grain)[0]))
    out = pd.DataFrame(
        {
            "date_from": starts.to_numpy(dtype="datetime64[ns]"),
            "date_to": wide["period"].map(last).to_numpy(dtype="datetime64[ns]"),
            "channel": wide["channel"].astype(str).to_numpy(),
            "source": frame["source"].iloc[0] if len(frame) else "sample",
            "campaign": "",
            "segment": "",
            "currency": CURRENCY,
        }
    )
    for measure in ("users", "reach"):
        if measure in wide.columns:
            out[measure] = wide[measure].to_numpy(dtype="float64")
    return out


def load_daily_sample() -> pd.DataFrame:
    """The bundled file's daily rows as a canonical table (a fresh copy on every call)."""
    return _bundled().copy()


@cache
def _sample(grain: str) -> pd.DataFrame:
    daily = _bundled()
    whole = whole_period_rows(daily, grain)
    return pd.concat([daily, whole.reindex(columns=daily.columns)], ignore_index=True)


def load_sample(grain: str = "month") -> pd.DataFrame:
    """The bundled sample as a canonical long table (a fresh copy on every call):
    ``date_from``, ``date_to`` datetime64, ``channel, source, campaign, segment, currency``
    strings, measures float64. Rows are daily, plus the whole-period users and reach of
    each period of ``grain`` (:func:`whole_period_rows`): distinct people are never the
    sum of daily counts."""
    return _sample(check_grain(grain)).copy()
