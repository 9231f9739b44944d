"""Benchmark: ``load_channel_data`` on the 116,800-row dataset. Prints its figures.

    python bench/ingest_bench.py

The dataset is the sample generator's ``bench`` size (1 year x 8 channels x 40
campaigns), written twice: as the canonical CSV (:func:`write_canonical`) and as a Google
Ads report (title and date-range lines, ``"1,234"`` thousands separators, ``4.95%``,
a ``Total:`` footer). Each file is loaded in a fresh child process, which reports the
load's wall time, rows per second and its peak RSS (``resource.getrusage``; the parent
stays small, so the child's high-water mark is its own). Also timed: the in-memory
DataFrame path the workbook builder takes. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TITLE = "Campaign performance report"


def write_inputs(folder: Path) -> None:
    """The canonical CSV and the Google Ads layout CSV of the bench dataset."""
    import numpy as np
    import pandas as pd

    from kpi_xl.ingest import write_canonical
    from kpi_xl.sample_data.generate import generate_size

    frame = generate_size("bench")
    write_canonical(frame, folder / "canonical.csv")
    frame.to_parquet(folder / "frame.parquet", index=False)

    def grouped(values: pd.Series, digits: int) -> list[str]:
        return [f"{v:,.{digits}f}" for v in values.fillna(0.0).tolist()]

    clicks = frame["clicks"].fillna(0.0)
    impressions = frame["impressions"].fillna(0.0)
    ctr = np.where(impressions > 0, clicks / impressions.where(impressions > 0, 1.0), 0.0)
    days = frame["date"].dt.strftime("%Y-%m-%d").tolist()
    names = (frame["channel"] + " / " + frame["campaign"]).tolist()
    kinds = np.where(frame["channel"] == "display", "Display", "Search").tolist()
    columns = [
        days,
        names,
        kinds,
        ["EUR"] * len(frame),
        grouped(clicks, 0),
        grouped(impressions, 0),
        [f"{v:.2%}" for v in ctr.tolist()],
        grouped(frame["cost"], 2),
        grouped(frame["conversions"], 2),
        grouped(frame["conversion_value"], 2),
    ]
    header = (
        "Day,Campaign,Campaign type,Currency code,Clicks,Impr.,CTR,Cost,Conversions,Conv. value"
    )
    first, last = days[0], days[-1]
    lines = [TITLE, f'"{first} - {last}"', header]
    for row in zip(*columns, strict=True):
        lines.append(",".join(f'"{v}"' if "," in v else v for v in row))
    lines.append('Total: Account,--,--,EUR,"1,234","5,678",1.00%,"9,999.00",1.00,1.00')
    (folder / "google_ads.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_one(path: Path) -> None:
    """Child process: time one load, print ``rows seconds peak_mb``."""
    import pandas as pd

    from kpi_xl.ingest import load_channel_data

    source: Path | pd.DataFrame = path
    if path.suffix == ".parquet":  # the DataFrame path: the frame is in memory already
        source = pd.read_parquet(path)
    start = time.perf_counter()
    frame = load_channel_data(source)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(frame)} {seconds:.3f} {peak_mb:.1f}")


def child(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"child failed: {result.stderr}")
    return result.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", help=argparse.SUPPRESS)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write_inputs(Path(args.write))
        return 0
    if args.load:
        load_one(Path(args.load))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        child("--write", str(folder))
        print(f"wrote the inputs in {time.perf_counter() - start:.1f} s")
        cases = [
            ("canonical CSV", "canonical.csv"),
            ("Google Ads CSV", "google_ads.csv"),
            ("DataFrame (in memory)", "frame.parquet"),
        ]
        for label, name in cases:
            path = folder / name
            rows, seconds, peak = child("--load", str(path)).split()
            rate = int(rows) / float(seconds)
            size = path.stat().st_size / 1e6
            print(
                f"{label:<22} {int(rows):>8,} rows  {size:6.1f} MB  {float(seconds):6.2f} s  "
                f"{rate:>10,.0f} rows/s  peak RSS {float(peak):6.0f} MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
