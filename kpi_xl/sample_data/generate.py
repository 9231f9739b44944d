"""The simulation behind the sample data: the store of :mod:`kpi_xl.sample_data.store`
turned into a canonical long table, one row per day, channel and campaign (``source`` is
``"sample"``, ``segment`` is ``""``). Regenerate the bundled file with
``python -m kpi_xl.sample_data``; ``--size bench`` / ``--size million`` write the
benchmark tables.

Deterministic for a seed (one numpy ``Generator``, drawn in a fixed order). Internally
consistent: every count is drawn from the count it is a part of (clicks from impressions,
orders from engaged sessions, opens from delivered emails, ...), so the inequalities a
reader expects hold on every row; counts are whole numbers and money is rounded to cents.

What it shows: a growth trend (+25 % a year), weekly patterns (weekend dips for search,
weekend peaks for social, newsletters on Tuesdays), yearly seasonality (summer dip, Q4
peak, Black Friday week, Christmas), seasonal campaigns (``Black Friday <year>``,
``Summer sale <year>``), a paid-social campaign launched on 2026-03-01 (no rows before),
and a tracking outage 2026-06-08..2026-06-14 (a site release broke the tag: web-analytics
measures fall to about a fifth; ad-platform impressions, clicks and cost do not).

The parts: :mod:`~kpi_xl.sample_data.seasonality` (the calendar's day-level drivers),
:mod:`~kpi_xl.sample_data.campaigns` (each channel's campaigns and sessions) and
:mod:`~kpi_xl.sample_data.measure_families` (the per-channel measure generators). This
module assembles the table, names the dataset sizes, reads and writes the files and is
the command line.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kpi_xl.catalog.records import measures
from kpi_xl.errors import KpiXlError
from kpi_xl.sample_data.campaigns import Block
from kpi_xl.sample_data.measure_families import LIST_START, add_customers, build_block
from kpi_xl.sample_data.seasonality import Calendar
from kpi_xl.sample_data.store import (
    DEFAULT_CHANNELS,
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_START,
    PROFILES,
    SOURCE,
)
from kpi_xl.vocabulary import CHANNELS

BUNDLED = Path(__file__).with_name("ecommerce.csv.gz")


# -- assembly ------------------------------------------------------------------------------


def generate(
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    channels: Sequence[str] | None = None,
    campaigns_per_channel: int | None = None,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """The sample store's daily data as a canonical long table, sorted by date, channel
    (catalog order) and campaign.

    With ``campaigns_per_channel`` every channel has exactly that many always-on campaigns
    (benchmark sizes: rows = days x channels x campaigns); without it, the store's own
    campaigns, including seasonal ones and the 2026-03-01 launch.
    """
    chosen = tuple(channels) if channels is not None else DEFAULT_CHANNELS
    unknown = [c for c in chosen if c not in PROFILES]
    if unknown:
        raise KpiXlError(
            f"unknown channels {', '.join(map(str, unknown))}: expected some of "
            f"{', '.join(CHANNELS)}"
        )
    if campaigns_per_channel is not None and campaigns_per_channel < 1:
        raise KpiXlError("campaigns_per_channel must be at least 1")
    days = pd.date_range(start, end, freq="D")
    if len(days) == 0:
        raise KpiXlError(f"no days between {start} and {end}")
    rng = np.random.default_rng(seed)
    cal = Calendar.of(days, rng)
    ordered = [c for c in CHANNELS if c in chosen]
    # email last: its sends go to the list the other channels' sign-ups built
    built: dict[str, Block] = {}
    leads = np.zeros(len(days))
    for channel in sorted(ordered, key=lambda c: "email" in PROFILES[c].families):
        built[channel] = build_block(channel, cal, rng, campaigns_per_channel, leads)
        leads = leads + built[channel].daily_total("leads")
    blocks = [built[c] for c in ordered]
    for block in blocks:
        add_customers(block, rng)
    email = next((b for b in blocks if "email" in b.profile.families), None)
    if email is not None:
        email.anchor("list_size", LIST_START + np.cumsum(leads - email.daily_total("unsubscribes")))
    return _frame(blocks, days)


def _frame(blocks: list[Block], days: pd.DatetimeIndex) -> pd.DataFrame:
    """The long table: rows where campaigns are active, sorted by date, channel, campaign."""
    present = [m for m in measures() if any(m in b.values for b in blocks)]
    day_idx: list[np.ndarray] = []
    chan_idx: list[np.ndarray] = []
    camp_idx: list[np.ndarray] = []
    names: list[str] = []
    columns: dict[str, list[np.ndarray]] = {m: [] for m in present}
    for ci, block in enumerate(blocks):
        k, d = np.nonzero(block.active)
        by_name = sorted(range(len(block.names)), key=lambda i: block.names[i])
        rank = np.empty(len(by_name), dtype=np.int64)
        rank[by_name] = np.arange(len(by_name)) + len(names)
        names.extend(block.names[i] for i in by_name)
        day_idx.append(d)
        chan_idx.append(np.full(len(d), ci))
        camp_idx.append(rank[k])
        for m in present:
            matrix = block.values.get(m)
            columns[m].append(matrix[k, d] if matrix is not None else np.full(len(d), np.nan))
    d_all, c_all, k_all = (np.concatenate(a) for a in (day_idx, chan_idx, camp_idx))
    order = np.lexsort((k_all, c_all, d_all))
    index = pd.RangeIndex(len(order))

    def text(values: list[str], codes: np.ndarray) -> pd.Series:
        return pd.Series(pd.Series(values, dtype="str").take(codes).to_numpy(), index=index)

    frame = pd.DataFrame(
        {
            "date": days[d_all[order]],
            "channel": text([b.channel for b in blocks], c_all[order]),
            "source": pd.Series(SOURCE, index=index, dtype="str"),
            "campaign": text(names, k_all[order]),
            "segment": pd.Series("", index=index, dtype="str"),
        }
    )
    for m in present:
        frame[m] = np.concatenate(columns[m])[order].astype("float64")
    return frame


# -- files and command line ----------------------------------------------------------------

DIMENSION_COLUMNS = ("channel", "source", "campaign", "segment")
CHANNEL_ORDER = (*DEFAULT_CHANNELS, "display", "direct", "affiliate", "other")


@dataclass(frozen=True)
class Size:
    """A named dataset size for ``python -m kpi_xl.sample_data --size``."""

    days: int | None = None  # from DEFAULT_START; None: the store's own range
    channels: int | None = None  # the first N of CHANNEL_ORDER
    campaigns: int | None = None  # per channel; None: the store's own campaigns
    output: str = ""


SIZES: dict[str, Size] = {
    "sample": Size(output=str(BUNDLED)),
    "bench": Size(365, 8, 40, "kpi_xl_bench.csv"),  # 116,800 rows
    "million": Size(365, 8, 343, "kpi_xl_million.csv"),  # 1,001,560 rows
}


def generate_size(
    size: str = "sample",
    *,
    days: int | None = None,
    channels: int | None = None,
    campaigns: int | None = None,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """A named size, optionally overridden (``days`` from 2025-01-01, the first
    ``channels`` of :data:`CHANNEL_ORDER`, ``campaigns`` per channel)."""
    if size not in SIZES:
        raise KpiXlError(f"unknown size {size!r}: expected one of {', '.join(SIZES)}")
    preset = SIZES[size]
    days = days if days is not None else preset.days
    channels = channels if channels is not None else preset.channels
    campaigns = campaigns if campaigns is not None else preset.campaigns
    if channels is not None and not 1 <= channels <= len(CHANNEL_ORDER):
        raise KpiXlError(f"channels must be 1..{len(CHANNEL_ORDER)}")
    if days is not None and days < 1:
        raise KpiXlError("days must be at least 1")
    end = DEFAULT_END
    if days is not None:
        end = str(pd.Timestamp(DEFAULT_START) + pd.Timedelta(days=days - 1))[:10]
    return generate(
        DEFAULT_START,
        end,
        channels=CHANNEL_ORDER[:channels] if channels is not None else None,
        campaigns_per_channel=campaigns,
        seed=seed,
    )


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a canonical table: ``.parquet``, ``.csv`` or ``.csv.gz`` (gzip level 9 with a
    fixed timestamp, so the same frame gives the same bytes)."""
    path = Path(path)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
        return path
    options: dict[str, object] = {
        "index": False,
        "float_format": "%.15g",  # whole numbers without ".0"; cents stay exact
        "date_format": "%Y-%m-%d",
        "lineterminator": "\n",
    }
    if path.suffix == ".gz":
        options["compression"] = {"method": "gzip", "compresslevel": 9, "mtime": 0}
    frame.to_csv(path, **options)  # type: ignore[call-overload]
    return path


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`write_table` back with the canonical dtypes: dates
    as datetime64, dimensions as strings (``""``, never NaN), measures as float64."""
    path = Path(path)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    dtypes = dict.fromkeys(DIMENSION_COLUMNS, "str") | dict.fromkeys(measures(), "float64")
    frame = pd.read_csv(
        path,
        dtype=dtypes,
        keep_default_na=False,
        na_values=[""],
        parse_dates=["date"],
        date_format="%Y-%m-%d",
    )
    for col in DIMENSION_COLUMNS:
        if col in frame.columns:
            frame[col] = frame[col].fillna("")
    return frame


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kpi_xl.sample_data``: write the bundled sample or a benchmark table."""
    parser = argparse.ArgumentParser(
        prog="python -m kpi_xl.sample_data",
        description="Write the sample store's daily channel data (canonical long table).",
    )
    parser.add_argument("--size", default="sample", type=str.lower, help=", ".join(SIZES))
    parser.add_argument("--channels", type=int, help="the first N channels")
    parser.add_argument("--campaigns", type=int, help="campaigns per channel")
    parser.add_argument("--days", type=int, help="days from 2025-01-01")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("-o", "--output", help=".csv, .csv.gz or .parquet")
    args = parser.parse_args(argv)
    size = "sample" if args.size == "small" else args.size
    try:
        frame = generate_size(
            size, days=args.days, channels=args.channels, campaigns=args.campaigns, seed=args.seed
        )
        output = args.output or SIZES[size].output
        custom = (args.days, args.channels, args.campaigns) != (None, None, None)
        if args.output is None and (custom or args.seed != DEFAULT_SEED):
            output = "kpi_xl_sample.csv"  # never overwrite the bundled file by accident
        path = write_table(frame, output)
    except KpiXlError as exc:
        print(f"error: {exc}")
        return exc.exit_code
    size_mb = path.stat().st_size / 1e6
    print(f"wrote {len(frame):,} rows x {frame.shape[1]} columns to {path} ({size_mb:.2f} MB)")
    return 0
