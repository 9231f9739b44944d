"""The demo workbook's XML parts, normalized for comparison with a committed golden copy.

In XlsxWriter's manner (its tests unzip a workbook and compare XML part by part): every
part is pretty-printed one element per line, so a formula written to the wrong cell shows
as a changed line. Volatile content is replaced by a placeholder: the document's
timestamps, the "last refreshed" stamp and the kpi_xl version in the plan record.

The golden copy lives in ``tests/golden/workbook/<case>/``, one file per part; regenerate
it deliberately with ``python scripts/regenerate_workbook_golden.py`` (which first checks
every formula of the new workbook with LibreOffice and formualizer).
"""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

import openpyxl
from defusedxml import minidom

from kpi_xl._version import __version__
from kpi_xl.plan.planfile import read_meta

GOLDEN = Path(__file__).parent / "golden" / "workbook"
CASES = {"ecommerce-en": ("ecommerce", "en"), "leadgen-fa": ("leadgen", "fa")}
STAMP = "STAMP"


def _pretty(xml: bytes) -> str:
    text: str = minidom.parseString(xml).toprettyxml(indent=" ")
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip()) + "\n"


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part, from the workbook and its relationships."""
    book = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(r'Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
    out = {}
    for name, rid in re.findall(
        r'<sheet name="([^"]+)" sheetId="\d+"(?: state="\w+")? r:id="([^"]+)"', book
    ):
        out[name.replace("&amp;", "&").replace("&apos;", "'")] = "xl/" + targets[rid]
    return out


def normalized_parts(path: Path) -> dict[str, str]:
    """Part name -> normalized, pretty-printed XML text."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stamp = read_meta(openpyxl.load_workbook(path, read_only=True), path)
    cell = stamp.layout.overview.info["last_refreshed"]
    with zipfile.ZipFile(path) as zf:
        sheet_part = _sheet_parts(zf)[cell.sheet]
        parts = {}
        for name in sorted(zf.namelist()):
            data = zf.read(name)
            if name == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\1" + STAMP.encode(), data
                )
            elif name == sheet_part:
                data = re.sub(
                    rf'(<c r="{cell.a1}"[^>]*><v>)[^<]*'.encode(), rb"\1" + STAMP.encode(), data
                )
            elif name == "xl/sharedStrings.xml":
                data = data.replace(f"<t>{__version__}</t>".encode(), f"<t>{STAMP}</t>".encode())
            parts[name] = _pretty(data) if name.endswith((".xml", ".rels")) else data.hex()
    return parts


def golden_parts(case: str) -> dict[str, str]:
    folder = GOLDEN / case
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def write_golden(case: str, parts: dict[str, str]) -> None:
    import shutil

    folder = GOLDEN / case
    shutil.rmtree(folder, ignore_errors=True)
    for name, text in parts.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
