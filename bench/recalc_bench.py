"""Benchmark: what a recipient pays to open a plan. Prints its figures.

    python bench/recalc_bench.py            # the weekly plan of 116,800 input rows
    python bench/recalc_bench.py --million  # also the weekly plan of ~1,000,000 rows

Builds weekly ecommerce plans and has LibreOffice recalculate every formula (a private
profile with ``OOXMLRecalcMode`` 0: "always recalculate" on load, as Excel does after a
full-calculation flag), converting the plan to ``.xlsx``; prints the CPU seconds of the
LibreOffice process (user + system, from ``getrusage(RUSAGE_CHILDREN)``) and the wall
time. Budgets (README): 116,800 rows <= 2 s CPU, the million-row plan <= 10 s.
Not a test: timings depend on the machine. Needs ``soffice`` on PATH.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kpi_xl.pipeline import build_plan
from kpi_xl.sample_data.generate import generate_size

PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
</oor:items>
"""
ALWAYS, NEVER = 0, 1


def recalc_cpu(plan: Path, work: Path, mode: int = ALWAYS) -> tuple[float, float]:
    """CPU and wall seconds LibreOffice spends loading ``plan`` (with a full recalculation,
    or with ``NEVER`` none: the cost of reading and writing the file) and saving it."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise SystemExit("needs LibreOffice (soffice) on PATH")
    profile = work / f"profile{mode}"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(
        PROFILE.format(mode=mode), encoding="utf-8"
    )
    out = work / "out"
    command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
               "--norestore", "--convert-to", "xlsx", "--outdir", str(out), str(plan)]  # fmt: skip
    # a first run initialises the profile; it is not what a recipient pays each time
    subprocess.run([*command[:-1], str(work / "warmup.xlsx")], capture_output=True, check=False)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, timeout=1800)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def measure(label: str, size: str, work: Path) -> None:
    frame = generate_size(size)
    plan = build_plan(frame, work / f"{size}.xlsx", template="ecommerce", grain="week")
    warm = work / "warmup.xlsx"
    if not warm.exists():
        build_plan(generate_size("sample"), warm, template="ecommerce")
    cpu, wall = recalc_cpu(plan, work)
    io_cpu, _ = recalc_cpu(plan, work, NEVER)
    mb = plan.stat().st_size / 1e6
    print(f"{label}: {len(frame):,} input rows, weekly plan {mb:.1f} MB: LibreOffice opens, "
          f"recalculates every formula and saves it in {cpu:.2f} s CPU ({wall:.2f} s wall); "
          f"without recalculating {io_cpu:.2f} s CPU: the recalculation itself "
          f"{max(cpu - io_cpu, 0):.2f} s CPU")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--million", action="store_true", help="also the ~1M-row plan")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        measure("116,800 rows", "bench", work)
        if args.million:
            measure("1,000,000 rows", "million", work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
