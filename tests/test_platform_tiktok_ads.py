"""TikTok Ads Manager exports; every expected value worked out by hand from the fixture's
rows (tests/fixtures/exports/tiktok_ads_*.csv)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import detect_format, load_channel_data, load_report

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
DAILY = EXPORTS / "tiktok_ads_campaigns_daily.csv"
UNDATED = EXPORTS / "tiktok_ads_campaigns_undated.csv"
NO_DATES = (
    "this TikTok Ads export has no date column (TikTok does not write its date range into "
    "the file): expected a 'By Day' column; export it again with the breakdown By Day"
)


def total(frame: pd.DataFrame, column: str) -> float:
    """The column's sum (missing values left out), added up row by row."""
    return sum((v for v in frame[column].tolist() if not math.isnan(v)), 0.0)


def test_daily_campaign_export() -> None:
    report = load_report(DAILY)
    frame = report.frame
    assert detect_format(DAILY) == "tiktok_ads"
    assert len(frame) == 5  # "Total of 3 campaigns" dropped
    assert set(frame["source"]) == {"tiktok_ads"}
    assert set(frame["channel"]) == {"paid_social"}
    assert set(frame["currency"]) == {"EUR"}
    assert set(frame["segment"]) == {""}
    assert frame["campaign"].tolist() == [
        "Spring Sale - Conversions",
        "Brand Awareness - Reach",
        "Retargeting - Video Views",
        "Spring Sale - Conversions",
        "Brand Awareness - Reach",
    ]
    assert frame["date_from"].tolist() == frame["date_to"].tolist()
    assert frame["date_from"].tolist() == [
        pd.Timestamp(d) for d in ("2026-03-01",) * 3 + ("2026-03-02",) * 2
    ]
    assert frame["cost"].tolist() == [120.50, 80.00, 0.00, 135.25, 79.40]
    assert total(frame, "cost") == 120.50 + 80.00 + 0.00 + 135.25 + 79.40
    assert frame["impressions"].sum() == 12400 + 25000 + 0 + 13900 + 24100  # "12,400"
    # Clicks (destination), never Clicks (all)
    assert frame["clicks"].sum() == 310 + 95 + 0 + 352 + 88
    # Conversions only: the reach campaign's Results (21,500 and 20,700 people reached)
    # are not conversions, its "-" stays missing
    conversions = frame["conversions"].tolist()
    assert [conversions[i] for i in (0, 2, 3)] == [12, 0, 15]
    assert math.isnan(conversions[1]) and math.isnan(conversions[4])
    assert total(frame, "conversions") == 12 + 0 + 15
    # reach as reported, per row (not additive)
    assert frame["reach"].tolist() == [9800, 21500, 0, 10950, 20700]
    assert "conversion_value" not in frame.columns
    (read,) = report.reports
    assert read.platform == "tiktok_ads"
    assert read.title == "TikTok Ads"
    assert read.granularity == "daily"
    assert (read.start, read.end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    assert read.rows == 5
    assert read.warnings == []


def test_export_without_a_date_breakdown_is_refused() -> None:
    assert detect_format(UNDATED) == "tiktok_ads"  # the header is TikTok's
    with pytest.raises(KpiXlError) as err:
        load_channel_data(UNDATED)
    assert err.value.message == NO_DATES
    assert err.value.line == 1


def test_xlsx_export_with_real_dates(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "By Day",
            "Campaign name",
            "Ad group name",
            "Cost",
            "Impressions",
            "Clicks (destination)",
            "Conversions",
            "Results",
            "Reach",
            "Currency",
        ]
    )
    sheet.append(["Total of 2 ad groups", "-", "-", 60.75, 9000, 130, 7, 7, "-", "USD"])
    sheet.append(
        [dt.datetime(2026, 3, 1), "Spring Sale", "18-24 F", 40.5, 6000, 90, 5, 5, 4800, "USD"]
    )
    sheet.append(
        [dt.datetime(2026, 3, 1), "Spring Sale", "25-34 F", 20.25, 3000, 40, 2, 2, 2500, "USD"]
    )
    path = tmp_path / "tiktok.xlsx"
    book.save(path)
    assert detect_format(path) == "tiktok_ads"
    frame = load_channel_data(path)
    assert frame["segment"].tolist() == ["18-24 F", "25-34 F"]
    assert set(frame["date_from"]) == {pd.Timestamp("2026-03-01")}
    assert frame["cost"].tolist() == [40.5, 20.25]
    assert total(frame, "cost") == 40.5 + 20.25
    assert frame["clicks"].sum() == 90 + 40
    assert frame["conversions"].sum() == 5 + 2
    assert set(frame["currency"]) == {"USD"}


def test_undated_xlsx_export_is_refused(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Campaign name", "Cost", "Impressions", "Clicks (destination)", "Currency"])
    sheet.append(["Total of 1 campaigns", 40.5, 6000, 90, "USD"])
    sheet.append(["Spring Sale", 40.5, 6000, 90, "USD"])
    path = tmp_path / "tiktok.xlsx"
    book.save(path)
    with pytest.raises(KpiXlError) as err:
        load_channel_data(path)
    assert err.value.message == NO_DATES


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("google_ads_campaigns.csv", "google_ads"),
        ("google_ads_de.csv", "google_ads"),
        ("google_ads_fr_cp1252.csv", "google_ads"),
        ("google_ads_excel_utf16.csv", "google_ads"),
        ("meta_ads_daily.csv", "meta_ads"),
        ("linkedin_campaigns.csv", "linkedin"),
        ("microsoft_ads_campaigns_daily.csv", "microsoft_ads"),
    ],
)
def test_other_platforms_files_are_not_taken(name: str, source: str) -> None:
    assert detect_format(EXPORTS / name) == source


def test_a_google_ads_header_is_not_tiktok(tmp_path: Path) -> None:
    """Cost, Impressions and Clicks without TikTok's own columns stay Google Ads'."""
    path = tmp_path / "report.csv"
    path.write_text(
        "Campaign report\n"
        '"March 1, 2026 - March 31, 2026"\n'
        "Campaign,Clicks,Impressions,Cost,Conversions,Cost per conversion\n"
        "Brand,10,100,5.00,1,5.00\n",
        encoding="utf-8",
    )
    assert detect_format(path) == "google_ads"
