"""Benchmark: building a plan vs. the naive pandas -> Excel baseline. Prints its figures.

    python bench/build_bench.py                 # 116,800 rows (1 year x 8 channels x 40 campaigns)
    python bench/build_bench.py --million       # also the 1,001,560-row CSV, both readers
    python bench/build_bench.py --ten-million   # also a 10,015,600-row Parquet file

(a) baseline: ``pandas.read_csv`` + ``DataFrame.to_excel(engine="openpyxl")`` of the raw CSV;
(b) ``kpi-xl build`` of the full ecommerce plan from the same CSV, in a child process (a
canonical file of 16 MB or more is aggregated by DuckDB: kpi_xl.ingest.large); the same
build through the general reader (``KPI_XL_LARGE_MB=off``) is printed for comparison.
Targets: b/a <= 0.03 and peak RSS of b <= 250 MB. The million-row build through DuckDB:
peak RSS <= 400 MB and at most half the general reader's time in the same run; the
10-million-row Parquet build: peak RSS <= 800 MB. Builds print rows per second.
Not a test: timings depend on the machine. The README records measured figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from kpi_xl.sample_data.generate import generate_size

# Peak RSS of the build itself: VmHWM belongs to the process's own address space (reset
# by exec). ru_maxrss is not usable here: Linux carries it over fork + exec, so the child
# would report the parent's high-water mark (the openpyxl baseline's).
CHILD = """
import sys
from kpi_xl.cli import main
code = main(sys.argv[1:])
with open("/proc/self/status") as status:
    kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(f"PEAK_RSS_MB {kb / 1024:.1f}", file=sys.stderr)
sys.exit(code)
"""


def run_build(data: Path, out: Path, *, general: bool = False) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of ``kpi-xl build`` in a fresh process (``general``:
    through the general reader, not DuckDB)."""
    env = {**os.environ, "KPI_XL_LARGE_MB": "off" if general else ""}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, "build", str(data), "-o", str(out), "-q", "--overwrite"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"kpi-xl build failed: {result.stderr}")
    rss = next(
        float(line.split()[1]) for line in result.stderr.splitlines() if line.startswith("PEAK_")
    )
    return seconds, rss


def ten_million(folder: Path, million: Path) -> tuple[Path, int]:
    """The million-row CSV ten times over (campaign names suffixed ``#0``..``#9``) as one
    Parquet file with typed columns, written by DuckDB without pandas."""
    import duckdb

    path = folder / "ten_million.parquet"
    con = duckdb.connect(config={"memory_limit": "1GB"})
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"COPY (SELECT m.* REPLACE (campaign || ' #' || k AS campaign) FROM "
        f"read_csv('{million}', sample_size=-1) m, range(10) t(k)) TO '{path}' (FORMAT parquet)"
    )
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0]
    con.close()
    return path, int(rows)


def make_csv(folder: Path, name: str, size: str) -> tuple[Path, int]:
    """The sample generator's named size (``bench``: 116,800 rows) as a canonical CSV."""
    frame = generate_size(size)
    path = folder / name
    frame.to_csv(path, index=False)
    return path, len(frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--million", action="store_true", help="also build from ~1M rows")
    parser.add_argument(
        "--ten-million", action="store_true", help="also build from a 10M-row Parquet file"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv, rows = make_csv(folder, "bench.csv", "bench")
        print(f"input: {rows:,} rows, {csv.stat().st_size / 1e6:.1f} MB CSV")

        start = time.perf_counter()
        frame = pd.read_csv(csv)
        frame.to_excel(folder / "baseline.xlsx", engine="openpyxl", index=False)
        baseline = time.perf_counter() - start
        del frame

        seconds, rss = run_build(csv, folder / "plan.xlsx")
        general, general_rss = run_build(csv, folder / "plan.xlsx", general=True)
        print(f"(a) pandas read_csv + to_excel(openpyxl): {baseline:8.2f} s")
        print(f"(b) kpi-xl build (full ecommerce plan):   {seconds:8.2f} s, peak RSS {rss:.0f} MB"
              f"   ({rows / seconds:,.0f} rows/s)")  # fmt: skip
        print(f"    the same through the general reader:  {general:8.2f} s, peak RSS "
              f"{general_rss:.0f} MB")  # fmt: skip
        print(f"ratio b/a: {seconds / baseline:.3f}   (target <= 0.03)")
        print(f"peak RSS of b: {rss:.0f} MB   (target <= 250 MB)")

        if args.million or args.ten_million:
            big, big_rows = make_csv(folder, "million.csv", "million")
            size = big.stat().st_size / 1e6
            seconds, rss = run_build(big, folder / "plan_big.xlsx")
            general, general_rss = run_build(big, folder / "plan_big.xlsx", general=True)
            print(f"million: {big_rows:,} rows, {size:.0f} MB CSV")
            print(f"  DuckDB:          {seconds:6.1f} s, peak RSS {rss:5.0f} MB "
                  f"({big_rows / seconds:,.0f} rows/s)   (target <= 400 MB)")  # fmt: skip
            print(f"  general reader:  {general:6.1f} s, peak RSS {general_rss:5.0f} MB")
            print(f"  time DuckDB / general: {seconds / general:.2f}   (target <= 0.5)")
        if args.ten_million:
            parquet, many = ten_million(folder, big)
            size = parquet.stat().st_size / 1e6
            seconds, rss = run_build(parquet, folder / "plan_ten.xlsx")
            print(f"ten million: {many:,} rows, {size:.0f} MB Parquet: {seconds:.1f} s, "
                  f"peak RSS {rss:.0f} MB ({many / seconds:,.0f} rows/s)   "
                  "(target <= 800 MB)")  # fmt: skip
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(benchmark process itself peaked at {own:.0f} MB)")


if __name__ == "__main__":
    main()
