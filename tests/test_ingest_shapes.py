"""The shapes real exports come in: period-total reports without a date dimension, GA4's
standard reports, explorations and snapshots, Google Ads' range lines and total rows,
Meta's whole-period ad rows, Search Console's filtered zips. Every expected number is
worked out by hand from the fixture's rows (tests/fixtures/exports/)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import detect_format, load_channel_data, load_report

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
SEPTEMBER = (pd.Timestamp("2026-09-01"), pd.Timestamp("2026-09-30"))


def total(frame: pd.DataFrame, column: str) -> float:
    return float(frame[column].sum())


def error(path: Path, **options: object) -> KpiXlError:
    with pytest.raises(KpiXlError) as info:
        load_channel_data(path, **options)  # type: ignore[arg-type]
    return info.value


# -- GA4 -------------------------------------------------------------------------------------


def test_ga4_standard_report_for_last_month_is_a_period_row_per_channel() -> None:
    """Header on line 10 under the '#' preamble, no Date: the report's range; CRLF; the
    same table repeated after a blank line is read once."""
    path = EXPORTS / "ga4_traffic_acquisition_month.csv"
    ingested = load_report(path)
    frame = ingested.frame
    assert len(frame) == 8
    assert (frame["date_from"] == SEPTEMBER[0]).all() and (frame["date_to"] == SEPTEMBER[1]).all()
    assert frame["channel"].tolist() == [
        "seo", "direct", "paid_search", "paid_search", "other", "organic_social", "other",
        "other",
    ]  # fmt: skip
    assert frame["segment"].tolist()[:4] == ["Organic Search", "Direct", "Paid Search",
                                             "Cross-network"]  # fmt: skip
    assert total(frame, "sessions") == 12040 + 6010 + 4150 + 820 + 95 + 130 + 12 + 44
    assert total(frame, "engaged_sessions") == 8033 + 3605 + 2905 + 410 + 40 + 70 + 6 + 0
    assert total(frame, "key_events") == 412 + 180 + 205 + 11 + 0 + 1 + 0 + 0
    assert total(frame, "revenue") == 25310.5 + 11020 + 9876.25 + 480 + 35.5
    # average engagement time per session x sessions
    assert frame["engagement_time_s"].iloc[1] == pytest.approx(48.5 * 6010)
    (report,) = ingested.reports
    assert (report.platform, report.granularity) == ("ga4", "whole period")
    assert (report.start, report.end) == (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    assert detect_format(path) == "ga4"


def test_ga4_weekly_report_resaved_by_excel() -> None:
    """Lines padded with commas, a blank line of commas, a note typed under the table;
    GA4's Week (weeks start on Sunday, 1 January is in week 01) in the range's year."""
    frame = load_channel_data(EXPORTS / "ga4_user_acquisition_weekly_excel.csv")
    assert frame["channel"].tolist() == ["seo", "seo", "email", "email"]
    # 2026-01-01 is a Thursday: week 01 is 1-3 January, week 36 is 30 August-5 September,
    # cut to the report's range (from 1 September); week 40 (27 September-3 October) too
    assert frame["date_from"].tolist() == [pd.Timestamp(d) for d in
                                           ("2026-09-01", "2026-09-06", "2026-09-01",
                                            "2026-09-27")]  # fmt: skip
    assert frame["date_to"].tolist() == [pd.Timestamp(d) for d in
                                         ("2026-09-05", "2026-09-12", "2026-09-05",
                                          "2026-09-30")]  # fmt: skip
    assert frame["users"].tolist() == [1200, 1500, 300, 150]
    assert total(frame, "key_events") == 40 + 52 + 15 + 9
    # the weeks lie in September: a monthly plan takes them
    assert len(load_channel_data(EXPORTS / "ga4_user_acquisition_weekly_excel.csv",
                                 grain="month")) == 4  # fmt: skip


def test_ga4_hours_are_summed_to_days_and_source_medium_gives_the_channel() -> None:
    ingested = load_report(EXPORTS / "ga4_source_medium_hourly.csv")
    frame = ingested.frame.set_index("segment")
    assert frame.loc["google / organic", "sessions"] == 40 + 10  # 09h and 23h of 29 Sep
    assert frame.loc["google / organic", "channel"] == "seo"  # Organic Search
    assert frame.loc["google / cpc", "channel"] == "paid_search"  # Paid Search
    assert frame.loc["newsletter / email", "channel"] == "email"
    assert frame.loc["facebook.com / referral", "channel"] == "organic_social"  # a social site
    assert frame.loc["(direct) / (none)", "channel"] == "direct"
    assert total(ingested.frame, "sessions") == 105  # "Grand total" row dropped
    assert ingested.reports[0].granularity == "daily (from hourly rows)"


def test_ga4_exploration_drops_its_grand_total_in_an_extra_field() -> None:
    frame = load_channel_data(EXPORTS / "ga4_exploration.csv")
    assert len(frame) == 3
    assert total(frame, "sessions") == 9000 + 3500 + 1289  # = the Grand total, 13789
    assert total(frame, "revenue") == 13000 + 6500.5 + 1500
    assert frame["segment"].tolist() == ["Organic Search / google", "Paid Search / google",
                                         "Referral / news.example.com"]  # fmt: skip
    assert (frame["date_from"] == SEPTEMBER[0]).all() and (frame["date_to"] == SEPTEMBER[1]).all()


def test_ga4_reports_snapshot_gives_site_totals_by_day() -> None:
    ingested = load_report(EXPORTS / "ga4_reports_snapshot.csv")
    frame = ingested.frame
    assert set(frame["channel"]) == {"all"}  # not split by channel: the overall plan only
    assert frame["date_from"].tolist() == [pd.Timestamp(f"2026-09-{d}") for d in (28, 29, 30)]
    assert frame["users"].tolist() == [410, 395, 430]
    assert frame["new_users"].tolist() == [120, 98, 131]
    assert frame["revenue"].tolist() == [1500.25, 980, 2210.5]
    assert frame["engagement_time_s"].tolist() == [52.5 * 410, 48 * 395, 61.25 * 430]
    assert "sessions" not in frame  # a snapshot has no sessions series


def test_ga4_report_without_a_traffic_dimension_is_refused() -> None:
    err = error(EXPORTS / "ga4_events.csv")
    assert err.message == (
        "this GA4 report has no channel or source dimension (an Events, Pages and screens or "
        "Landing page report): export Reports > Acquisition > Traffic acquisition (Session "
        "default channel group) for the same dates instead"
    )


def test_a_ga4_preamble_names_ga4_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("# ----------------------------------------\n# Property: Shop\n"
                    "# ----------------------------------------\nFoo,Bar\n1,2\n")  # fmt: skip
    err = error(path)
    assert err.message.startswith("this looks like a GA4 export, but not one kpi_xl reads")


# -- Google Ads ------------------------------------------------------------------------------


def test_google_ads_campaign_report_for_a_month() -> None:
    path = EXPORTS / "google_ads_campaign_report_month.csv"
    ingested = load_report(path)
    frame = ingested.frame
    assert len(frame) == 4  # every "Total: ..." row dropped
    assert frame["campaign"].tolist() == [
        "Brand - Exact", "Γενική αναζήτηση, παπούτσια", "PMax - All products",
        "Display - Remarketing",
    ]  # fmt: skip
    assert frame["channel"].tolist() == ["paid_search", "paid_search", "paid_search", "display"]
    assert total(frame, "clicks") == 1234 + 2100 + 3050 + 80
    assert total(frame, "impressions") == 12345 + 42000 + 120500 + 40000
    assert total(frame, "cost") == pytest.approx(555.30 + 1050.00 + 1220.00 + 24.00)
    assert total(frame, "conversions") == 12 + 18.5 + 30 + 1  # not "Conv. (Platform Comparable)"
    assert total(frame, "conversion_value") == pytest.approx(1234.5 + 2220 + 3900 + 40)
    assert set(frame["currency"]) == {"EUR"}
    assert (frame["date_from"] == SEPTEMBER[0]).all() and (frame["date_to"] == SEPTEMBER[1]).all()
    assert ingested.reports[0].granularity == "whole period"


def test_google_ads_uk_range_line() -> None:
    frame = load_channel_data(EXPORTS / "google_ads_campaign_report_uk.csv")
    assert frame["cost"].tolist() == [210.00, 390.50]
    assert (frame["date_from"] == SEPTEMBER[0]).all() and (frame["date_to"] == SEPTEMBER[1]).all()
    assert set(frame["currency"]) == {"GBP"}


def test_google_ads_interactions_are_never_clicks() -> None:
    frame = load_channel_data(EXPORTS / "google_ads_video_report.csv")
    assert "clicks" not in frame
    assert frame["interactions"].tolist() == [4200, 900]
    assert frame["channel"].tolist() == ["display", "display"]  # Video, Demand Gen
    assert total(frame, "cost") == 210 + 300


def test_google_ads_all_time_is_refused() -> None:
    err = error(EXPORTS / "google_ads_all_time.csv")
    assert err.message == (
        "this Google Ads report covers 'All time' in one row per campaign: download it for a "
        "date range (for example last month), or segmented by day"
    )


def test_google_ads_asset_report_is_refused() -> None:
    err = error(EXPORTS / "google_ads_asset_report.csv")
    assert err.message == (
        "this is a Google Ads asset report: assets are served together, so its rows cannot be "
        "added up; download the Campaign report instead"
    )


# -- Meta ------------------------------------------------------------------------------------


def test_meta_ad_rows_for_the_report_range() -> None:
    ingested = load_report(EXPORTS / "meta_ads_ads_month.csv")
    everything = ingested.frame
    # the summary row (no names) gives only the account's reach for September: 52,000
    # people, not the ads' 21,000 + 12,000 + ... (one person sees several ads)
    summary = everything[everything["campaign"] == ""]
    assert summary["reach"].tolist() == [52000]
    assert summary["cost"].isna().all() and summary["impressions"].isna().all()
    frame = everything[everything["campaign"] != ""]
    # the two identical "Form ad" rows are one row with their sum, and reported
    assert len(frame) == 5
    assert ingested.reports[0].duplicates == 1
    assert (frame["date_from"] == SEPTEMBER[0]).all() and (frame["date_to"] == SEPTEMBER[1]).all()
    assert total(frame, "cost") == pytest.approx(600.25 + 300 + 150.25 + 50 + 50 + 0)
    assert total(frame, "impressions") == 40000 + 21000 + 20000 + 5000 + 5000 + 0
    # conversions only from Purchases: post engagements and profile visits never count
    assert total(frame, "conversions") == 30 + 14
    assert total(frame, "conversion_value") == 3600 + 1690
    assert total(frame, "platform_leads") == 6 + 6
    assert set(frame["currency"]) == {"EUR"}
    assert frame["segment"].tolist()[0] == "Lookalike 1% / Carousel A / 25-34"


def test_meta_results_count_as_conversions_only_for_conversion_actions(tmp_path: Path) -> None:
    path = tmp_path / "meta.csv"
    path.write_text(
        "Reporting starts,Reporting ends,Campaign name,Amount spent (USD),Impressions,Results,"
        "Result indicator\n"
        "2026-09-01,2026-09-30,Shop,100,1000,8,actions:offsite_conversion.fb_pixel_purchase\n"
        "2026-09-01,2026-09-30,Leads,50,500,3,actions:lead\n"
        "2026-09-01,2026-09-30,Reach,20,4000,900,actions:post_engagement\n"
        "2026-09-01,2026-09-30,Visits,10,300,40,actions:omni_landing_page_view\n"
    )
    frame = load_channel_data(path)
    assert frame["conversions"].tolist()[:2] == [8, 3]
    assert frame["conversions"].isna().tolist() == [False, False, True, True]
    assert set(frame["currency"]) == {"USD"}


def test_meta_empty_export_is_a_warning(tmp_path: Path) -> None:
    ingested = load_report(EXPORTS / "meta_ads_no_data.csv")
    assert ingested.frame.empty
    assert ingested.warnings == [
        f"{EXPORTS / 'meta_ads_no_data.csv'}: the Meta Ads export holds no data (no rows read)"
    ]


# -- Search Console --------------------------------------------------------------------------


def _zip(tmp_path: Path, name: str, members: dict[str, str]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in members.items():
            archive.writestr(member, text)
    return path


CHART = "Date,Clicks,Impressions,CTR,Position\n2026-09-01,40,2000,2%,8.5\n2026-09-02,60,3000,2%,7\n"
QUERIES = "Top queries,Clicks,Impressions,CTR,Position\nshoes,70,4000,1.75%,6.2\n"


def test_search_console_chart_zip_with_a_page_filter(tmp_path: Path) -> None:
    filters = "Filter,Value\nSearch type,Web\nDate,1 Sep 2026-2 Sep 2026\nPage,+/blog/\n"
    path = _zip(tmp_path, "gsc.zip",
                {"Chart.csv": CHART, "Queries.csv": QUERIES, "Filters.csv": filters})  # fmt: skip
    ingested = load_report(path)
    frame = ingested.frame
    assert frame["clicks"].tolist() == [40, 60]  # Queries.csv not added again
    assert frame["position_x_impressions"].tolist() == [8.5 * 2000, 7 * 3000]
    assert set(frame["segment"]) == {"Page +/blog/"}
    assert ingested.reports[0].notes == ["filtered export (Page +/blog/): not the whole site"]


def test_search_console_discover_and_core_web_vitals_are_named(tmp_path: Path) -> None:
    discover = _zip(tmp_path, "discover.zip", {
        "Chart.csv": "Date,Clicks,Impressions,CTR\n2026-09-01,5,900,0.56%\n",
        "Discover appearance.csv":
            "Discover appearance,Clicks,Impressions,CTR\nArticle,5,900,0.56%\n",
    })  # fmt: skip
    err = error(discover)
    assert err.message == (
        "this is a Search Console Discover export: kpi_xl reads the Search results performance "
        "export (Search Console > Performance > Search results > Export)"
    )
    vitals = _zip(tmp_path, "cwv.zip", {
        "Chart.csv": "Date,Poor,Need improvement,Good\n2026-09-01,3,10,250\n",
        "Table.csv": "Issue,Validation,URLs\nLCP issue: longer than 2.5s (mobile),Not started,3\n",
    })  # fmt: skip
    err = error(vitals)
    assert err.message == (
        "this is a Search Console Core Web Vitals export, not performance data: kpi_xl reads "
        "the Search results performance export (Search Console > Performance > Search results "
        "> Export)"
    )


# -- Mailchimp -------------------------------------------------------------------------------


def test_mailchimp_campaigns_list() -> None:
    frame = load_channel_data(EXPORTS / "mailchimp_campaign_list.csv")
    assert frame["emails_sent"].tolist() == [4210, 4198]
    assert frame["date_from"].tolist() == [pd.Timestamp("2026-09-01"), pd.Timestamp("2026-09-28")]
    assert frame["segment"].tolist() == ["Nordic Goods customers"] * 2


# -- several exports -------------------------------------------------------------------------


def test_a_period_row_spanning_weeks_is_refused_for_a_weekly_plan() -> None:
    err = error(EXPORTS / "google_ads_campaign_report_month.csv", grain="week")
    assert err.line == 4
    assert err.message == (
        "this Google Ads export covers 2026-09-01..2026-09-30, 5 weeks of a weekly plan, in one "
        "row: export it broken down by week or by day"
    )


def test_an_excel_sheet_is_named_in_the_unknown_layout_message(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Budget 2026"
    book.active.append(["hello", "world"])
    book.active.append([1, 2])
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path / "book.xlsx"
    path.write_bytes(buffer.getvalue())
    err = error(path)
    assert err.file == f"{path}:Budget 2026"
