"""The bundled sample data: deterministic, realistic in shape, enough for every demo plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi_xl.catalog import get
from kpi_xl.plan.spec import BUNDLED, load_template
from kpi_xl.sample_data import (
    canonical_columns,
    load_daily_sample,
    load_sample,
    whole_period_rows,
)
from kpi_xl.sample_data.generate import generate, generate_size, main
from kpi_xl.sample_data.store import LAUNCH, OUTAGE


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_daily_sample()


def test_bundled_file_is_what_the_seeded_generator_writes(sample: pd.DataFrame) -> None:
    fresh = canonical_columns(generate())
    pd.testing.assert_frame_equal(fresh, sample, check_dtype=False, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(canonical_columns(generate()), fresh)  # same seed, same data
    assert not generate(seed=1).equals(fresh)


def test_whole_period_users_and_reach_are_never_sums_of_days(sample: pd.DataFrame) -> None:
    """A person seen on two days of a month is one user of the month: the sample gives
    each month's distinct users and reach as a platform reports them, below the sum of its
    daily counts, on one row per channel (and users for all channels) from the month's
    first day to its last day of data."""
    whole = whole_period_rows(sample, "month")
    assert len(load_sample("month")) == len(sample) + len(whole)
    assert (whole["campaign"] == "").all() and (whole["date_from"].dt.day == 1).all()
    march = whole[whole["date_from"] == pd.Timestamp("2026-03-01")].set_index("channel")
    users = march["users"].astype(float).to_dict()
    days = sample[(sample["date_from"] >= "2026-03-01") & (sample["date_from"] <= "2026-03-31")]
    daily_users = days.groupby("channel")["users"].sum().astype(float).to_dict()
    for channel, total in daily_users.items():
        assert 0 < users[channel] < total, channel
    assert users["all"] < sum(v for k, v in users.items() if k != "all")
    assert (march["date_to"] == pd.Timestamp("2026-03-31")).all()
    daily_reach = float(days.loc[days["channel"] == "paid_social", "reach"].sum())
    assert float(march["reach"].astype(float).to_dict()["paid_social"]) < daily_reach
    last = whole["date_from"].max()
    assert (whole.loc[whole["date_from"] == last, "date_to"] == sample["date_to"].max()).all()


def test_a_store_with_several_channels_and_campaigns(sample: pd.DataFrame) -> None:
    campaigns = sample.groupby("channel")["campaign"].nunique()
    assert len(campaigns) >= 6
    assert (campaigns >= 2).all(), campaigns
    assert sample["date_to"].max() - sample["date_from"].min() >= pd.Timedelta(days=365)
    measures = sample.select_dtypes("number")
    assert (measures.fillna(0) >= 0).all().all()


@pytest.mark.parametrize("template", BUNDLED)
def test_every_channel_kpi_of_the_templates_has_its_measures(
    sample: pd.DataFrame, template: str
) -> None:
    """Each channel plan's KPIs can be computed from that channel's sample rows."""
    spec = load_template(template)
    for channel, kpi_ids in spec.channels.items():
        rows = sample[sample["channel"] == channel]
        if rows.empty:  # a channel the store does not use: the plan shows "no data"
            continue
        for kpi_id in kpi_ids:
            for measure in get(kpi_id).all_measures:
                assert rows[measure].notna().any(), (template, channel, kpi_id, measure)


def _daily(sample: pd.DataFrame, channel: str | None = None) -> pd.Series:
    rows = sample if channel is None else sample[sample["channel"] == channel]
    return rows.groupby("date_from")["sessions"].sum()


def test_weekly_and_yearly_seasonality(sample: pd.DataFrame) -> None:
    daily = _daily(sample)
    days = pd.DatetimeIndex(daily.index)
    by_weekday = daily.groupby(days.day_of_week).mean()
    assert by_weekday.max() / by_weekday.min() > 1.1  # weekdays differ
    monthly = daily.groupby(days.to_period("M")).mean()
    assert monthly.max() / monthly.min() > 1.3  # months differ (season, Black Friday)


def test_the_bad_week_shows(sample: pd.DataFrame) -> None:
    daily = _daily(sample)
    start, end = (pd.Timestamp(d) for d in OUTAGE)
    bad = daily[start:end].mean()
    around = pd.concat(
        [daily[start - pd.Timedelta(days=14) : start - pd.Timedelta(days=1)],
         daily[end + pd.Timedelta(days=1) : end + pd.Timedelta(days=14)]]
    ).mean()  # fmt: skip
    assert bad < 0.85 * around


def test_the_campaign_launch_starts_on_its_day(sample: pd.DataFrame) -> None:
    channel, campaign, day = LAUNCH
    rows = sample[(sample["channel"] == channel) & (sample["campaign"] == campaign)]
    assert rows["date_from"].min() == pd.Timestamp(day)
    assert rows["sessions"].sum() > 0


def test_benchmark_size_and_large_sizes_stay_valid() -> None:
    bench = generate_size("bench")
    assert len(bench) == 116_800  # 365 days x 8 channels x 40 campaigns
    assert bench["channel"].nunique() == 8
    # many campaigns per channel: mails are split across segments, so unsubscribes
    # never outrun the list and no measure goes negative
    big = generate_size("million", days=120)
    assert len(big) == 120 * 8 * 343
    assert (big.select_dtypes("number").fillna(0) >= 0).all().all()
    assert big["list_size"].min() > 0


def test_the_command_writes_a_size_without_touching_the_bundled_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--size", "bench", "--days", "10", "--campaigns", "2", "-o", "small.csv"]) == 0
    assert "wrote 160 rows" in capsys.readouterr().out  # 10 days x 8 channels x 2
    written = pd.read_csv(tmp_path / "small.csv")
    assert written["date"].min() == "2025-01-01"
    assert main(["--size", "sample", "--days", "3"]) == 0  # custom: never the bundled name
    assert (tmp_path / "kpi_xl_sample.csv").exists()
    assert main(["--size", "huge"]) == 2
    assert dt.date.fromisoformat(written["date"].max()) == dt.date(2025, 1, 10)
    assert np.isfinite(written["sessions"]).all()
