"""kpi_xl.aggregate: each base measure by its catalog rule; period keys and bounds.
Expected values are worked out by hand from the rows in each test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.aggregate import aggregate, whole_gaps
from kpi_xl.periods import period_bounds, period_key, periods_of_year

NAN = np.nan


def table(rows: list[tuple[str, str, str, dict[str, float]]]) -> pd.DataFrame:
    """Canonical rows from (date, channel, campaign, measures)."""
    records = [
        {"date": d, "channel": ch, "source": "test", "campaign": c, "segment": "", **m}
        for d, ch, c, m in rows
    ]
    frame = pd.DataFrame(records)
    days = pd.to_datetime(frame.pop("date"))
    frame.insert(0, "date_to", days)
    frame.insert(0, "date_from", days)
    return frame


DATA = table(
    [
        (
            "2025-01-30",
            "seo",
            "a",
            {"sessions": 10, "conversions": 1, "followers": 100, "reach": 50},
        ),
        (
            "2025-01-31",
            "seo",
            "a",
            {"sessions": 30, "conversions": 6, "followers": NAN, "reach": 80},
        ),
        ("2025-01-31", "seo", "b", {"sessions": 5, "conversions": 0, "followers": 7, "reach": 90}),
        ("2025-01-15", "seo", "b", {"sessions": 1, "conversions": 1, "followers": 3, "reach": 10}),
        (
            "2025-02-01",
            "seo",
            "a",
            {"sessions": 20, "conversions": 2, "followers": 110, "reach": 60},
        ),
        (
            "2025-01-31",
            "email",
            "n",
            {"sessions": NAN, "conversions": 3, "followers": NAN, "reach": NAN},
        ),
    ]
)


def test_month_by_channel_sum_last_whole() -> None:
    out = aggregate(DATA, "month", by=["channel"])
    assert out["period"].tolist() == ["2025-01", "2025-01", "2025-02"]
    assert out["channel"].tolist() == ["email", "seo", "seo"]
    assert list(out.columns) == [
        "period", "period_start", "period_end", "channel",
        "sessions", "conversions", "reach", "followers",
    ]  # fmt: skip
    jan_seo = out.iloc[1]
    assert jan_seo["sessions"] == 10 + 30 + 5 + 1
    assert jan_seo["conversions"] == 1 + 6 + 0 + 1
    # last: the latest date with a value is Jan 31 (campaign a has none that day): 7;
    # campaigns reporting on that date are summed
    assert jan_seo["followers"] == 7
    # whole: daily rows never give a month's reach (people seen on two days count once)
    assert np.isnan(jan_seo["reach"])
    # email reported no sessions at all in January: NaN, not 0
    assert np.isnan(out.iloc[0]["sessions"])
    assert out.iloc[0]["conversions"] == 3
    assert np.isnan(out.iloc[0]["followers"])
    assert out.iloc[2]["followers"] == 110
    assert out["period_start"].tolist() == [pd.Timestamp("2025-01-01")] * 2 + [
        pd.Timestamp("2025-02-01")
    ]
    assert out["period_end"].tolist() == [pd.Timestamp("2025-01-31")] * 2 + [
        pd.Timestamp("2025-02-28")
    ]


def test_last_sums_campaigns_at_the_latest_date() -> None:
    out = aggregate(
        DATA[DATA["campaign"] != "b"].assign(followers=[100, 40, 110, NAN]), "month", ["channel"]
    )
    # Jan seo rows: a@30th=100, a@31st=40 -> 40 (campaign b filtered out)
    assert out.loc[out["channel"] == "seo", "followers"].tolist() == [40, 110]
    both = DATA.assign(followers=[100, 40, 7, 3, 110, NAN])
    jan = aggregate(both, "month", ["channel"]).iloc[1]
    assert jan["followers"] == 40 + 7  # a and b both report on Jan 31


def test_by_campaign_is_the_default() -> None:
    out = aggregate(DATA, "month")
    assert out[["period", "channel", "campaign"]].values.tolist() == [
        ["2025-01", "email", "n"],
        ["2025-01", "seo", "a"],
        ["2025-01", "seo", "b"],
        ["2025-02", "seo", "a"],
    ]
    assert out["sessions"].tolist()[1:] == [10 + 30, 5 + 1, 20]
    assert out["followers"].tolist()[1:] == [100, 7, 110]


def test_ratio_of_sums_not_average_of_ratios() -> None:
    out = aggregate(DATA[DATA["channel"] == "seo"], "quarter", by=[])
    assert out["period"].tolist() == ["2025-Q1"]
    conversions, sessions = out["conversions"].iloc[0], out["sessions"].iloc[0]
    assert (conversions, sessions) == (1 + 6 + 0 + 1 + 2, 10 + 30 + 5 + 1 + 20)
    assert conversions / sessions == 10 / 66
    daily = (DATA["conversions"] / DATA["sessions"])[DATA["channel"] == "seo"].mean()
    assert daily != pytest.approx(10 / 66)


def test_week_keys_use_iso_weeks() -> None:
    dates = pd.Series(
        pd.to_datetime(["2024-12-29", "2024-12-30", "2026-12-31", "2027-01-03", "2027-01-04"])
    )
    assert period_key(dates, "week").tolist() == [
        "2024-W52",
        "2025-W01",
        "2026-W53",
        "2026-W53",
        "2027-W01",
    ]
    out = aggregate(
        table(
            [(d, "seo", "", {"sessions": 1}) for d in ["2026-12-31", "2027-01-03", "2027-01-04"]]
        ),
        "week",
        [],
    )
    assert out["period"].tolist() == ["2026-W53", "2027-W01"]
    assert out["sessions"].tolist() == [2, 1]
    assert out["period_start"].tolist() == [pd.Timestamp("2026-12-28"), pd.Timestamp("2027-01-04")]
    assert out["period_end"].tolist() == [pd.Timestamp("2027-01-03"), pd.Timestamp("2027-01-10")]


def test_quarter_keys_and_bounds() -> None:
    dates = pd.Series(pd.to_datetime(["2025-03-31", "2025-04-01", "2025-12-31"]))
    assert period_key(dates, "quarter").tolist() == ["2025-Q1", "2025-Q2", "2025-Q4"]
    assert period_bounds("2025-Q4", "quarter") == (
        pd.Timestamp("2025-10-01"),
        pd.Timestamp("2025-12-31"),
    )
    assert period_bounds("2024-02", "month") == (
        pd.Timestamp("2024-02-01"),
        pd.Timestamp("2024-02-29"),
    )
    assert period_bounds("2025-12", "month")[1] == pd.Timestamp("2025-12-31")


def test_periods_of_year() -> None:
    assert len(periods_of_year(2026, "week")) == 53
    assert periods_of_year(2025, "week")[-1] == "2025-W52"
    assert periods_of_year(2025, "quarter") == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert periods_of_year(2025, "month")[0] == "2025-01"


def test_empty_table_keeps_the_columns() -> None:
    out = aggregate(DATA.iloc[:0], "month", ["channel"])
    assert out.empty
    assert list(out.columns)[:4] == ["period", "period_start", "period_end", "channel"]
    assert out["sessions"].dtype == "float64"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: aggregate(DATA, "year"), "unknown grain 'year'"),
        (lambda: aggregate(DATA, "month", ["country"]), "cannot group by 'country'"),
        (lambda: aggregate(DATA.assign(bogus=1), "month"), "column 'bogus' is not a base measure"),
        (lambda: period_bounds("2025-W53", "week"), "ISO year 2025 has only 52 weeks"),
        (lambda: period_bounds("2025-13", "month"), "is not a month key"),
    ],
)
def test_errors(call: object, message: str) -> None:
    with pytest.raises(KpiXlError, match=message):
        call()  # type: ignore[operator]


# -- whole-period measures (reach, users) ----------------------------------------------------

WHOLE = pd.DataFrame(
    {
        "date_from": pd.to_datetime(
            [
                "2026-03-01",
                "2026-03-01",
                "2026-03-02",
                "2026-03-01",
                "2026-03-01",
                "2026-03-01",
                "2026-03-01",
            ]
        ),
        "date_to": pd.to_datetime(
            [
                "2026-03-31",
                "2026-03-01",
                "2026-03-02",
                "2026-03-31",
                "2026-03-31",
                "2026-03-31",
                "2026-03-31",
            ]
        ),
        "channel": [
            "paid_social",
            "paid_social",
            "paid_social",
            "seo",
            "paid_social",
            "display",
            "paid_social",
        ],
        "source": ["meta_ads", "meta_ads", "meta_ads", "ga4", "linkedin", "dv360", "linkedin"],
        # row 0: Meta's total row for March (reach only); rows 1-2: Meta campaign A per day;
        # rows 4 and 6: LinkedIn's campaigns B and C for March (no total row); row 5: a
        # display platform's only campaign for March
        "campaign": ["", "A", "A", "", "B", "Spring", "C"],
        "segment": [""] * 7,
        "currency": [""] * 7,
        "reach": [900, 100, 120, NAN, 30, 400, 20],
        "impressions": [NAN, 300, 400, NAN, 50, 1000, 40],
        "users": [NAN, NAN, NAN, 50, NAN, NAN, NAN],
    }
)


def test_whole_measures_come_from_one_whole_period_row_of_one_source() -> None:
    by_source = aggregate(WHOLE, "month", by=("channel", "source")).set_index("source")
    # Meta: its total row (900), not the campaign's daily rows (100 + 120)
    assert by_source.loc["meta_ads", "reach"] == 900
    assert by_source.loc["meta_ads", "impressions"] == 300 + 400
    # LinkedIn's reach is per campaign (B, C): people reached by both count once, so the
    # campaigns' reach cannot be added
    assert np.isnan(by_source.at["linkedin", "reach"])  # type: ignore[arg-type]
    assert by_source.loc["ga4", "users"] == 50
    # a platform's only campaign of the month: its reach is the platform's
    assert by_source.loc["dv360", "reach"] == 400
    by_channel = aggregate(WHOLE, "month", by=("channel",)).set_index("channel")
    # two platforms report paid-social reach: people reached by both would count twice
    assert np.isnan(by_channel.at["paid_social", "reach"])  # type: ignore[arg-type]
    assert by_channel.loc["display", "reach"] == 400
    by_campaign = aggregate(WHOLE, "month", by=("channel", "campaign"))
    reach = dict(zip(by_campaign["campaign"], by_campaign["reach"], strict=True))
    assert np.isnan(reach["A"])  # two days of campaign A: not a month's reach
    assert reach["B"] == 30  # LinkedIn's March row for campaign B is that campaign's reach
    assert reach["C"] == 20


def test_whole_gaps_say_why_a_whole_measure_is_blank() -> None:
    gaps = whole_gaps(WHOLE, "month", by=("channel", "source"))
    assert gaps[["channel", "source", "measure", "gap"]].values.tolist() == [
        ["paid_social", "linkedin", "reach", "split"]
    ]
    by_channel = whole_gaps(WHOLE, "month", by=("channel",))
    assert by_channel[["channel", "measure", "gap"]].values.tolist() == [
        ["paid_social", "reach", "several"]
    ]
    by_campaign = whole_gaps(WHOLE, "month", by=("channel", "campaign"))
    assert by_campaign[["campaign", "measure", "gap"]].values.tolist() == [
        ["A", "reach", "partial"]
    ]


def test_a_whole_row_of_the_current_partial_period_counts() -> None:
    """A month-to-date export (1-20 March) is the whole of what the source has for March."""
    rows = WHOLE.iloc[[0]].assign(date_to=pd.Timestamp("2026-03-20"))
    out = aggregate(rows, "month", by=("channel", "source"))
    assert out["reach"].tolist() == [900]
    late = WHOLE.iloc[[0]].assign(date_from=pd.Timestamp("2026-03-02"))
    assert np.isnan(aggregate(late, "month", by=("channel", "source"))["reach"].iloc[0])
