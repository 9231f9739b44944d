"""Shopify Analytics reports over time, on fixtures in the real exports' shapes (see
kpi_xl/ingest/platforms/shopify.py for where each layout comes from); expected values
worked out by hand from the fixtures' rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import detect_format, load_channel_data, load_report

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
SESSIONS = EXPORTS / "shopify_sessions_daily.csv"
MONTHLY = EXPORTS / "shopify_sales_monthly.csv"
WEEKLY = EXPORTS / "shopify_funnel_weekly.csv"
BY_PRODUCT = EXPORTS / "shopify_sales_by_product.csv"

NO_TIME = (
    "this Shopify report has no Day, Week or Month column (a report for a date range, such "
    "as Total sales by product): its rows cannot be placed in time; export the report over "
    "time (by day, week or month) instead"
)


def days(*texts: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(t) for t in texts]


def write(tmp_path: Path, text: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def error_of(path: Path, **kwargs: str) -> KpiXlError:
    with pytest.raises(KpiXlError) as info:
        load_channel_data(path, **kwargs)  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize("path", [SESSIONS, MONTHLY, WEEKLY], ids=lambda p: p.name)
def test_detected_as_shopify(path: Path) -> None:
    assert detect_format(path) == "shopify"


def test_sessions_over_time_reads_only_the_current_columns() -> None:
    ingested = load_report(SESSIONS)
    frame = ingested.frame
    # 4 days; the fifth row (previous year only, empty Day) is dropped
    assert frame["date_from"].tolist() == days(
        "2025-02-27", "2025-02-28", "2025-03-01", "2025-03-02"
    )
    assert frame["date_to"].tolist() == frame["date_from"].tolist()
    # "Sessions", never "Sessions (previous_year)" (1120, 1180, 1310, 1366, 1429) nor the
    # trailing-space %-change column "Sessions (previous_year) " (16.43, 6.02...)
    assert frame["sessions"].tolist() == [1304, 1251, 1411, 1522]
    assert frame["sessions"].sum() == 1304 + 1251 + 1411 + 1522
    # 2025-03-01 sits beside 2024-02-29 (fixed offset after the leap day): still 1411
    assert frame.loc[frame["date_from"] == pd.Timestamp("2025-03-01"), "sessions"].item() == 1411
    # rates, average order value, visitors and Transactions are not read
    measures = [c for c in frame.columns if c not in ("date_from", "date_to", "channel",
                                                      "source", "campaign", "segment",
                                                      "currency")]  # fmt: skip
    assert measures == ["sessions"]
    assert set(frame["channel"]) == {"all"}
    assert set(frame["source"]) == {"shopify"}
    assert set(frame["campaign"]) == {""} and set(frame["segment"]) == {""}
    assert set(frame["currency"]) == {""}
    report = ingested.reports[0]
    assert (report.platform, report.title, report.granularity) == ("shopify", "Shopify", "daily")
    assert (str(report.start), str(report.end), report.rows) == ("2025-02-27", "2025-03-02", 4)
    assert report.warnings == []


def test_total_sales_over_time_by_month() -> None:
    ingested = load_report(MONTHLY)
    frame = ingested.frame
    assert frame["date_from"].tolist() == days("2025-01-01", "2025-02-01", "2025-03-01")
    assert frame["date_to"].tolist() == days("2025-01-31", "2025-02-28", "2025-03-31")
    assert frame["orders"].tolist() == [412, 377, 455]
    assert frame["orders"].sum() == 412 + 377 + 455
    # Total sales (net sales + shipping + duties + fees + taxes), not Net sales
    # (47719.75, 42131.95, 53540.45) nor the previous year's (49335.6, ...)
    # (January: 47719.75 net + 1204 shipping + 0 + 0 + 3802.61 taxes = 52726.36)
    assert frame["revenue"].tolist() == [52726.36, 46586.65, 59172.37]
    assert frame["revenue"].sum() == 52726.36 + 46586.65 + 59172.37
    assert "sessions" not in frame and "checkout_sessions" not in frame
    assert set(frame["channel"]) == {"all"}
    assert set(frame["currency"]) == {""}
    report = ingested.reports[0]
    assert (report.platform, report.granularity, report.rows) == ("shopify", "monthly", 3)
    assert (str(report.start), str(report.end)) == ("2025-01-01", "2025-03-31")


def test_monthly_rows_fit_a_monthly_plan_but_not_a_weekly_one() -> None:
    assert len(load_channel_data(MONTHLY, grain="month")) == 3
    err = error_of(MONTHLY, grain="week")
    assert err.message == (
        "this Shopify export covers 2025-01-01..2025-01-31, 5 weeks of a weekly plan, in one "
        "row: export it broken down by week or by day"
    )
    assert (err.file, err.line) == (str(MONTHLY), 2)


def test_funnel_by_week_reads_checkout_sessions() -> None:
    ingested = load_report(WEEKLY)
    frame = ingested.frame
    # a Week row is its first day and the 6 days after it
    assert frame["date_from"].tolist() == days("2025-03-02", "2025-03-09", "2025-03-16")
    assert frame["date_to"].tolist() == days("2025-03-08", "2025-03-15", "2025-03-22")
    assert frame["sessions"].tolist() == [9120, 8875, 9402]
    assert frame["checkout_sessions"].tolist() == [371, 350, 389]
    assert frame["checkout_sessions"].sum() == 371 + 350 + 389
    assert "orders" not in frame and "revenue" not in frame  # completed checkouts not read
    assert set(frame["channel"]) == {"all"}
    assert ingested.reports[0].granularity == "weekly"


def test_a_sunday_week_spans_two_iso_weeks_of_a_weekly_plan() -> None:
    err = error_of(WEEKLY, grain="week")
    assert err.message == (
        "this Shopify export covers 2025-03-02..2025-03-08, 2 weeks of a weekly plan, in one "
        "row: export it broken down by week or by day"
    )
    assert err.line == 2


def test_a_report_without_a_time_column_is_unsupported() -> None:
    err = error_of(BY_PRODUCT)
    assert err.message == NO_TIME
    assert (err.file, err.line) == (str(BY_PRODUCT), 1)
    with pytest.raises(KpiXlError) as info:
        detect_format(BY_PRODUCT)
    assert info.value.message == NO_TIME


def test_net_sales_is_revenue_only_without_total_sales(tmp_path: Path) -> None:
    path = write(tmp_path, '"Day","Orders","Net sales"\n"2025-01-01",3,120.5\n"2025-01-02",1,40\n')
    frame = load_channel_data(path)
    assert frame["revenue"].tolist() == [120.5, 40]
    assert frame["orders"].tolist() == [3, 1]


def test_older_reached_checkout_name(tmp_path: Path) -> None:
    text = '"Day","Sessions","Reached checkout","Conversion rate"\n"2025-01-01",100,7,0.03\n'
    frame = load_channel_data(write(tmp_path, text))
    assert frame["sessions"].tolist() == [100]
    assert frame["checkout_sessions"].tolist() == [7]


def test_month_and_day_cross_product_is_refused(tmp_path: Path) -> None:
    text = (
        '"Month","Day","Orders","Gross sales","Net sales","Total sales"\n'
        '"2024-01-01","2024-01-01",401,278125.53,261583.62,282510.65\n'
        '"2024-02-01","2024-01-01",0,0,0,0\n'
    )
    err = error_of(write(tmp_path, text))
    assert err.message == (
        "this Shopify report is grouped by two time columns (such as Month and Day: a cross "
        "product of mostly empty rows): export it over time by one of Day, Week or Month"
    )
    assert err.line == 1


def test_a_report_broken_down_by_product_is_refused(tmp_path: Path) -> None:
    text = (
        '"Product title","Product type","Day","Net items sold","Gross sales","Discounts",'
        '"Returns","Net sales","Taxes","Total sales"\n'
        '"Linen Throw Blanket","Home","2025-01-01",3,270,0,0,270,21.6,291.6\n'
        '"Oak Serving Board",,"2025-01-01",2,98,0,0,98,7.84,105.84\n'
    )
    err = error_of(write(tmp_path, text))
    assert err.message == (
        "this Shopify report is broken down by more than time (a product, customer, referrer, "
        "UTM or order column): kpi_xl reads the store's totals; export the report over time "
        "(by day, week or month) with no other dimension"
    )


def test_marketing_channels_export_is_refused_not_read_as_ga4(tmp_path: Path) -> None:
    # kev106/Shopify_project downloads/shopify_channel_performance_US_...csv: unquoted,
    # no final newline, no dates in the file
    text = (
        "Referring platform,Channel,Type,Sessions,Sales,Orders,Conversion rate,Cost,ROAS,CPA,"
        "CTR,AOV,Orders from new customers,Orders from returning customers\n"
        "direct,direct,direct,9372,4019.04,36,0.0038412291933418692,,,,,111.64,17,19\n"
        "alphabet,google,organic,1877,3893.58,28,0.014917421417155035,,,,,139.056,21,7"
    )
    err = error_of(write(tmp_path, text))
    assert err.message == (
        "this is Shopify's Marketing channels report (Referring platform, Channel, Sessions, "
        "Sales...): it holds no dates; export Analytics > Reports > Sessions over time or "
        "Total sales over time, by day, week or month, instead"
    )


def test_a_negative_day_of_sales_is_refused(tmp_path: Path) -> None:
    """Returns are booked on the day they are processed: a day can sell less than it
    takes back. kpi_xl's measures are never negative, so the day is named."""
    text = '"Day","Orders","Total sales"\n"2025-01-01",2,80\n"2025-01-02",0,-20.5\n'
    err = error_of(write(tmp_path, text))
    assert err.message == "'-20.5' is negative: expected Total sales of 0 or more"
    assert (err.line, err.column) == (3, "Total sales")


def test_other_platforms_keep_their_files() -> None:
    assert detect_format(EXPORTS / "ga4_traffic_acquisition.csv") == "ga4"
    assert detect_format(EXPORTS / "mailchimp_campaigns.csv") == "mailchimp"
