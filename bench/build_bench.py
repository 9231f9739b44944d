"""Benchmark: building a plan vs. the naive pandas -> Excel baseline. Prints its figures.

    python bench/build_bench.py            # 116,800 rows (1 year x 8 channels x 40 campaigns)
    python bench/build_bench.py --million  # also a ~1,000,000-row input (peak RSS only)

(a) baseline: ``pandas.read_csv`` + ``DataFrame.to_excel(engine="openpyxl")`` of the raw CSV;
(b) ``kpi-xl build`` of the full ecommerce plan from the same CSV, in a child process.
Targets: b/a <= 0.03 and peak RSS of b <= 250 MB; the million-row build <= 1.5 GB.
Not a test: timings depend on the machine. The README records measured figures.
"""

from __future__ import annotations

import argparse
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


def run_build(csv: Path, out: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of ``kpi-xl build`` in a fresh process."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, "build", str(csv), "-o", str(out), "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"kpi-xl build failed: {result.stderr}")
    rss = next(
        float(line.split()[1]) for line in result.stderr.splitlines() if line.startswith("PEAK_")
    )
    return seconds, rss


def make_csv(folder: Path, name: str, size: str) -> tuple[Path, int]:
    """The sample generator's named size (``bench``: 116,800 rows) as a canonical CSV."""
    frame = generate_size(size)
    path = folder / name
    frame.to_csv(path, index=False)
    return path, len(frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--million", action="store_true", help="also build from ~1M rows")
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
        print(f"(a) pandas read_csv + to_excel(openpyxl): {baseline:8.2f} s")
        print(f"(b) kpi-xl build (full ecommerce plan):   {seconds:8.2f} s, peak RSS {rss:.0f} MB")
        print(f"ratio b/a: {seconds / baseline:.3f}   (target <= 0.03)")
        print(f"peak RSS of b: {rss:.0f} MB   (target <= 250 MB)")

        if args.million:
            big, big_rows = make_csv(folder, "million.csv", "million")
            seconds, rss = run_build(big, folder / "plan_big.xlsx")
            print(f"million: {big_rows:,} rows built in {seconds:.1f} s, peak RSS {rss:.0f} MB"
                  "   (target <= 1536 MB)")  # fmt: skip
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(benchmark process itself peaked at {own:.0f} MB)")


if __name__ == "__main__":
    main()
