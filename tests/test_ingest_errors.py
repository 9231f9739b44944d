"""Bad input: one KpiXlError naming the file, the line and the column, and what was
expected; nothing returned half-read."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import load_channel_data, load_report, sources

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
ADS_HEADER = "Day,Campaign,Clicks,Impr.,Cost\n"


def error_of(path: Path, **kwargs: object) -> KpiXlError:
    with pytest.raises(KpiXlError) as info:
        load_channel_data(path, **kwargs)  # type: ignore[arg-type]
    return info.value


def write(tmp_path: Path, text: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_non_numeric_value(tmp_path: Path) -> None:
    path = write(tmp_path, ADS_HEADER + "2025-01-01,A,10,100,5.00\n2025-01-02,A,ten,100,5.00\n")
    err = error_of(path)
    assert (err.file, err.line, err.column) == (str(path), 3, "Clicks")
    assert err.message == "'ten' is not a number: expected a number such as 1234.5 or 1,234.5"
    assert str(err).startswith(f"{path}, line 3, column 'Clicks': 'ten' is not a number")


def test_impossible_date(tmp_path: Path) -> None:
    path = write(tmp_path, ADS_HEADER + "2025-01-01,A,1,100,5\n2025-02-30,A,1,100,5\n")
    err = error_of(path)
    assert (err.file, err.line, err.column) == (str(path), 3, "Day")
    assert "'2025-02-30' is not a valid date: no such day" in err.message


def test_unreadable_date(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,Clicks,Impressions,CTR,Position\nyesterday,1,2,50%,3\n")
    err = error_of(path)
    assert (err.line, err.column) == (2, "Date")
    assert err.message == (
        "'yesterday' is not a date: expected a date such as 2025-03-31 or 31.03.2025 or 3/31/2025"
    )


@pytest.mark.parametrize(("row", "column"), [("10,100,-5.00", "Cost"), ("10,-100,5", "Impr.")])
def test_negative_cost_or_impressions(tmp_path: Path, row: str, column: str) -> None:
    path = write(tmp_path, ADS_HEADER + f"2025-01-01,A,{row}\n")
    err = error_of(path)
    assert (err.line, err.column) == (2, column)
    assert f"is negative: expected {column} of 0 or more" in err.message


def test_conflicting_duplicate_rows(tmp_path: Path) -> None:
    text = ADS_HEADER + "2025-01-01,A,10,100,5\n2025-01-01,B,1,1,1\n2025-01-01,A,11,100,5\n"
    path = write(tmp_path, text)
    err = error_of(path)
    assert (err.file, err.line, err.column) == (str(path), 4, "Clicks")
    assert err.message.startswith("rows at line 2 and line 4 have the same dates, channel")


def test_exact_repeats_within_one_export_are_each_counted(tmp_path: Path) -> None:
    """Two rows alike in every cell are two things the export cannot tell apart (two ads
    with the same name): both count, and the report says so."""
    path = write(tmp_path, ADS_HEADER + "2025-01-01,A,10,100,5\n2025-01-01,A,10,100,5\n")
    ingested = load_report(path)
    assert ingested.frame["clicks"].tolist() == [20]
    assert ingested.frame["cost"].tolist() == [10]
    assert ingested.reports[0].duplicates == 1


def test_the_newer_of_two_overlapping_exports_wins(tmp_path: Path) -> None:
    first = write(tmp_path, ADS_HEADER + "2025-01-01,A,10,100,5\n", "jan.csv")
    second = write(tmp_path, ADS_HEADER + "2025-01-02,A,1,1,1\n2025-01-01,A,10,100,6\n", "b.csv")
    os.utime(first, (1_700_000_000, 1_700_000_000))
    os.utime(second, (1_700_000_100, 1_700_000_100))
    ingested = load_report(first, second)
    assert ingested.frame["cost"].tolist() == [1, 6]  # the revised 1 January from b.csv
    (replaced,) = ingested.replacements
    assert str(replaced) == f"{second} replaced 1 row(s) of {first} (2025-01-01..2025-01-01)"


def test_google_ads_report_without_day_or_range(tmp_path: Path) -> None:
    path = write(tmp_path, "Campaign,Clicks,Impr.,Cost\nA,10,100,5.00\n")
    err = error_of(path)
    assert (err.line, err.column) == (1, "Day")
    assert err.message == (
        "this Google Ads report has no dates: expected a 'Day' column or the date range on "
        "the line under the report's title (download it for a date range, or segmented by day)"
    )


def test_unknown_layout_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "hello,world\n1,2\n")
    err = error_of(path)
    assert (err.file, err.line) == (str(path), 1)
    assert err.message == (
        "unknown layout, no known header (the first one found: hello, world): pass an export "
        "of a platform listed below, as the platform writes it (docs/ingest.md shows each "
        "layout)"
    )
    assert err.detail is not None and err.detail.startswith("kpi_xl reads: ")
    for title in ("GA4", "Google Ads", "Meta Ads", "Search Console", "Mailchimp", "LinkedIn Ads",
                  "canonical table"):  # fmt: skip
        assert title in err.detail


def test_unknown_channel_in_canonical(tmp_path: Path) -> None:
    path = write(tmp_path, "date,channel,cost\n2025-01-01,seo,1\n2025-01-02,tv,2\n")
    err = error_of(path)
    assert (err.line, err.column) == (3, "channel")
    assert err.message.startswith("unknown channel 'tv': expected one of seo, paid_search")


def test_unknown_canonical_column(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "date,channel,costs\n2025-01-01,seo,1\n"))
    assert (err.line, err.column) == (1, "costs")
    assert "unknown column 'costs'" in err.message


def test_dataframe_without_channel() -> None:
    frame = pd.DataFrame({"date": ["2025-01-01"], "cost": [1.0]})
    with pytest.raises(KpiXlError, match="missing column 'channel'") as info:
        load_channel_data(frame)
    assert info.value.file == "<DataFrame>"


def test_dataframe_rows_are_numbered_from_one() -> None:
    frame = pd.DataFrame({"date": ["2025-01-01", "2025-01-02"], "channel": ["seo", "x"]})
    with pytest.raises(KpiXlError) as info:
        load_channel_data(frame)
    assert (info.value.file, info.value.line, info.value.column) == ("<DataFrame>", 2, "channel")


def test_mixed_currencies(tmp_path: Path) -> None:
    header = "Day,Campaign,Currency code,Clicks,Impr.,Cost\n"
    text = header + "2025-01-01,A,EUR,1,1,1\n2025-01-01,B,USD,1,1,1\n"
    err = error_of(write(tmp_path, text))
    assert (err.line, err.column) == (3, "Currency code")
    assert "currency 'USD' differs from 'EUR'" in err.message


def test_meta_row_spanning_plan_periods(tmp_path: Path) -> None:
    header = "Reporting starts,Reporting ends,Campaign name,Amount spent (EUR)\n"
    path = write(tmp_path, header + "2025-02-01,2025-08-04,A,1\n")
    assert len(load_channel_data(path)) == 1  # a period row, fine for a yearly view
    err = error_of(path, grain="month")
    assert (err.file, err.line) == (str(path), 2)
    assert err.message == (
        "this Meta Ads export covers 2025-02-01..2025-08-04, 7 months of a monthly plan, in "
        "one row: export it broken down by month or by day"
    )


def test_row_with_too_many_fields(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, ADS_HEADER + "2025-01-01,A,10,100,5.00,7\n"))
    assert err.line == 2
    assert "this row has 6 fields but the header (line 1) has 5" in err.message


def test_percent_outside_rate_columns(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, ADS_HEADER + "2025-01-01,A,10,100,4.95%\n"))
    assert (err.line, err.column) == (2, "Cost")
    assert "'4.95%' is not a number" in err.message


def test_ga4_without_a_date_dimension_or_range(tmp_path: Path) -> None:
    path = write(
        tmp_path, "# Start date: 20250301\nSession default channel group,Sessions\nDirect,5\n"
    )
    err = error_of(path)
    assert (err.line, err.column) == (2, "Date")
    assert err.message.startswith("this GA4 report has no dates: expected a 'Date' column")


def test_search_console_without_dates_table(tmp_path: Path) -> None:
    path = tmp_path / "gsc.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(EXPORTS / "search_console" / "Queries.csv", "Queries.csv")
    err = error_of(path)
    assert err.file == f"{path}:Queries.csv"
    assert "has no Date column: expected the daily table (Chart.csv or Dates.csv" in err.message


def test_zip_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "MAX_MEMBER_BYTES", 10_000)
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Dates.csv", "Date,Clicks\n" + "2025-01-01,1\n" * 5_000)
    err = error_of(path)
    assert err.file == f"{path}:Dates.csv"
    assert err.message.startswith("unpacks to more than 10,000 bytes: refusing to read it")


def test_gzip_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    monkeypatch.setattr(sources, "MAX_MEMBER_BYTES", 10_000)
    path = tmp_path / "big.csv.gz"
    path.write_bytes(gzip.compress(b"date,channel\n" + b"2025-01-01,seo\n" * 5_000))
    assert "refusing to read it" in error_of(path).message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02\x03binary", "this is a binary file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "legacy Excel .xls"),
        (b"PK\x03\x04garbage", "damaged zip file"),
        (b"PAR1garbage", "cannot read this Parquet file"),
        (b"\x1f\x8bgarbage", "damaged gzip file"),
        ("Day,Campaign\n\u00e9".encode() + b"\xe9\n", "invalid UTF-8 byte 0xe9"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    err = error_of(path)
    assert err.file == str(path)
    assert expected in err.message


def test_missing_file(tmp_path: Path) -> None:
    err = error_of(tmp_path / "nope.csv")
    assert str(err) == f"{tmp_path / 'nope.csv'}: no such file: check the name and the folder"


def test_bad_channel_map_value() -> None:
    with pytest.raises(KpiXlError, match="channel_map maps 'x' to 'tv': expected one of seo"):
        load_channel_data(EXPORTS / "meta_ads_daily.csv", channel_map={"x": "tv"})


def test_no_sources() -> None:
    with pytest.raises(KpiXlError, match="no data given"):
        load_channel_data()


def test_ga4_snapshot_cut_off_inside_a_series(tmp_path: Path) -> None:
    """A download cut off after '0' of '0002' (hypothesis found it): day 0 twice is the
    sign; a one-line error, not a pandas crash."""
    text = (EXPORTS / "ga4_reports_snapshot.csv").read_text(encoding="utf-8")
    cut = text[: text.index("0001,980") + len("0001,980\n0")]
    err = error_of(write(tmp_path, cut))
    assert "day 0 appears twice in the 'Total revenue' series" in str(err)
    assert err.column == "Nth day" and err.line == cut.count("\n") + 1
