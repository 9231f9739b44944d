"""Render a plan workbook's sheets to PNG, as a person sees them printed (for the README).

    python scripts/render_workbook.py                     # demo plan -> docs/images/
    python scripts/render_workbook.py plan.xlsx -o out/   # any plan
    python scripts/render_workbook.py --lang fa -o /tmp/fa

LibreOffice converts the workbook to PDF with the workbook's own print setup (landscape,
one page wide); ``pdftoppm`` (Debian ``poppler-utils``) turns the first pages into
``overview.png`` (the Overview sheet) and ``channel.png`` (the first channel sheet).
Needs ``soffice`` and ``pdftoppm`` on PATH.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = {1: "overview.png", 2: "channel.png"}


def render(plan: Path, out_dir: Path, dpi: int = 80) -> list[Path]:
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        raise SystemExit("needs LibreOffice (soffice) and poppler-utils (pdftoppm) on PATH")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "profile"
        subprocess.run(
            [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", tmp, str(plan)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        pdf = Path(tmp) / (plan.stem + ".pdf")
        written = []
        for page, name in PAGES.items():
            stem = Path(tmp) / f"page{page}"
            subprocess.run(
                [pdftoppm, "-r", str(dpi), "-png", "-singlefile", "-f", str(page), "-l",
                 str(page), str(pdf), str(stem)],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
            target = out_dir / name
            shutil.move(stem.with_suffix(".png"), target)
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", nargs="?", help="a plan workbook (default: build the demo)")
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "images"))
    parser.add_argument("--lang", default="en", help="language of the demo plan")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(args.plan) if args.plan else None
        if plan is None:
            from kpi_xl.pipeline import build_plan
            from kpi_xl.sample_data import load_sample

            plan = build_plan(load_sample(), Path(tmp) / "kpi_plan.xlsx", lang=args.lang)
        for path in render(plan, Path(args.output)):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
