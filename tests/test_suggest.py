"""Suggested targets (kpi_xl.plan.suggest): one test per rule, on small hand-made monthly
data. Every expected value is worked out by hand in the test from the rows it builds."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd
import pytest

from kpi_xl.catalog.records import get
from kpi_xl.pipeline import plan_model
from kpi_xl.plan.model import PlanModel
from kpi_xl.plan.spec import parse_spec
from kpi_xl.plan.suggest import TREND_MAX, Suggestion, suggest

K = 1_000.0
#: Monthly revenue of 2025 (thousands), seasonal: a December peak.
REVENUE_2025 = [100, 90, 110, 120, 100, 110, 120, 130, 140, 150, 200, 250]
#: January to September 2026: +30 % on 2025.
REVENUE_2026 = [1.3 * v for v in REVENUE_2025[:9]]


def months(
    first: str,
    series: Mapping[str, Sequence[float]],
    *,
    channel: str = "all",
    source: str = "shop",
    first_day: int = 1,
    last_day: int | None = None,
) -> pd.DataFrame:
    """One row per month from ``first`` (date_from = the 1st, date_to = the month's last
    day): the first row starts on ``first_day``, the last ends on ``last_day`` (a partial
    month) when given."""
    count = len(next(iter(series.values())))
    starts = pd.period_range(first, periods=count, freq="M")
    rows = []
    for i, month in enumerate(starts):
        start = month.start_time.normalize()
        end = month.end_time.normalize()
        if i == 0:
            start = start.replace(day=first_day)
        if i == count - 1 and last_day is not None:
            end = end.replace(day=last_day)
        values = {m: float(v[i]) for m, v in series.items()}
        rows.append(
            {
                "date_from": start,
                "date_to": end,
                "channel": channel,
                "source": source,
                "campaign": "",
                "segment": "",
                "currency": "",
                **values,
            }
        )
    return pd.DataFrame(rows)


def model_of(
    frames: Sequence[pd.DataFrame],
    overall: Sequence[str] = (),
    channels: Mapping[str, Sequence[str]] | None = None,
    year: int = 2026,
) -> PlanModel:
    spec = parse_spec(
        {
            "name": "test",
            "overall": list(overall) or ["sessions"],
            "channels": {k: list(v) for k, v in (channels or {"seo": ["sessions"]}).items()},
        }
    ).with_choices(year=year)
    return plan_model(pd.concat(frames, ignore_index=True), spec)


def one(model: PlanModel, kpi: str, period: str, scope: str = "all") -> Suggestion:
    return suggest(model, [(kpi, scope)])[(kpi, scope, period)]


# A store growing +30 % year on year: 2025 in full, 2026 to 20 October (the current,
# partial month); orders 1000 a month in 2025, 1200 in 2026 (+20 %); ad cost 10 000 a month
# in 2025, 12 000 in 2026.
GROWING = [
    months(
        "2025-01",
        {
            # ... and October 2026 so far (20 of 31 days)
            "revenue": [v * K for v in [*REVENUE_2025, *REVENUE_2026, 120]],
            "orders": [1000] * 12 + [1200] * 9 + [800],
        },
        last_day=20,
    ),
    months(
        "2025-01",
        {"cost": [10_000] * 12 + [12_000] * 9 + [8_000], "clicks": [20_000] * 22},
        channel="paid_search",
        source="google_ads",
        last_day=20,
    ),
]


@pytest.fixture(scope="module")
def growing() -> PlanModel:
    return model_of(
        GROWING,
        overall=["revenue", "orders", "sales_growth", "average_order_value", "marketing_spend"],
        channels={"paid_search": ["cost_per_click"]},
    )


# -- flows: last year x trend ----------------------------------------------------------------


def test_a_flow_follows_last_year_times_the_trend(growing: PlanModel) -> None:
    assert growing.current == "2026-10" and not growing.complete("2026-10")
    october = one(growing, "revenue", "2026-10")
    # trend = (Jul + Aug + Sep 2026) / (Jul + Aug + Sep 2025) = 1.3 x 390k / 390k = 1.3
    # target = October 2025 x trend x (1 + growth) = 150 000 x 1.3 x 1.1
    assert october.value == 214_500.0
    assert october.method == "last_year"
    assert october.baseline == 150_000.0
    assert october.trend == pytest.approx(1.3)
    assert october.growth == 0.10
    assert october.periods == (
        "2025-07", "2025-08", "2025-09", "2025-10", "2026-07", "2026-08", "2026-09",
    )  # fmt: skip
    # never below the recent actual: September 2026 was 1.3 x 140 000 = 182 000
    september = growing.value(get("revenue"), "all", "2026-09")
    assert september == pytest.approx(182_000.0)
    assert october.value > september
    # November, after the current month: the same trend (October is partial, not used)
    # 200 000 x 1.3 x 1.1
    november = one(growing, "revenue", "2026-11")
    assert november.value == 286_000.0
    assert "2026-10" not in november.periods


def test_the_trend_is_clipped() -> None:
    tripled = months(
        "2025-01",
        {"revenue": [v * K for v in REVENUE_2025] + [3 * v * K for v in REVENUE_2025[:9]]},
    )
    model = model_of([tripled], overall=["revenue"])
    october = one(model, "revenue", "2026-10")
    # trend 3.0 clipped to 2.0: 150 000 x 2.0 x 1.1
    assert october.trend == TREND_MAX == 2.0
    assert october.value == 330_000.0


# -- flows: recent mean ----------------------------------------------------------------------


def test_a_flow_with_less_than_a_year_takes_the_recent_mean() -> None:
    revenue = [100 * K, 120 * K, 140 * K, 160 * K, 180 * K, 50 * K]  # June: 10 days
    data = months("2026-01", {"revenue": revenue}, last_day=10)
    model = model_of([data], overall=["revenue"])
    got = suggest(model, [("revenue", "all")])

    def target(period: str) -> float:
        return got[("revenue", "all", period)].value

    # no complete month before January: no target (never 0)
    assert math.isnan(target("2026-01"))
    assert got[("revenue", "all", "2026-01")].method == "none"
    assert target("2026-02") == 110_000.0  # January 100 000 x 1.1
    assert target("2026-03") == 121_000.0  # (100 000 + 120 000) / 2 x 1.1
    assert target("2026-04") == 132_000.0  # (100 000 + 120 000 + 140 000) / 3 x 1.1
    # June (partial) and later: March to May, (140 000 + 160 000 + 180 000) / 3 x 1.1
    for month in ("2026-06", "2026-07", "2026-12"):
        assert target(month) == 176_000.0
    june = got[("revenue", "all", "2026-06")]
    assert june.method == "recent"
    assert june.baseline == 160_000.0 and june.trend == 1.0
    assert june.periods == ("2026-03", "2026-04", "2026-05")


def test_a_partial_first_month_is_not_history() -> None:
    # the data starts on 15 January 2025: January 2025 holds half a month (50 000)
    revenue = [50 * K, *(v * K for v in REVENUE_2025[1:])]
    data = months("2025-01", {"revenue": revenue}, first_day=15)
    model = model_of([data], overall=["revenue"])
    assert not model.complete("2025-01")
    january = one(model, "revenue", "2026-01")
    # last January is partial: the recent mean of October to December 2025 instead,
    # (150 000 + 200 000 + 250 000) / 3 x 1.1 (no seasonal index: 11 complete months)
    assert january.value == 220_000.0
    assert january.method == "recent"
    assert "2025-01" not in january.periods
    # February 2025 is complete: 90 000 x 1.1 (no trend: 2024 is missing)
    february = one(model, "revenue", "2026-02")
    assert (february.method, february.value, february.trend) == ("last_year", 99_000.0, 1.0)


def test_no_look_ahead_and_the_current_partial_month_is_not_history() -> None:
    def data(march: float, april: float) -> pd.DataFrame:
        return months("2026-01", {"revenue": [100 * K, 200 * K, march, april]}, last_day=10)

    model = model_of([data(300 * K, 50 * K)], overall=["revenue"])
    other = model_of([data(900 * K, 500 * K)], overall=["revenue"])
    got = suggest(model, [("revenue", "all")])
    changed = suggest(other, [("revenue", "all")])
    # March's target reads January and February only: (100 000 + 200 000) / 2 x 1.1
    march = got[("revenue", "all", "2026-03")]
    assert march.value == 165_000.0
    assert march.periods == ("2026-01", "2026-02")
    # what March and April hold changes no target up to March
    for month in ("2026-01", "2026-02", "2026-03"):
        a, b = got[("revenue", "all", month)], changed[("revenue", "all", month)]
        assert a.method == b.method
        assert a.value == b.value or (math.isnan(a.value) and math.isnan(b.value))
    # April (current, 10 days) is never history: May reads January to March,
    # (100 000 + 200 000 + 300 000) / 3 x 1.1
    may = got[("revenue", "all", "2026-05")]
    assert may.value == 220_000.0
    assert may.periods == ("2026-01", "2026-02", "2026-03")
    for suggestion in got.values():
        assert "2026-04" not in suggestion.periods


def test_a_seasonal_index_from_a_full_year() -> None:
    # 2025 in full, a plan for 2027: no 2026 data, so no last year for 2027
    data = months("2025-01", {"revenue": [v * K for v in REVENUE_2025]})
    model = model_of([data], overall=["revenue"], year=2027)
    march = one(model, "revenue", "2027-03")
    # recent mean: October to December 2025 = (150 + 200 + 250) / 3 = 200 000
    # index of March = 110 / mean(2025); of the recent months = 200 / mean(2025);
    # seasonal factor = 110 / 200 = 0.55; target = 200 000 x 0.55 x 1.1
    assert march.method == "recent"
    assert march.baseline == 200_000.0
    assert march.trend == pytest.approx(0.55)
    assert march.value == 121_000.0


# -- zeros and no history --------------------------------------------------------------------


def test_no_history_gives_no_target() -> None:
    data = months("2026-01", {"revenue": [100 * K, 120 * K]}, last_day=10)
    model = model_of([data], overall=["revenue", "leads"])
    got = suggest(model, [("leads", "all"), ("revenue", "all")])
    for period in model.periods:  # the data has no leads at all
        leads = got[("leads", "all", period)]
        assert math.isnan(leads.value) and math.isnan(leads.baseline)
        assert (leads.method, leads.trend, leads.growth, leads.periods) == ("none", 1.0, 0.0, ())
    assert math.isnan(got[("revenue", "all", "2026-01")].value)  # nothing before January


def test_last_years_zero_is_no_target_not_zero() -> None:
    # a platform that truly had none: zeros all along
    none = months("2025-01", {"leads": [0] * 14 + [5]}, source="crm", last_day=10)
    model = model_of([none], overall=["leads"])
    march = one(model, "leads", "2026-03")
    assert math.isnan(march.value) and march.method == "none"
    # last March was 0 but the channel runs now: the recent mean, never 0,
    # (30 + 40 + 50) / 3 x 1.1 = 44
    leads = [0] * 11 + [30, 40, 50, 5]
    started = months("2025-01", {"leads": leads}, source="crm", last_day=10)
    march = one(model_of([started], overall=["leads"]), "leads", "2026-03")
    assert (march.method, march.value, march.baseline) == ("recent", 44.0, 40.0)


# -- stocks ----------------------------------------------------------------------------------


FOLLOWERS = months(
    "2026-01",
    {"followers": [1000, 1100, 1150, 1250, 1300, 1320]},
    channel="organic_social",
    source="instagram",
    last_day=12,
)


def test_a_stock_target_is_above_the_last_close() -> None:
    model = model_of([FOLLOWERS], channels={"organic_social": ["followers"]})
    got = suggest(model, [("followers", "organic_social")])

    def target(period: str) -> Suggestion:
        return got[("followers", "organic_social", period)]

    # June: last close May 1300; net change over March to May (from February's 1100):
    # (1300 - 1100) / 3 per month; one month ahead, improved by 10 %:
    # 1300 + 200 / 3 x 1.1 = 1373.33 -> 1373
    june = target("2026-06")
    assert (june.method, june.baseline, june.value) == ("stock", 1300.0, 1373.0)
    assert june.value > 1300
    assert june.periods == ("2026-02", "2026-03", "2026-04", "2026-05")
    # July: two months ahead, 1300 + 2 x 200 / 3 x 1.1 = 1446.67 -> 1447
    assert target("2026-07").value == 1447.0
    # March: closes of January and February, +100 a month: 1100 + 100 x 1.1
    assert target("2026-03").value == 1210.0
    # February: one close, no change yet: hold January's 1000
    assert target("2026-02").value == 1000.0


def test_follower_growth_follows_the_follower_targets() -> None:
    model = model_of([FOLLOWERS], channels={"organic_social": ["follower_growth_rate"]})
    got = suggest(model, [("follower_growth_rate", "organic_social")])
    # June: (target 1373.33 - May's actual 1300) / 1300 = 0.0564
    june = got[("follower_growth_rate", "organic_social", "2026-06")]
    assert (june.method, june.value) == ("derived", 0.0564)
    # July: June is partial, so prev = June's target: (1446.67 - 1373.33) / 1373.33 = 0.0534
    assert got[("follower_growth_rate", "organic_social", "2026-07")].value == 0.0534


# -- ratios ----------------------------------------------------------------------------------


def test_a_ratio_is_a_ratio_of_baselines_with_the_ratio_lift() -> None:
    site = months(
        "2026-01",
        {"sessions": [1000, 1200, 1400, 300], "key_event_sessions": [30, 40, 50, 10]},
        source="ga4",
        last_day=10,
    )
    model = model_of([site], overall=["key_event_rate"])
    april = one(model, "key_event_rate", "2026-04")
    # mean key-event sessions / mean sessions = 40 / 1200; x (1 + 0.03) = 0.034333
    assert (april.method, april.value, april.growth) == ("ratio", 0.0343, 0.03)
    assert april.baseline == pytest.approx(40 / 1200)


def test_a_ratio_reads_its_measures_over_the_same_windows() -> None:
    # sessions since 2025, key-event sessions only since 2026: both read the recent months
    sessions = months("2025-01", {"sessions": [500] * 15 + [300]}, source="ga4", last_day=10)
    events = {"key_event_sessions": [20, 30, 40, 10]}
    events_rows = months("2026-01", events, source="ga4", last_day=10)
    model = model_of([sessions, events_rows], overall=["key_event_rate"])
    april = one(model, "key_event_rate", "2026-04")
    # (20 + 30 + 40) / 3 over (500 + 500 + 500) / 3 = 0.06; x 1.03 = 0.0618
    assert april.value == 0.0618
    assert april.periods == ("2026-01", "2026-02", "2026-03")


def test_a_share_stays_within_100_percent() -> None:
    email = months(
        "2026-01",
        {"emails_sent": [1000, 1000, 1000, 500], "emails_delivered": [990, 990, 990, 495]},
        channel="email",
        source="mailchimp",
        last_day=10,
    )
    model = model_of([email], channels={"email": ["email_delivery_rate"]})
    april = one(model, "email_delivery_rate", "2026-04", scope="email")
    # 990 / 1000 x 1.03 = 1.0197, kept at 100 %
    assert (april.method, april.baseline, april.value) == ("ratio", 0.99, 1.0)


def test_lower_is_better_improves_downward(growing: PlanModel) -> None:
    cpc = one(growing, "cost_per_click", "2026-10", scope="paid_search")
    # cost 10 000 last October x trend 1.2; clicks 20 000 x trend 1.0:
    # 12 000 / 20 000 = 0.60; x (1 - 0.03) = 0.582 -> 0.58
    assert (cpc.method, cpc.growth, cpc.value) == ("ratio", -0.03, 0.58)
    assert cpc.baseline == pytest.approx(0.6)
    assert cpc.value < cpc.baseline


# -- budget and derived targets --------------------------------------------------------------


def test_a_budget_takes_no_growth(growing: PlanModel) -> None:
    spend = one(growing, "marketing_spend", "2026-10")
    # cost last October 10 000 x trend (3 x 12 000) / (3 x 10 000) = 1.2, no growth
    assert (spend.method, spend.growth, spend.value) == ("budget", 0.0, 12_000.0)
    assert spend.trend == pytest.approx(1.2)


def test_sales_growth_and_aov_follow_the_revenue_and_orders_targets(growing: PlanModel) -> None:
    ids = ["revenue", "orders", "sales_growth", "average_order_value"]
    got = suggest(growing, [(k, "all") for k in ids])
    october = got[("sales_growth", "all", "2026-10")]
    # revenue target 214 500 over September's actual 182 000, - 1
    assert (october.method, october.value) == ("derived", 0.1786)
    # November: October is partial, so prev = October's revenue target:
    # 286 000 / 214 500 - 1 = 0.3333
    assert got[("sales_growth", "all", "2026-11")].value == 0.3333
    revenue = get("revenue")
    for i, period in enumerate(growing.periods):
        target = got[("revenue", "all", period)].value
        before = growing.periods[i - 1] if i else "2025-12"
        prev = (
            growing.value(revenue, "all", before)
            if growing.complete(before)
            else got[("revenue", "all", before)].value
        )
        assert got[("sales_growth", "all", period)].value == pytest.approx(
            target / prev - 1, abs=1e-4
        )
        aov = got[("average_order_value", "all", period)].value
        # orders' target is rounded to whole orders, AOV's computed from the unrounded one
        assert aov == pytest.approx(target / got[("orders", "all", period)].value, rel=1e-3)
    # October: orders 1000 x trend 1.2 x 1.1 = 1320; AOV = 214 500 / 1320 = 162.50
    assert got[("orders", "all", "2026-10")].value == 1320.0
    assert got[("average_order_value", "all", "2026-10")].value == 162.5


def test_roi_takes_the_budget_without_growth() -> None:
    model = model_of(GROWING, overall=["revenue_roi"])
    roi = one(model, "revenue_roi", "2026-10")
    # (revenue target 214 500 - cost 12 000, no growth) / 12 000 = 16.875
    assert (roi.method, roi.value) == ("derived", 16.875)
