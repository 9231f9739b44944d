"""Each adapter on its real-layout fixture; expected values worked out by hand from the
fixture's rows (see tests/fixtures/exports/)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kpi_xl.ingest import describe, detect_format, load_channel_data, write_canonical

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
GSC = EXPORTS / "search_console"


def total(frame: pd.DataFrame, column: str) -> float:
    return float(frame[column].sum())


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def test_ga4_reads_the_dated_channel_table_and_drops_totals() -> None:
    frame = load_channel_data(EXPORTS / "ga4_traffic_acquisition.csv")
    # table 1 has no date (skipped), table 2's first row is the empty-dimension total,
    # table 3 (Nth day chart) would count sessions twice: only table 2's six rows count.
    assert len(frame) == 6
    assert set(frame["source"]) == {"ga4"}
    assert frame["channel"].tolist() == [
        "seo",
        "seo",
        "direct",
        "direct",
        "organic_social",
        "other",
    ]
    assert frame["segment"].tolist() == [
        "Organic Search",
        "Organic Search",
        "Direct",
        "Direct",
        "Organic Video",
        "Unassigned",
    ]
    assert frame["campaign"].tolist() == [""] * 6
    assert frame["date_from"].tolist() == [day(d) for d in ["2025-03-01", "2025-03-02"] * 3]
    assert total(frame, "sessions") == 100 + 200 + 60 + 40 + 10 + 4
    assert total(frame, "users") == 80 + 150 + 50 + 35 + 9 + 4
    assert total(frame, "new_users") == 40 + 70 + 20 + 10 + 9 + 4
    assert total(frame, "engaged_sessions") == 60 + 140 + 30 + 20 + 5 + 0
    assert total(frame, "pageviews") == 250 + 500 + 90 + 60 + 12 + 4
    # average session duration x sessions
    assert (
        total(frame, "session_duration_s")
        == 120.5 * 100 + 90 * 200 + 60 * 60 + 30.25 * 40 + 10 * 10
    )
    # bounce rate x sessions, rounded to whole sessions
    assert frame["bounces"].tolist() == [40, 60, 30, 20, 5, 4]
    assert total(frame, "key_events") == 2 + 4 + 1  # GA4's key events, not conversions
    assert total(frame, "orders") == 2 + 4 + 1
    assert total(frame, "revenue") == 200 + 400 + 80


def test_ga4_semicolon_decimal_comma_and_percent_with_space() -> None:
    frame = load_channel_data(EXPORTS / "ga4_semicolon.csv")
    assert frame["channel"].tolist() == ["paid_social", "email", "paid_social"]
    assert frame["users"].tolist() == [150, 70, 100]  # Active users
    # "62,5 %" of 200 sessions, "25 %" of 80, "50 %" of 120
    assert frame["bounces"].tolist() == [125, 20, 60]
    assert frame["session_duration_s"].tolist() == [45.5 * 200, 120 * 80, 30 * 120]
    assert frame["revenue"].tolist() == [1234.5, 99.9, 100.0]  # "1.234,50" etc.


def test_ga4_nth_day_counts_from_the_start_date(tmp_path: Path) -> None:
    path = tmp_path / "chart.csv"
    path.write_text(
        "# Start date: 20250330\n# End date: 20250401\nNth day,Sessions\n0000,5\n0001,6\n0002,7\n"
    )
    frame = load_channel_data(path)
    assert frame["date_from"].tolist() == [day("2025-03-30"), day("2025-03-31"), day("2025-04-01")]
    assert frame["sessions"].tolist() == [5, 6, 7]
    assert set(frame["channel"]) == {"other"}  # no channel group column


def test_google_ads_english_report() -> None:
    frame = load_channel_data(EXPORTS / "google_ads_campaigns.csv")
    assert len(frame) == 5  # three "Total: ..." footers dropped
    assert set(frame["source"]) == {"google_ads"}
    assert frame["channel"].tolist() == [
        "paid_search",
        "display",
        "paid_search",
        "paid_search",
        "display",
    ]
    assert frame["campaign"].tolist()[3] == '=HYPERLINK("http://x")'
    assert frame["clicks"].tolist() == [1234, 80, 1100, 5, 0]
    assert total(frame, "impressions") == 12345 + 40000 + 11000 + 100 + 1000
    assert frame["cost"].tolist() == [555.30, 24.00, 506.00, 5.00, 0.00]
    assert total(frame, "conversions") == 12 + 1 + 10.5
    assert frame["conversion_value"].tolist() == [1234.50, 40.00, 1050.25, 0.0, 0.0]
    assert frame["date_from"].tolist() == [
        day(d) for d in ["2025-01-01"] * 2 + ["2025-01-02"] * 2 + ["2025-01-03"]
    ]


def test_google_ads_utf16_tab_excel_csv() -> None:
    frame = load_channel_data(EXPORTS / "google_ads_excel_utf16.csv")
    assert frame["campaign"].tolist() == ["Generic - Shoes", "Generic - Shoes", "YouTube - Launch"]
    assert frame["channel"].tolist() == ["paid_search", "paid_search", "display"]  # Video
    assert frame["clicks"].tolist() == [1050, 950, 30]
    assert frame["impressions"].tolist() == [21000, 19000, 15000]
    assert frame["cost"].tolist() == [1575.75, 1424.25, 60.00]
    assert frame["conversions"].tolist() == [21.0, 19.5, 0.0]


def test_google_ads_german_semicolons_and_decimal_commas() -> None:
    frame = load_channel_data(EXPORTS / "google_ads_de.csv")
    assert len(frame) == 3  # "Gesamt: Konto" dropped
    assert frame["campaign"].tolist() == ["Marke", "Video – Frühling", "Marke"]
    assert frame["channel"].tolist() == ["paid_search", "display", "paid_search"]
    assert frame["date_from"].tolist() == [day("2025-02-01"), day("2025-02-01"), day("2025-02-02")]
    assert frame["clicks"].tolist() == [1234, 15, 987]  # "1.234": thousands
    assert frame["impressions"].tolist() == [12345, 3000, 10001]
    assert frame["cost"].tolist() == [1234.56, 45.10, 876.54]  # "1.234,56"
    assert frame["conversions"].tolist() == [12.5, 0, 9]
    assert frame["conversion_value"].tolist() == [2469.12, 0, 1753.08]


def test_google_ads_french_windows_1252_with_nbsp_thousands() -> None:
    frame = load_channel_data(EXPORTS / "google_ads_fr_cp1252.csv")
    assert frame["date_from"].tolist() == [day("2025-02-01"), day("2025-02-13")]  # D/M/YYYY
    assert frame["clicks"].tolist() == [1234, 10]
    assert frame["impressions"].tolist() == [12345, 100]
    assert frame["cost"].tolist() == [1234.56, 12.30]
    assert frame["conversion_value"].tolist() == [2469.12, 20.0]


def test_google_ads_xlsx_download(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Campaign performance report"])
    sheet.append(["January 1, 2025 - January 2, 2025"])
    sheet.append(["Day", "Campaign", "Clicks", "Impr.", "Cost", "Conversions"])
    sheet.append([dt.datetime(2025, 1, 1), "@SUM(A1)", 10, 1000, 12.5, 1.0])
    sheet.append([dt.datetime(2025, 1, 2), "=1+1", 20, 2000, 25.25, 0.5])
    sheet.append(["Total: Account", None, 30, 3000, 37.75, 1.5])
    sheet["B5"].data_type = "s"  # a text cell that looks like a formula
    path = tmp_path / "report.xlsx"
    book.save(path)
    frame = load_channel_data(path)
    assert frame["campaign"].tolist() == ["@SUM(A1)", "=1+1"]
    assert frame["date_from"].tolist() == [day("2025-01-01"), day("2025-01-02")]
    assert frame["clicks"].tolist() == [10, 20]
    assert frame["cost"].tolist() == [12.5, 25.25]
    assert set(frame["source"]) == {"google_ads"}


def test_meta_ads_summary_row_gives_only_the_reach_of_the_whole_export() -> None:
    everything = load_channel_data(EXPORTS / "meta_ads_daily.csv")
    summary = everything[everything["campaign"] == ""]
    # the first row (empty campaign name, 2 days) is the summary: only its reach is kept,
    # the one figure the ad rows cannot give (people reached on both days count once)
    assert summary["reach"].tolist() == [18000]
    assert summary["date_from"].tolist() == [day("2025-03-01")]
    assert summary["date_to"].tolist() == [day("2025-03-02")]
    assert summary.drop(columns="reach").select_dtypes("number").isna().all().all()
    frame = everything[everything["campaign"] != ""].reset_index(drop=True)
    assert len(frame) == 3
    assert set(everything["channel"]) == {"paid_social"}
    assert set(frame["source"]) == {"meta_ads"}
    assert frame["campaign"].tolist() == ["Spring Sale", "Spring Sale", "@SUM(A1:A3)"]
    assert frame["segment"].tolist() == ["Lookalike 1%", "Lookalike 1%", "Broad"]
    assert frame["cost"].tolist() == [100.25, 90.25, 20.00]  # "Amount spent (EUR)"
    assert frame["impressions"].tolist() == [12000, 10000, 8000]
    assert frame["reach"].tolist() == [9000, 8000, 7000]
    assert frame["clicks"].tolist() == [180, 140, 40]  # link clicks, not clicks (all)
    assert frame["conversions"].tolist() == [7, 5, 2]  # Purchases
    assert total(frame, "conversion_value") == 770 + 550 + 220


def test_search_console_dates_csv() -> None:
    frame = load_channel_data(GSC / "Dates.csv")
    assert frame["date_from"].tolist() == [day("2025-03-03"), day("2025-03-02"), day("2025-03-01")]
    assert frame["clicks"].tolist() == [12, 10, 8]
    assert frame["impressions"].tolist() == [1200, 800, 400]
    assert frame["position_x_impressions"].tolist() == [8.5 * 1200, 10.25 * 800, 12 * 400]
    assert set(frame["channel"]) == {"seo"}
    assert set(frame["source"]) == {"search_console"}


def make_zip(path: Path, members: dict[str, Path]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in members.items():
            archive.write(source, name)
    return path


def test_search_console_zip_reads_only_the_dated_table(tmp_path: Path) -> None:
    names = ["Queries", "Pages", "Countries", "Devices", "Dates", "Filters"]
    archive = make_zip(tmp_path / "gsc.zip", {f"{n}.csv": GSC / f"{n}.csv" for n in names})
    frame = load_channel_data(archive)
    assert len(frame) == 3
    assert total(frame, "clicks") == 12 + 10 + 8  # Queries/Pages/... not added on top
    assert total(frame, "impressions") == 1200 + 800 + 400
    assert total(frame, "position_x_impressions") == 8.5 * 1200 + 10.25 * 800 + 12 * 400


def test_search_console_zip_with_chart_csv(tmp_path: Path) -> None:
    members = {"Chart.csv": GSC / "Dates.csv", "Queries.csv": GSC / "Queries.csv"}
    frame = load_channel_data(make_zip(tmp_path / "gsc.zip", members))
    assert total(frame, "clicks") == 30


def test_mailchimp_campaign_report() -> None:
    frame = load_channel_data(EXPORTS / "mailchimp_campaigns.csv")
    assert frame["date_from"].tolist() == [day("2025-03-31"), day("2025-03-05")]
    assert frame["campaign"].tolist() == ["March newsletter", "Welcome series #1"]
    assert frame["segment"].tolist() == ["Nordic Goods customers"] * 2
    assert frame["emails_sent"].tolist() == [1000, 250]
    assert frame["emails_delivered"].tolist() == [980, 245]
    assert frame["unique_opens"].tolist() == [441, 150]
    assert frame["unique_clicks"].tolist() == [98, 40]
    assert frame["unsubscribes"].tolist() == [3, 1]
    assert frame["email_bounces"].tolist() == [12 + 8, 3 + 2]  # soft + hard
    # what Mailchimp attributes to the e-mails: its conversions and conversion value,
    # never the shop's revenue
    assert frame["conversions"].tolist() == [5, 2]
    assert frame["conversion_value"].tolist() == [280.00, 110.50]
    assert "revenue" not in frame and "orders" not in frame
    assert set(frame["channel"]) == {"email"}


def test_linkedin_campaign_manager_export() -> None:
    frame = load_channel_data(EXPORTS / "linkedin_campaigns.csv")
    assert len(frame) == 3  # "Total" row dropped
    assert frame["date_from"].tolist() == [day("2025-03-01"), day("2025-03-02"), day("2025-03-02")]
    assert frame["campaign"].tolist() == ["CFO webinar", "CFO webinar", "Retargeting"]
    assert frame["cost"].tolist() == [1234.50, 1000.00, 65.25]
    assert frame["impressions"].tolist() == [12000, 10000, 2500]
    # "Clicks to Landing Page" are clicks to the site; "Clicks" every click
    assert frame["clicks"].tolist() == [60, 50, 15]
    assert frame["clicks_all"].tolist() == [85, 70, 20]
    assert frame["conversions"].tolist() == [4, 3, 1]
    assert frame["platform_leads"].tolist() == [6, 5, 0]  # the platform's own leads
    assert set(frame["currency"]) == {"EUR"}
    assert frame["engagements"].tolist() == [40 + 5 + 3, 30 + 4 + 2, 5 + 0 + 1]
    assert frame["shares"].tolist() == [3, 2, 1]
    assert set(frame["channel"]) == {"paid_social"}


def test_several_sources_are_concatenated_in_order() -> None:
    frame = load_channel_data(EXPORTS / "meta_ads_daily.csv", EXPORTS / "mailchimp_campaigns.csv")
    # Meta: three ad rows, then its summary row's reach
    assert frame["source"].tolist() == ["meta_ads"] * 4 + ["mailchimp"] * 2
    assert frame["reach"].isna().tolist() == [False] * 4 + [True] * 2
    assert list(frame.columns[:7]) == [
        "date_from", "date_to", "channel", "source", "campaign", "segment", "currency"
    ]  # fmt: skip
    assert (frame.dtypes.iloc[7:] == "float64").all()


def test_the_same_file_twice_is_not_counted_twice() -> None:
    path = EXPORTS / "linkedin_campaigns.csv"
    assert len(load_channel_data(path, path)) == 3


def test_channel_map_overrides_by_value_and_by_adapter() -> None:
    frame = load_channel_data(
        EXPORTS / "ga4_traffic_acquisition.csv",
        EXPORTS / "linkedin_campaigns.csv",
        channel_map={"Organic Video": "content", " UNASSIGNED ": "direct", "linkedin": "display"},
    )
    ga4 = frame[frame["source"] == "ga4"]
    assert ga4["channel"].tolist() == ["seo", "seo", "direct", "direct", "content", "direct"]
    assert set(frame.loc[frame["source"] == "linkedin", "channel"]) == {"display"}


def test_google_ads_campaign_type_channel_map() -> None:
    frame = load_channel_data(
        EXPORTS / "google_ads_campaigns.csv", channel_map={"display": "content"}
    )
    assert frame["channel"].tolist() == [
        "paid_search",
        "content",
        "paid_search",
        "paid_search",
        "content",
    ]


def test_describe_names_the_detected_formats() -> None:
    frame = load_channel_data(EXPORTS / "google_ads_de.csv", GSC / "Dates.csv")
    summary = describe(frame)
    assert list(summary["sources"]) == ["google_ads", "search_console"]
    assert summary["sources"]["google_ads"]["rows"] == 3
    assert summary["sources"]["google_ads"]["date_range"] == ["2025-02-01", "2025-02-02"]
    assert summary["total"]["channels"] == ["display", "paid_search", "seo"]


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("ga4_traffic_acquisition.csv", "ga4"),
        ("ga4_semicolon.csv", "ga4"),
        ("google_ads_campaigns.csv", "google_ads"),
        ("google_ads_excel_utf16.csv", "google_ads"),
        ("google_ads_de.csv", "google_ads"),
        ("google_ads_fr_cp1252.csv", "google_ads"),
        ("meta_ads_daily.csv", "meta_ads"),
        ("mailchimp_campaigns.csv", "mailchimp"),
        ("linkedin_campaigns.csv", "linkedin"),
        ("search_console/Dates.csv", "search_console"),
    ],
)
def test_detection_is_by_content_not_by_name(tmp_path: Path, name: str, source: str) -> None:
    renamed = tmp_path / "export.txt"
    renamed.write_bytes((EXPORTS / name).read_bytes())
    assert set(load_channel_data(renamed)["source"]) == {source}
    assert detect_format(renamed) == source


def test_detect_format_of_archives_and_canonical_files(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "gsc.zip", {n: GSC / n for n in ("Queries.csv", "Dates.csv")})
    assert detect_format(archive) == "search_console"
    mixed = make_zip(
        tmp_path / "mixed.zip",
        {"a.csv": EXPORTS / "meta_ads_daily.csv", "b.csv": EXPORTS / "mailchimp_campaigns.csv"},
    )
    assert detect_format(mixed) == "meta_ads, mailchimp"
    assert len(load_channel_data(mixed)) == 3 + 1 + 2  # Meta's rows, its reach, Mailchimp
    path = tmp_path / "data.csv.gz"
    write_canonical(load_channel_data(EXPORTS / "meta_ads_daily.csv"), path)
    assert detect_format(path) == "canonical"
