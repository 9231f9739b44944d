"""Large canonical files aggregated by DuckDB (kpi_xl.ingest.large) give the plan the
general reader gives, cell for cell, and the same messages for bad rows.

The data is made here: daily rows per campaign from February 2025 to 17 March 2026 (a
partial month: like-for-like comparisons cut at day 17, last year's March included),
with what makes the reduction delicate: a ``last`` measure not reported on some days
(list size), ``whole`` measures on daily rows (users) and on a row covering an ISO week
(reach), money in two currencies, an ``all`` channel total, text escaping a formula,
an empty source, channels and currencies in another case. The general reader, whose
figures the rest of the suite checks against hand-made totals, is the reference; one
total is also summed here by hand. ``KPI_XL_LARGE_MB`` picks the path: ``0`` sends
every canonical file to DuckDB, ``off`` none. Plans are compared monthly, weekly,
quarterly and in Solar Hijri months (a Persian plan: Esfand 1404 is partial).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest
from engines import sheet_values

from kpi_xl.errors import KpiXlError
from kpi_xl.pipeline import build_plan

FIRST, LAST = dt.date(2025, 2, 1), dt.date(2026, 3, 17)
FX = {"USD": 0.9}
HEADER = [
    "date_from", "date_to", "channel", "source", "campaign", "segment", "currency",
    "impressions", "clicks", "cost", "conversions", "conversion_value", "sessions", "users",
    "engaged_sessions", "key_events", "emails_sent", "unique_opens", "list_size", "reach",
]  # fmt: skip


def _rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    day, n = FIRST, 0
    while day <= LAST:
        iso = day.isoformat()
        n += 1
        for k, (campaign, currency) in enumerate(
            (("Brand", "eur"), ("'=SUM(A1)", " EUR"), ("US search", "USD"))
        ):
            rows.append({
                "date_from": iso, "date_to": iso, "channel": "Paid_Search " if k else "paid_search",
                "source": "google_ads", "campaign": campaign, "currency": currency,
                "impressions": 1000 + (n * 7 + k) % 300, "clicks": 40 + (n + k) % 17,
                "cost": f"{55 + (n * 3 + k) % 40}.25", "conversions": (n + k) % 5,
                "conversion_value": f"{(n + k) % 5 * 31}.5",
            })  # fmt: skip
        for k, campaign in enumerate(("", "Blog")):
            rows.append({
                "date_from": iso, "date_to": iso, "channel": "seo", "source": "ga4",
                "campaign": campaign, "sessions": 300 + (n * 5 + k) % 90,
                "users": 250 + (n + k) % 40, "engaged_sessions": 200 + n % 50,
                "key_events": n % 9 + k,
            })  # fmt: skip
        rows.append({
            "date_from": iso, "date_to": iso, "channel": "all", "source": "ga4",
            "sessions": 900 + n % 70, "users": 700 + n % 30,
        })  # fmt: skip
        for k, segment in enumerate(("news", "promo")):
            rows.append({
                "date_from": iso, "date_to": iso, "channel": "email", "source": "",
                "campaign": "Weekly", "segment": segment, "emails_sent": 5000 + n % 11,
                "unique_opens": 1500 + (n + k) % 13,
                # the list size is not reported every day, nor on the last one for news
                "list_size": "" if (n + k) % 4 == 0 else 20000 + (n * 37) % 500 + k,
            })  # fmt: skip
        day += dt.timedelta(days=1)
    rows.append({
        "date_from": "2026-02-02", "date_to": "2026-02-08", "channel": "organic_social",
        "source": "meta", "reach": 12345,
    })  # fmt: skip
    return rows


def write_csv(path: Path, rows: list[dict[str, Any]] | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(_rows() if rows is None else rows)
    return path


def build(
    monkeypatch: pytest.MonkeyPatch, data: Path, out: Path, path: str, **options: Any
) -> tuple[dict[str, list[tuple[Any, ...]]], list[str]]:
    """The plan's cells and the progress messages, building through ``path``."""
    monkeypatch.setenv("KPI_XL_LARGE_MB", "0" if path == "duckdb" else "off")
    said: list[str] = []
    options.setdefault("year", 2026 if options.get("lang", "en") != "fa" else 1404)
    build_plan(data, out, fx=FX, progress=said.append, **options)
    return sheet_values(out), said


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(tmp_path_factory.mktemp("large") / "canonical.csv")


@pytest.mark.parametrize(
    ("grain", "lang"), [("month", "en"), ("week", "en"), ("quarter", "en"), (None, "fa")]
)  # fa: Solar Hijri months (1404-12 runs from 20 February to 20 March 2026)
def test_duckdb_gives_the_plan_the_general_reader_gives(
    grain: str | None, lang: str, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = {"grain": grain, "lang": lang}
    general, said = build(monkeypatch, data, tmp_path / "general.xlsx", "pandas", **options)
    assert not any("DuckDB" in m for m in said)
    reduced, said = build(monkeypatch, data, tmp_path / "duckdb.xlsx", "duckdb", **options)
    done = [m for m in said if m.startswith("aggregated")]
    assert done and "rows/s" in done[0], said  # the DuckDB path was taken, and said so
    assert reduced.keys() == general.keys()
    for sheet in general:
        assert reduced[sheet] == general[sheet], sheet
    # far fewer rows reached pandas ("aggregated 2,408 rows to 450 in 0.1 s ...")
    read, kept = (int(w.replace(",", "")) for w in done[0].split()[1:5:3])
    assert read == len(_rows()) and kept < read / 3


def test_the_plan_holds_the_hand_summed_cost(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Brand's February 2026 cost, summed here from the rows as written."""
    expected = sum(
        float(r["cost"])
        for r in _rows()
        if r.get("campaign") == "Brand" and r["date_from"].startswith("2026-02")
    )
    plan, _ = build(monkeypatch, data, tmp_path / "plan.xlsx", "duckdb")
    table = plan["Data"]
    header = next(i for i, r in enumerate(table) if r[:2] == ("period", "channel"))
    names = list(table[header])
    campaign = names.index("campaign")
    row = next(r for r in table[header + 1 :] if r[0] == "2026-02" and r[campaign] == "Brand")
    assert row[names.index("cost")] == pytest.approx(expected)


def test_parquet_gives_the_same_plan(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same rows as Parquet (text as written: a Parquet cell is never a formula, so
    the ``'`` before ``=SUM`` stays) give the general reader's plan through DuckDB."""
    pytest.importorskip("pyarrow")  # the general reader's Parquet engine (extra "parquet")
    parquet = tmp_path / "canonical.parquet"
    con = duckdb.connect()
    query = f"SELECT * FROM read_csv('{data}', all_varchar=true)"
    con.execute(f"COPY ({query}) TO '{parquet}' (FORMAT parquet)")
    con.close()
    general, _ = build(monkeypatch, parquet, tmp_path / "general.xlsx", "pandas")
    reduced, said = build(monkeypatch, parquet, tmp_path / "duckdb.xlsx", "duckdb")
    assert any(m.startswith("aggregated") for m in said)
    assert reduced == general
    assert any(r[3] == "'=SUM(A1)" for r in reduced["Data"])


def _edited(tmp_path: Path, line: int, **cells: Any) -> Path:
    """The data with the row of ``line`` (the header is line 1) changed."""
    rows = _rows()
    rows[line - 2] = {**rows[line - 2], **cells}
    return write_csv(tmp_path / "edited.csv", rows)


@pytest.mark.parametrize(
    "line, cells",
    [
        (700, {"cost": "12,5x"}),  # not a number
        (701, {"clicks": "-3"}),  # negative
        (702, {"channel": "tv"}),  # not a channel
        (703, {"date_from": "2025-13-01", "date_to": "2025-13-01"}),  # not a date
        (704, {"sessions": "10", "engaged_sessions": "99"}),  # a part above its whole
        (705, {"date_from": "2025-04-28", "date_to": "2025-05-03"}),  # two months
        (706, {"campaign": "x" * 40_000}),  # longer than a cell
    ],
)
def test_a_bad_row_gets_the_general_readers_message(
    line: int, cells: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _edited(tmp_path, line, **cells)
    messages = []
    for way in ("pandas", "duckdb"):
        with pytest.raises(KpiXlError) as err:
            build(monkeypatch, path, tmp_path / f"{way}.xlsx", way)
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert f"line {line}" in messages[1]  # the file's own line, not the sample's


def test_repeated_rows_go_to_the_general_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exact repeat is dropped, a conflicting one refused, as by the general reader."""
    from kpi_xl.ingest import large

    rows = _rows()
    repeated = write_csv(tmp_path / "repeated.csv", [*rows, rows[500]])
    general, _ = build(monkeypatch, repeated, tmp_path / "general.xlsx", "pandas")
    reduced, said = build(monkeypatch, repeated, tmp_path / "duckdb.xlsx", "duckdb")
    assert not any(m.startswith("aggregated") for m in said)  # handed over
    assert reduced == general
    conflict = write_csv(tmp_path / "conflict.csv", [*rows, {**rows[500], "cost": "1.5"}])
    with pytest.raises(KpiXlError, match="same dates, channel, source, campaign"):
        build(monkeypatch, conflict, tmp_path / "conflict.xlsx", "duckdb")
    # a row covering several days (kept as it is) repeated: dropped; in another currency:
    # refused, as by the general reader
    week = rows[-1]
    assert week["date_from"] != week["date_to"]
    path = write_csv(tmp_path / "week.csv", [*rows, week])
    found = large.large_file(path)
    assert found is not None and large.load_large(found, "month", 2026) is None  # handed over
    path = write_csv(tmp_path / "currency.csv", [*rows, {**week, "currency": "USD"}])
    with pytest.raises(KpiXlError, match="different currency values"):
        build(monkeypatch, path, tmp_path / "currency.xlsx", "duckdb")


def test_threshold_variable_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPI_XL_LARGE_MB", "lots")
    with pytest.raises(KpiXlError, match="KPI_XL_LARGE_MB='lots': expected a size in MB"):
        build_plan(write_csv(tmp_path / "d.csv"), tmp_path / "p.xlsx", fx=FX)


def test_a_parquet_bomb_is_left_to_the_general_readers_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB streams rows, but a file expanding beyond 100 times its size (a constant
    column of millions of rows in a few kilobytes) is not streamed: the general reader
    refuses it with its limit, as it would any Parquet file."""
    pytest.importorskip("pyarrow")
    bomb = tmp_path / "bomb.parquet"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT DATE '2020-01-01' + CAST(i % 2000 AS INTEGER) AS date, 'seo' AS channel, "
        "'c' || (i // 2000) AS campaign, 1.0 AS sessions FROM range(3000000) t(i)) "
        f"TO '{bomb}' (FORMAT parquet)"
    )
    con.close()
    assert bomb.stat().st_size * 100 < 3_000_000 * 4 * 8  # distinct keys, few bytes
    with pytest.raises(KpiXlError, match="refusing to read it"):
        build(monkeypatch, bomb, tmp_path / "plan.xlsx", "duckdb")


def test_out_of_memory_with_two_threads_retries_with_one(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB groups per thread: when two threads fill its memory limit (many campaigns x
    periods), the scan is made again with one, not handed to pandas."""
    from kpi_xl.ingest import large

    monkeypatch.setenv("KPI_XL_LARGE_MB", "0")
    real, threads = large._reduce, []

    def reduce(con: Any, *args: Any) -> Any:
        threads.append(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
        if len(threads) == 1:
            raise duckdb.OutOfMemoryException("could not allocate block")
        return real(con, *args)

    monkeypatch.setattr(large, "_reduce", reduce)
    found = large.large_file(data)
    assert found is not None
    reduced = large.load_large(found, "month", 2026)
    assert reduced is not None and len(reduced.frame)
    assert len(threads) == 2 and threads[1] == 1  # the second scan, with one thread
