"""Bad input: one KpiXlError naming the file, the line and the column, and what was
expected; nothing returned half-read."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import load_channel_data, sources

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
    assert err.message.startswith("rows at line 2 and line 4 have the same date, channel")


def test_exact_repeats_are_kept_once(tmp_path: Path) -> None:
    path = write(tmp_path, ADS_HEADER + "2025-01-01,A,10,100,5\n2025-01-01,A,10,100,5\n")
    assert len(load_channel_data(path)) == 1


def test_conflict_between_two_files(tmp_path: Path) -> None:
    first = write(tmp_path, ADS_HEADER + "2025-01-01,A,10,100,5\n", "jan.csv")
    second = write(tmp_path, ADS_HEADER + "2025-01-02,A,1,1,1\n2025-01-01,A,10,100,6\n", "b.csv")
    with pytest.raises(KpiXlError) as info:
        load_channel_data(first, second)
    err = info.value
    assert (err.file, err.line, err.column) == (str(second), 3, "cost")
    assert f"rows at {first} line 2 and {second} line 3" in err.message


def test_missing_required_column(tmp_path: Path) -> None:
    path = write(tmp_path, "Campaign,Clicks,Impr.,Cost\nA,10,100,5.00\n")
    err = error_of(path)
    assert (err.line, err.column) == (1, "Day")
    assert err.message.startswith("missing column 'Day': expected a column named 'Day', 'tag'")


def test_unknown_layout_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "hello,world\n1,2\n")
    err = error_of(path)
    assert (err.file, err.line) == (str(path), 1)
    assert err.message.startswith("unknown layout, no known header (the first one found: hello")
    for layout in ("GA4 report CSV", "Google Ads report", "Meta Ads Manager", "Search Console",
                   "Mailchimp", "LinkedIn", "canonical table"):  # fmt: skip
        assert layout in err.message


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


def test_meta_row_spanning_days(tmp_path: Path) -> None:
    header = "Reporting starts,Reporting ends,Campaign name,Amount spent (EUR)\n"
    text = header + "2025-03-01,2025-03-31,A,1\n"
    err = error_of(write(tmp_path, text))
    assert (err.line, err.column) == (2, "Reporting ends")
    assert err.message.startswith(
        "the row covers 2025-03-01 to 2025-03-31: expected one row per day"
    )


def test_row_with_too_many_fields(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, ADS_HEADER + "2025-01-01,A,10,100,5.00,7\n"))
    assert err.line == 2
    assert "this row has 6 fields but the header (line 1) has 5" in err.message


def test_percent_outside_rate_columns(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, ADS_HEADER + "2025-01-01,A,10,100,4.95%\n"))
    assert (err.line, err.column) == (2, "Cost")
    assert "'4.95%' is not a number" in err.message


def test_ga4_without_a_date_dimension(tmp_path: Path) -> None:
    path = write(
        tmp_path, "# Start date: 20250301\nSession default channel group,Sessions\nDirect,5\n"
    )
    err = error_of(path)
    assert (err.line, err.column) == (2, "Date")
    assert "the GA4 report has no date dimension" in err.message


def test_search_console_without_dates_table(tmp_path: Path) -> None:
    path = tmp_path / "gsc.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(EXPORTS / "search_console" / "Queries.csv", "Queries.csv")
    err = error_of(path)
    assert err.file == f"{path}:Queries.csv"
    assert "has no Date column: expected the Dates table" in err.message


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
    assert str(err) == f"{tmp_path / 'nope.csv'}: no such file"


def test_bad_channel_map_value() -> None:
    with pytest.raises(KpiXlError, match="channel_map maps 'x' to 'tv': expected one of seo"):
        load_channel_data(EXPORTS / "meta_ads_daily.csv", channel_map={"x": "tv"})


def test_no_sources() -> None:
    with pytest.raises(KpiXlError, match="no data given"):
        load_channel_data()
