"""Microsoft Advertising report downloads; every expected value worked out by hand from the
fixture's rows (tests/fixtures/exports/microsoft_ads_*.csv)."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import detect_format, load_channel_data, load_report

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
DAILY = EXPORTS / "microsoft_ads_campaigns_daily.csv"
SUMMARY = EXPORTS / "microsoft_ads_campaigns_summary.csv"
UTC = dt.UTC


def variant(tmp_path: Path, source: Path, old: str, new: str, name: str = "report.csv") -> Path:
    """A copy of ``source`` with one piece of text replaced (the replaced text must exist)."""
    text = source.read_bytes().decode("utf-8-sig")
    assert old in text
    path = tmp_path / name
    path.write_bytes(text.replace(old, new).encode("utf-8-sig"))
    return path


def total(frame: pd.DataFrame, column: str) -> float:
    """The column's sum, added up row by row (the order the expected sums are written in)."""
    return sum(frame[column].tolist(), 0.0)


def refusal(path: Path, grain: str | None = None) -> str:
    with pytest.raises(KpiXlError) as err:
        load_channel_data(path, grain=grain)
    return err.value.message


def test_daily_campaign_report() -> None:
    report = load_report(DAILY)
    frame = report.frame
    assert detect_format(DAILY) == "microsoft_ads"
    assert len(frame) == 7  # the preamble, the blank lines and the footer are not rows
    assert set(frame["source"]) == {"microsoft_ads"}
    assert set(frame["currency"]) == {"EUR"}
    assert set(frame["segment"]) == {""}
    assert frame["date_from"].tolist() == frame["date_to"].tolist()
    assert frame["date_from"].tolist() == [
        pd.Timestamp(d) for d in ("2026-03-01",) * 2 + ("2026-03-02",) * 3 + ("2026-03-03",) * 2
    ]
    assert frame["campaign"].tolist() == [
        "Brand - Exact",
        "Audience - Retargeting",
        "Brand - Exact",
        "Generic - Shoes",
        "Generic - Shoes",
        "Brand - Exact",
        "Audience - Retargeting",
    ]
    # Ad distribution: Search -> paid_search, Audience -> display (one campaign, both)
    assert frame["channel"].tolist() == [
        "paid_search",
        "display",
        "paid_search",
        "paid_search",
        "display",
        "paid_search",
        "display",
    ]
    assert frame["impressions"].sum() == 1200 + 15000 + 1100 + 800 + 5000 + 1300 + 16500
    assert frame["clicks"].sum() == 96 + 30 + 88 + 40 + 10 + 91 + 33
    assert frame["cost"].tolist() == [49.92, 12.00, 48.40, 32.00, 3.00, 45.50, 14.85]
    assert total(frame, "cost") == 49.92 + 12.00 + 48.40 + 32.00 + 3.00 + 45.50 + 14.85
    assert frame["conversions"].sum() == 4 + 0 + 3 + 2 + 0 + 5 + 1
    # Revenue is the conversion value
    assert frame["conversion_value"].tolist() == [320.00, 0.00, 255.50, 150.00, 0.00, 410.25, 59.90]
    assert total(frame, "conversion_value") == (
        320.00 + 0.00 + 255.50 + 150.00 + 0.00 + 410.25 + 59.90
    )
    search = frame[frame["channel"] == "paid_search"]
    display = frame[frame["channel"] == "display"]
    assert total(search, "cost") == 49.92 + 48.40 + 32.00 + 45.50
    assert total(display, "cost") == 12.00 + 3.00 + 14.85
    shoes = frame[(frame["campaign"] == "Generic - Shoes")]
    assert shoes.set_index("channel")["impressions"].to_dict() == {
        "paid_search": 800,
        "display": 5000,
    }
    (read,) = report.reports
    assert read.platform == "microsoft_ads"
    assert read.title == "Microsoft Advertising"
    assert read.granularity == "daily"
    assert (read.start, read.end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 3))
    assert read.rows == 7
    # "Last Completed Available Hour: 3/4/2026 7:20:00 AM (GMT)"
    assert read.exported_at == dt.datetime(2026, 3, 4, 7, 20, tzinfo=UTC)
    assert read.notes == []  # "Potential Incomplete Data: false"
    assert read.warnings == []


def test_summary_report_covers_the_report_time_range() -> None:
    report = load_report(SUMMARY)
    frame = report.frame
    assert detect_format(SUMMARY) == "microsoft_ads"
    assert len(frame) == 3
    # "Report Time: 3/1/2026,3/31/2026": no date column, every row covers the range
    assert set(frame["date_from"]) == {pd.Timestamp("2026-03-01")}
    assert set(frame["date_to"]) == {pd.Timestamp("2026-03-31")}
    assert frame["campaign"].tolist() == [
        "Brand - Exact",
        "Generic - Shoes",
        "Audience - Retargeting",
    ]
    # Campaign type: Search & content -> paid_search, Audience -> display
    assert frame["channel"].tolist() == ["paid_search", "paid_search", "display"]
    assert set(frame["currency"]) == {"USD"}
    assert frame["impressions"].sum() == 36500 + 24800 + 410000
    assert frame["clicks"].sum() == 2920 + 1116 + 820
    assert frame["cost"].tolist() == [1489.20, 870.48, 344.40]
    assert total(frame, "cost") == 1489.20 + 870.48 + 344.40
    assert frame["conversions"].sum() == 121 + 37 + 9
    assert total(frame, "conversion_value") == 9680.00 + 2775.00 + 531.00
    (read,) = report.reports
    assert read.platform == "microsoft_ads"
    assert read.granularity == "whole period"
    assert (read.start, read.end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert read.exported_at == dt.datetime(2026, 4, 1, 11, 45, tzinfo=UTC)
    assert read.notes == [
        "Microsoft Advertising marks this report 'Potential Incomplete Data': its latest "
        "days may still change (a newer download of them replaces these rows)"
    ]
    # one month: fits a monthly plan
    assert len(load_channel_data(SUMMARY, grain="month")) == 3


def test_summary_over_two_months_is_refused_for_a_monthly_plan(tmp_path: Path) -> None:
    path = variant(
        tmp_path, SUMMARY, "Report Time: 3/1/2026,3/31/2026", "Report Time: 2/15/2026,3/31/2026"
    )
    frame = load_channel_data(path)
    assert set(frame["date_from"]) == {pd.Timestamp("2026-02-15")}
    assert set(frame["date_to"]) == {pd.Timestamp("2026-03-31")}
    assert refusal(path, grain="month") == (
        "this Microsoft Advertising export covers 2026-02-15..2026-03-31, 2 months of a monthly "
        "plan, in one row: export it broken down by month or by day"
    )


@pytest.mark.parametrize(
    ("written", "start", "end"),
    [
        ("Report Time: 3/1/2026, 3/31/2026", "2026-03-01", "2026-03-31"),  # the docs' spacing
        ("Report Time: 3/15/2026", "2026-03-15", "2026-03-15"),  # one day
    ],
)
def test_report_time_forms(tmp_path: Path, written: str, start: str, end: str) -> None:
    path = variant(tmp_path, SUMMARY, "Report Time: 3/1/2026,3/31/2026", written)
    frame = load_channel_data(path)
    assert set(frame["date_from"]) == {pd.Timestamp(start)}
    assert set(frame["date_to"]) == {pd.Timestamp(end)}
    assert total(frame, "cost") == 1489.20 + 870.48 + 344.40


def test_two_cell_preamble_without_blank_line(tmp_path: Path) -> None:
    """``"Report Time:","3/1/2026,3/31/2026"`` and the header right under the preamble."""
    lines = SUMMARY.read_bytes().decode("utf-8-sig").split("\r\n")
    cells = [f'"{ln[1:-1].split(": ", 1)[0]}:","{ln[1:-1].split(": ", 1)[1]}"' for ln in lines[:9]]
    assert cells[1] == '"Report Time:","3/1/2026,3/31/2026"'
    path = tmp_path / "two_cells.csv"
    path.write_bytes("\r\n".join([*cells, *lines[10:]]).encode("utf-8"))
    assert detect_format(path) == "microsoft_ads"
    report = load_report(path)
    assert set(report.frame["date_to"]) == {pd.Timestamp("2026-03-31")}
    assert report.frame["clicks"].sum() == 2920 + 1116 + 820
    assert report.reports[0].exported_at == dt.datetime(2026, 4, 1, 11, 45, tzinfo=UTC)


def test_footer_and_total_row_inside_the_table_are_dropped(tmp_path: Path) -> None:
    # no blank line before the footer, and a "Total" row (none seen in real downloads)
    path = variant(
        tmp_path,
        DAILY,
        '"EUR"\r\n\r\n"©2026',
        '"EUR"\r\n"Total","","","","40900","388","","","205.67","15","","1195.65","EUR"\r\n"©2026',
    )
    frame = load_channel_data(path)
    assert len(frame) == 7
    assert frame["clicks"].sum() == 96 + 30 + 88 + 40 + 10 + 91 + 33


@pytest.mark.parametrize(
    ("aggregation", "what"),
    [
        ("Weekly", "by week"),
        ("Monthly", "by month"),
        ("Hour", "by hour"),
        ("Yearly", "by year"),
        ("Day of week", "by day of week or hour of day"),
    ],
)
def test_other_aggregations_are_refused(tmp_path: Path, aggregation: str, what: str) -> None:
    path = variant(
        tmp_path, DAILY, "Report Aggregation: Daily", f"Report Aggregation: {aggregation}"
    )
    assert refusal(path) == (
        f"this Microsoft Advertising report is aggregated {what} (its 'Report Aggregation' "
        "line): expected a Daily or Summary report; run the report again with Daily aggregation"
    )


def test_hour_column_is_refused_without_a_preamble(tmp_path: Path) -> None:
    path = tmp_path / "hourly.csv"
    path.write_text(
        '"Gregorian date","Hour","Campaign name","Impressions","Clicks","Spend","Currency code"\n'
        '"2026-03-01","7","Brand - Exact","120","9","4.50","EUR"\n',
        encoding="utf-8",
    )
    assert refusal(path) == (
        "this Microsoft Advertising report has an 'Hour' column (one row per hour): expected "
        "a Daily or Summary report; run the report again with Daily aggregation"
    )


def test_summary_without_report_time_has_no_dates(tmp_path: Path) -> None:
    path = variant(tmp_path, SUMMARY, '"Report Time: 3/1/2026,3/31/2026"\r\n', "")
    assert refusal(path) == (
        "this Microsoft Advertising report has no dates: expected a 'Gregorian date' column or "
        "the 'Report Time:' line of the report's preamble (run the report with Daily "
        "aggregation, or Summary for a date range)"
    )


def test_api_style_columns_without_preamble_or_footer(tmp_path: Path) -> None:
    """ExcludeReportHeader/ExcludeReportFooter and API column names (FormatVersion 2.0)."""
    path = tmp_path / "api.csv"
    path.write_text(
        '"TimePeriod","CampaignName","AdDistribution","Impressions","Clicks","Spend",'
        '"Conversions","Revenue","CurrencyCode"\n'
        '"2026-03-01","Brand - Exact","Search","1200","96","49.92","4","320.00","GBP"\n'
        '"2026-03-01","Brand - Exact","Audience","900","3","0.90","0","0.00","GBP"\n',
        encoding="utf-8",
    )
    assert detect_format(path) == "microsoft_ads"
    frame = load_channel_data(path)
    assert frame["channel"].tolist() == ["paid_search", "display"]
    assert total(frame, "cost") == 49.92 + 0.90
    assert total(frame, "conversion_value") == 320.00 + 0.00
    assert set(frame["currency"]) == {"GBP"}
    assert set(frame["date_from"]) == {pd.Timestamp("2026-03-01")}


def test_zipped_download(tmp_path: Path) -> None:
    """The Reports page hands the CSV over in a zip."""
    archive = tmp_path / "Campaign_report.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(DAILY, "Campaign_report.csv")
    assert detect_format(archive) == "microsoft_ads"
    frame = load_channel_data(archive)
    assert total(frame, "cost") == 49.92 + 12.00 + 48.40 + 32.00 + 3.00 + 45.50 + 14.85


def test_xlsx_download_with_preamble_rows(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for line in (
        "Report Name: Campaign March",
        "Report Time: 3/1/2026,3/31/2026",
        "Report Aggregation: Summary",
        "Rows: 2",
    ):
        ws.append([line])
    ws.append([])
    ws.append(
        [
            "Campaign name",
            "Impressions",
            "Clicks",
            "Spend",
            "Conversions",
            "Revenue",
            "Currency code",
        ]
    )
    ws.append(["Brand - Exact", 36500, 2920, 1489.2, 121, 9680, "USD"])
    ws.append(["Generic - Shoes", 24800, 1116, 870.48, 37, 2775, "USD"])
    ws.append([])
    ws.append(["©2026 Microsoft Corporation. All rights reserved. "])
    path = tmp_path / "report.xlsx"
    wb.save(path)
    assert detect_format(path) == "microsoft_ads"
    frame = load_channel_data(path)
    assert set(frame["date_from"]) == {pd.Timestamp("2026-03-01")}
    assert set(frame["date_to"]) == {pd.Timestamp("2026-03-31")}
    assert total(frame, "cost") == 1489.2 + 870.48
    assert frame["channel"].tolist() == ["paid_search", "paid_search"]


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("google_ads_campaigns.csv", "google_ads"),
        ("google_ads_de.csv", "google_ads"),
        ("meta_ads_daily.csv", "meta_ads"),
        ("linkedin_campaigns.csv", "linkedin"),
        ("tiktok_ads_campaigns_daily.csv", "tiktok_ads"),
    ],
)
def test_other_platforms_files_are_not_taken(name: str, source: str) -> None:
    assert detect_format(EXPORTS / name) == source


def test_tab_separated_keyword_report_with_a_short_preamble(tmp_path: Path) -> None:
    """The shape of a real 2026 UI download pasted as text: tab-separated, unquoted preamble
    of five lines, no date column (the period is the Report Time range)."""
    path = tmp_path / "keywords.tsv"
    path.write_text(
        "Report Name: 关键词\n"
        "Report Time: 6/10/2026,6/16/2026\n"
        "Time Zone: (GMT+08:00) Beijing, Chongqing, Hong Kong SAR, Urumqi\n"
        "Last Completed Available Day: 6/17/2026 7:20:00 AM (GMT)\n"
        "Last Completed Available Hour: 6/17/2026 7:20:00 AM (GMT)\n"
        "\n"
        "Account name\tCampaign name\tAd group\tKeyword ID\tKeyword\tBid match type\t"
        "Ad distribution\tImpressions\tClicks\tCTR\tAvg. CPC\tSpend\tConversions\tCPA\n"
        "玉联\t个推\t次核心词\t[82945799304067]\tpushplus\tPhrase\tSearch\t309\t91\t29.45%\t3.5\t"
        "318.26\t20\t15.91\n"
        "玉联\t品牌词\t常规词\t[82121165260284]\t个推\tExact\tSearch\t115\t28\t24.35%\t0.83\t"
        "23.3\t0\t\n",
        encoding="utf-8",
    )
    assert detect_format(path) == "microsoft_ads"
    report = load_report(path)
    frame = report.frame
    assert set(frame["date_from"]) == {pd.Timestamp("2026-06-10")}
    assert set(frame["date_to"]) == {pd.Timestamp("2026-06-16")}
    assert frame["campaign"].tolist() == ["个推", "品牌词"]
    assert frame["segment"].tolist() == ["次核心词 / pushplus", "常规词 / 个推"]
    assert frame["impressions"].sum() == 309 + 115
    assert frame["clicks"].sum() == 91 + 28
    assert total(frame, "cost") == 318.26 + 23.3
    assert frame["conversions"].sum() == 20 + 0
    assert set(frame["currency"]) == {""}
    assert report.reports[0].granularity == "whole period"
    assert report.reports[0].exported_at == dt.datetime(2026, 6, 17, 7, 20, tzinfo=UTC)


def test_a_later_download_of_the_same_days_replaces_the_earlier(tmp_path: Path) -> None:
    """'Last Completed Available Hour' dates each download, whatever the files' times."""
    row = '"2026-03-03","Acme EU","Brand - Exact","Search","1300","91","7.00%","0.50","45.50",'
    revised = variant(tmp_path, DAILY, row + '"5"', row + '"6"', name="revised.csv")
    later = variant(
        tmp_path,
        revised,
        "Last Completed Available Hour: 3/4/2026 7:20:00 AM (GMT)",
        "Last Completed Available Hour: 3/6/2026 7:20:00 AM (GMT)",
        name="later.csv",
    )
    os.utime(later, (1_000_000_000, 1_000_000_000))  # the newer download, an old file time
    report = load_report(DAILY, later)
    frame = report.frame
    assert len(frame) == 7
    assert frame["conversions"].sum() == 4 + 0 + 3 + 2 + 0 + 6 + 1  # 3/3 Brand - Exact: 5 -> 6
    assert [r.replaced for r in report.reports] == [0, 7]
