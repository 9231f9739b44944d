"""``kpi-xl ingest``: reports what it detected; bad input is one line on stderr, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from kpi_xl.cli import main
from kpi_xl.ingest import load_channel_data

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def test_ingest_prints_the_detected_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(EXPORTS / "google_ads_de.csv")]) == 0
    out = capsys.readouterr()
    summary = json.loads(out.out)
    assert summary["files"] == {
        str(EXPORTS / "google_ads_de.csv"): {
            "platform": "google_ads",
            "granularity": "daily",
            "range": ["2025-02-01", "2025-02-02"],
            "rows": 3,
            "currencies": ["EUR"],  # the file's "Währung" column
        }
    }
    assert list(summary["sources"]) == ["google_ads"]
    assert summary["sources"]["google_ads"]["rows"] == 3
    assert out.err == ""


def test_ingest_writes_the_canonical_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "canonical.csv"
    args = ["ingest", str(EXPORTS / "meta_ads_daily.csv"), str(EXPORTS / "linkedin_campaigns.csv")]
    assert main([*args, "-o", str(target)]) == 0
    # Meta: 3 ad rows and the summary row's reach; LinkedIn: 3 campaigns
    assert f"wrote {target} ({3 + 1 + 3} rows)" in capsys.readouterr().out
    written = load_channel_data(target)
    pd.testing.assert_frame_equal(
        written,
        load_channel_data(EXPORTS / "meta_ads_daily.csv", EXPORTS / "linkedin_campaigns.csv"),
    )


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01garbage\xff" * 10,
        b"just,some\ntext,here\n",
        b"Day,Campaign,Clicks,Impr.,Cost\nx,A,1,1,1\n",
    ],
)
def test_ingest_garbage_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(content)
    assert main(["ingest", str(path)]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.splitlines()
    assert 1 <= len(lines) <= 2  # the error; at most a second line listing the platforms
    assert lines[0].startswith(f"kpi-xl: error: {path}")
    assert len(lines) == 1 or lines[1].startswith("  kpi_xl reads: ")
    assert "Traceback" not in out.err


def test_ingest_reads_the_bundled_sample(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import resources

    from kpi_xl.sample_data import BUNDLED_FILE, load_daily_sample

    with resources.as_file(resources.files("kpi_xl.sample_data") / BUNDLED_FILE) as path:
        assert main(["ingest", str(path)]) == 0
    summary = json.loads(capsys.readouterr().out)
    sample = load_daily_sample()
    assert [f["platform"] for f in summary["files"].values()] == ["canonical"]
    assert summary["total"]["rows"] == len(sample)
    assert summary["total"]["channels"] == sorted(sample["channel"].unique())


# every fixture that is an export on its own (Search Console's other tables are read only
# inside the zip, beside Dates.csv)
STANDALONE = [*sorted(EXPORTS.glob("*.csv")), EXPORTS / "search_console" / "Dates.csv"]


@pytest.mark.parametrize("path", STANDALONE, ids=lambda p: p.name)
def test_formats_found_while_loading_match_detection(path: Path) -> None:
    """`kpi-xl ingest` reports the layout found during the one read; it must agree with
    detect_format, which reads only the headers. An export kpi_xl refuses (tested with its
    platform) is refused in one line naming the file."""
    from kpi_xl.errors import KpiXlError
    from kpi_xl.ingest import detect_format, load_with_formats

    try:
        found = load_with_formats(path)[1]
    except KpiXlError as refused:
        assert path.name in str(refused)
        assert "\n" not in refused.message
        return
    assert found == [detect_format(path)]


def test_a_zip_of_several_exports_reports_each_layout(tmp_path: Path) -> None:
    import zipfile

    from kpi_xl.ingest import load_with_formats

    archive = tmp_path / "exports.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("meta_ads_daily.csv", "mailchimp_campaigns.csv"):
            zf.write(EXPORTS / name, name)
    assert load_with_formats(archive)[1] == ["meta_ads, mailchimp"]
