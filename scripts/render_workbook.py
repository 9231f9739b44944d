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


def _page_png(plan: Path, tmp: Path, page: int, dpi: int) -> Path:
    """Page ``page`` of ``plan`` as LibreOffice prints it, a PNG in ``tmp``."""
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        raise SystemExit("needs LibreOffice (soffice) and poppler-utils (pdftoppm) on PATH")
    pdf = tmp / (plan.stem + ".pdf")
    if not pdf.exists():
        profile = tmp / "profile"
        subprocess.run(
            [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(tmp), str(plan)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    stem = tmp / f"page{page}"
    subprocess.run(
        [pdftoppm, "-r", str(dpi), "-png", "-singlefile", "-f", str(page), "-l", str(page),
         str(pdf), str(stem)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return stem.with_suffix(".png")


def render(plan: Path, out_dir: Path, dpi: int = 80) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for page, name in PAGES.items():
            target = out_dir / name
            shutil.move(_page_png(plan, Path(tmp), page, dpi), target)
            written.append(target)
    return written


#: A laptop screen at 100 %, in pixels (96 dpi).
SCREEN = (1366, 768)


def _screen_copy(plan: Path, out: Path) -> None:
    """A copy of ``plan`` whose first sheet prints at 100 % on A3 landscape with no margins,
    header or footer: its first page is the sheet as a screen at 100 % shows it."""
    import re
    import zipfile

    with zipfile.ZipFile(plan) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode("utf-8")
                xml = xml.replace('<pageSetUpPr fitToPage="1"/>', "")
                xml = re.sub(r"<pageMargins[^>]*/>", '<pageMargins left="0" right="0" '
                             'top="0" bottom="0" header="0" footer="0"/>', xml)  # fmt: skip
                xml = re.sub(r"<pageSetup[^>]*/>",
                             '<pageSetup paperSize="8" scale="100" orientation="landscape"/>',
                             xml)  # fmt: skip
                xml = re.sub(r"<headerFooter>.*?</headerFooter>", "", xml, flags=re.S)
                data = xml.encode("utf-8")
            zout.writestr(item, data)


def render_screen(plan: Path, target: Path, rtl: bool = False) -> Path:
    """``target``: the Overview's first 1366x768 pixels at 100 % (from the right edge for a
    right-to-left sheet), rendered by LibreOffice."""
    from PIL import Image

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / f"screen{plan.suffix}"
        _screen_copy(plan, copy)
        page = Image.open(_page_png(copy, Path(tmp), 1, 96))
        width, height = SCREEN
        left = page.width - width if rtl else 0
        page.crop((left, 0, left + width, height)).save(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", nargs="?", help="a plan workbook (default: build the demo)")
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "images"))
    parser.add_argument("--lang", default="en", help="language of the demo plan")
    parser.add_argument(
        "--screen", action="store_true",
        help="write overview_screen_LANG.png: the Overview's first 1366x768 screen at 100 %%",
    )  # fmt: skip
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(args.plan) if args.plan else None
        if plan is None:
            from kpi_xl.pipeline import DataSource, build_plan

            plan = build_plan(
                DataSource(sample="ecommerce"), Path(tmp) / "kpi_plan.xlsx", lang=args.lang
            )
        if args.screen:
            target = Path(args.output) / f"overview_screen_{args.lang}.png"
            print(f"wrote {render_screen(plan, target, rtl=args.lang in ('fa', 'he'))}")
            return 0
        for path in render(plan, Path(args.output)):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
