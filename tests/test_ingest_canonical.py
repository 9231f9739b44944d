"""The canonical table: DataFrames, and the files write_canonical writes, read back
exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import load_channel_data, write_canonical
from kpi_xl.sample_data import load_sample
from kpi_xl.vocabulary import CHANNELS

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def hostile_frame() -> pd.DataFrame:
    """Canonical rows with text that must stay text and numbers that must stay exact."""
    return load_channel_data(
        pd.DataFrame(
            {
                "date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-02", "2025-01-03"]),
                "channel": ["seo", "paid_search", "email", "other"],
                "source": ["sample", "google_ads", "", "x"],
                "campaign": ['=HYPERLINK("x")', "@SUM(A1)", "  spaced  ", 'a,b;"c"\nd'],
                "segment": ["", "NaN", "null", "0012"],
                "cost": [0.1 + 0.2, 1234.5, np.nan, 1e-7],
                "clicks": [1.0, 2.0, 3.0, np.nan],
                "reach": [np.nan, np.nan, np.nan, np.nan],
            }
        )
    )


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet", ".xlsx"])
def test_round_trip_of_the_sample(tmp_path: Path, suffix: str) -> None:
    frame = load_channel_data(load_sample().iloc[::40])
    path = write_canonical(frame, tmp_path / f"data{suffix}")
    pd.testing.assert_frame_equal(load_channel_data(path), frame)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet", ".xlsx"])
def test_round_trip_keeps_hostile_text(tmp_path: Path, suffix: str) -> None:
    frame = hostile_frame()
    assert frame["source"].tolist() == ["sample", "google_ads", "canonical", "x"]
    back = load_channel_data(write_canonical(frame, tmp_path / f"data{suffix}"))
    if suffix == ".xlsx":  # Excel keeps 15-16 significant digits
        frame["cost"] = frame["cost"].where(frame.index != 0, back["cost"])
        assert back.loc[0, "cost"] == pytest.approx(0.3, rel=1e-15)
    pd.testing.assert_frame_equal(back, frame)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.none(), st.floats(0, 1e12, allow_nan=False), st.integers(0, 2**53)),
        min_size=1,
        max_size=20,
    ),
    names=st.lists(
        st.text(
            alphabet=st.one_of(
                st.characters(exclude_categories=("Cc", "Cs")), st.sampled_from('\t\n\r,;"')
            ),
            max_size=12,
        ),
        min_size=1,
        max_size=20,
    ),
)
def test_csv_round_trip_is_exact(
    tmp_path_factory: pytest.TempPathFactory, values: list[float | None], names: list[str]
) -> None:
    n = len(values)
    frame = load_channel_data(
        pd.DataFrame(
            {
                "date": pd.date_range("2025-01-01", periods=n),
                "channel": [CHANNELS[i % len(CHANNELS)] for i in range(n)],
                "campaign": [names[i % len(names)] for i in range(n)],
                "cost": [np.nan if v is None else float(v) for v in values],
            }
        )
    )
    path = write_canonical(frame, tmp_path_factory.mktemp("rt") / "data.csv")
    pd.testing.assert_frame_equal(load_channel_data(path), frame)


def test_dataframe_path_keeps_the_sample() -> None:
    sample = load_sample()
    frame = load_channel_data(sample)
    assert len(frame) == len(sample)
    assert frame["date_from"].dtype == "datetime64[ns]"
    assert set(frame["source"]) == {"sample"}
    for column in frame.columns[7:]:
        assert frame[column].dtype == "float64"
        np.testing.assert_array_equal(frame[column].to_numpy(), sample[column].to_numpy())


def test_european_canonical_csv(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text(
        "Date;Channel;Campaign;Cost;Clicks\n2025-01-01;SEO;A;1.234,5;1.000\n2025-01-02;seo;B;0,5;7\n",
        encoding="utf-8",
    )
    frame = load_channel_data(path)
    assert frame["cost"].tolist() == [1234.5, 0.5]
    assert frame["clicks"].tolist() == [1000, 7]
    assert frame["channel"].tolist() == ["seo", "seo"]
    assert frame["source"].tolist() == ["canonical", "canonical"]


def test_canonical_channel_map(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("date,channel,cost\n2025-01-01,Newsletter,1\n2025-01-02,seo,2\n")
    frame = load_channel_data(path, channel_map={"newsletter": "email"})
    assert frame["channel"].tolist() == ["email", "seo"]


def test_write_canonical_refuses_other_formats(tmp_path: Path) -> None:
    with pytest.raises(KpiXlError, match=r"written as \.csv, \.csv\.gz, \.parquet or \.xlsx"):
        write_canonical(hostile_frame(), tmp_path / "data.json")
    assert not list(tmp_path.iterdir())


def test_csv_writes_whole_numbers_without_decimals(tmp_path: Path) -> None:
    path = write_canonical(hostile_frame(), tmp_path / "data.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == (
        "date_from,date_to,channel,source,campaign,segment,currency,clicks,cost,reach"
    )
    assert lines[1] == (
        # a text starting with = is escaped with ' (OWASP CSV injection); it reads back as typed
        '2025-01-01,2025-01-01,seo,sample,"\'=HYPERLINK(""x"")",,,1,0.30000000000000004,'
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx", ""])
def test_the_result_can_be_modified(tmp_path: Path, suffix: str) -> None:
    frame = load_channel_data(load_sample().iloc[:50])
    if suffix:
        frame = load_channel_data(write_canonical(frame, tmp_path / f"data{suffix}"))
    frame.loc[0, "cost"] = 1.0
    frame.loc[1, "campaign"] = "x"
    frame["sessions"] *= 2
    assert frame.loc[0, "cost"] == 1.0


def test_quoted_line_breaks_and_blank_lines_inside_a_field(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text(
        'date,channel,campaign,cost\n2025-01-01,seo,"a\n\n# b\n",1\n2025-01-02,seo,"\r\n",2\n'
    )
    frame = load_channel_data(path)
    assert frame["campaign"].tolist() == ["a\n\n# b\n", "\r\n"]
    assert frame["cost"].tolist() == [1, 2]


def test_dataframe_with_time_zones_categories_and_nullable_numbers() -> None:
    frame = load_channel_data(
        pd.DataFrame(
            {
                "date": pd.date_range("2025-01-01 23:30", periods=2, tz="Europe/Helsinki"),
                "channel": pd.Categorical(["seo", "email"]),
                "campaign": [2025, None],
                "cost": pd.array([1, None], dtype="Int64"),
            }
        )
    )
    assert frame["date_from"].tolist() == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-02")]
    assert frame["campaign"].tolist() == ["2025", ""]
    assert frame["cost"].tolist()[0] == 1.0
    assert np.isnan(frame["cost"].tolist()[1])
