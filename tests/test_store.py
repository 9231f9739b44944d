"""The history store: exports appended to a DuckDB file, newer exports replacing the stored
rows of the days they cover, plans built from it.

The exports are Meta Ads daily reports in the layout Ads Manager writes
(tests/fixtures/exports/meta_ads_daily.csv: a summary row for the whole range first, then
one row per campaign and day); the expected spend is summed by hand from the figures the
test writes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import openpyxl
import pytest

from kpi_xl.cli import main
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest import ingest_into_store, load_report
from kpi_xl.ingest.store import SCHEMA_VERSION, read_store, store_info
from kpi_xl.pipeline import build_plan

HEADER = (
    '"Reporting starts","Reporting ends","Campaign name","Ad set name","Campaign delivery",'
    '"Amount spent (EUR)","Impressions","Reach","Frequency","CTR (link click-through rate)",'
    '"Link clicks","Clicks (all)","Results","Result indicator","Purchases",'
    '"Purchases conversion value","Cost per result"'
)
PURCHASE = "actions:offsite_conversion.fb_pixel_purchase"


def spend(version: str, day: int) -> float:
    """Spring Sale's spend on 2026-03-<day> as an export of ``version`` reports it: the
    later download revised the days both cover."""
    return {"A": 100.0, "B": 200.0, "C": 300.0}[version] + day


def meta_export(folder: Path, name: str, version: str, days: range, age: int) -> Path:
    """A Meta Ads daily export of Spring Sale for ``days`` of March 2026, ``age`` hours old."""
    first, last = f"2026-03-{days[0]:02d}", f"2026-03-{days[-1]:02d}"
    total = sum(spend(version, d) for d in days)
    lines = [
        HEADER,
        f'"{first}","{last}","","","","{total:.2f}","{1000 * len(days)}","900","1.11","1.0",'
        f'"{10 * len(days)}","{12 * len(days)}","","","{len(days)}","{100 * len(days)}.00",""',
    ]
    for d in days:
        day = f"2026-03-{d:02d}"
        lines.append(
            f'"{day}","{day}","Spring Sale","Broad","active","{spend(version, d):.2f}","1000",'
            f'"800","1.25","1.0","10","12","1","{PURCHASE}","1","100.00","{spend(version, d):.2f}"'
        )
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stamp = dt.datetime(2026, 3, 20).timestamp() - age * 3600
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def weeks(tmp_path: Path) -> tuple[Path, Path]:
    """Two overlapping weekly downloads: 2..8 March, then 6..12 March a day later."""
    older = meta_export(tmp_path, "meta_week1.csv", "A", range(2, 9), age=48)
    newer = meta_export(tmp_path, "meta_week2.csv", "B", range(6, 13), age=24)
    return older, newer


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(list(args)) == 0
    out = capsys.readouterr().out
    return dict(json.loads(out[: out.rindex("}") + 1]))


def test_a_newer_weekly_export_replaces_the_days_it_covers(
    weeks: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older, newer = weeks
    store = tmp_path / "marketing.duckdb"
    first = _cli(capsys, "ingest", str(older), "--store", str(store))
    # 7 days of Spring Sale and the summary row (the week's reach, kept for its own days)
    assert first["store"] == {
        "store": str(store), "added": 8, "replaced": [], "dropped_as_older": 0,
        "rows_in_store": 8,
    }  # fmt: skip
    second = _cli(capsys, "ingest", str(newer), "--store", str(store))
    report = second["store"]
    assert isinstance(report, dict)
    assert report["added"] == 8 and report["rows_in_store"] == 13  # 8 + 8 - 3 replaced
    assert report["replaced"] == [f"{newer} replaced 3 row(s) of {older} (2026-03-06..2026-03-08)"]
    stored = read_store(store).frame
    stored = stored[stored["campaign"] == "Spring Sale"]
    by_day = dict(zip(stored["date_from"].dt.day, stored["cost"], strict=True))
    assert by_day == {d: spend("A" if d < 6 else "B", d) for d in range(2, 13)}


def test_an_older_export_ingested_late_does_not_overwrite(
    weeks: tuple[Path, Path], tmp_path: Path
) -> None:
    older, newer = weeks
    store = tmp_path / "s.duckdb"
    ingest_into_store(store, newer)
    _, report = ingest_into_store(store, older)
    # 2..5 March and the week's summary row; 6..8 March: the newer figures stay
    assert report.added == 5 and report.dropped == 3
    stored = read_store(store).frame
    assert stored.loc[stored["date_from"] == "2026-03-07", "cost"].tolist() == [spend("B", 7)]


def test_a_plan_built_from_the_store_equals_one_built_from_the_newest_files(
    weeks: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older, newer = weeks
    store = tmp_path / "marketing.duckdb"
    for export in (older, newer):
        _cli(capsys, "ingest", str(export), "--store", str(store))
    out = tmp_path / "from_store.xlsx"
    assert main(["build", "--source", str(store), "-o", str(out), "--year", "2026", "-q"]) == 0
    assert "from 1 source(s)" in capsys.readouterr().out
    from_store = out
    from_files = build_plan(
        [older, newer], tmp_path / "from_files.xlsx", template="ecommerce", year=2026
    )

    def plan_data(path: Path) -> list[tuple[object, ...]]:
        wb = openpyxl.load_workbook(path, data_only=True)
        for ws in wb.worksheets:
            if "PlanData" in ws.tables:
                ref = ws.tables["PlanData"].ref
                return [tuple(c.value for c in row) for row in ws[ref]]
        raise AssertionError("no PlanData table")

    rows = plan_data(from_store)
    assert rows == plan_data(from_files)
    header = rows[0]
    cost = [
        r[header.index("cost")]
        for r in rows[1:]
        if r[header.index("period")] == "2026-03" and r[header.index("scope")] == "paid_social"
    ]
    expected = sum(spend("A", d) for d in range(2, 6)) + sum(spend("B", d) for d in range(6, 13))
    assert cost == [pytest.approx(expected)]  # 418 + 1463 = 1881, summed by hand


def test_store_info_names_sources_ranges_and_rows(
    weeks: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "m.duckdb"
    for export in weeks:
        ingest_into_store(store, export)
    info = _cli(capsys, "store", "info", str(store))
    assert info["schema_version"] == SCHEMA_VERSION
    assert info["sources"] == {
        "meta_ads": {
            "files": 2,
            "range": ["2026-03-02", "2026-03-12"],
            "rows": 13,
            "last_ingested": info["sources"]["meta_ads"]["last_ingested"],  # type: ignore[index]
        }
    }
    assert store_info(store)["rows"] == 13


def test_a_store_from_a_newer_kpi_xl_is_refused(weeks: tuple[Path, Path], tmp_path: Path) -> None:
    store = tmp_path / "future.duckdb"
    ingest_into_store(store, weeks[0])
    with duckdb.connect(str(store)) as con:
        con.execute("UPDATE kpi_store SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(KpiXlError, match="schema version 99, written by a newer kpi_xl"):
        ingest_into_store(store, weeks[1])


def test_other_duckdb_files_and_missing_stores_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(KpiXlError, match="not a kpi_xl history store"):
        load_report(other)
    assert main(["store", "info", str(tmp_path / "missing.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such history store" in err and "--store" in err


def test_the_same_export_added_twice_is_stored_once(
    weeks: tuple[Path, Path], tmp_path: Path
) -> None:
    store = tmp_path / "twice.duckdb"
    ingest_into_store(store, weeks[0])
    _, report = ingest_into_store(store, weeks[0])
    assert report.total == 8  # 7 days and the summary row, not 16
    assert [str(r) for r in report.replaced] == [
        f"{weeks[0]} replaced 8 row(s) of {weeks[0]} (2026-03-02..2026-03-08)"
    ]
    stored = read_store(store).frame
    assert stored["cost"].sum() == pytest.approx(sum(spend("A", d) for d in range(2, 9)))
